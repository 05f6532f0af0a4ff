"""Outbound Bot Connector calls without botbuilder's per-turn waste: pooled clients, one keep-alive HTTP session.

botbuilder 4.17.1's CloudAdapter builds, on EVERY turn, a new `ConnectorClient` (for the replies) and a new
`TokenApiClient` (inside the UserTokenClient, for OAuth prompts Værn never shows). Each one builds an msrest
`Configuration`, whose `ClientRetryPolicy.__init__` computes its retry status list as
`[i for i in range(999) if i not in safe_codes]`: a scan of a 501-item *list* for each of 999 codes, about
half a million comparisons per client. The new client then sends through synchronous `requests` in the
default thread pool with a session of its own, so every reply opens a new TCP connection.

This module fixes that at the edge, without forking botbuilder: `use_connector_pool(adapter)` wraps the
adapter's `BotFrameworkAuthentication` (the SDK's own extension point; the CloudAdapter and the SDK code
stay as they are) so that

  1. `ConnectorFactory.create` returns ONE `ConnectorClient` per (app id, serviceUrl, audience), built once
     by the SDK's own factory and kept (LRU, `max_clients`), as the SDK's older BotFrameworkAdapter did in
     its `_connector_client_cache`; `create_user_token_client` returns one UserTokenClient per app id.
  2. that client's retry list is built once per process: `RETRY_STATUSES` is a frozenset computed at import
     with a set lookup, and `PooledRetryPolicy` (a `ClientRetryPolicy` subclass, no monkeypatching) takes a
     prebuilt urllib3 `Retry` instead of computing one.
  3. its msrest pipeline sends through `AiohttpConnectorSender`: one shared `aiohttp.ClientSession` per
     pool (keep-alive connection pool, no threads), with the SDK's own policies kept in front of it (user
     agent, bearer token from the SDK's `AppCredentials`, raw deserializer, HTTP logger). Everything above
     the pipeline - `ConnectorClient.conversations.*`, `ErrorResponseException` with the HTTP status on
     errors - is botbuilder's own code, unchanged, but for 4 and 5;
  4. except the request body: `FastBodySerializer` writes the same JSON as msrest's `Serializer.body` for the
     schema models (an Activity with its cards) in one pass, and hands anything unusual to msrest;
  5. and the two calls every reply makes: `DirectReplies` sends `reply_to_activity` and `send_to_conversation`
     straight through the sender (same URL, headers, body, retries, result and errors as msrest's request
     and pipeline, which every other operation still uses);
  6. the proxy: `aiohttp.ClientSession(trust_env=True)` looks in ~/.netrc and in HTTP(S)_PROXY/NO_PROXY on
     EVERY request, each time in a thread of the default pool (`run_in_executor` for netrc, `to_thread` for
     the proxy): two thread hops per reply. The session has no trust_env; `ConnectorClientPool.proxy_for`
     asks aiohttp's own `get_env_proxy_for_url` once per scheme and host and passes the answer as `proxy=`.
     netrc is not read: the SDK sets the Authorization header itself, and aiohttp refuses a request that
     has both that header and netrc credentials for its host. (A redirect would keep the first proxy; the
     connector does not redirect.)

Retries (`AiohttpConnectorSender`): what msrest's policy intends, which botbuilder 4.17.1 no longer does:
msrest names POST in `method_whitelist`, a name urllib3 2 dropped (it reads `allowed_methods`), so with
urllib3 2 a stock bot's reply (a POST) is never retried (checked: one 429 with Retry-After, or one 503, and
the reply is lost to on_turn_error). Here POST/PUT/DELETE/GET are retried up to 3 times on 408, 429 and 5xx
(not 501/505), waiting Retry-After (seconds or HTTP date; 413/429/503, at most `backoff_max`) or else
0 s, 1.6 s, 3.2 s; and on connection errors (e.g. a keep-alive connection the server closed). After the last
try the connector's answer is returned as it is, so the SDK raises `ErrorResponseException` carrying the
status and Retry-After (urllib3 would have raised a RetryError that hides them).

The proactive sender (`bot/proactive.py`) switches retries off on its turn's client
(`client.config.retry_policy.policy = Retry(total=0, ...)`) because the outbox retries instead. On a
shared client that assignment must not reach other turns: `PooledRetryPolicy.policy` keeps an assignment
per asyncio task (a ContextVar), so it holds for the task that made it - the outbox worker's delivery - and
for tasks that task starts later, and never for the request handlers' turns.

Measured with `benchmarks/load.py --users 50,200 --seconds 10 --targets vaern` (2 cores shared with the
connector stub, the file server, the load generator and other work; Værn walks the full report dialog with
one 1 MB screenshot, local storage). Two rounds each, run one after the other; turns/s and the bot's CPU time
per turn:

    step                                                  50 users       200 users      CPU ms/turn
    0. stock botbuilder (new clients every turn)          74.7 / 68.5    79.0 / 70.7    12.5 - 14.7
    1. pooled clients + prebuilt retry list (requests)   137.3 / 141.3  178.3 / 197.9   4.9 - 7.2
    2. + aiohttp sender (no threads, one session)        140.0 / 148.4  179.0 / 220.0   4.5 - 7.0
    3. + fast body serializer (as shipped)               144.9 / 176.8  236.8 / 224.5   4.1 - 6.8

Step 1 removes what py-spy showed in the stock wiring: the two client builds per turn took 53 % of the
GIL-holding samples (TokenApiClient 28 %, ConnectorClient 25 %), 45 % of all in the retry-list scan.
Step 2 gains little throughput (+2-11 %) but takes the replies out of the default thread pool that local
storage also uses (p95 at 50 users 1.0 s -> 0.7 s), and it is what makes the retries right on a shared
client: requests fixes a session's retries when the session is made (per thread, outside the turn's
context), so the outbox's "no retries" would leak into other turns or be lost.
Step 3: msrest's body() took 6 % of the CPU (0.9 ms per 4 KB card). The remaining CPU is outside the connector
(botbuilder dialog state hashed with jsonpickle on load and save, storage thread hops, the aiohttp server and
client, cards); see benchmarks/README.md.

Steps 5 and 6, measured in-process (a turn through `CloudAdapter.process_activity` that answers with one
1.7 KB question card, to the benchmark's connector stub in its own process; CPU of all threads, min of
5 x 300 turns, three sessions): 768-829 us per turn before, 469-478 us with the proxy looked up once (6),
441-462 us with the direct replies as well (5; the body check below is part of it). In the load benchmark,
py-spy had put the two thread hops at ~4 % of the samples (`ThreadPoolExecutor.submit` from
`ClientSession._request`, the futures' callbacks, `get_env_proxy_for_url` in the worker threads); with one user
the bot's CPU per question turn went from 2.4-2.6 ms to 1.7-1.8 ms for step 6 alone (in-process walks of the
report, interleaved A/B). `_plain_json` checks the cards inside the body instead of copying them
(12.7 -> 8.8 us for that card's body).

Step 5 without msrest objects on the success path: the URL is msrest's join of the base URL, worked out once per
base URL (`DirectReplies._base`), plus the ids quoted as `Serializer.url` quotes them (msrest's `format_url` and
`Serializer.url` took ~16 us per reply); a 2xx answer that is just {"id": "<text>"} becomes `ResourceResponse`
without msrest's Deserializer (~7 us); the msrest `ClientRequest` and response are built only for errors and other
answers; the aiohttp timeout is built once and the answer's headers are not copied. CPU of the calling thread
(`time.thread_time`) per `reply_to_activity` with a 1.6 KB Adaptive Card (1.85 KB body) to a stub in another
process, min of 5 x 500, four interleaved A/B sessions: 197-231 us before, 165-170 us after.

Client keys: replies use the audience the SDK authenticates with, proactive turns (continue_conversation,
create_conversation) pass none, so in practice the outbox gets a client of its own per serviceUrl as well;
the per-task retry policy does not depend on that.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar
from urllib.parse import quote

import aiohttp
import orjson
from aiohttp.helpers import get_env_proxy_for_url
from botbuilder.core import CloudAdapterBase
from botbuilder.schema import Activity, ResourceResponse
from botframework.connector.aio import ConnectorClient
from botframework.connector.aio.operations_async import ConversationsOperations
from botframework.connector.auth import (
    AppCredentials,
    AuthenticateRequestResult,
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
    UserTokenClient,
)
from botframework.connector.models import ErrorResponseException
from msrest import Serializer
from msrest.exceptions import ClientRequestError
from msrest.pipeline import AsyncHTTPSender, AsyncPipeline, Request, Response, SansIOHTTPPolicy
from msrest.pipeline.universal import RawDeserializer
from msrest.serialization import Model
from msrest.universal_http import AsyncClientResponse, ClientRequest
from msrest.universal_http.requests import ClientRetryPolicy
from multidict import CIMultiDictProxy
from urllib3 import Retry
from yarl import URL

from services.retry_after import parse_retry_after

log = logging.getLogger("vaern.connector")
AdapterT = TypeVar("AdapterT", bound=CloudAdapterBase)

# msrest's retry status list, built once with a set lookup instead of a list scan per client:
# 408, 500 and everything from 502 up to 998 except 505.
_MSREST_SAFE_CODES = frozenset(ClientRetryPolicy.safe_codes)
RETRY_STATUSES: frozenset[int] = frozenset(code for code in range(999) if code not in _MSREST_SAFE_CODES) | {429}
RETRY_METHODS = frozenset({"HEAD", "TRACE", "GET", "PUT", "OPTIONS", "DELETE", "POST", "PATCH"})
DEFAULT_RETRY = Retry(
    total=3,
    connect=3,
    read=3,
    backoff_factor=0.8,
    backoff_max=90,
    status_forcelist=RETRY_STATUSES,
    allowed_methods=RETRY_METHODS,
    raise_on_status=False,
)
_JSON_HEADERS = {"Accept": "application/json", "Content-Type": "application/json; charset=utf-8"}
_PROBE_PATH = "/v3/conversations/c/activities/a"  # see DirectReplies._base
MAX_CLIENTS = 256
CONNECTION_LIMIT = 100
KEEPALIVE_SECONDS = 30.0


NO_RETRY = Retry(total=0, raise_on_status=False, respect_retry_after_header=False)
_NO_RETRIES: ContextVar[bool] = ContextVar("connector-no-retries", default=False)


def without_retries() -> None:
    """Every pooled connector call from here on in the current asyncio task (and tasks it starts) is tried once:
    for a caller that retries itself (the outbox), including calls made before it holds a client of its own
    (creating a 1:1 chat), so a connector's Retry-After never holds it inside one call."""
    _NO_RETRIES.set(True)


