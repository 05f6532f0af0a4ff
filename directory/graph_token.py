"""The bot's own access token for Microsoft Graph (application permissions), through azure-identity.

One credential per process: the app's client secret, its certificate, or a managed identity. azure-identity caches
the token and asks for a new one before it expires. The authority host is a setting (another cloud, or a local
stand-in in tests; azure-identity accepts https authorities only). The scope is `<Graph origin>/.default`: the
application permissions an administrator granted, nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from azure.core.credentials_async import AsyncTokenCredential
from azure.identity.aio import CertificateCredential, ClientSecretCredential, ManagedIdentityCredential

CredentialKind = Literal["secret", "certificate", "managed_identity"]


class GraphCredentialError(ValueError):
    """The settings do not name a usable credential (what is missing is in the message)."""


@dataclass(frozen=True)
class GraphCredentialSettings:
    kind: CredentialKind
    tenant_id: str
    client_id: str
    client_secret: str = ""
    certificate_path: Path | None = None
    authority_host: str = "https://login.microsoftonline.com"
    ca_file: Path | None = None  # an extra CA to trust for the authority (tests; a TLS-inspecting proxy)


def graph_scope(base_url: str) -> str:
    """`https://graph.microsoft.com/v1.0` → `https://graph.microsoft.com/.default` (the app's granted permissions)."""
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}/.default"


def credential_problem(settings: GraphCredentialSettings) -> str | None:
    """What keeps these settings from naming a usable credential (checked at start), or None."""
    if settings.kind == "managed_identity":
        return None
    named = (("tenant id", settings.tenant_id), ("client id (GRAPH_CLIENT_ID or MICROSOFT_APP_ID)", settings.client_id))
    missing = [name for name, value in named if not value]
    if settings.kind == "secret" and not settings.client_secret:
        missing.append("client secret (GRAPH_CLIENT_SECRET or MICROSOFT_APP_PASSWORD)")
    if settings.kind == "certificate" and settings.certificate_path is None:
        missing.append("certificate (GRAPH_CERTIFICATE_PATH)")
    if missing:
        return f"the Microsoft Graph directory needs a {', '.join(missing)}"
    if settings.kind == "certificate" and settings.certificate_path and not settings.certificate_path.is_file():
        return f"GRAPH_CERTIFICATE_PATH {settings.certificate_path}: not found"
    return None


def make_credential(settings: GraphCredentialSettings) -> AsyncTokenCredential:
    """The azure-identity credential the settings name; GraphCredentialError when one is incomplete."""
    problem = credential_problem(settings)
    if problem is not None:
        raise GraphCredentialError(problem)
    transport: dict[str, Any] = {"connection_verify": str(settings.ca_file)} if settings.ca_file else {}
    if settings.kind == "managed_identity":
        # A user-assigned identity is named by its client id; without one, the system-assigned identity.
        if settings.client_id:
            return ManagedIdentityCredential(client_id=settings.client_id, **transport)
        return ManagedIdentityCredential(**transport)
    if settings.kind == "certificate":
        return CertificateCredential(
            settings.tenant_id,
            settings.client_id,
            certificate_path=str(settings.certificate_path),
            authority=settings.authority_host,
            **transport,
        )
    return ClientSecretCredential(
        settings.tenant_id, settings.client_id, settings.client_secret, authority=settings.authority_host, **transport
    )


class GraphToken:
    """`await token()` gives a bearer token for Graph; azure-identity caches and renews it."""

    def __init__(self, credential: AsyncTokenCredential, scope: str) -> None:
        self._credential = credential
        self._scope = scope

    async def __call__(self) -> str:
        return (await self._credential.get_token(self._scope)).token

    async def close(self) -> None:
        await self._credential.close()
