"""A local stand-in for the Bot Connector service: records what the bot sends, in a background thread."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Self, TypeVar
from urllib.parse import unquote

from aiohttp import web

T = TypeVar("T")

START_TIMEOUT_SECONDS = 10.0
MAX_BODY_BYTES = 256 * 1024 * 1024


class BackgroundServer:
    """An aiohttp application served on 127.0.0.1 (a free port) by a daemon thread with its own event loop."""

    thread_name = "background-aiohttp"

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    def build_app(self) -> web.Application:
        raise NotImplementedError

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError(f"{type(self).__name__} is not running; call start() first")
        return self._port

    @property
    def base_url(self) -> str:
        """Root of the server without a trailing slash, e.g. http://127.0.0.1:41234."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> Self:
        if self.running:
            return self
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=self._run_loop, args=(loop,), name=self.thread_name, daemon=True)
        thread.start()
        self._loop, self._thread = loop, thread
        try:
            asyncio.run_coroutine_threadsafe(self._serve(), loop).result(START_TIMEOUT_SECONDS)
        except BaseException:
            self._stop_loop()
            raise
        return self

    def stop(self) -> None:
        if self._loop is None:
            return
        if self._runner is not None:
            with suppress(Exception):  # stopping must not fail a test run
                asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(START_TIMEOUT_SECONDS)
            self._runner = None
        self._stop_loop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @staticmethod
    def _run_loop(loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            loop.close()

    async def _serve(self) -> None:
        runner = web.AppRunner(self.build_app(), access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])

    def _stop_loop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(START_TIMEOUT_SECONDS)
        self._loop = self._thread = None
        self._port = None