class PooledRetryPolicy(ClientRetryPolicy):
    """msrest's ClientRetryPolicy with a prebuilt `Retry` (no 999 x 500 scan) and per-task assignments.

    Reading `policy` gives NO_RETRY after `without_retries()` in the current task, else the value assigned in the
    current asyncio task (or a task it was started from), else the shared default. See the module docstring.
    """

    def __init__(self, default: Retry = DEFAULT_RETRY) -> None:  # no super().__init__: that is the scan
        self._default = default
        self._assigned: ContextVar[Retry | None] = ContextVar(f"connector-retry-{id(self):x}", default=None)

    @property  # type: ignore[override]
    def policy(self) -> Retry:
        return NO_RETRY if _NO_RETRIES.get() else self._assigned.get() or self._default

    @policy.setter
    def policy(self, value: Retry) -> None:
        self._assigned.set(value)


class _ResponseSnapshot:
    """What callers read from `error.response` (requests.Response-shaped): status, headers, body."""

    def __init__(
        self, url: URL, status: int, reason: str | None, headers: CIMultiDictProxy[str], content: bytes
    ) -> None:
        self._url = url
        self.status_code = status
        self.reason = reason
        self.headers = headers
        self.content = content

    @property
    def url(self) -> str:
        return str(self._url)

    @property
    def status(self) -> int:
        return self.status_code

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


