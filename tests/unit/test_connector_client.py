"""bot/connector_client.py: pooled connector clients, the prebuilt retry list, retries, the fast body serializer,
the direct reply calls and the proxy lookup; bot/adapter.py: replies without the SDK's deep copy.

Everything runs through botbuilder's real CloudAdapter (as the bot wires it: `VaernCloudAdapter`) against the
local ConnectorStub (no app id: http:// and no tokens), as the bot does. The equivalence tests send the same
activities through botbuilder's own code (msrest's operations, the stock CloudAdapter) and compare.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from aiohttp import web
from botbuilder.core import BotAdapter, MessageFactory, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    Attachment,
    CardAction,
    ChannelAccount,
    ConversationAccount,
    ConversationReference,
    DeliveryModes,
    Entity,
    Mention,
    SuggestedActions,
)
from botframework.connector import models as connector_models
from botframework.connector.aio import ConnectorClient
from botframework.connector.aio.operations_async import ConversationsOperations
from botframework.connector.auth import MicrosoftAppCredentials
from botframework.connector.models import ErrorResponseException
from msrest import Deserializer, Serializer
from msrest.serialization import Model
from msrest.universal_http.requests import ClientRetryPolicy
from multidict import CIMultiDict, CIMultiDictProxy
from urllib3 import Retry
from yarl import URL

import bot.connector_client as connector_client
from bot.adapter import ReplyTurnContext, VaernCloudAdapter, conversation_reference_of
from bot.connector_client import (
    DEFAULT_RETRY,
    RETRY_STATUSES,
    ConnectorClientPool,
    DirectReplies,
    FastBodySerializer,
    PooledRetryPolicy,
    close_connector_pool,
    use_connector_pool,
)
from bot.proactive import OutboxWorker, ProactiveSender, SendFailed
from domain.case import Person
from storage.conversation_refs import ConversationReferenceStore
from storage.outbox import Notification, Outbox
from storage.sqlite_documents import SqliteDocumentStore
from tests.support.connector_stub import ConnectorStub

LEADER = Person(user_id="29:1leader", name="Lone Kjær", aad_object_id="0b1c2d3e-0000-4a00-8000-000000000010")
BOT = ChannelAccount(id="28:vaern-test-bot", name="Værn")


class PortRecordingStub(ConnectorStub):
    """The stub, also noting the client port of every activity POST (one port = one kept-alive connection) and
    each POST's request line target and bytes as they came (`raw`: method, raw path, headers, body)."""

    def __init__(self) -> None:
        super().__init__()
        self.client_ports: list[int] = []
        self.raw: list[tuple[str, str, dict[str, str], bytes]] = []

    async def _send(self, request: web.Request) -> web.Response:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        if peer:
            self.client_ports.append(int(peer[1]))
        self.raw.append((request.method, request.raw_path, dict(request.headers), await request.read()))
        return await super()._send(request)


@pytest.fixture
def stub() -> Iterator[PortRecordingStub]:
    with PortRecordingStub() as running:
        yield running


async def pooled_adapter(adapter_class: type[CloudAdapter]) -> Any:
    configuration = SimpleNamespace(APP_ID="", APP_PASSWORD="", APP_TYPE="MultiTenant", APP_TENANTID="")
    pooled = use_connector_pool(adapter_class(ConfigurationBotFrameworkAuthentication(configuration)))
    pooled.turn_errors = []

    async def on_turn_error(_: TurnContext, error: Exception) -> None:
        pooled.turn_errors.append(error)

    pooled.on_turn_error = on_turn_error
    return pooled


@pytest.fixture
async def adapter() -> Any:
    """The adapter as bot/adapter.py builds it."""
    pooled = await pooled_adapter(VaernCloudAdapter)
    yield pooled
    await close_connector_pool(pooled)


@pytest.fixture
async def stock_adapter() -> Any:
    """botbuilder's own CloudAdapter (deep-copying TurnContext), pooled the same way."""
    pooled = await pooled_adapter(CloudAdapter)
    yield pooled
    await close_connector_pool(pooled)


def incoming(service_url: str, text: str = "hej", conversation_id: str = "a:conversation-1") -> Activity:
    return Activity().deserialize(
        {
            "type": "message",
            "id": f"{time.time_ns()}",
            "serviceUrl": service_url,
            "channelId": "msteams",
            "conversation": {"id": conversation_id, "conversationType": "personal"},
            "from": {"id": "29:1employee", "name": "Mette"},
            "recipient": {"id": BOT.id, "name": BOT.name},
            "text": text,
        }
    )


