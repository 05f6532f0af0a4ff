"""The clients the Agents SDK's adapter sends replies with: one connection pool per process, not one per reply.

The SDK's own factory (`RestChannelServiceClientFactory`) fetches a token, builds a new `aiohttp.ClientSession`, TCP
connection and connector client for every turn and closes them after it, plus a user-token client that only OAuth
sign-in uses. `ReplyClients` is the SDK's extension point for that (`ChannelServiceClientFactoryBase`, given to
its `CloudAdapter`). Rules:

- one `aiohttp.TCPConnector` for all replies (keep-alive), one connector client per serviceUrl and audience, kept
  across turns (the adapter's close after each turn is a no-op for them; `close()` ends them all); at most
  MAX_SERVICE_URLS are kept (a token's serviceurl claim must equal the activity's, so with an app id these are
  Teams' few; without one anyone could name many), an evicted one is closed after a grace period;
- the bot's token is fetched when a request is sent (a session middleware asks the connection's token provider,
  which caches it), never when a turn starts: a turn that sends nothing needs no token, and a login outage fails
  the send, not the turn; without an app id no token at all;
- without an OAuth connection no user-token client per turn: one idle client is handed out (it is never called);
- agentic requests and Copilot Studio's connector users take the SDK's own path.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from microsoft_agents.activity import Activity, ResourceResponse, RoleTypes
from microsoft_agents.hosting.core import (
    ChannelServiceClientFactoryBase,
    RestChannelServiceClientFactory,
    TurnContext,
    UserTokenClient,
)
from microsoft_agents.hosting.core.authorization import ClaimsIdentity, Connections
from microsoft_agents.hosting.core.connector import ConnectorClientBase
from microsoft_agents.hosting.core.connector.client.connector_client import ConversationsOperations
from microsoft_agents.hosting.core.connector.teams import TeamsConnectorClient

log = logging.getLogger("vaern.reply_clients")

MAX_SERVICE_URLS = 64
RETIRED_CLIENT_GRACE_SECONDS = 300.0
POOL_LIMIT = 100
KEEPALIVE_SECONDS = 60.0


TokenSource = Callable[[], Awaitable[str]]
_JSON = {"Content-Type": "application/json; charset=utf-8"}


class ActivitiesWithoutNulls(ConversationsOperations):
    """The SDK's conversation operations, sending an activity without the fields it holds as None.

    The SDK writes a new message and an update with `exclude_unset`, not `exclude_none`, and its own send path sets
    `id` (and a proactive turn `replyToId`, `locale`) to None on every activity, so they went out as `null`, which
    the Teams service refuses ("BadArgument: Invalid input"). A reply already leaves them out."""

    async def send_to_conversation(self, conversation_id: str, body: Activity) -> ResourceResponse:
        return await super().send_to_conversation(conversation_id, _without_nulls(body))

    async def update_activity(self, conversation_id: str, activity_id: str, body: Activity) -> ResourceResponse:
        return await super().update_activity(conversation_id, activity_id, _without_nulls(body))


def _without_nulls(activity: Activity) -> Activity:
    """A shallow copy whose fields holding None count as never set (so `exclude_unset` leaves them out)."""
    copy = activity.model_copy()
    object.__setattr__(
        copy,
        "__pydantic_fields_set__",
        {name for name in activity.model_fields_set if getattr(activity, name) is not None},
    )
    return copy


class KeptConnectorClient(TeamsConnectorClient):
    """The SDK's Teams connector client on the shared pool; the adapter's close after a turn leaves it open."""

    def __init__(self, *, endpoint: str, session: aiohttp.ClientSession, token: TokenSource) -> None:
        super().__init__(endpoint=endpoint, token="", session=session)
        self._token = token
        self._session = session
        self._without_nulls = ActivitiesWithoutNulls(session)

    async def reply(self, conversation_id: str, reply_to_id: str, body: dict[str, Any]) -> None:
        """POST a reply the caller built as JSON (bot/teams_turn.py) to the path the SDK's `reply_to_activity`
        uses; an answer other than 200/201/202 raises aiohttp.ClientResponseError, as the SDK's does."""
        url = f"v3/conversations/{conversation_id}/activities/{reply_to_id}"
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        async with self._session.post(url, data=data, headers=_JSON) as response:
            if response.status not in (200, 201, 202):
                raise aiohttp.ClientResponseError(
                    response.request_info,
                    response.history,
                    status=response.status,
                    message=(await response.text())[:500],
                    headers=response.headers,
                )

    @property
    def conversations(self) -> ConversationsOperations:
        return self._without_nulls

    async def bearer_token(self) -> str:
        """The bot's token for this serviceUrl ("" without an app id): Teams asks for it on inline images."""
        return await self._token()

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
    def __init__(self, connections: Connections, *, oauth_connection: bool = False, anonymous: bool = False) -> None:
        self._connections = connections
        self._anonymous = anonymous  # no app id: no token to fetch, for replies and proactive turns alike
        self._stock = RestChannelServiceClientFactory(connections)
        self._oauth_connection = oauth_connection
        self._pool: aiohttp.TCPConnector | None = None
        self._kept: dict[tuple[str, str], KeptConnectorClient] = {}
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
        key = (service_url, audience)
        kept = self._kept.get(key)
        if kept is not None:
            return kept
        if len(self._kept) >= MAX_SERVICE_URLS:
            self._retire(self._kept.pop(next(iter(self._kept))), RETIRED_CLIENT_GRACE_SECONDS)
        anonymous = use_anonymous or self._anonymous
        token_scopes = list(scopes or claims_identity.get_token_scope())

        async def token() -> str:
            if anonymous:
                return ""
            provider = self._connections.get_token_provider(claims_identity, service_url)
            return await provider.get_access_token(audience, token_scopes) or ""

        client = self._new_client(service_url, token)
        self._kept[key] = client
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
        clients = list(self._kept.values())
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

    def _new_client(self, service_url: str, token: TokenSource) -> KeptConnectorClient:
        if self._pool is None:
            self._pool = aiohttp.TCPConnector(limit=POOL_LIMIT, keepalive_timeout=KEEPALIVE_SECONDS)
        endpoint = service_url if service_url.endswith("/") else service_url + "/"

        async def authorize(
            request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
        ) -> aiohttp.ClientResponse:
            bearer = await token()
            if bearer:
                request.headers["Authorization"] = f"Bearer {bearer}"
            return await handler(request)

        session = aiohttp.ClientSession(
            base_url=endpoint,
            connector=self._pool,
            connector_owner=False,
            middlewares=() if self._anonymous else (authorize,),
        )
        return KeptConnectorClient(endpoint=endpoint, session=session, token=token)

    def _retire(self, client: KeptConnectorClient, after_seconds: float) -> None:
        async def end_later() -> None:
            try:
                await asyncio.sleep(after_seconds)
            finally:
                await client.end()

        task = asyncio.get_running_loop().create_task(end_later())
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)