class _ConnectorResponse(AsyncClientResponse):
    """msrest's view of one answer; the body is read completely (connector answers are small JSON)."""

    def __init__(self, request: ClientRequest, snapshot: _ResponseSnapshot) -> None:
        super().__init__(request, snapshot)
        self.status_code = snapshot.status_code
        self.headers = snapshot.headers
        self.reason = snapshot.reason
        self._content = snapshot.content

    def body(self) -> bytes:
        return self._content

    def stream_download(self, chunk_size: int | None = None, callback: Any = None) -> Any:
        content, size = self._content, chunk_size or 64 * 1024

        async def chunks() -> Any:
            for start in range(0, len(content), size):
                yield content[start : start + size]

        return chunks()


class _BearerToken(SansIOHTTPPolicy):
    """The SDK credentials' Authorization header on each request (what `signed_session` puts on a session).

    `AppCredentials.get_access_token` (MSAL, cached in memory) runs on the event loop as in the stock requests
    pipeline; without an app id no header is sent.
    """

    class _Headers:
        def __init__(self) -> None:
            self.headers: dict[str, str] = {}

    def __init__(self, credentials: AppCredentials) -> None:
        self._credentials = credentials

    def header(self) -> dict[str, str]:
        """{"Authorization": "Bearer ..."}, or {} without an app id."""
        carrier = self._Headers()
        self._credentials.signed_session(carrier)  # type: ignore[arg-type]  # only .headers is used
        if "Authorization" in carrier.headers:
            return {"Authorization": carrier.headers["Authorization"]}
        return {}

    def on_request(self, request: Request, **kwargs: Any) -> None:
        header = self.header()
        if header:
            request.http_request.headers.update(header)
        else:
            request.http_request.headers.pop("Authorization", None)