async def reply_turn(adapter: CloudAdapter, activity: Activity, seen: list[TurnContext] | None = None) -> None:
    async def logic(turn: TurnContext) -> None:
        if seen is not None:
            seen.append(turn)
        await turn.send_activity(MessageFactory.text(f"svar på {turn.activity.text}"))

    await adapter.process_activity("", activity, logic)


def sends(stub: ConnectorStub) -> list[int]:
    return [call.status for call in stub.calls if call.kind == "send"]


# ---- one client per serviceUrl, nothing rebuilt per turn ---------------------------------------------------------


async def test_every_turn_to_one_service_url_gets_the_same_client_and_token_client(adapter, stub) -> None:
    turns: list[TurnContext] = []
    for number in range(5):
        await reply_turn(adapter, incoming(stub.url, f"besked {number}"), turns)

    clients = {id(turn.turn_state[BotAdapter.BOT_CONNECTOR_CLIENT_KEY]) for turn in turns}
    token_clients = {id(turn.turn_state[adapter.USER_TOKEN_CLIENT_KEY]) for turn in turns}
    assert len(clients) == 1 and len(token_clients) == 1
    assert adapter.bot_framework_authentication.pool.clients_built == 1
    assert sends(stub) == [200] * 5 and not adapter.turn_errors


async def test_another_service_url_gets_its_own_client(adapter, stub) -> None:
    with ConnectorStub() as other:
        turns: list[TurnContext] = []
        await reply_turn(adapter, incoming(stub.url), turns)
        await reply_turn(adapter, incoming(other.url), turns)
        await reply_turn(adapter, incoming(stub.url), turns)

        first, second, third = (turn.turn_state[BotAdapter.BOT_CONNECTOR_CLIENT_KEY] for turn in turns)
        assert first is third and first is not second
        assert first.config.base_url == stub.url and second.config.base_url == other.url
        assert len(other.activities()) == 1 and len(stub.activities()) == 2


async def test_replies_reuse_one_kept_alive_connection(adapter, stub) -> None:
    for number in range(5):
        await reply_turn(adapter, incoming(stub.url, f"besked {number}"))

    assert len(stub.client_ports) == 5
    assert len(set(stub.client_ports)) == 1, "each reply opened a new TCP connection"


def test_the_retry_list_is_built_once_and_shared() -> None:
    """Structural: a pooled client's policy holds the one prebuilt Retry; building a policy scans nothing."""
    msrest_list = ClientRetryPolicy().policy.status_forcelist  # what msrest builds (slowly) for every client
    assert set(msrest_list) | {429} == RETRY_STATUSES
    assert DEFAULT_RETRY.status_forcelist is RETRY_STATUSES
    policies = [PooledRetryPolicy() for _ in range(1000)]
    assert all(policy.policy is DEFAULT_RETRY for policy in policies)
    assert "POST" in DEFAULT_RETRY.allowed_methods  # msrest's intent; urllib3 2 ignores its method_whitelist


async def test_a_pooled_client_keeps_the_prebuilt_policy(adapter, stub) -> None:
    turns: list[TurnContext] = []
    await reply_turn(adapter, incoming(stub.url), turns)
    client = turns[0].turn_state[BotAdapter.BOT_CONNECTOR_CLIENT_KEY]
    assert isinstance(client.config.retry_policy, PooledRetryPolicy)
    assert client.config.retry_policy.policy is DEFAULT_RETRY


# ---- retries of replies ---------------------------------------------------------------------------------------


async def test_a_reply_answered_429_with_retry_after_is_sent_again_after_the_wait(adapter, stub) -> None:
    stub.fail_next(1, 429, {"Retry-After": "1"})
    started = time.monotonic()

    await reply_turn(adapter, incoming(stub.url, "throttled"))

    assert sends(stub) == [429, 200]
    assert [activity["text"] for activity in stub.activities()] == ["svar på throttled"]
    assert time.monotonic() - started >= 0.95, "Retry-After was not honoured"
    assert not adapter.turn_errors


async def test_a_reply_answered_503_is_retried_and_delivered(adapter, stub) -> None:
    stub.fail_next(1, 503)

    await reply_turn(adapter, incoming(stub.url, "ustabil"))

    assert sends(stub) == [503, 200]
    assert [activity["text"] for activity in stub.activities()] == ["svar på ustabil"]
    assert not adapter.turn_errors


