"""The directory the settings name: the JSON file (local default; none: nobody is known) or Microsoft Graph.

`open_directory` returns the directory and, for Graph, the adapter itself (started: its first read done or timed
out, its refresh running) so the runtime can report its health and close it at shutdown. `app_installer` installs
Værn for people who do not have it, through the same Graph client, when the settings name its catalog id.
"""

from __future__ import annotations

import ssl

import aiohttp

from bot.config import Settings
from directory.graph import GraphDirectory, GraphDirectoryConfig, UnitGroups
from directory.graph_client import GraphClient
from directory.graph_token import GraphCredentialSettings, GraphToken, graph_scope, make_credential
from directory.teams_app_installation import TeamsAppInstaller
from services.roles import Directory, load_directory

GRAPH_TIMEOUT = aiohttp.ClientTimeout(total=60, sock_connect=10)


def graph_config(settings: Settings) -> GraphDirectoryConfig:
    hr_groups = {
        "jura": settings.graph_hr_jura_group_id,
        "work_environment_coordinator": settings.graph_hr_work_environment_coordinator_group_id,
    }
    return GraphDirectoryConfig(
        unit_property=settings.graph_unit_property,
        hr_groups={function: group_id for function, group_id in hr_groups.items() if group_id},
        unit_groups={value: UnitGroups(**groups.model_dump()) for value, groups in settings.graph_unit_groups.items()},
        on_call_group=settings.graph_on_call_group_id,
        refresh_seconds=settings.directory_refresh_seconds,
    )


def credential_settings(settings: Settings) -> GraphCredentialSettings:
    return GraphCredentialSettings(
        kind=settings.graph_credential,
        tenant_id=settings.graph_tenant_id or settings.microsoft_app_tenant_id,
        client_id=settings.graph_client_id or settings.microsoft_app_id,
        client_secret=settings.graph_client_secret.get_secret_value() or settings.microsoft_app_password,
        certificate_path=settings.graph_certificate_path,
        authority_host=settings.graph_authority_host,
    )


async def open_graph_directory(settings: Settings) -> GraphDirectory:
    """The Graph directory, started; raises GraphCredentialError when the settings name no usable credential."""
    credential = make_credential(credential_settings(settings))
    token = GraphToken(credential, graph_scope(settings.graph_base_url))
    # The system's trust store (SSL_CERT_FILE / SSL_CERT_DIR are honoured, as for azure-identity's own requests).
    connector = aiohttp.TCPConnector(ssl=ssl.create_default_context(), limit=4)
    session = aiohttp.ClientSession(connector=connector, timeout=GRAPH_TIMEOUT, trust_env=True)

    async def close() -> None:
        await session.close()
        await token.close()

    directory = GraphDirectory(
        GraphClient(settings.graph_base_url, token, session), graph_config(settings), on_close=close
    )
    await directory.start()
    return directory


async def open_directory(settings: Settings) -> tuple[Directory, GraphDirectory | None]:
    if settings.directory_source == "graph":
        graph = await open_graph_directory(settings)
        return graph, graph
    return load_directory(settings.directory_file), None


def app_installer(settings: Settings, graph: GraphDirectory | None) -> TeamsAppInstaller | None:
    """Installs Værn through Graph when TEAMS_APP_CATALOG_ID is set (Settings requires the Graph directory then)."""
    if graph is None or not settings.teams_app_catalog_id:
        return None
    return TeamsAppInstaller(graph.client, settings.teams_app_catalog_id)