class AiohttpConnectorSender(AsyncHTTPSender):
    """Sends msrest requests through the pool's shared aiohttp session, retrying as the module docstring says."""

    def __init__(self, pool: ConnectorClientPool, config: Any) -> None:
        self._pool = pool
        self._config = config
        self._timeout = aiohttp.ClientTimeout(total=None)

    async def __aenter__(self) -> AiohttpConnectorSender:
        return self

    async def __aexit__(self, *exc_details: object) -> None:
        return None

    def build_context(self) -> None:
        return None

    async def send(self, request: Request, **kwargs: Any) -> Response:
        http_request: ClientRequest = request.http_request
        if http_request.files:
            raise ClientRequestError("multipart uploads are not sent through the pooled connector session")
        headers = {**self._config.headers, **http_request.headers}
        snapshot = await self.exchange(http_request.method, http_request.url, headers, http_request.data)
        return Response(request, _ConnectorResponse(http_request, snapshot))

    async def exchange(self, method: str, url: str, headers: dict[str, str], data: Any) -> _ResponseSnapshot:
        """One call with its retries; the last answer as it came (any status), or ClientRequestError."""
        retry: Retry = self._config.retry_policy.policy
        method = method.upper()
        for name in [name for name in headers if name.lower() == "content-length"]:
            del headers[name]  # aiohttp counts the bytes itself
        data = data.encode("utf-8") if isinstance(data, str) else data
        timeout = self._timeout
        if timeout.sock_read != self._config.connection.timeout:  # built again only when the setting changes
            seconds = self._config.connection.timeout
            timeout = self._timeout = aiohttp.ClientTimeout(total=None, sock_connect=seconds, sock_read=seconds)
        target = URL(url)
        proxy, proxy_auth = await self._pool.proxy_for(target)
        budget = _Budget(retry, method)
        while True:
            try:
                snapshot = await self._send_once(method, target, headers, data, timeout, proxy, proxy_auth)
            except (aiohttp.ClientError, TimeoutError) as error:
                if not budget.spend_on_error(error):
                    raise ClientRequestError(f"Error occurred in request. {type(error).__name__}: {error}") from error
                await asyncio.sleep(budget.backoff())
                continue
            if not budget.spend_on_status(snapshot):
                return snapshot
            await asyncio.sleep(budget.delay_for(snapshot))

    async def _send_once(
        self,
        method: str,
        url: URL,
        headers: Mapping[str, str],
        data: Any,
        timeout: aiohttp.ClientTimeout,
        proxy: URL | None,
        proxy_auth: aiohttp.BasicAuth | None,
    ) -> _ResponseSnapshot:
        session = self._pool.session()
        async with session.request(
            method, url, data=data, headers=headers, timeout=timeout, proxy=proxy, proxy_auth=proxy_auth
        ) as answer:
            content = await answer.read()
            return _ResponseSnapshot(answer.url, answer.status, answer.reason, answer.headers, content)


class _Budget:
    """One call's retries under a urllib3 `Retry` (total/connect/read/status_forcelist/backoff/Retry-After)."""

    def __init__(self, retry: Retry, method: str) -> None:
        self._retry = retry
        self._method_allowed = retry.allowed_methods is None or method in retry.allowed_methods
        self._total = _count(retry.total)
        self._connect = _count(retry.connect)
        self._read = _count(retry.read)
        self._status = _count(retry.status)
        self._failures = 0

    def _take(self, specific: float) -> bool:
        if self._total < 1 or specific < 1:
            return False
        self._total -= 1
        self._failures += 1
        return True

    def spend_on_error(self, error: BaseException) -> bool:
        if isinstance(error, aiohttp.ClientConnectorError | aiohttp.ServerDisconnectedError):
            # Could not connect, or a kept-alive connection the server had closed: retried for any method.
            if not self._take(self._connect):
                return False
            self._connect -= 1
            return True
        if not self._method_allowed or not self._take(self._read):
            return False
        self._read -= 1
        return True

    def spend_on_status(self, snapshot: _ResponseSnapshot) -> bool:
        if not self._method_allowed:
            return False
        status = snapshot.status_code
        honoured_retry_after = (
            self._retry.respect_retry_after_header
            and status in Retry.RETRY_AFTER_STATUS_CODES
            and "Retry-After" in snapshot.headers
        )
        if not (status in (self._retry.status_forcelist or ()) or honoured_retry_after):
            return False
        if not self._take(self._status):
            return False
        self._status -= 1
        return True

    def backoff(self) -> float:
        """urllib3's: nothing before the first retry, then backoff_factor * 2^(n-1), at most backoff_max."""
        if self._failures <= 1:
            return 0.0
        return float(min(self._retry.backoff_max, self._retry.backoff_factor * 2 ** (self._failures - 1)))

    def delay_for(self, snapshot: _ResponseSnapshot) -> float:
        if self._retry.respect_retry_after_header and snapshot.status_code in Retry.RETRY_AFTER_STATUS_CODES:
            wait = parse_retry_after(snapshot.headers.get("Retry-After"))
            if wait is not None:
                return float(min(wait, self._retry.backoff_max))
        return self.backoff()