async def test_when_retries_run_out_the_turn_error_carries_the_status_and_retry_after(adapter, stub) -> None:
    stub.fail_next(4, 429, {"Retry-After": "0"})

    await reply_turn(adapter, incoming(stub.url))

    assert sends(stub) == [429, 429, 429, 429], "three retries, then the answer as it is"
    [error] = adapter.turn_errors
    assert error.response.status_code == 429 and error.response.headers["Retry-After"] == "0"


async def test_a_403_is_not_retried(adapter, stub) -> None:
    stub.fail_next(1, 403)

    await reply_turn(adapter, incoming(stub.url))

    assert sends(stub) == [403]
    assert len(adapter.turn_errors) == 1


# ---- proactive sends: the outbox does the retrying, and that stays with the outbox ------------------------------


def proactive_parts(adapter: CloudAdapter, root: Path) -> tuple[Outbox, ProactiveSender, OutboxWorker]:
    documents = SqliteDocumentStore(root / "documents.sqlite3")
    outbox = Outbox(documents, base_delay_seconds=0.5)
    sender = ProactiveSender(adapter, "", ConversationReferenceStore(documents), bot_account=BOT)
    clock = SimpleNamespace(now=lambda: datetime.now(UTC))
    return outbox, sender, OutboxWorker(outbox, sender, clock)


def notification(stub: ConnectorStub, text: str) -> Notification:
    return Notification(
        recipient=LEADER,
        tenant_id="5f0c3a1e-7d2b-4c11-9e0a-3b7c2d1f0a99",
        service_url=stub.url,
        kind="leader_card",
        case_id="case-1",
        payload={"type": "message", "text": text},
        created_at=datetime.now(UTC),
    )


async def test_a_proactive_send_is_not_retried_inside_the_call(adapter, stub, tmp_path: Path) -> None:
    _, sender, _ = proactive_parts(adapter, tmp_path)
    await asyncio.create_task(sender.send(notification(stub, "første")))  # creates the chat
    stub.clear()
    stub.fail_next(1, 429, {"Retry-After": "7"})

    with pytest.raises(SendFailed) as raised:
        await asyncio.create_task(sender.send(notification(stub, "anden")))

    assert (raised.value.status, raised.value.retry_after) == (429, 7.0)
    assert sends(stub) == [429], "the outbox retries, not the connector client"


async def test_creating_the_chat_for_a_proactive_send_is_not_retried_inside_the_call(
    adapter, stub, tmp_path: Path
) -> None:
    _, sender, _ = proactive_parts(adapter, tmp_path)
    stub.start_outage(503, {"Retry-After": "60"})  # the recipient has no chat with the bot yet: it must be made

    with pytest.raises(SendFailed) as raised:
        await asyncio.wait_for(asyncio.create_task(sender.send(notification(stub, "første"))), 10)

    assert (raised.value.status, raised.value.retry_after) == (503, 60.0)
    assert [call.status for call in stub.calls] == [503], "one call: the outbox waits out the Retry-After"


async def test_the_outbox_switching_retries_off_does_not_reach_replies(adapter, stub, tmp_path: Path) -> None:
    outbox, _, worker = proactive_parts(adapter, tmp_path)
    await outbox.enqueue(notification(stub, "til lederen"))
    assert await worker.run_once() == 1  # the delivery switched retries off on the shared client, in its task
    stub.clear()
    stub.fail_next(1, 503)

    await reply_turn(adapter, incoming(stub.url, "bagefter"))

    assert sends(stub) == [503, 200]
    assert not adapter.turn_errors


async def test_retries_switched_off_in_one_task_stay_on_for_other_turns_on_the_same_client(adapter, stub) -> None:
    turns: list[TurnContext] = []
    await reply_turn(adapter, incoming(stub.url), turns)
    client = turns[0].turn_state[BotAdapter.BOT_CONNECTOR_CLIENT_KEY]

    async def as_the_outbox_does() -> None:  # bot/proactive.py's _prepare, on this very client
        client.config.retry_policy.policy = Retry(total=0, raise_on_status=False, respect_retry_after_header=False)
        stub.fail_next(1, 503)
        with pytest.raises(ErrorResponseException):
            await client.conversations.send_to_conversation("a:conversation-1", MessageFactory.text("til lederen"))

    await asyncio.create_task(as_the_outbox_does())
    stub.fail_next(1, 503)
    await reply_turn(adapter, incoming(stub.url, "bagefter"), turns)

    assert turns[1].turn_state[BotAdapter.BOT_CONNECTOR_CLIENT_KEY] is client
    assert sends(stub) == [200, 503, 503, 200]
    assert not adapter.turn_errors


