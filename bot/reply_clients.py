"""The clients the Agents SDK's adapter sends replies with: one connection pool per process, not one per reply.

The SDK's own factory (`RestChannelServiceClientFactory`) builds a new `aiohttp.ClientSession`, TCP connection and
connector client for every turn and closes them after it, plus a user-token client that only OAuth sign-in uses.
`ReplyClients` is the SDK's extension point for that (`ChannelServiceClientFactoryBase`, given to its `CloudAdapter`):

- one `aiohttp.TCPConnector` for all replies (keep-alive), one connector client per serviceUrl and token, kept
  across turns (the adapter's close after each turn is a no-op for them; `close()` ends them all);
- a client for an older token is closed a while after it is replaced (a send may still be using it), and at most
  MAX_SERVICE_URLS serviceUrls are kept (a token's serviceurl claim must equal the activity's, so with an app id
  these are Teams' few; without one anyone could name many);
- without an OAuth connection no user-token client per turn: one idle client is handed out (it is never called);
- agentic requests and Copilot Studio's connector users take the SDK's own path.

Measured on the SDK's quickstart echo (benchmarks/README.md): 2.3-2.9 ms CPU per turn against 4.7-4.9 ms.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
from microsoft_agents.activity import RoleTypes
from microsoft_agents.hosting.core import (
    ChannelServiceClientFactoryBase,
    RestChannelServiceClientFactory,
    TurnContext,
    UserTokenClient,
)
from microsoft_agents.hosting.core.authorization import ClaimsIdentity, Connections
from microsoft_agents.hosting.core.connector import ConnectorClientBase
from microsoft_agents.hosting.core.connector.teams import TeamsConnectorClient

log = logging.getLogger("vaern.reply_clients")

MAX_SERVICE_URLS = 64
RETIRED_CLIENT_GRACE_SECONDS = 300.0
POOL_LIMIT = 100
KEEPALIVE_SECONDS = 60.0


class KeptConnectorClient(TeamsConnectorClient):
    """The SDK's Teams connector client on the shared pool; the adapter's close after a turn leaves it open."""

    async def close(self) -> None:
        return None

    async def end(self) -> None:
        await super().close()  # closes its session only: the pool belongs to ReplyClients


class IdleUserTokenClient(UserTokenClient):
    """Handed to turns when no OAuth connection is configured; nothing calls it, and it is never closed per turn."""

    async def close(self) -> None:
        return None

    async def end(self) -> None:
        await super().close()


class ReplyClients(ChannelServiceClientFactoryBase):
    def __init__(self, connections: Connections, *, oauth_connection: bool = False) -> None:
        self._connections = connections
        self._stock = RestChannelServiceClientFactory(connections)
        self._oauth_connection = oauth_connection
        self._pool: aiohttp.TCPConnector | None = None
        self._kept: dict[str, tuple[str, KeptConnectorClient]] = {}
        self._retiring: set[asyncio.Task[None]] = set()
        self._idle_user_tokens: IdleUserTokenClient | None = None

    async def create_connector_client(
        self,
        context: TurnContext | None,
        claims_identity: ClaimsIdentity,
        service_url: str,
        audience: str,
        scopes: list[str] | None = None,
        use_anonymous: bool = False,
    ) -> ConnectorClientBase:
        activity = context.activity if context is not None else None
        if activity is not None and (
            activity.is_agentic_request()
            or (activity.recipient and activity.recipient.role == RoleTypes.connector_user)
        ):
            return await self._stock.create_connector_client(
                context, claims_identity, service_url, audience, scopes, use_anonymous
            )
        if not service_url or not audience:
            raise TypeError("ReplyClients.create_connector_client: service_url and audience are required")
        token = ""
        if not use_anonymous:
            provider = self._connections.get_token_provider(claims_identity, service_url)
            token = await provider.get_access_token(audience, scopes or claims_identity.get_token_scope()) or ""
        kept = self._kept.get(service_url)
        if kept is not None and kept[0] == token:
            return kept[1]
        client = self._new_client(service_url, token)
        if kept is not None:
            del self._kept[service_url]
            self._retire(kept[1], RETIRED_CLIENT_GRACE_SECONDS)
        elif len(self._kept) >= MAX_SERVICE_URLS:
            oldest = next(iter(self._kept))
            self._retire(self._kept.pop(oldest)[1], RETIRED_CLIENT_GRACE_SECONDS)
        self._kept[service_url] = (token, client)
        return client

    async def create_user_token_client(
        self, context: TurnContext, claims_identity: ClaimsIdentity, use_anonymous: bool = False
    ) -> UserTokenClient:
        if self._oauth_connection:
            return await self._stock.create_user_token_client(context, claims_identity, use_anonymous)
        if self._idle_user_tokens is None:
            self._idle_user_tokens = IdleUserTokenClient(
                endpoint="https://invalid.invalid/", token="", app_id=claims_identity.get_app_id() or "none"
            )
        return self._idle_user_tokens

    async def close(self) -> None:
        """At shutdown: every kept client, the retiring ones, then the pool."""
        for task in list(self._retiring):
            task.cancel()
        clients = [client for _, client in self._kept.values()]
        self._kept.clear()
        for client in clients:
            await client.end()
        if self._idle_user_tokens is not None:
            await self._idle_user_tokens.end()
            self._idle_user_tokens = None
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    @property
    def kept_clients(self) -> int:
        return len(self._kept)

    def _new_client(self, service_url: str, token: str) -> KeptConnectorClient:
        if self._pool is None:
            self._pool = aiohttp.TCPConnector(limit=POOL_LIMIT, keepalive_timeout=KEEPALIVE_SECONDS)
        endpoint = service_url if service_url.endswith("/") else service_url + "/"
        session = aiohttp.ClientSession(base_url=endpoint, connector=self._pool, connector_owner=False)
        return KeptConnectorClient(endpoint=endpoint, token=token, session=session)

    def _retire(self, client: KeptConnectorClient, after_seconds: float) -> None:
        async def end_later() -> None:
            try:
                await asyncio.sleep(after_seconds)
            finally:
                await client.end()

        task = asyncio.get_running_loop().create_task(end_later())
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)