def _count(value: int | bool | None) -> float:
    if value is None:
        return float("inf")
    return float(int(value))


class _NotPlain(Exception):
    """A value the fast path does not handle exactly like msrest: msrest serialises the whole body instead."""


_JSON_SCALARS = frozenset({str, int, float, bool, type(None)})


def _plain_json(value: Any) -> Any:
    """An `object`-typed value as msrest writes it, when it is made of JSON types only: the value itself.

    msrest writes a copy with the same content; the body is turned into JSON text at once, so the value is
    checked, not copied (a card: ~300 nodes).
    """
    kind = type(value)
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                raise _NotPlain
            if type(item) not in _JSON_SCALARS:
                _plain_json(item)
    elif kind is list:
        for item in value:
            if type(item) not in _JSON_SCALARS:
                _plain_json(item)
    elif kind not in _JSON_SCALARS:
        raise _NotPlain
    return value


def _model_json(model: Model) -> dict[str, Any]:
    """What msrest's `Serializer._serialize` makes of a schema model (no flattening, no read-only fields)."""
    cls = type(model)
    if getattr(cls, "_subtype_map", None) or getattr(cls, "_validation", None):
        raise _NotPlain
    result: dict[str, Any] = {}
    for attribute, description in cls._attribute_map.items():
        value = getattr(model, attribute, None)
        if value is not None:
            result[description["key"]] = _typed_json(value, description["type"])
    return result


def _typed_json(value: Any, data_type: Any) -> Any:
    if value is None:
        return None
    kind = type(value)
    if data_type == "str":
        if kind is str:
            return value
        if isinstance(value, Enum) and type(value.value) is str:
            return value.value
        raise _NotPlain
    if data_type == "object":
        return _plain_json(value)
    if data_type == "bool" and kind is bool:
        return value
    if data_type in ("int", "long") and kind is int:
        return value
    if data_type == "float" and kind in (int, float):
        return float(value)
    if data_type == "iso-8601" and isinstance(value, datetime):
        return Serializer.serialize_iso(value)
    if not isinstance(data_type, str) or len(data_type) < 3:
        raise _NotPlain
    if data_type[0] == "[" and data_type[-1] == "]" and kind is list:
        return [_typed_json(item, data_type[1:-1]) for item in value]
    if data_type[0] == "{" and data_type[-1] == "}" and kind is dict:
        if any(type(key) is not str for key in value):
            raise _NotPlain
        return {key: _typed_json(item, data_type[1:-1]) for key, item in value.items()}
    if isinstance(value, Model) and data_type[0] not in "[{" and data_type not in Serializer.basic_types.values():
        return _model_json(value)
    raise _NotPlain


class FastBodySerializer(Serializer):
    """msrest's Serializer, with `body()` for schema models (an Activity with its cards) done in one pass.

    msrest's `body()` first runs a Deserializer over the model, validates it, then serialises every node of
    every card through its type dispatch: about 0.9 ms for a 4 KB Adaptive Card on this machine, against
    0.05 ms here. Anything the fast path does not handle exactly as msrest would (models given as dicts,
    non-JSON values inside `object` fields, bytes, str-typed ints, ...) goes to msrest's own `body()`.
    tests/unit/test_connector_client.py compares both on the kinds of activity Værn sends (card replies, texts
    with suggested actions, mentions, channel data and timestamps, typing, updates).
    """

    def body(self, data: Any, data_type: str, **kwargs: Any) -> Any:
        if not kwargs and isinstance(data, Model) and type(data).__name__ == data_type:
            try:
                return _model_json(data)
            except _NotPlain:
                pass
        return super().body(data, data_type, **kwargs)


