"""How Værn reaches its Azure Storage account (blobs, queues, tables), and the rules that keep it safe at rest.

- **HTTPS only.** Every endpoint is `https://`; plain `http://` is allowed only for a loopback host (Azurite on
  127.0.0.1 / localhost / ::1) or `UseDevelopmentStorage=true`. A connection string with
  `DefaultEndpointsProtocol=http` is refused unless each of its blob, queue and table endpoints is named and loopback
  (Azurite's own strings); bot/config.py refuses to start on any other (`endpoint_problem`).
- **Managed identity rather than keys.** With an account URL (`https://<account>.blob.core.windows.net`) and no
  connection string, the clients sign in with azure-identity: the user-assigned managed identity named by its client
  id, else `DefaultAzureCredential` (the system-assigned managed identity in Azure; a developer's own sign-in
  elsewhere). The queue and table endpoints are the blob endpoint's host with `queue` / `table` for `blob`.
- A client made here with a credential owns it: `close_with_credential` closes both.
Encryption with customer-managed keys, versioning and the evidence container's version-level immutability support are
set on the account itself (docs/production-storage.md); the per-blob policies are storage/azure_blob.py's, their dates
domain.retention's.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from azure.core.credentials_async import AsyncTokenCredential

Service = Literal["blob", "queue", "table"]
SERVICES: tuple[Service, ...] = ("blob", "queue", "table")
_ENDPOINT_KEYS = {"blob": "blobendpoint", "queue": "queueendpoint", "table": "tableendpoint"}


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _url_problem(url: str, what: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
        return None  # Azurite on this machine
    return f"{what} must be an https:// URL (plain http only for a local Azurite on 127.0.0.1): {parts.scheme}://…"


def connection_string_fields(connection_string: str) -> dict[str, str]:
    """`Key=Value;…` as a dict with lower-case keys (values keep their case; a value may contain '=')."""
    fields: dict[str, str] = {}
    for part in connection_string.split(";"):
        key, separator, value = part.partition("=")
        if separator and key.strip():
            fields[key.strip().lower()] = value.strip()
    return fields


def endpoint_problem(connection_string: str, account_url: str) -> str | None:
    """Why these storage settings would send data over plain HTTP (or name no account), or None."""
    if connection_string and account_url:
        return "set AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCOUNT_URL, not both"
    if account_url:
        problem = _url_problem(account_url, "AZURE_STORAGE_ACCOUNT_URL")
        if problem is None and ".blob." not in (urlsplit(account_url).hostname or ""):
            return "AZURE_STORAGE_ACCOUNT_URL must be the blob endpoint, https://<account>.blob.core.windows.net"
        return problem
    if not connection_string:
        return None  # nothing to reach yet: opening the backend says so
    fields = connection_string_fields(connection_string)
    if fields.get("usedevelopmentstorage", "").lower() == "true":
        return None  # Azurite's well-known loopback endpoints
    for service in SERVICES:
        endpoint = fields.get(_ENDPOINT_KEYS[service])
        if endpoint:
            problem = _url_problem(endpoint, f"the connection string's {service} endpoint")
            if problem:
                return problem
        elif fields.get("defaultendpointsprotocol", "https").lower() != "https":
            return "AZURE_STORAGE_CONNECTION_STRING must use DefaultEndpointsProtocol=https"
    return None


@dataclass(frozen=True)
class AzureAccount:
    """The account as settings name it: a connection string, or an account URL with a managed identity."""

    connection_string: str = ""
    account_url: str = ""  # the blob endpoint; without a connection string the clients use azure-identity
    client_id: str = ""  # a user-assigned managed identity's client id; empty: DefaultAzureCredential

    @property
    def uses_identity(self) -> bool:
        return not self.connection_string and bool(self.account_url)

    def service_url(self, service: Service) -> str:
        """The endpoint of one service: the blob endpoint with its `blob` host label replaced."""
        parts = urlsplit(self.account_url.rstrip("/"))
        host = (parts.hostname or "").replace(".blob.", f".{service}.", 1)
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{host}{port}{parts.path}"

    def credential(self) -> AsyncTokenCredential:
        """The managed identity's credential (no network until a token is asked for)."""
        from azure.identity.aio import DefaultAzureCredential, ManagedIdentityCredential

        if self.client_id:
            return ManagedIdentityCredential(client_id=self.client_id)
        return DefaultAzureCredential(exclude_interactive_browser_credential=True)


def as_account(account: AzureAccount | str) -> AzureAccount:
    """A plain string is a connection string (tests, benchmarks)."""
    return AzureAccount(connection_string=account) if isinstance(account, str) else account


def service_client(account: AzureAccount, service: Service, client_type: Any, **options: Any) -> Any:
    """A blob, queue or table service client: from the connection string, else the account URL and the identity."""
    if account.connection_string:
        return client_type.from_connection_string(account.connection_string, **options)
    return client_type(account.service_url(service), credential=account.credential(), **options)


async def close_with_credential(client: Any) -> None:
    """Close a service client and the credential it was made with (if it owns one)."""
    credential = getattr(client, "credential", None)
    try:
        await client.close()
    finally:
        if hasattr(credential, "get_token") and hasattr(credential, "close"):  # azure-identity's, not a key
            await credential.close()  # type: ignore[union-attr]
