"""Microsoft Graph and its token authority, played on 127.0.0.1 over TLS (azure-identity accepts https only).

Speaks the shapes the directory reads: the OAuth2 client-credentials token response, `/v1.0/users` with
`$select`, `$expand=manager($select=id)`, `$top` and `@odata.nextLink` paging, `/users/{id}`, `/users/{id}/manager`
(404 `Request_ResourceNotFound` for a user with no manager), `/groups/{id}/members` with paging, and a Teams app's
installation for a user (`POST /users/{id}/teamwork/installedApps`: 201, or 409 when installed already; the
installation list with `$filter=teamsApp/id eq '…'`; `.../installedApps/{id}/chat`). A test can queue
failures (429 or 503 with `Retry-After`), take Graph down, and read the log of every call. Its certificate is
signed by a CA made for the run (`ca_file`: give it to the client, or as SSL_CERT_FILE to a bot process).
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import secrets
import ssl
import tempfile
import threading
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from directory.graph_token import GraphCredentialSettings, GraphToken, graph_scope, make_credential
from tests.support.connector_stub import BackgroundServer

TENANT_ID = "9c0ffee0-0000-4000-8000-00000000beef"
CLIENT_ID = "5e1f0000-0000-4000-8000-0000000c11e7"
CLIENT_SECRET = "graph-stub-secret"
CATALOG_APP_ID = "7ea15a99-0000-4000-8000-00000000a11c"  # Værn in the organisation's Teams app catalog


@dataclass(frozen=True)
class GraphCall:
    method: str
    path: str
    query: dict[str, str]
    status: int


@dataclass
class StubUser:
    id: str
    displayName: str
    userPrincipalName: str
    department: str | None = None
    accountEnabled: bool = True
    manager: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def selected(self, select: list[str] | None) -> dict[str, Any]:
        every = {
            "id": self.id,
            "displayName": self.displayName,
            "userPrincipalName": self.userPrincipalName,
            "department": self.department,
            "accountEnabled": self.accountEnabled,
            **self.extra,
        }
        default = ("id", "displayName", "userPrincipalName")  # a part of Graph's default set
        return {key: every.get(key) for key in (select or default)}


def _certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for 127.0.0.1 signed by it: (ca.pem, server.pem, server-key.pem)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Graph stub test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = folder / "ca.pem", folder / "server.pem", folder / "server-key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths


class GraphStub(BackgroundServer):
    thread_name = "graph-stub"

    def __init__(self, page_size: int = 2) -> None:
        super().__init__()
        self.page_size = page_size
        self.users: dict[str, StubUser] = {}
        self.groups: dict[str, list[str]] = {}
        self.calls: list[GraphCall] = []
        self.token_requests: list[dict[str, str]] = []
        self.down_status: int | None = None  # every Graph call answers this (503: Graph is down)
        self._failures: deque[tuple[int, str | None]] = deque()
        self._tokens: set[str] = set()
        self._lock = threading.Lock()
        self._folder = Path(tempfile.mkdtemp(prefix="graph-stub-"))
        self.ca_file, self._cert, self._key = _certificates(self._folder)
        self.app_catalog: set[str] = {CATALOG_APP_ID}
        self.installations: dict[tuple[str, str], str] = {}  # (user id, catalog app id) -> installation id
        self.on_install: Callable[[str, str], None] | None = None  # (user id, chat id): Teams learns of the app
        self.installing_forbidden = False  # as when TeamsAppInstallation.ReadWriteSelfForUser.All is not granted

    # -- what a test sets up ---------------------------------------------------------------------------------

    def add_user(
        self,
        name: str,
        department: str | None = None,
        manager: str | None = None,
        *,
        enabled: bool = True,
        **extra: Any,
    ) -> str:
        user_id = str(uuid.uuid4())
        upn = f"{name.split()[0].lower()}.{user_id[:6]}@eksempel-kommune.dk"
        with self._lock:
            self.users[user_id] = StubUser(user_id, name, upn, department, enabled, manager, dict(extra))
        return user_id

    def set_manager(self, user_id: str, manager_id: str | None) -> None:
        with self._lock:
            self.users[user_id].manager = manager_id

    def add_group(self, members: list[str]) -> str:
        group_id = str(uuid.uuid4())
        with self._lock:
            self.groups[group_id] = list(members)
        return group_id

    def chat_id_for(self, user_id: str, app_id: str = CATALOG_APP_ID) -> str:
        """The id of the 1:1 chat between a user and the app once it is installed for them (Teams' format)."""
        return f"19:{user_id}_{app_id}@unq.gbl.spaces"

    def installed_for(self, user_id: str, app_id: str = CATALOG_APP_ID) -> bool:
        with self._lock:
            return (user_id, app_id) in self.installations

    def fail_next(self, status: int, count: int = 1, retry_after: str | None = None) -> None:
        """The next `count` Graph calls answer `status` (with `Retry-After` when given)."""
        with self._lock:
            self._failures.extend([(status, retry_after)] * count)

    def graph_calls(self, path_start: str = "/v1.0/") -> list[GraphCall]:
        with self._lock:
            return [call for call in self.calls if call.path.startswith(path_start)]

    def clear_calls(self) -> None:
        with self._lock:
            self.calls.clear()

    @property
    def https_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def graph_base_url(self) -> str:
        return f"{self.https_url}/v1.0"

    def bot_env(self, **groups: str) -> dict[str, str]:
        """The bot's settings for this stub (plus SSL_CERT_FILE so its TLS client trusts the stub's CA)."""
        return {
            "DIRECTORY_SOURCE": "graph",
            "GRAPH_BASE_URL": self.graph_base_url,
            "GRAPH_AUTHORITY_HOST": self.https_url,
            "GRAPH_TENANT_ID": TENANT_ID,
            "GRAPH_CLIENT_ID": CLIENT_ID,
            "GRAPH_CLIENT_SECRET": CLIENT_SECRET,
            "TEAMS_APP_CATALOG_ID": CATALOG_APP_ID,
            "SSL_CERT_FILE": str(self.ca_file),
            **groups,
        }

    # -- serving ---------------------------------------------------------------------------------------------

    async def _serve(self) -> None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self._cert, self._key)
        runner = web.AppRunner(self.build_app(), access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])

    def build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._record])
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        app.router.add_get("/v1.0/users", self._list_users)
        app.router.add_get("/v1.0/users/{id}", self._get_user)
        app.router.add_get("/v1.0/users/{id}/manager", self._get_manager)
        app.router.add_get("/v1.0/groups/{id}/members", self._group_members)
        app.router.add_post("/v1.0/users/{id}/teamwork/installedApps", self._install_app)
        app.router.add_get("/v1.0/users/{id}/teamwork/installedApps", self._installed_apps)
        app.router.add_get("/v1.0/users/{id}/teamwork/installedApps/{installation}/chat", self._installed_app_chat)
        return app

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        response: web.StreamResponse
        if request.path.startswith("/v1.0/"):
            response = self._refusal(request) or await handler(request)
        else:
            response = await handler(request)
        with self._lock:
            self.calls.append(GraphCall(request.method, request.path, dict(request.query), response.status))
        return response

    def _refusal(self, request: web.Request) -> web.Response | None:
        with self._lock:
            failure = self._failures.popleft() if self._failures else None
            if failure is None and self.down_status is not None:
                failure = (self.down_status, None)
            known = request.headers.get("Authorization", "").removeprefix("Bearer ") in self._tokens
        if failure is not None:
            status, retry_after = failure
            headers = {"Retry-After": retry_after} if retry_after is not None else {}
            code = "TooManyRequests" if status == 429 else "serviceNotAvailable"
            return _error(status, code, "Please retry later.", headers)
        if not known:
            return _error(401, "InvalidAuthenticationToken", "Access token is empty or invalid.")
        return None

    async def _token(self, request: web.Request) -> web.Response:
        form = {key: str(value) for key, value in (await request.post()).items()}
        with self._lock:
            self.token_requests.append(form)
        secret_ok = form.get("client_secret") == CLIENT_SECRET or "client_assertion" in form
        if (
            request.match_info["tenant"] != TENANT_ID
            or form.get("grant_type") != "client_credentials"
            or form.get("client_id") != CLIENT_ID
            or not secret_ok
        ):
            body = {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."}
            return web.json_response(body, status=401)
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens.add(token)
        return web.json_response(
            {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token}
        )

    def _page(self, request: web.Request, items: list[dict[str, Any]], context: str) -> web.Response:
        top = min(int(request.query.get("$top", "100")), 999, self.page_size)
        start = int(request.query.get("$skiptoken", "0"))
        body: dict[str, Any] = {"@odata.context": context, "value": items[start : start + top]}
        if start + top < len(items):
            query = {key: value for key, value in request.query.items() if key != "$skiptoken"}
            query["$skiptoken"] = str(start + top)
            body["@odata.nextLink"] = f"{self.https_url}{request.path}?{urlencode(query, safe='$(),=')}"
        return web.json_response(body)

    async def _list_users(self, request: web.Request) -> web.Response:
        select = _select(request)
        expand = request.query.get("$expand", "")
        with self._lock:
            users = list(self.users.values())
        items = []
        for user in users:
            item = user.selected(select)
            if expand.startswith("manager") and user.manager in self.users:
                item["manager"] = {"@odata.type": "#microsoft.graph.user", "id": user.manager}
            items.append(item)
        return self._page(request, items, f"{self.graph_base_url}/$metadata#users")

    async def _get_user(self, request: web.Request) -> web.Response:
        user = self.users.get(request.match_info["id"])
        if user is None:
            return _error(404, "Request_ResourceNotFound", f"Resource '{request.match_info['id']}' does not exist.")
        return web.json_response(
            {"@odata.context": f"{self.graph_base_url}/$metadata#users/$entity", **user.selected(_select(request))}
        )

    async def _get_manager(self, request: web.Request) -> web.Response:
        user = self.users.get(request.match_info["id"])
        manager = self.users.get(user.manager) if user is not None and user.manager else None
        if manager is None:
            return _error(
                404,
                "Request_ResourceNotFound",
                "Resource 'manager' does not exist or one of its queried reference-property objects are not present.",
            )
        body = {"@odata.context": f"{self.graph_base_url}/$metadata#directoryObjects/$entity"}
        return web.json_response({**body, "@odata.type": "#microsoft.graph.user", **manager.selected(_select(request))})

    async def _group_members(self, request: web.Request) -> web.Response:
        group = self.groups.get(request.match_info["id"])
        if group is None:
            return _error(404, "Request_ResourceNotFound", f"Resource '{request.match_info['id']}' does not exist.")
        select = _select(request)
        items = [
            {"@odata.type": "#microsoft.graph.user", **self.users[member].selected(select)}
            for member in group
            if member in self.users
        ]
        return self._page(request, items, f"{self.graph_base_url}/$metadata#directoryObjects")

    async def _install_app(self, request: web.Request) -> web.Response:
        user_id = request.match_info["id"]
        body = await request.json()
        bound = body.get("teamsApp@odata.bind", "") if isinstance(body, dict) else ""
        prefix = f"{self.graph_base_url}/appCatalogs/teamsApps/"
        app_id = bound.removeprefix(prefix) if isinstance(bound, str) and bound.startswith(prefix) else None
        if self.installing_forbidden:
            return _error(403, "Forbidden", "Missing role permissions on the request.")
        if user_id not in self.users:
            return _error(404, "NotFound", f"User '{user_id}' not found.")
        if app_id is None or app_id not in self.app_catalog:
            return _error(404, "NotFound", "The Teams app was not found in the app catalog.")
        with self._lock:
            if (user_id, app_id) in self.installations:
                return _error(409, "Conflict", "App is already installed.")
            self.installations[(user_id, app_id)] = str(uuid.uuid4())
        if self.on_install is not None:
            self.on_install(user_id, self.chat_id_for(user_id, app_id))
        return web.Response(status=201)

    async def _installed_apps(self, request: web.Request) -> web.Response:
        user_id = request.match_info["id"]
        wanted = request.query.get("$filter", "")
        with self._lock:
            mine = [(app, installation) for (user, app), installation in self.installations.items() if user == user_id]
        items = [
            {"id": installation, "teamsApp": {"id": app, "distributionMethod": "organization"}}
            for app, installation in mine
            if not wanted or wanted == f"teamsApp/id eq '{app}'"
        ]
        return self._page(request, items, f"{self.graph_base_url}/$metadata#users('{user_id}')/teamwork/installedApps")

    async def _installed_app_chat(self, request: web.Request) -> web.Response:
        user_id, installation = request.match_info["id"], request.match_info["installation"]
        with self._lock:
            app = next((a for (u, a), i in self.installations.items() if u == user_id and i == installation), None)
        if app is None:
            return _error(404, "NotFound", "The installation was not found.")
        chat = {"id": self.chat_id_for(user_id, app), "chatType": "oneOnOne", "tenantId": TENANT_ID}
        return web.json_response({"@odata.context": f"{self.graph_base_url}/$metadata#chats/$entity", **chat})


def _select(request: web.Request) -> list[str] | None:
    select = request.query.get("$select")
    return [part for part in select.split(",") if part] if select else None


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    body = {"error": {"code": code, "message": message, "innerError": {"request-id": str(uuid.uuid4())}}}
    return web.Response(status=status, text=json.dumps(body), content_type="application/json", headers=headers)


@asynccontextmanager
async def graph_session(
    stub: GraphStub, client_secret: str = CLIENT_SECRET
) -> AsyncIterator[tuple[aiohttp.ClientSession, GraphToken]]:
    """A TLS session that trusts the stub's CA and a token from its authority, the way the bot gets both."""
    credential = make_credential(
        GraphCredentialSettings(
            kind="secret",
            tenant_id=TENANT_ID,
            client_id=CLIENT_ID,
            client_secret=client_secret,
            authority_host=stub.https_url,
            ca_file=stub.ca_file,
        )
    )
    token = GraphToken(credential, graph_scope(stub.graph_base_url))
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ssl.create_default_context(cafile=stub.ca_file)))
    try:
        yield session, token
    finally:
        await session.close()
        await token.close()