class DirectReplies(ConversationsOperations):
    """botbuilder's conversation operations, with the two calls every reply makes (`reply_to_activity`,
    `send_to_conversation`) sent straight through the pooled sender instead of msrest's request and pipeline.

    Same request as msrest's: the URL is the base URL as msrest's `format_url` joins it (worked out once per base
    URL, see `_base`) and the ids quoted as its `Serializer.url` quotes them; Accept, Content-Type,
    x-ms-conversation-id, User-Agent and Authorization headers; the body from the client's serializer, the same
    JSON as `ClientRequest.add_content` writes, in UTF-8 and compact (`json_body`). Same retries
    (`AiohttpConnectorSender.exchange`). The answer is read by msrest's `RawDeserializer`; a 200/201/202 whose
    JSON is just {"id": "<text>"} becomes `ResourceResponse(id=...)` at once, anything else goes to msrest's
    Deserializer (`ResourceResponse`, or `ErrorResponseException` carrying the response on any other status
    than 200/201/202). Calls with custom headers, raw=True or operation options, ids that are not plain text
    (or are "." or "..", which msrest's urljoin resolves), a base URL with braces (msrest formats it), an HTTP
    logger switched on, or a pipeline someone replaced go through msrest. tests/unit/test_connector_client.py
    sends the same calls both ways and compares the requests (headers, and the body's JSON) and results.
    """

    def __init__(
        self, client: ConnectorClient, pipeline: AsyncPipeline, bearer: _BearerToken, sender: AiohttpConnectorSender
    ) -> None:
        super().__init__(client._client, client.config, client._serialize, client._deserialize)
        self._pipeline = pipeline
        self._bearer = bearer
        self._sender = sender
        self._base_for: tuple[str, str | None] = ("", None)  # (config.base_url, what `_base` made of it)

    def _base(self) -> str | None:
        """What msrest's `format_url` puts before "/v3/conversations/..." for this client's base URL; None when
        that depends on the ids (braces in the base URL, which msrest formats with them) or msrest's join does not
        end in the path (a scheme urljoin does not know).

        msrest joins base and path with `urljoin`, which may drop a query, collapse "//", resolve dot segments or
        give up on a scheme it does not know; all of that depends on the base URL only, as long as the quoted ids
        are neither "." nor ".." (the only characters they keep are letters, digits, "_.-~" and "%"). So the
        base URL is joined once with a probe path, and whatever msrest puts before the probe is the prefix.
        """
        base_url = self.config.base_url
        if base_url != self._base_for[0]:
            joined = "" if "{" in base_url or "}" in base_url else self._client.format_url(_PROBE_PATH)
            self._base_for = (base_url, joined[: -len(_PROBE_PATH)] if joined.endswith(_PROBE_PATH) else None)
        return self._base_for[1]

    def _direct(self, custom_headers: Any, raw: bool, operation_config: Mapping[str, Any], *ids: Any) -> str | None:
        """The URL prefix (see `_base`) when this call can be sent directly, else None (msrest sends it)."""
        config = self.config
        if (
            custom_headers is None
            and not raw
            and not operation_config
            and all(type(value) is str and value and value not in (".", "..") for value in ids)
            and config.pipeline is self._pipeline
            and not config.http_logger_policy.enable_http_logger
        ):
            return self._base()
        return None

    async def reply_to_activity(
        self,
        conversation_id: Any,
        activity_id: Any,
        activity: Any,
        *,
        custom_headers: Any = None,
        raw: bool = False,
        **operation_config: Any,
    ) -> Any:
        base = self._direct(custom_headers, raw, operation_config, conversation_id, activity_id)
        if base is None:
            return await super().reply_to_activity(
                conversation_id, activity_id, activity, custom_headers=custom_headers, raw=raw, **operation_config
            )
        url = f"{base}/v3/conversations/{quote(conversation_id, safe='')}/activities/{quote(activity_id, safe='')}"
        return await self._post_activity(url, {"x-ms-conversation-id": conversation_id}, activity)

    reply_to_activity.metadata = ConversationsOperations.reply_to_activity.metadata  # msrest's code reads it

    async def send_to_conversation(
        self,
        conversation_id: Any,
        activity: Any,
        *,
        custom_headers: Any = None,
        raw: bool = False,
        **operation_config: Any,
    ) -> Any:
        base = self._direct(custom_headers, raw, operation_config, conversation_id)
        if base is None:
            return await super().send_to_conversation(
                conversation_id, activity, custom_headers=custom_headers, raw=raw, **operation_config
            )
        url = f"{base}/v3/conversations/{quote(conversation_id, safe='')}/activities"
        return await self._post_activity(url, {}, activity)

    send_to_conversation.metadata = ConversationsOperations.send_to_conversation.metadata

    async def _post_activity(self, url: str, extra_headers: dict[str, str], activity: Any) -> Any:
        config = self.config
        headers = {**_JSON_HEADERS, **extra_headers, "User-Agent": config.user_agent_policy.user_agent}
        headers.update(self._bearer.header())
        body = json_body(self._serialize.body(activity, "Activity"))
        snapshot = await self._sender.exchange("POST", url, {**config.headers, **headers}, body)
        data = RawDeserializer.deserialize_from_http_generics(snapshot.content.decode("utf-8-sig"), snapshot.headers)
        ok = snapshot.status_code in (200, 201, 202)
        if ok and type(data) is dict and len(data) == 1 and type(data.get("id")) is str:
            return ResourceResponse(id=data["id"])  # what msrest's Deserializer makes of it
        request = ClientRequest("POST", url, headers={**headers, "Content-Length": str(len(body))}, data=body)
        response = _ConnectorResponse(request, snapshot)
        response.context = {RawDeserializer.CONTEXT_NAME: data}  # what msrest's RawDeserializer leaves
        if not ok:
            raise ErrorResponseException(self._deserialize, response)
        return self._deserialize("ResourceResponse", response)