# ---- the fast body serializer writes what msrest writes -----------------------------------------------------------

CARD: dict[str, Any] = {
    "type": "AdaptiveCard",
    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
    "version": "1.5",
    "msteams": {"width": "Full"},
    "refresh": {"action": {"type": "Action.Execute", "verb": "refresh", "data": {"case": "c-1"}}, "userIds": ["29:1"]},
    "body": [
        {"type": "TextBlock", "text": "Er du i akut fare? Ring 112 · HR 89 70 12 99", "wrap": True, "size": "Large"},
        {"type": "Input.Text", "id": "colleague_name", "label": "Navn", "maxLength": 200, "isRequired": False},
        {
            "type": "Input.ChoiceSet",
            "id": "kinds",
            "isMultiSelect": True,
            "choices": [{"title": "Trusler", "value": "t"}],
        },
        {"type": "FactSet", "facts": [{"title": "Dato", "value": "2026-03-14"}], "spacing": None},
        {"type": "Container", "items": [{"type": "TextBlock", "text": "æøå ÆØÅ ✓", "weight": "Bolder"}], "n": 1.5},
    ],
    "actions": [{"type": "Action.Submit", "title": "Ja", "data": {"q": "safety", "answer": "yes", "n": 3}}],
}


def activities() -> list[Activity]:
    card_reply = MessageFactory.attachment(
        Attachment(content_type="application/vnd.microsoft.card.adaptive", content=CARD)
    )
    card_reply.conversation = ConversationAccount(id="a:1", conversation_type="personal", tenant_id="t")
    card_reply.from_property, card_reply.recipient = BOT, ChannelAccount(id="29:1", name="Mette", aad_object_id="x")
    card_reply.reply_to_id, card_reply.service_url, card_reply.channel_id = "1700000000000", "https://smba/", "msteams"
    text = MessageFactory.text("Tak. Din sag VK-2026-0001 er sendt.", input_hint="acceptingInput")
    text.suggested_actions = SuggestedActions(actions=[CardAction(type="imBack", title="Hjælp", value="hjælp")])
    text.entities = [Mention(mentioned=ChannelAccount(id="29:1"), text="<at>Mette</at>", type="mention")]
    text.entities.append(Entity(type="clientInfo"))
    text.channel_data = {"tenant": {"id": "t"}, "notification": {"alert": True}}
    text.timestamp = datetime(2026, 3, 14, 9, 30, 1, 250000, tzinfo=UTC)
    text.value = {"nested": [1, 2.5, None, {"ok": True}]}
    typing = Activity(type=ActivityTypes.typing)
    update = Activity(type="message", id="42", text="opdateret", attachments=[Attachment(content_type="x", content=[])])
    return [card_reply, text, typing, update]


def msrest_serializer() -> Serializer:
    return Serializer({k: v for k, v in connector_models.__dict__.items() if isinstance(v, type)})


@pytest.mark.parametrize("index", range(4))
def test_fast_body_equals_msrest_body(index: int) -> None:
    slow, fast = msrest_serializer(), FastBodySerializer(msrest_serializer().dependencies)
    activity = activities()[index]

    expected = json.dumps(slow.body(activity, "Activity"))
    assert json.dumps(fast.body(activity, "Activity")) == expected


def test_what_the_fast_path_does_not_know_goes_to_msrest() -> None:
    slow, fast = msrest_serializer(), FastBodySerializer(msrest_serializer().dependencies)
    odd = Activity(type="message", text="x", conversation={"id": "a:1"})  # a dict where msrest expects a model
    odd.value = {"when": datetime(2026, 3, 14, tzinfo=UTC)}  # not JSON inside an `object` field

    assert fast.body(odd, "Activity") == slow.body(odd, "Activity")
    assert fast.body(odd, "Activity")["conversation"] == {"id": "a:1"}


# ---- replies straight through the pooled sender: the request and result msrest's operations give -----------------


class FixedTokenCredentials(MicrosoftAppCredentials):
    """App credentials whose token is fixed (the login host is not reachable here)."""

    def get_access_token(self, force_refresh: bool = False) -> str:
        return "token-for-tests"


