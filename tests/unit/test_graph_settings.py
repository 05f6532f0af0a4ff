"""The Graph directory's settings: documented in .env.example, read into the adapter's configuration, and a
credential that cannot work refused at start with what is missing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import Settings
from bot.directory_source import credential_settings, graph_config
from directory.graph_token import GraphCredentialError, graph_scope, make_credential

ROOT = Path(__file__).resolve().parents[2]


def test_every_directory_setting_is_in_env_example() -> None:
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(encoding="utf-8"), re.M))
    ours = [name.upper() for name in Settings.model_fields if name.startswith(("graph_", "directory_"))]
    assert len(ours) >= 14
    assert [name for name in ours if name not in documented] == []


def test_settings_become_the_adapters_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "GRAPH_UNIT_GROUPS", '{"Jobcenter Syd": {"deputies": "g-dep", "work_environment_group": "g-amg"}}'
    )
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        microsoft_app_id="app",
        microsoft_app_password="secret",
        microsoft_app_tenant_id="tenant",
        graph_hr_jura_group_id="g-jura",
        graph_unit_property="onPremisesExtensionAttributes/extensionAttribute3",
    )
    config = graph_config(settings)
    assert config.hr_groups == {"jura": "g-jura"}
    assert config.unit_groups["Jobcenter Syd"].deputies == "g-dep"
    assert config.unit_groups["Jobcenter Syd"].work_environment_group == "g-amg"
    assert config.unit_property == "onPremisesExtensionAttributes/extensionAttribute3"
    credential = credential_settings(settings)
    assert (credential.tenant_id, credential.client_id, credential.client_secret) == ("tenant", "app", "secret")
    assert graph_scope(settings.graph_base_url) == "https://graph.microsoft.com/.default"


def test_a_credential_that_cannot_work_is_refused_with_what_is_missing() -> None:
    settings = Settings(_env_file=None, directory_source="graph")  # type: ignore[call-arg]
    with pytest.raises(GraphCredentialError, match=r"tenant id.*client id.*client secret"):
        make_credential(credential_settings(settings))
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        graph_credential="certificate",
        graph_tenant_id="t",
        graph_client_id="c",
        graph_certificate_path="/nonexistent/cert.pem",
    )
    with pytest.raises(GraphCredentialError, match="not found"):
        make_credential(credential_settings(settings))


def test_an_http_authority_is_refused_by_the_settings() -> None:
    with pytest.raises(ValueError, match="graph_authority_host"):
        Settings(_env_file=None, graph_authority_host="http://login.example")  # type: ignore[call-arg]


def test_the_bot_refuses_to_start_on_graph_without_a_credential(tmp_path: Path) -> None:
    from app import create_app
    from bot.adapter import EXIT_UNSAFE_SETTINGS

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        allow_unauthenticated=True,
        data_dir=tmp_path / "data",
        directory_source="graph",
        graph_tenant_id="t",
    )
    with pytest.raises(SystemExit) as stopped:
        create_app(settings)
    assert stopped.value.code == EXIT_UNSAFE_SETTINGS


def test_installing_vaern_through_graph_needs_the_graph_directory() -> None:
    with pytest.raises(ValidationError, match="DIRECTORY_SOURCE=graph"):
        Settings(_env_file=None, teams_app_catalog_id="7ea15a99-0000-4000-8000-00000000a11c")  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        Settings(_env_file=None, directory_source="graph", teams_app_catalog_id="x' or 1 eq 1")  # type: ignore[call-arg]
    chosen = Settings(
        _env_file=None, directory_source="graph", teams_app_catalog_id="7ea15a99-0000-4000-8000-00000000a11c"
    )  # type: ignore[call-arg]
    assert chosen.teams_app_catalog_id.startswith("7ea15a99")