def json_body(value: Any) -> bytes:
    """The request body as UTF-8 JSON: orjson (a question card's reply 8.6 -> 0.6 us, the leader's 25 KB card
    110 -> 7 us; under load `json.dumps` was 5.8 % of the bot's main thread). The same JSON as msrest's
    `json.dumps`, written compactly and without \\u escapes; what orjson cannot write (integers beyond 64 bits)
    is written by `json.dumps`."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(value).encode()


class ConnectorClientPool:
    """ConnectorClients per (app id, serviceUrl, audience) and UserTokenClients per app id, built once; one
    aiohttp session (keep-alive) for all of them. Close it at shutdown."""

    def __init__(self, *, max_clients: int = MAX_CLIENTS, connection_limit: int = CONNECTION_LIMIT) -> None:
        self._max_clients = max_clients
        self._connection_limit = connection_limit
        self._clients: OrderedDict[tuple[str, str, str], ConnectorClient] = OrderedDict()
        self._user_token_clients: dict[str, UserTokenClient] = {}
        self._session: aiohttp.ClientSession | None = None
        self._session_loop: asyncio.AbstractEventLoop | None = None
        self._proxies: dict[tuple[str, str], tuple[URL | None, aiohttp.BasicAuth | None]] = {}
        self.clients_built = 0

    def session(self) -> aiohttp.ClientSession:
        """The shared session, made on first use inside the running event loop (again if the loop changed;
        the old one is then dropped unclosed: only tests run one pool in several loops)."""
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._session_loop is not loop:
            connector = aiohttp.TCPConnector(limit=self._connection_limit, keepalive_timeout=KEEPALIVE_SECONDS)
            # No trust_env: the proxy comes from `proxy_for` (see the module docstring).
            self._session = aiohttp.ClientSession(connector=connector, auto_decompress=True)
            self._session_loop = loop
        return self._session

    async def proxy_for(self, url: URL) -> tuple[URL | None, aiohttp.BasicAuth | None]:
        """The proxy HTTP(S)_PROXY/NO_PROXY name for this URL's scheme and host (as aiohttp's trust_env would
        find it), looked up once per scheme and host: (None, None) when there is none."""
        key = (url.scheme, url.host or "")
        route = self._proxies.get(key)
        if route is None:
            try:  # in a thread, as aiohttp does: elsewhere than Linux it may ask the system's settings
                route = await asyncio.to_thread(get_env_proxy_for_url, url)
            except LookupError:
                route = (None, None)
            if len(self._proxies) >= self._max_clients:
                self._proxies.clear()
            self._proxies[key] = route
        return route

    async def client(self, factory: ConnectorFactory, app_id: str, service_url: str, audience: str | None) -> Any:
        key = (app_id or "", service_url, audience or "")
        client = self._clients.get(key)
        if client is not None:
            self._clients.move_to_end(key)
            return client
        client = await factory.create(service_url, audience)
        if not isinstance(client.config.credentials, AppCredentials):
            log.warning("connector credentials of type %s are not pooled", type(client.config.credentials).__name__)
            return client
        existing = self._clients.get(key)  # another turn may have built it while this one awaited
        if existing is not None:
            return existing
        client = self._clients[key] = self._adapt(client)
        self.clients_built += 1
        while len(self._clients) > self._max_clients:
            self._clients.popitem(last=False)
        return client

    def _adapt(self, client: ConnectorClient) -> ConnectorClient:
        """Give the SDK-built client the pooled retry policy and the aiohttp pipeline."""
        config = client.config
        config.retry_policy = PooledRetryPolicy()
        bearer, sender = _BearerToken(config.credentials), AiohttpConnectorSender(self, config)
        policies = [config.user_agent_policy, bearer, RawDeserializer(), config.http_logger_policy]
        config.pipeline = AsyncPipeline(policies, sender)
        serializer = FastBodySerializer(client._serialize.dependencies)
        client._serialize = client.attachments._serialize = serializer
        client.conversations = DirectReplies(client, config.pipeline, bearer, sender)
        return client

    async def user_token_client(self, authentication: BotFrameworkAuthentication, claims: ClaimsIdentity) -> Any:
        app_id = app_id_of(claims)
        client = self._user_token_clients.get(app_id)
        if client is None:
            client = await authentication.create_user_token_client(claims)
            self._user_token_clients.setdefault(app_id, client)
        return client

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()
        self._clients.clear()
        self._user_token_clients.clear()
        self._proxies.clear()


def app_id_of(claims: ClaimsIdentity | None) -> str:
    """The bot's app id as botbuilder reads it from the claims (audience, else appid)."""
    if claims is None:
        return ""
    value = claims.get_claim_value(AuthenticationConstants.AUDIENCE_CLAIM)
    if value is None:
        value = claims.get_claim_value(AuthenticationConstants.APP_ID_CLAIM)
    return value or ""