async def pooled_client(service_url: str) -> tuple[ConnectorClientPool, ConnectorClient]:
    async def create(service_url: str, audience: str | None = None) -> ConnectorClient:
        return ConnectorClient(FixedTokenCredentials("app-id", "app-password"), base_url=service_url)

    pool = ConnectorClientPool()
    return pool, await pool.client(SimpleNamespace(create=create), "app-id", service_url, None)


async def result_of(call: Any) -> tuple[str, Any]:
    try:
        response = await call
    except ErrorResponseException as error:
        answer = error.response
        headers = {name: value for name, value in answer.headers.items() if name != "Date"}
        about = (str(error), type(error.error).__name__, answer.url, answer.status_code, headers, answer.text)
        detail = error.error.serialize() if isinstance(error.error, Model) else repr(error.error)
        return "error", (about, detail)
    except Exception as error:
        return "raised", (type(error).__name__, str(error))
    return "ok", (type(response).__name__, None if response is None else vars(response))


def without_id(result: tuple[str, Any]) -> tuple[str, Any]:
    """A result without the activity id the stub made up for it."""
    kind, detail = result
    if kind == "ok" and detail[1] is not None:
        return kind, (detail[0], {**detail[1], "id": type(detail[1]["id"]).__name__})
    return result


def as_json(body: Any) -> Any:
    """A request body as the JSON it carries: the direct path writes it compactly in UTF-8 (orjson), msrest with
    spaces and \\u escapes; the same JSON either way."""
    try:
        return json.loads(body)
    except (TypeError, ValueError):
        return body


def without_date(raw: tuple[str, str, dict[str, str], bytes]) -> tuple[str, str, dict[str, str], Any]:
    """A recorded request without what may differ: Date, and Content-Length (the body's JSON is compared)."""
    method, path, headers, body = raw
    kept = {name: value for name, value in headers.items() if name not in ("Date", "Content-Length")}
    assert int(headers.get("Content-Length", len(body))) == len(body)
    return method, path, kept, as_json(body)


REPLY_CALLS = {
    "card reply": lambda ops, a: ops.reply_to_activity("a:1", "1700000000000", a[0]),
    "text to conversation": lambda ops, a: ops.send_to_conversation("19:a b/ø?#%", a[1]),
    "typing reply, odd ids": lambda ops, a: ops.reply_to_activity("a:..", "../x", a[2]),
    "reply, unicode ids": lambda ops, a: ops.reply_to_activity("29:1@x.dk/ø é", "1:é+~", a[1]),
}
MSREST_CALLS = {
    "card reply": lambda ops, a: ConversationsOperations.reply_to_activity(ops, "a:1", "1700000000000", a[0]),
    "text to conversation": lambda ops, a: ConversationsOperations.send_to_conversation(ops, "19:a b/ø?#%", a[1]),
    "typing reply, odd ids": lambda ops, a: ConversationsOperations.reply_to_activity(ops, "a:..", "../x", a[2]),
    "reply, unicode ids": lambda ops, a: ConversationsOperations.reply_to_activity(ops, "29:1@x.dk/ø é", "1:é+~", a[1]),
}
ANSWERS = {
    "ok": None,
    "404 with an error": (404, {"error": {"code": "ConversationNotFound", "message": "no such chat"}}),
    "400, not an error object": (400, "plain words"),
    "500 after the retries": (500, {"error": {"code": "ServiceError", "message": "down"}}),
}


@pytest.mark.parametrize("answer", ANSWERS)
@pytest.mark.parametrize("call", REPLY_CALLS)
async def test_a_direct_reply_sends_and_returns_what_msrest_does(stub, call: str, answer: str) -> None:
    pool, client = await pooled_client(stub.url)
    assert isinstance(client.conversations, DirectReplies)
    failure = ANSWERS[answer]
    results, requests = [], []
    try:
        for make in (REPLY_CALLS[call], MSREST_CALLS[call]):
            stub.raw.clear()
            if failure is not None:
                client.config.retry_policy.policy = Retry(total=0, raise_on_status=False)  # this task only
                stub.fail_next(1, failure[0], body=failure[1])
            results.append(await result_of(make(client.conversations, activities())))
            requests.append([without_date(raw) for raw in stub.raw])
    finally:
        await pool.close()

    direct, msrest = (without_id(result) for result in results)
    assert direct == msrest
    assert requests[0] == requests[1] and len(requests[0]) == 1
    assert requests[0][0][2]["Authorization"] == "Bearer token-for-tests"
    assert direct[0] == ("ok" if failure is None else "error")