@dataclass(frozen=True)
class RecordedCall:
    """One request the bot made to the connector, and how the stub answered it."""

    method: str
    path: str
    conversation_id: str | None
    body: Any  # parsed JSON (dict/list) when the body was JSON, else raw bytes (b"" when empty)
    headers: dict[str, str]
    at: datetime
    status: int = 200
    activity_id: str | None = None  # id the stub assigned (POST) or the id updated/deleted (PUT/DELETE)
    reply_to_id: str | None = None
    kind: str = "other"  # "send", "update", "delete", "create_conversation", "upload", "members", "other"

    @property
    def succeeded(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class _Failure:
    status: int
    headers: dict[str, str]
    body: Any
    conversation_id: str | None
    proactive_only: bool = False  # an outage that spares the replies within a turn

    def hits(self, kind: str, body: Any) -> bool:
        """Whether this outage answers this call: any, or only what the bot does on its own (a send carries its
        outbox id in channelData, bot/proactive.py; creating a chat and updating a sent card are the outbox's too)."""
        if not self.proactive_only or kind != "send":
            return True
        channel_data = body.get("channelData") if isinstance(body, dict) else None
        return isinstance(channel_data, dict) and "vaernNotificationId" in channel_data


@dataclass
class _Member:
    conversation_ids: set[str] = field(default_factory=set)
    account: dict[str, Any] = field(default_factory=dict)


class ConnectorStub(BackgroundServer):
    """Bot Connector stand-in: answers the REST calls the SDK makes and records every request, thread-safely.

    Routes (all under `.url`, the serviceUrl to put in activities):
      POST   /v3/conversations                         create conversation -> {"id", "activityId"}; while
                                                       `require_installation`, 403 for a person without the app
      POST   /v3/conversations/{cid}/activities[/{id}]  send / reply        -> {"id": <new uuid>}
      PUT    /v3/conversations/{cid}/activities/{id}    update              -> {"id": id}
      DELETE /v3/conversations/{cid}/activities/{id}    delete              -> 200
      GET    /v3/conversations/{cid}/members[/{uid}]    members registered with `add_member` (else 404)
      GET    /v3/conversations/{cid}/pagedmembers       same, paged shape
      PUT    /upload/{name}                             file-consent upload -> 201, bytes kept
    Anything else is recorded and answered 404.
    """

    thread_name = "connector-stub"

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Condition()
        self._calls: list[RecordedCall] = []
        self._failures: list[_Failure] = []
        self._outages: dict[str | None, _Failure] = {}  # conversation id (None: every call) -> the answer
        self._members: dict[str, _Member] = {}
        self._personal_chats: dict[str, str] = {}
        # As in Teams: the bot may start a 1:1 chat only with a person who has the app (installed by themselves, by a
        # setup policy, or through Graph: `app_installed`). Off by default: every stub person has the app.
        self.require_installation = False
        self._installed: set[str] = set()

    # ---- public API -------------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The serviceUrl for activities, with a trailing slash as Teams sends it."""
        return f"{self.base_url}/"

    def upload_url(self, name: str) -> str:
        """An upload URL to hand the bot in a fileConsent/invoke accept (the bot PUTs the file there)."""
        return f"{self.base_url}/upload/{name}"

    @property
    def calls(self) -> list[RecordedCall]:
        """A snapshot of every recorded request, oldest first."""
        with self._lock:
            return list(self._calls)

    def mark(self) -> int:
        """A position in the call log; pass it to `activities(since=...)` to get only what came after."""
        with self._lock:
            return len(self._calls)

    def activities(self, conversation_id: str | None = None, *, since: int = 0) -> list[dict[str, Any]]:
        """Bodies of the activities the bot sent or updated (successful calls only), in order.

        Each is a copy with "id" set to the id the stub assigned when the bot left it out, so tests can answer
        a card with replyToId like Teams does. Activities sent inside a create-conversation call are included
        under the conversation id the stub returned.
        """
        with self._lock:
            calls = self._calls[since:]
        return [activity for call in calls for activity in _activities_of(call, conversation_id)]

    def uploads(self, name: str | None = None) -> list[RecordedCall]:
        """Successful uploads to /upload/{name} (body is the bytes received)."""
        return [
            c
            for c in self.calls
            if c.kind == "upload" and c.succeeded and (name is None or c.path.endswith(f"/{name}"))
        ]

    def wait_for(self, predicate: Callable[[list[RecordedCall]], T], timeout: float = 10.0) -> T:
        """Wait until predicate(calls) is truthy and return its value; TimeoutError lists what was recorded."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                result = predicate(list(self._calls))
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    summary = "\n".join(f"  {c.status} {c.method} {c.path}" for c in self._calls[-20:]) or "  (none)"
                    raise TimeoutError(f"connector stub: condition not met within {timeout} s; last calls:\n{summary}")
                self._lock.wait(min(remaining, 0.05))

    def wait_for_activities(
        self, conversation_id: str | None, count: int = 1, *, since: int = 0, timeout: float = 10.0
    ) -> list[dict[str, Any]]:
        """Wait until at least `count` activities arrived (after `since`) and return all of them."""

        def enough(_: list[RecordedCall]) -> list[dict[str, Any]] | None:
            found = self.activities(conversation_id, since=since)
            return found if len(found) >= count else None

        return self.wait_for(enough, timeout)

    def clear(self) -> None:
        """Forget recorded calls, scripted failures and outages (registered members and chats are kept)."""
        with self._lock:
            self._calls.clear()
            self._failures.clear()
            self._outages.clear()

    def start_outage(
        self,
        status: int = 503,
        headers: Mapping[str, str] | None = None,
        *,
        conversation_id: str | None = None,
        proactive_only: bool = False,
    ) -> None:
        """Answer `status` to every send and update (in `conversation_id`, or anywhere, where creating a chat fails
        too) until `end_outage`: the connector down for as long as a test likes. `proactive_only` spares the replies
        within a turn (a user's report goes on while the bot's own messages fail). Failed calls are recorded."""
        body = {"error": {"code": "ServiceUnavailable", "message": f"stub outage {status}"}}
        with self._lock:
            outage = _Failure(status, dict(headers or {}), body, conversation_id, proactive_only)
            self._outages[conversation_id] = outage

    def end_outage(self, *, conversation_id: str | None = None) -> None:
        with self._lock:
            self._outages.pop(conversation_id, None)

    def fail_next(
        self,
        n: int,
        status: int,
        headers: Mapping[str, str] | None = None,
        *,
        body: Any = None,
        conversation_id: str | None = None,
    ) -> None:
        """Answer the next n activity POSTs (to conversation_id, or any) with `status` before succeeding again.

        E.g. `fail_next(2, 429, {"Retry-After": "1"})`. Failed calls are recorded (status shows the answer) but
        their activities are not returned by `activities()`.
        """
        if body is None:
            body = {"error": {"code": "ServiceError" if status >= 500 else "BadArgument", "message": f"stub {status}"}}
        with self._lock:
            self._failures.extend(_Failure(status, dict(headers or {}), body, conversation_id) for _ in range(n))

    def app_installed(self, *ids: str) -> None:
        """The app is installed for the person with these ids (Teams id, Entra ID object id)."""
        with self._lock:
            self._installed.update(ids)

    def add_member(self, conversation_id: str, account: Mapping[str, Any]) -> None:
        """Make GET .../members/{id} answer with this Teams account (id, name, aadObjectId, email, ...).

        A member of a personal conversation is also what POST /v3/conversations resolves to: as in Teams,
        creating a 1:1 conversation with that user returns the existing chat id.
        """
        with self._lock:
            member = self._members.setdefault(account["id"], _Member())
            member.account = dict(account)
            member.conversation_ids.add(conversation_id)
            self._personal_chats[account["id"]] = conversation_id
            if account.get("aadObjectId"):
                self._personal_chats[account["aadObjectId"]] = conversation_id

    # ---- server ---------------------------------------------------------------------------------------------

    def build_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_post("/v3/conversations", self._create_conversation)
        app.router.add_post("/v3/conversations/{cid}/activities", self._send)
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self._send)
        app.router.add_put("/v3/conversations/{cid}/activities/{aid}", self._update)
        app.router.add_delete("/v3/conversations/{cid}/activities/{aid}", self._delete)
        app.router.add_get("/v3/conversations/{cid}/members", self._members_list)
        app.router.add_get("/v3/conversations/{cid}/pagedmembers", self._members_paged)
        app.router.add_get("/v3/conversations/{cid}/members/{uid}", self._member)
        app.router.add_put("/upload/{name}", self._upload)
        app.router.add_route("*", "/{tail:.*}", self._other)
        return app

    def _record(self, call: RecordedCall) -> None:
        with self._lock:
            self._calls.append(call)
            self._lock.notify_all()

    async def _call(self, request: web.Request, kind: str, **extra: Any) -> RecordedCall:
        raw = await request.read()
        cid = request.match_info.get("cid")
        return RecordedCall(
            method=request.method,
            path=request.path,
            conversation_id=unquote(cid) if cid is not None else None,
            body=_parse_body(raw, request.content_type),
            headers=dict(request.headers),
            at=datetime.now(UTC),
            kind=kind,
            **extra,
        )

    def _outage(self, kind: str, conversation_id: str | None, body: Any) -> _Failure | None:
        with self._lock:
            for outage in (self._outages.get(None), self._outages.get(conversation_id)):
                if outage is not None and outage.hits(kind, body):
                    return outage
        return None

    def _take_failure(self, conversation_id: str | None, body: Any = None) -> _Failure | None:
        outage = self._outage("send", conversation_id, body)
        if outage is not None:
            return outage
        with self._lock:
            for index, failure in enumerate(self._failures):
                if failure.conversation_id in (None, conversation_id):
                    return self._failures.pop(index)
        return None

    async def _send(self, request: web.Request) -> web.Response:
        reply_to = request.match_info.get("aid")
        call = await self._call(request, "send", reply_to_id=unquote(reply_to) if reply_to else None)
        if _has_nulls(call.body):  # as the Teams service (and the Agents Playground) answer an activity with nulls
            self._record(replace(call, status=400))
            return web.json_response(INVALID_INPUT, status=400)
        failure = self._take_failure(call.conversation_id, call.body)
        if failure is not None:
            self._record(replace(call, status=failure.status))
            return web.json_response(failure.body, status=failure.status, headers=failure.headers)
        activity_id = uuid.uuid4().hex
        self._record(replace(call, activity_id=activity_id))
        return web.json_response({"id": activity_id})

    async def _update(self, request: web.Request) -> web.Response:
        activity_id = unquote(request.match_info["aid"])
        call = await self._call(request, "update", activity_id=activity_id)
        if _has_nulls(call.body):
            self._record(replace(call, status=400))
            return web.json_response(INVALID_INPUT, status=400)
        outage = self._outage("update", call.conversation_id, call.body)
        if outage is not None:
            self._record(replace(call, status=outage.status))
            return web.json_response(outage.body, status=outage.status, headers=outage.headers)
        self._record(call)
        return web.json_response({"id": activity_id})

    async def _delete(self, request: web.Request) -> web.Response:
        activity_id = unquote(request.match_info["aid"])
        self._record(await self._call(request, "delete", activity_id=activity_id))
        return web.Response(status=200)

    async def _create_conversation(self, request: web.Request) -> web.Response:
        call = await self._call(request, "create_conversation")
        outage = self._outage("create_conversation", None, call.body)
        if outage is not None:
            self._record(replace(call, status=outage.status))
            return web.json_response(outage.body, status=outage.status, headers=outage.headers)
        body = call.body if isinstance(call.body, dict) else {}
        if self.require_installation and not self._has_app(body):
            self._record(replace(call, status=403))
            refusal = {"error": {"code": "Forbidden", "message": "Bot is not installed in user's personal scope"}}
            return web.json_response(refusal, status=403)
        conversation_id = self._existing_personal_chat(body) or f"a:{uuid.uuid4().hex}"
        activity_id = uuid.uuid4().hex
        self._record(replace(call, conversation_id=conversation_id, activity_id=activity_id))
        return web.json_response({"id": conversation_id, "activityId": activity_id, "serviceUrl": self.url})

    def _existing_personal_chat(self, body: Mapping[str, Any]) -> str | None:
        members = body.get("members") or []
        if body.get("isGroup") or len(members) != 1 or not isinstance(members[0], dict):
            return None
        member = members[0]
        with self._lock:
            for key in (member.get("id"), member.get("aadObjectId")):
                if key and key in self._personal_chats:
                    return self._personal_chats[key]
        return None

    def _has_app(self, body: Mapping[str, Any]) -> bool:
        members = body.get("members") or []
        with self._lock:
            return all(
                isinstance(m, dict) and bool({m.get("id"), m.get("aadObjectId")} & self._installed) for m in members
            )

    def _accounts_in(self, conversation_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(m.account) for m in self._members.values() if conversation_id in m.conversation_ids]

    async def _members_list(self, request: web.Request) -> web.Response:
        call = await self._call(request, "members")
        self._record(call)
        return web.json_response(self._accounts_in(call.conversation_id or ""))

    async def _members_paged(self, request: web.Request) -> web.Response:
        call = await self._call(request, "members")
        self._record(call)
        return web.json_response({"members": self._accounts_in(call.conversation_id or "")})

    async def _member(self, request: web.Request) -> web.Response:
        call = await self._call(request, "members")
        wanted = unquote(request.match_info["uid"])
        for account in self._accounts_in(call.conversation_id or ""):
            if wanted in (account.get("id"), account.get("aadObjectId")):
                self._record(call)
                return web.json_response(account)
        self._record(replace(call, status=404))
        return web.json_response({"error": {"code": "MemberNotFoundInConversation", "message": wanted}}, status=404)

    async def _upload(self, request: web.Request) -> web.Response:
        name = unquote(request.match_info["name"])
        raw = await request.read()
        call = RecordedCall(
            method=request.method,
            path=request.path,
            conversation_id=None,
            body=raw,
            headers=dict(request.headers),
            at=datetime.now(UTC),
            status=201,
            kind="upload",
        )
        self._record(call)
        return web.json_response({"id": uuid.uuid4().hex, "name": name, "size": len(raw)}, status=201)

    async def _other(self, request: web.Request) -> web.Response:
        call = await self._call(request, "other")
        self._record(replace(call, status=404))
        return web.json_response({"error": {"code": "NotFound", "message": "not emulated by the stub"}}, status=404)


def _parse_body(raw: bytes, content_type: str) -> Any:
    if not raw:
        return b""
    if "json" in content_type or raw[:1] in (b"{", b"["):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def _activities_of(call: RecordedCall, conversation_id: str | None) -> Iterable[dict[str, Any]]:
    if not call.succeeded or (conversation_id is not None and call.conversation_id != conversation_id):
        return []
    if call.kind in ("send", "update") and isinstance(call.body, dict):
        activity = dict(call.body)
    elif call.kind == "create_conversation" and isinstance(call.body, dict) and call.body.get("activity"):
        activity = dict(call.body["activity"])
    else:
        return []
    if not activity.get("id") and call.activity_id:
        activity["id"] = call.activity_id
    return [activity]


INVALID_INPUT = {"error": {"code": "BadArgument", "message": "Invalid input"}}


def _has_nulls(body: Any) -> bool:
    """Whether an activity names a field with a null value (the Teams service refuses such an activity)."""
    return isinstance(body, dict) and any(value is None for value in body.values())