class PooledConnectorFactory(ConnectorFactory):
    """The SDK's ConnectorFactory for one app id, answering from the pool."""

    def __init__(self, inner: ConnectorFactory, pool: ConnectorClientPool, app_id: str) -> None:
        self._inner = inner
        self._pool = pool
        self._app_id = app_id

    async def create(self, service_url: str, audience: str | None = None) -> Any:
        return await self._pool.client(self._inner, self._app_id, service_url, audience)


class PooledBotFrameworkAuthentication(BotFrameworkAuthentication):
    """The adapter's BotFrameworkAuthentication with its connector and user-token clients from a pool.

    Authentication itself is the wrapped object's, unchanged.
    """

    def __init__(self, inner: BotFrameworkAuthentication, pool: ConnectorClientPool) -> None:
        self.inner = inner
        self.pool = pool

    def _pooled(self, result: AuthenticateRequestResult) -> AuthenticateRequestResult:
        if result.connector_factory is not None and not isinstance(result.connector_factory, PooledConnectorFactory):
            result.connector_factory = PooledConnectorFactory(
                result.connector_factory, self.pool, app_id_of(result.claims_identity)
            )
        return result

    async def authenticate_request(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        return self._pooled(await self.inner.authenticate_request(activity, auth_header))

    async def authenticate_streaming_request(self, auth_header: str, channel_id_header: str) -> Any:
        return self._pooled(await self.inner.authenticate_streaming_request(auth_header, channel_id_header))

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        inner = self.inner.create_connector_factory(claims_identity)
        return PooledConnectorFactory(inner, self.pool, app_id_of(claims_identity))

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> Any:
        return await self.pool.user_token_client(self.inner, claims_identity)

    def create_bot_framework_client(self) -> Any:
        return self.inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return self.inner.get_originating_audience()

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        return await self.inner.authenticate_channel_request(auth_header)

    def __getattr__(self, name: str) -> Any:  # anything else the wrapped object offers
        return getattr(self.inner, name)


def use_connector_pool(adapter: AdapterT, pool: ConnectorClientPool | None = None) -> AdapterT:
    """Make `adapter` take its connector clients from `pool` (a new one by default); returns the adapter."""
    if not isinstance(adapter.bot_framework_authentication, PooledBotFrameworkAuthentication):
        adapter.bot_framework_authentication = PooledBotFrameworkAuthentication(
            adapter.bot_framework_authentication, pool or ConnectorClientPool()
        )
    return adapter


async def close_connector_pool(adapter: CloudAdapterBase) -> None:
    """Close the adapter's pooled HTTP session, if it has one (at shutdown)."""
    authentication = adapter.bot_framework_authentication
    if isinstance(authentication, PooledBotFrameworkAuthentication):
        await authentication.pool.close()