async def test_what_the_direct_path_does_not_know_goes_through_msrest(stub) -> None:
    pool, client = await pooled_client(stub.url)
    reply = MessageFactory.text("hej")
    try:
        custom = await result_of(client.conversations.send_to_conversation("a:1", reply, custom_headers={"X-A": "1"}))
        no_id = await result_of(client.conversations.reply_to_activity(None, "1", reply))
        msrest_no_id = await result_of(
            ConversationsOperations.reply_to_activity(client.conversations, None, "1", reply)
        )
    finally:
        await pool.close()

    assert custom[0] == "ok" and stub.raw[0][2]["X-A"] == "1"
    assert no_id == msrest_no_id and no_id[0] == "raised"


# ---- the direct path's URL and its reading of answers, against msrest's, below both (no server) ---------------------


class Exchanges:
    """Stands in for `AiohttpConnectorSender.exchange`, which both paths send through: notes each request as it would
    go out (without Content-Length, which aiohttp counts) and gives `answer` (status, Content-Type, body)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, str], Any]] = []
        self.answer: tuple[int, str | None, bytes] = (200, "application/json; charset=utf-8", b'{"id": "x"}')

    async def __call__(self, method: str, url: str, headers: dict[str, str], data: Any) -> Any:
        kept = {k: v for k, v in headers.items() if k.lower() != "content-length"}
        self.sent.append((method, url, kept, as_json(data)))
        status, content_type, body = self.answer
        answer_headers = CIMultiDict[str]() if content_type is None else CIMultiDict({"Content-Type": content_type})
        return connector_client._ResponseSnapshot(URL(url), status, "Reason", CIMultiDictProxy(answer_headers), body)


@pytest.fixture
def exchanges(monkeypatch: pytest.MonkeyPatch) -> Exchanges:
    fake = Exchanges()
    monkeypatch.setattr(connector_client.AiohttpConnectorSender, "exchange", fake)
    return fake


BASE_URLS = {  # serviceUrl: what msrest's format_url puts before /v3/... (None: braces, msrest formats them)
    "https://smba.trafficmanager.net/amer/": "https://smba.trafficmanager.net/amer",
    "https://smba.trafficmanager.net/amer": "https://smba.trafficmanager.net/amer",
    "http://127.0.0.1:8080": "http://127.0.0.1:8080",
    "https://smba.trafficmanager.net/emea//teams///": "https://smba.trafficmanager.net/emea/teams",
    "https://h.example/a/./b/../c/": "https://h.example/a/c",
    "https://h.example/p?tenant=1#x": "https://h.example",
    "HTTPS://H.example:443/p%20q/": "https://H.example:443/p%20q",
    "https://h.example/{tenant}/": None,
}
ODD_IDS = [
    ("a:1", "1700000000000"),
    ("19:abc@thread.tacv2;messageid=1", "1:é+~"),
    ("29:1@x.dk/ø é", "%2F%"),
    ("a?b#c&d=e", "😀"),
    ("...", " "),
    ("a", "."),
    ("..", "b"),
]


@pytest.mark.parametrize("base_url", BASE_URLS)
async def test_the_direct_url_is_msrests(exchanges: Exchanges, base_url: str) -> None:
    pool, client = await pooled_client(base_url)
    operations, reply = client.conversations, MessageFactory.text("hej")
    results = []
    try:
        assert operations._base() == BASE_URLS[base_url]
        for conversation, activity in ODD_IDS:
            for call in (
                operations.reply_to_activity(conversation, activity, reply),
                ConversationsOperations.reply_to_activity(operations, conversation, activity, reply),
                operations.send_to_conversation(conversation, reply),
                ConversationsOperations.send_to_conversation(operations, conversation, reply),
            ):
                results.append(await result_of(call))
    finally:
        await pool.close()

    assert results[0::2] == results[1::2]
    assert exchanges.sent[0::2] == exchanges.sent[1::2]
    assert len(exchanges.sent) == (0 if BASE_URLS[base_url] is None else len(results))  # msrest: KeyError('tenant')


ANSWER_BODIES = {
    "200 id": (200, "application/json; charset=utf-8", b'{"id": "1:x"}'),
    "201 id": (201, "application/json", b'{"id": "x"}'),
    "202 empty": (202, None, b""),
    "no id": (200, "application/json", b"{}"),
    "extra fields": (200, "application/json", b'{"id": "x", "activityId": "y"}'),
    "a number id": (200, "application/json", b'{"id": 5}'),
    "a null id": (200, "application/json", b'{"id": null}'),
    "a list": (200, "application/json", b'[{"id": "x"}]'),
    "no Content-Type": (200, None, b'{"id": "x"}'),
    "a byte order mark": (200, "application/json", '\ufeff{"id": "x"}'.encode()),
    "text": (200, "text/plain", b"ok"),
    "broken JSON": (200, "application/json", b'{"id": '),
    "203 id": (203, "application/json", b'{"id": "x"}'),
    "404 error": (404, "application/json", b'{"error": {"code": "ConversationNotFound", "message": "no"}}'),
    "400 text": (400, "text/plain", b"plain words"),
    "429 empty": (429, None, b""),
}


FAST_ANSWERS = {"200 id", "201 id", "no Content-Type", "a byte order mark"}  # read without msrest's Deserializer


@pytest.mark.parametrize("answer", ANSWER_BODIES)
async def test_a_direct_reply_reads_each_answer_as_msrest_does(exchanges, monkeypatch, answer: str) -> None:
    exchanges.answer = ANSWER_BODIES[answer]
    deserialized: list[str] = []
    real = Deserializer.__call__

    def counted(self: Deserializer, target: str, *args: Any) -> Any:
        deserialized.append(target)
        return real(self, target, *args)

    monkeypatch.setattr(Deserializer, "__call__", counted)
    pool, client = await pooled_client("https://smba.trafficmanager.net/amer/")
    operations, reply = client.conversations, MessageFactory.text("hej")
    try:
        direct = await result_of(operations.reply_to_activity("a:1", "1", reply))
        deserialized_direct = list(deserialized)
        msrest = await result_of(ConversationsOperations.reply_to_activity(operations, "a:1", "1", reply))
    finally:
        await pool.close()

    assert direct == msrest
    assert exchanges.sent[0] == exchanges.sent[1]
    assert (answer in FAST_ANSWERS) == (direct[0] == "ok" and not deserialized_direct)


# ---- the proxy from the environment, looked up once per host instead of in two threads per request ----------------


@pytest.fixture
def proxy_lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    lookups: list[str] = []
    real = connector_client.get_env_proxy_for_url

    def counted(url: Any) -> Any:
        lookups.append(str(url))
        return real(url)

    monkeypatch.setattr(connector_client, "get_env_proxy_for_url", counted)
    return lookups


async def test_replies_go_through_the_proxy_the_environment_names(adapter, stub, proxy_lookups, monkeypatch) -> None:
    with ConnectorStub() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.base_url)
        for number in range(3):
            await reply_turn(adapter, incoming(stub.url, f"via proxy {number}"))

        assert [activity["text"] for activity in proxy.activities()] == [f"svar på via proxy {n}" for n in range(3)]
        assert not stub.calls and not adapter.turn_errors
        assert len(proxy_lookups) == 1, "the environment is read once per scheme and host"


async def test_no_proxy_hosts_are_reached_directly(adapter, stub, proxy_lookups, monkeypatch) -> None:
    with ConnectorStub() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.base_url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        await reply_turn(adapter, incoming(stub.url, "direkte"))

        assert [activity["text"] for activity in stub.activities()] == ["svar på direkte"]
        assert not proxy.calls and not adapter.turn_errors


# ---- replies without the SDK's deep copy: the same requests, responses and caller's activities -------------------


def outgoing() -> list[list[Activity]]:
    """What one turn sends, in three send_activities calls (a card; a text and a typing; a trace)."""
    card, text, typing, _ = activities()
    card.conversation = card.from_property = card.recipient = card.reply_to_id = card.service_url = None
    card.channel_id, card.input_hint = None, None
    return [[card], [text, typing], [Activity(type=ActivityTypes.trace, name="t", value={"x": 1})]]


async def run_sends(adapter: CloudAdapter, stub: PortRecordingStub, delivery_mode: str | None = None) -> dict[str, Any]:
    batches = outgoing()
    before = [[json.dumps(activity.serialize(), sort_keys=True) for activity in batch] for batch in batches]
    seen: dict[str, Any] = {}

    async def logic(turn: TurnContext) -> None:
        seen["context"] = type(turn).__name__
        seen["responses"] = [[type(r).__name__ for r in await turn.send_activities(batch)] for batch in batches]
        seen["responded"] = turn.responded
        seen["buffered"] = [json.dumps(a.serialize(), sort_keys=True) for a in turn.buffered_reply_activities]
        seen["turn_state"] = sorted(turn.turn_state)

    stub.raw.clear()
    inbound = incoming(stub.url, "hej")
    inbound.id, inbound.delivery_mode = "1700000000001", delivery_mode
    result = await adapter.process_activity("", inbound, logic)
    seen["result"] = (result.status, json.dumps(result.body, sort_keys=True)) if result is not None else None
    seen["requests"] = [without_date(raw) for raw in stub.raw]
    seen["callers_unchanged"] = before == [[json.dumps(a.serialize(), sort_keys=True) for a in b] for b in batches]
    return seen


@pytest.mark.parametrize("delivery_mode", [None, DeliveryModes.expect_replies])
async def test_replies_without_the_deep_copy_equal_the_sdks(adapter, stock_adapter, stub, delivery_mode) -> None:
    ours, stock = await run_sends(adapter, stub, delivery_mode), await run_sends(stock_adapter, stub, delivery_mode)

    assert ours.pop("context") == "ReplyTurnContext" and stock.pop("context") == "TurnContext"
    assert ours == stock
    assert ours["callers_unchanged"] and ours["responded"]
    assert len(ours["requests"]) == (0 if delivery_mode else 3)
    assert not adapter.turn_errors and not stock_adapter.turn_errors


async def test_a_turn_makes_its_conversation_reference_once_for_all_its_sends(adapter, stub, monkeypatch) -> None:
    made: list[Activity] = []
    sdk_reference = TurnContext.get_conversation_reference

    def counted(activity: Activity) -> ConversationReference:
        made.append(activity)
        return sdk_reference(activity)

    monkeypatch.setattr(TurnContext, "get_conversation_reference", staticmethod(counted))
    references: list[ConversationReference] = []

    async def logic(turn: TurnContext) -> None:
        references.append(conversation_reference_of(turn))  # as the bot remembers the conversation
        for batch in outgoing():
            await turn.send_activities(batch)

    await adapter.process_activity("", incoming(stub.url, "hej"), logic)

    assert len(made) == 1 and len(references) == 1
    assert len(stub.raw) == 3  # the card, the text and the typing; a trace is not sent to Teams
    assert {activity["conversation"]["id"] for activity in stub.activities()} == {references[0].conversation.id}


async def test_middleware_that_edits_what_is_sent_gets_the_sdks_deep_copies(adapter, stub) -> None:
    card = MessageFactory.attachment(Attachment(content_type="application/vnd.microsoft.card.adaptive", content={}))

    async def logic(turn: TurnContext) -> None:
        async def stamp(_: TurnContext, sending: list[Activity], next_send: Any) -> Any:
            sending[0].attachments[0].content["stamped"] = True
            return await next_send()

        turn.on_send_activities(stamp)
        await turn.send_activity(card)

    await adapter.process_activity("", incoming(stub.url), logic)

    assert card.attachments[0].content == {}, "the caller's card was changed"
    assert stub.activities()[0]["attachments"][0]["content"] == {"stamped": True}
    assert isinstance(ReplyTurnContext(adapter, incoming(stub.url)), TurnContext)


# ---- shutdown --------------------------------------------------------------------------------------------------


async def test_closing_the_pool_closes_its_session(adapter, stub) -> None:
    await reply_turn(adapter, incoming(stub.url))
    pool: ConnectorClientPool = adapter.bot_framework_authentication.pool
    session = pool.session()

    await close_connector_pool(adapter)

    assert session.closed
    await reply_turn(adapter, incoming(stub.url))  # a late turn still works: it gets a new session
    assert sends(stub) == [200, 200]


@pytest.mark.parametrize(
    "value",
    [
        {"type": "message", "text": "Værn: æøå ÆØÅ – “citat” 😀", "attachments": [{"content": {"body": []}}]},
        {"value": {"1": "a", "nested": [1, 2.5, True, None, {"x": "y"}]}},
        {"value": {1: "integer keys become text, as json.dumps makes them"}},
        {"value": 2**70},  # beyond 64 bits: json.dumps writes it
    ],
)
def test_a_request_body_is_the_json_msrest_would_send_in_utf_8(value: Any) -> None:
    body = connector_client.json_body(value)

    assert isinstance(body, bytes)
    assert json.loads(body) == json.loads(json.dumps(value))


def test_a_request_body_keeps_danish_letters_as_utf_8() -> None:
    assert connector_client.json_body({"text": "Værn æøå"}) == '{"text":"Værn æøå"}'.encode()
