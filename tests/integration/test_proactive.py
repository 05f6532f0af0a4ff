"""Proactive delivery end to end: outbox → ProactiveSender → the Agents SDK's CloudAdapter → a local Bot Connector
stub.

The adapter is Værn's own (`create_adapter`: the SDK's CloudAdapter sending through the pooled `ReplyClients`) with
an empty app id, so it sends to the stub's http:// serviceUrl without tokens. (The SDK's stock client factory cannot
stand in for it here: without an app id it still asks MSAL for a token on every proactive turn and fails with
"TENANT_ID is not set"; `ReplyClients(anonymous=True)` is what makes tokenless proactive sends work.) Time that
matters (backoff, leases) is a fake clock; the only real waiting is the background worker test (well under a
second).
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from microsoft_agents.activity import ChannelAccount
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import TurnContext

from bot.adapter import create_adapter
from bot.config import Settings
from bot.pacing import SendPacer
from bot.proactive import OutboxWorker, ProactiveSender, SendFailed
from directory.graph_client import GraphError, GraphUnavailable
from domain.case import Person
from services.retry_after import parse_retry_after
from storage import outbox as outbox_module
from storage.conversation_refs import ConversationReferenceStore
from storage.outbox import SCAN_SLICE, Notification, Outbox
from storage.sqlite_documents import SqliteDocumentStore
from tests.support.clock import MovableClock
from tests.support.connector_stub import ConnectorStub, RecordedCall

T0 = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
TENANT = "5f0c3a1e-7d2b-4c11-9e0a-3b7c2d1f0a99"
BOT = ChannelAccount.model_validate({"id": "28:vaern-test-bot", "name": "Værn"})
LEADER = Person(user_id="29:1leader-teams-id", name="Lone Kjær", aad_object_id="0b1c2d3e-0000-4a00-8000-000000000010")


@dataclass
class Harness:
    stub: ConnectorStub
    adapter: CloudAdapter
    documents: SqliteDocumentStore
    outbox: Outbox
    references: ConversationReferenceStore
    sender: ProactiveSender
    clock: MovableClock
    worker: OutboxWorker
    turn_errors: list[Exception] = field(default_factory=list)
    close_adapter: Callable[[], Awaitable[None]] | None = None

    async def close(self) -> None:
        await self.worker.stop()
        if self.close_adapter is not None:
            await self.close_adapter()

    def notification(self, person: Person = LEADER, text: str = "Ny indberetning", **extra: Any) -> Notification:
        return Notification(
            recipient=person,
            tenant_id=TENANT,
            service_url=self.stub.url,
            kind="leader_card",
            case_id="case-1",
            payload={"type": "message", "text": text},
            created_at=self.clock.now(),
            **extra,
        )

    def calls(self, kind: str) -> list[RecordedCall]:
        return [call for call in self.stub.calls if call.kind == kind]

    async def run_until_empty(self, rounds: int = 20) -> int:
        """Run rounds, moving the fake clock to the next due time in between, until nothing is pending."""
        delivered = 0
        for _ in range(rounds):
            delivered += await self.worker.run_once()
            pending = await self.outbox.pending()
            if not pending:
                return delivered
            waits = [n.next_attempt_at for n in pending if n.next_attempt_at and n.next_attempt_at > self.clock.now()]
            self.clock.move_to(min(waits, default=self.clock.now()))
        raise AssertionError(f"still pending after {rounds} rounds: {pending}")


def make_adapter(turn_errors: list[Exception]) -> tuple[CloudAdapter, Callable[[], Awaitable[None]]]:
    """Værn's adapter (bot/adapter.py) without an app id, and what closes its reply clients; errors that reach
    on_turn_error are noted (there must be none)."""
    settings = Settings(_env_file=None, microsoft_app_id="", allow_unauthenticated=True)  # type: ignore[call-arg]
    adapter, clients = create_adapter(settings)

    async def on_turn_error(_: TurnContext, error: Exception) -> None:
        turn_errors.append(error)

    adapter.on_turn_error = on_turn_error
    return adapter, clients.close


@dataclass
class Worker:
    worker: OutboxWorker
    outbox: Outbox
    references: ConversationReferenceStore
    sender: ProactiveSender
    documents: SqliteDocumentStore
    adapter: CloudAdapter
    close_adapter: Callable[[], Awaitable[None]]


def make_worker(
    stub: ConnectorStub,
    root: Path,
    clock: MovableClock,
    turn_errors: list[Exception],
    bot: ChannelAccount | None = BOT,
) -> Worker:
    documents = SqliteDocumentStore(root / "documents.sqlite3")
    outbox = Outbox(documents, base_delay_seconds=0.5, rng=random.Random(7))
    references = ConversationReferenceStore(documents)
    adapter, close = make_adapter(turn_errors)
    sender = ProactiveSender(adapter, "", references, bot_account=bot)
    return Worker(OutboxWorker(outbox, sender, clock), outbox, references, sender, documents, adapter, close)


@pytest.fixture
def stub() -> Iterator[ConnectorStub]:
    with ConnectorStub() as running:
        yield running


@pytest.fixture
async def harness(stub: ConnectorStub, tmp_path: Path) -> AsyncIterator[Harness]:
    clock = MovableClock(T0)
    turn_errors: list[Exception] = []
    made = make_worker(stub, tmp_path / "documents", clock, turn_errors)
    harness = Harness(
        stub,
        made.adapter,
        made.documents,
        made.outbox,
        made.references,
        made.sender,
        clock,
        made.worker,
        turn_errors,
        made.close_adapter,
    )
    yield harness
    await harness.close()
    assert not turn_errors, "errors must come back to the sender, not end in on_turn_error"


# ---- (a) first contact creates the 1:1 chat, later sends reuse it ----------------------------------------------


async def test_first_send_creates_the_chat_then_reuses_its_reference(harness: Harness) -> None:
    first = harness.notification(text="Første")
    assert await harness.outbox.enqueue(first)

    assert await harness.worker.run_once() == 1

    [create] = harness.calls("create_conversation")
    assert create.body["isGroup"] is False
    assert create.body["bot"]["id"] == BOT.id
    assert create.body["members"] == [{"id": LEADER.user_id, "name": LEADER.name, "aadObjectId": LEADER.aad_object_id}]
    assert create.body["tenantId"] == TENANT
    assert create.body["channelData"] == {"tenant": {"id": TENANT}}
    conversation_id = create.conversation_id
    [send] = harness.calls("send")
    assert send.conversation_id == conversation_id
    assert send.reply_to_id is None, "a proactive message is a new message, not a reply"
    assert send.body["text"] == "Første"
    assert send.body["recipient"]["id"] == LEADER.user_id

    reference = await harness.references.get(LEADER)
    assert reference is not None and reference["conversation"]["id"] == conversation_id
    assert reference["conversation"]["tenantId"] == TENANT
    assert reference["serviceUrl"] == harness.stub.url and reference["bot"]["id"] == BOT.id
    sent = await harness.outbox.sent(first.id)
    assert sent is not None
    assert (sent.sent_activity_id, sent.sent_conversation_id) == (send.activity_id, conversation_id)
    assert sent.payload == {}, "the sent record keeps ids, not the message"
    assert await harness.outbox.pending() == []

    assert await harness.outbox.enqueue(harness.notification(text="Anden"))
    assert await harness.worker.run_once() == 1
    assert len(harness.calls("create_conversation")) == 1
    assert [a["text"] for a in harness.stub.activities(conversation_id)] == ["Første", "Anden"]


class Installer:
    """Installs the app the way Graph does for the stub connector: the person has it and a chat with the bot."""

    def __init__(self, stub: ConnectorStub, failure: Exception | None = None) -> None:
        self.stub, self.failure, self.asked = stub, failure, []

    async def personal_chat(self, aad_object_id: str) -> str:
        self.asked.append(aad_object_id)
        if self.failure is not None:
            raise self.failure
        chat_id = f"19:{aad_object_id}_app@unq.gbl.spaces"
        self.stub.app_installed(aad_object_id)
        self.stub.add_member(chat_id, {"id": LEADER.user_id, "name": LEADER.name, "aadObjectId": aad_object_id})
        return chat_id


async def test_the_first_chat_learns_the_persons_teams_id(harness: Harness) -> None:
    known_by_aad_only = Person(user_id=f"aad:{LEADER.aad_object_id}", aad_object_id=LEADER.aad_object_id)
    harness.stub.add_member("a:leaders-chat", {"id": LEADER.user_id, "aadObjectId": LEADER.aad_object_id})

    await harness.sender.send(harness.notification(person=known_by_aad_only))

    reference = await harness.references.get(known_by_aad_only)
    assert reference is not None and reference["conversation"]["id"] == "a:leaders-chat"
    assert reference["user"]["id"] == LEADER.user_id  # asked of the connector by the Entra ID object id
    [lookup] = harness.calls("members")
    assert lookup.path.endswith(f"/members/{LEADER.aad_object_id}")


async def test_a_person_without_the_app_gets_it_installed_and_the_message_in_its_chat(
    harness: Harness, stub: ConnectorStub
) -> None:
    stub.require_installation = True
    installer = Installer(stub)
    sender = ProactiveSender(harness.adapter, "", harness.references, bot_account=BOT, installer=installer)
    never_wrote = Person(user_id=f"aad:{LEADER.aad_object_id}", aad_object_id=LEADER.aad_object_id)

    activity_id, conversation_id = await sender.send(harness.notification(person=never_wrote, text="Ny sag"))

    assert installer.asked == [LEADER.aad_object_id]
    assert [call.status for call in harness.calls("create_conversation")] == [403]
    assert conversation_id == f"19:{LEADER.aad_object_id}_app@unq.gbl.spaces"
    [send] = [call for call in harness.calls("send") if call.status == 200]
    assert (send.conversation_id, send.activity_id, send.body["text"]) == (conversation_id, activity_id, "Ny sag")
    reference = await harness.references.get(never_wrote)
    assert reference is not None and reference["conversation"]["id"] == conversation_id
    assert reference["user"]["id"] == LEADER.user_id and reference["conversation"]["tenantId"] == TENANT

    await sender.send(harness.notification(person=never_wrote, text="Igen"))
    assert installer.asked == [LEADER.aad_object_id], "installed once; the chat's reference serves from then on"
    assert [a["text"] for a in stub.activities(conversation_id)] == ["Ny sag", "Igen"]


@pytest.mark.parametrize(
    ("failure", "retryable"), [(GraphError("no permission", 403), False), (GraphUnavailable("down"), True)]
)
async def test_an_installation_that_fails_is_a_send_that_failed(
    harness: Harness, stub: ConnectorStub, failure: Exception, retryable: bool
) -> None:
    stub.require_installation = True
    sender = ProactiveSender(
        harness.adapter, "", harness.references, bot_account=BOT, installer=Installer(stub, failure)
    )
    never_wrote = Person(user_id=f"aad:{LEADER.aad_object_id}", aad_object_id=LEADER.aad_object_id)

    with pytest.raises(SendFailed) as failed:
        await sender.send(harness.notification(person=never_wrote))
    assert failed.value.retryable is retryable and "Graph" in str(failed.value)
    assert await harness.references.get(never_wrote) is None


async def test_without_an_installer_a_person_without_the_app_cannot_be_reached(
    harness: Harness, stub: ConnectorStub
) -> None:
    stub.require_installation = True
    with pytest.raises(SendFailed) as failed:
        await harness.sender.send(harness.notification())
    assert failed.value.status == 403 and not failed.value.retryable


async def test_reference_is_found_by_teams_id_or_aad_id(harness: Harness) -> None:
    known_by_aad_only = Person(user_id=LEADER.aad_object_id or "", aad_object_id=LEADER.aad_object_id)
    await harness.sender.send(harness.notification(person=known_by_aad_only))
    [create] = harness.calls("create_conversation")
    assert create.body["members"][0]["id"] == LEADER.aad_object_id, "without a Teams id the aad id is the member"

    for same in (LEADER, Person(user_id=LEADER.aad_object_id or ""), known_by_aad_only):
        reference = await harness.references.get(same)
        assert reference is not None and reference["conversation"]["id"] == create.conversation_id
    assert await harness.references.get(Person(user_id="29:someone-else")) is None


async def test_enqueue_is_idempotent_per_id(harness: Harness) -> None:
    notification = harness.notification(id="case-1-leader")
    assert await harness.outbox.enqueue(notification)
    assert not await harness.outbox.enqueue(harness.notification(id="case-1-leader"))
    assert await harness.worker.run_once() == 1
    assert not await harness.outbox.enqueue(harness.notification(id="case-1-leader")), "already sent"
    assert await harness.worker.run_once() == 0
    assert len(harness.stub.activities()) == 1


# ---- (b) throttled: honour Retry-After ----------------------------------------------------------------------


async def test_429_with_retry_after_is_retried_no_earlier_and_delivered_once(harness: Harness) -> None:
    await harness.sender.send(harness.notification(text="hello"))  # the chat exists; now a throttled send
    harness.stub.clear()
    notification = harness.notification(text="throttled")
    await harness.outbox.enqueue(notification)
    harness.stub.fail_next(1, 429, {"Retry-After": "1"})

    assert await harness.worker.run_once() == 0
    waiting = await harness.outbox.get(notification.id)
    assert waiting is not None and waiting.attempts == 1
    assert waiting.next_attempt_at is not None
    assert waiting.next_attempt_at - harness.clock.now() >= timedelta(seconds=1)
    assert waiting.last_error is not None and "429" in waiting.last_error
    assert waiting.lease_until is None

    harness.clock.advance(0.9)
    assert await harness.worker.run_once() == 0
    assert len(harness.calls("send")) == 1, "nothing is sent before Retry-After has passed"

    harness.clock.move_to(waiting.next_attempt_at)
    assert await harness.worker.run_once() == 1
    assert [a["text"] for a in harness.stub.activities()] == ["throttled"]
    assert [call.status for call in harness.calls("send")] == [429, 200]


async def test_send_failed_carries_status_and_retry_after(harness: Harness) -> None:
    await harness.sender.send(harness.notification())
    harness.stub.fail_next(1, 429, {"Retry-After": "7"})
    with pytest.raises(SendFailed) as raised:
        await harness.sender.send(harness.notification())
    assert (raised.value.status, raised.value.retry_after, raised.value.retryable) == (429, 7.0, True)
    harness.stub.fail_next(1, 403)
    with pytest.raises(SendFailed) as forbidden:
        await harness.sender.send(harness.notification())
    assert (forbidden.value.status, forbidden.value.retry_after, forbidden.value.retryable) == (403, None, False)


def test_retry_after_as_seconds_or_http_date() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("-4") == 0.0
    assert parse_retry_after("Sat, 14 Mar 2026 09:30:30 GMT", now=T0) == 30.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


# ---- (c) a burst of 502s ---------------------------------------------------------------------------------------


async def test_502_burst_is_delivered_exactly_once(harness: Harness) -> None:
    notification = harness.notification(text="efter 502")
    await harness.outbox.enqueue(notification)
    harness.stub.fail_next(3, 502)

    assert await harness.run_until_empty() == 1

    assert [call.status for call in harness.calls("send")] == [502, 502, 502, 200]
    assert [a["text"] for a in harness.stub.activities()] == ["efter 502"]
    assert len(harness.calls("create_conversation")) == 1, "the chat made on the first try is reused"
    sent = await harness.outbox.sent(notification.id)
    assert sent is not None and sent.attempts == 3


async def test_backoff_grows_and_is_capped(tmp_path: Path) -> None:
    outbox = Outbox(
        SqliteDocumentStore(tmp_path / "documents.sqlite3"),
        base_delay_seconds=2,
        max_delay_seconds=600,
        rng=random.Random(1),
    )
    delays = [outbox.delay(attempt) for attempt in range(1, 13)]
    for attempt, delay in enumerate(delays, start=1):
        ceiling = min(600, 2 * 2 ** (attempt - 1))
        assert ceiling / 2 <= delay <= ceiling
    assert max(delays) <= 600
    assert outbox.delay(1, retry_after=30) == 30


# ---- (d) give up: refusals after 8 attempts, outages after the retry budget; cards are tried again -------------


async def test_a_refusal_is_given_up_after_eight_attempts(harness: Harness) -> None:
    notification = harness.notification(text="kommer aldrig frem")
    await harness.outbox.enqueue(notification)
    harness.stub.fail_next(8, 403)

    await harness.run_until_empty()

    assert await harness.outbox.get(notification.id) is None
    [dead] = await harness.outbox.dead_letters()
    assert dead.id == notification.id and dead.attempts == 8
    assert dead.payload == notification.payload, "a dead letter keeps its payload for an operator"
    assert dead.last_error is not None and "403" in dead.last_error
    assert harness.stub.activities() == []
    assert len(harness.calls("send")) == 8
    assert harness.worker.dead_letters == 1

    harness.clock.advance(3600)
    assert await harness.worker.run_once() == 0
    assert len(harness.calls("send")) == 8, "not a card that hands over a case: it stays with the operator"
    assert harness.worker.dead_letters == 1


async def test_server_errors_are_retried_past_eight_attempts(harness: Harness) -> None:
    notification = harness.notification(text="efter 12 x 500")
    await harness.outbox.enqueue(notification)
    harness.stub.fail_next(12, 500)

    assert await harness.run_until_empty(rounds=30) == 1

    assert [call.status for call in harness.calls("send")] == [500] * 12 + [200]
    assert await harness.outbox.dead_letters() == []


@pytest.fixture
async def outage_harness(stub: ConnectorStub, tmp_path: Path) -> AsyncIterator[Callable[[float], Awaitable[Harness]]]:
    """Makes a harness on Værn's adapter whose outbox gives up after `budget_hours`; closed after the test."""
    made: list[Harness] = []

    async def make(budget_hours: float) -> Harness:
        clock = MovableClock(T0)
        turn_errors: list[Exception] = []
        documents = SqliteDocumentStore(tmp_path / "documents.sqlite3")
        retries = {"retry_budget_seconds": budget_hours * 3600, "max_delay_seconds": 600}
        outbox = Outbox(documents, **retries, rng=random.Random(3))
        references = ConversationReferenceStore(documents)
        adapter, close = make_adapter(turn_errors)
        sender = ProactiveSender(adapter, "", references, bot_account=BOT)
        worker = OutboxWorker(outbox, sender, clock, dead_letter_retry_seconds=3600)
        harness = Harness(stub, adapter, documents, outbox, references, sender, clock, worker, turn_errors, close)
        made.append(harness)
        return harness

    yield make
    for harness in made:
        await harness.close()


async def test_a_card_outlives_an_outage_longer_than_the_retry_budget(
    stub: ConnectorStub, outage_harness: Callable[[float], Awaitable[Harness]], caplog: pytest.LogCaptureFixture
) -> None:
    harness = await outage_harness(4)
    card = harness.notification(text="ny sag", id="case-1-reported", keep_trying=True)
    await harness.outbox.enqueue(card)
    stub.start_outage(503, {"Retry-After": "86400"})  # and it asks for a day: capped like the backoff

    # The connector is down for 6 hours of (moved) time; the worker runs whenever something is due.
    end = harness.clock.now() + timedelta(hours=6)
    while harness.clock.now() < end:
        await harness.worker.run_once()
        pending = await harness.outbox.pending()
        waits = [n.next_attempt_at for n in pending if n.next_attempt_at and n.next_attempt_at > harness.clock.now()]
        harness.clock.move_to(min(waits, default=harness.clock.now() + timedelta(minutes=10)))

    failed = [call for call in stub.calls if call.status == 503]
    assert len(failed) > 20, "kept trying for hours, every ten minutes at most, not 8 times in 220 s"
    [dead] = await harness.outbox.dead_letters()
    assert dead.id == card.id and dead.failing_since == T0
    assert dead.attempts == len(failed)
    assert harness.worker.dead_letters == 1
    given_up = [r for r in caplog.records if r.levelname == "ERROR" and "dead-lettered" in r.getMessage()]
    assert given_up, "giving up is logged at ERROR"
    assert harness.calls("send") == [] or all(call.status == 503 for call in harness.calls("send"))

    # Back again: within the hour the dead letter is tried again and delivered.
    stub.end_outage()
    harness.clock.advance(hours=1)
    assert await harness.worker.run_once() == 1
    assert [a["text"] for a in stub.activities()] == ["ny sag"]
    assert await harness.outbox.dead_letters() == [] and await harness.outbox.pending() == []
    assert harness.worker.dead_letters == 0
    assert await harness.outbox.sent(card.id) is not None
    await harness.worker.stop()
    assert not harness.turn_errors


async def test_a_revived_card_that_fails_again_goes_back_after_one_attempt(
    stub: ConnectorStub, outage_harness: Callable[[float], Awaitable[Harness]]
) -> None:
    harness = await outage_harness(1)

    card = harness.notification(text="kort", keep_trying=True)
    await harness.outbox.enqueue(card)
    stub.start_outage(503)
    for _ in range(100):
        await harness.worker.run_once()
        if await harness.outbox.dead_letters():
            break
        harness.clock.advance(minutes=5)
    attempts = len([call for call in stub.calls if call.status == 503])

    harness.clock.advance(hours=1)
    assert await harness.worker.run_once() == 0
    assert len([call for call in stub.calls if call.status == 503]) == attempts + 1, "one more attempt"
    [dead] = await harness.outbox.dead_letters()
    assert dead.revived_at is None and await harness.outbox.pending() == []
    harness.clock.advance(minutes=30)
    assert await harness.worker.run_once() == 0
    assert len([call for call in stub.calls if call.status == 503]) == attempts + 1, "not before the next hour"
    assert harness.worker.dead_letters == 1


async def test_retry_after_is_capped_like_the_backoff(tmp_path: Path) -> None:
    outbox = Outbox(SqliteDocumentStore(tmp_path / "documents.sqlite3"), max_delay_seconds=300)
    assert outbox.delay(1, retry_after=86400) == 300
    assert outbox.delay(1, retry_after=30) >= 30


async def test_a_round_stops_after_so_many_failures(
    stub: ConnectorStub, outage_harness: Callable[[float], Awaitable[Harness]]
) -> None:
    harness = await outage_harness(1)
    worker = OutboxWorker(harness.outbox, harness.sender, harness.clock, max_failures_per_round=5, concurrency=2)
    for number in range(40):
        person = Person(user_id=f"29:user-{number}", name=f"Person {number}", aad_object_id=f"aad-{number}")
        await harness.outbox.enqueue(harness.notification(person, text=f"til {number}"))
    stub.start_outage(503)

    await worker.run_once()

    assert 5 <= len(stub.calls) <= 5 + 2, "a few failed calls, then the round ends"
    stub.end_outage()
    delivered = 0
    for _ in range(20):
        delivered += await worker.run_once()
        if not await harness.outbox.pending():
            break
        harness.clock.advance(minutes=5)
    assert delivered == 40


async def test_a_waiting_notification_holds_back_later_ones_to_the_same_person(harness: Harness) -> None:
    other = Person(user_id="29:other", name="Mads", aad_object_id="0b1c2d3e-0000-4a00-8000-000000000011")
    await harness.sender.send(harness.notification(text="setup"))
    harness.stub.clear()
    first = harness.notification(text="1")
    await harness.outbox.enqueue(first)
    harness.clock.advance(0.001)
    await harness.outbox.enqueue(harness.notification(text="2"))
    await harness.outbox.enqueue(harness.notification(person=other, text="til Mads"))
    reference = await harness.references.get(LEADER)
    assert reference is not None
    harness.stub.fail_next(1, 429, {"Retry-After": "5"}, conversation_id=reference["conversation"]["id"])

    assert await harness.worker.run_once() == 1
    assert [a["text"] for a in harness.stub.activities()] == ["til Mads"]

    assert await harness.run_until_empty() == 2
    texts = [a["text"] for a in harness.stub.activities()]
    assert texts == ["til Mads", "1", "2"]


# ---- (e) two workers, one store --------------------------------------------------------------------------------


async def test_two_workers_deliver_each_notification_exactly_once(stub: ConnectorStub, tmp_path: Path) -> None:
    clock = MovableClock(T0)
    turn_errors: list[Exception] = []
    root = tmp_path / "shared"
    one = make_worker(stub, root, clock, turn_errors)
    two = make_worker(stub, root, clock, turn_errors)  # its own store object on the same files
    first, second, outbox = one.worker, two.worker, one.outbox
    people = [Person(user_id=f"29:user-{n}", name=f"Person {n}", aad_object_id=f"aad-{n}") for n in range(5)]
    texts = [f"{person.user_id} #{i}" for i in range(3) for person in people]
    for i, text in enumerate(texts):
        recipient = people[i % len(people)]
        clock.advance(0.001)
        await outbox.enqueue(
            Notification(
                recipient=recipient,
                tenant_id=TENANT,
                service_url=stub.url,
                kind="employee_update",
                payload={"type": "message", "text": text},
                created_at=clock.now(),
            )
        )

    delivered = 0
    for _ in range(10):
        counts = await asyncio.gather(first.run_once(), second.run_once())
        delivered += sum(counts)
        if not await outbox.pending():
            break

    for made in (one, two):
        await made.close_adapter()
    sent_texts = [activity["text"] for activity in stub.activities()]
    assert delivered == len(texts)
    assert sorted(sent_texts) == sorted(texts), "each notification exactly once"
    for person in people:
        mine = [text for text in sent_texts if text.startswith(f"{person.user_id} ")]
        assert mine == [f"{person.user_id} #{i}" for i in range(3)], "in order per recipient"
    assert not turn_errors


async def test_a_claim_with_a_stale_etag_loses(harness: Harness) -> None:
    await harness.outbox.enqueue(harness.notification())
    [mine] = await harness.outbox.due(harness.clock.now())
    [theirs] = await harness.outbox.due(harness.clock.now())
    assert await harness.outbox.claim(theirs, harness.clock.now(), lease_seconds=60)
    assert not await harness.outbox.claim(mine, harness.clock.now(), lease_seconds=60)
    assert await harness.outbox.due(harness.clock.now()) == [], "leased"
    harness.clock.advance(61)
    assert len(await harness.outbox.due(harness.clock.now())) == 1, "an expired lease frees it again"


async def test_due_hands_out_at_most_so_many_per_recipient_oldest_first(harness: Harness) -> None:
    other = Person(user_id="29:other", name="Mads", aad_object_id="0b1c2d3e-0000-4a00-8000-000000000011")
    for number in range(5):
        await harness.outbox.enqueue(harness.notification(text=f"leder {number}"))
        harness.clock.advance(1)
        await harness.outbox.enqueue(harness.notification(other, text=f"mads {number}"))
        harness.clock.advance(1)

    due = await harness.outbox.due(harness.clock.now(), per_recipient=2)

    assert [notification.payload["text"] for notification in due] == ["leder 0", "mads 0", "leder 1", "mads 1"]
    assert all(notification.etag for notification in due), "read whole, ready to be claimed"
    assert len(await harness.outbox.due(harness.clock.now())) == 10


async def test_a_long_backlog_is_read_in_slices_that_let_the_turns_run(harness: Harness) -> None:
    for number in range(100):
        await harness.outbox.enqueue(harness.notification(text=f"kort {number}"))
    turns = 0
    documents = harness.documents
    seen_at: list[int] = []  # for each pending document read, how often other work had run by then

    class Noting:
        """The store, noting when each document is read."""

        def __getattr__(self, name: str) -> Any:
            return getattr(documents, name)

        async def get(self, key: str) -> Any:
            seen_at.append(turns)
            return await documents.get(key)

    async def other_work() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    meanwhile = asyncio.ensure_future(other_work())
    due = await Outbox(Noting()).due(harness.clock.now())  # type: ignore[arg-type]
    meanwhile.cancel()

    runs = [len(list(group)) for _, group in itertools.groupby(seen_at)]
    assert len(due) == 100 and sum(runs) == 100
    assert max(runs) <= SCAN_SLICE, "never more than a slice of reads without letting other work run"


async def test_each_stored_version_of_a_pending_notification_is_parsed_once(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    for number in range(3):
        await harness.outbox.enqueue(harness.notification(text=f"kort {number}"))
    parsed: list[bytes] = []
    parse = outbox_module._Schedule.model_validate_json

    def counted(data: bytes) -> Any:
        parsed.append(data)
        return parse(data)

    monkeypatch.setattr(outbox_module._Schedule, "model_validate_json", counted)
    now = harness.clock.now()
    await harness.outbox.due(now)
    [first, *_] = await harness.outbox.due(now)
    assert len(parsed) == 3, "the second round knew all three"

    assert await harness.outbox.claim(first, now, lease_seconds=60)  # a new version of the first
    assert await harness.outbox.due(now) == [], "leased, it holds back the two behind it"

    assert len(parsed) == 4


async def test_a_backlog_to_one_person_is_delivered_in_rounds_one_after_the_other(harness: Harness) -> None:
    from domain.clock import SystemClock

    texts = [f"kort {number}" for number in range(10)]
    for text in texts:
        notification = harness.notification(text=text)
        notification.created_at = notification.next_attempt_at = datetime.now(UTC)
        await harness.outbox.enqueue(notification)
    # Four a second to one chat: a round takes four of the ten; an hour between rounds unless woken.
    worker = OutboxWorker(harness.outbox, harness.sender, SystemClock(), interval_seconds=3600, pacer=SendPacer(4))
    worker.start()
    try:
        activities = await asyncio.to_thread(harness.stub.wait_for_activities, None, len(texts), timeout=10)
    finally:
        await worker.stop()

    assert [activity["text"] for activity in activities] == texts


# ---- updates, bot account, background loop ---------------------------------------------------------------------


async def test_update_replaces_a_sent_card(harness: Harness) -> None:
    activity_id, conversation_id = await harness.sender.send(harness.notification(text="kort v1"))
    updated = await harness.sender.update(
        conversation_id, activity_id, {"type": "message", "text": "kort v2"}, service_url=harness.stub.url
    )
    assert updated == activity_id
    [update] = harness.calls("update")
    assert update.conversation_id == conversation_id and update.activity_id == activity_id
    assert update.body["text"] == "kort v2"

    await harness.outbox.enqueue(
        harness.notification(text="kort v3", update_activity_id=activity_id, update_conversation_id=conversation_id)
    )
    assert await harness.worker.run_once() == 1
    assert [call.body["text"] for call in harness.calls("update")] == ["kort v2", "kort v3"]
    assert len(harness.calls("send")) == 1


@pytest.mark.parametrize(
    "bot_account",
    [{"id": "28:from-the-channel", "name": "Værn"}, {"id": "28:from-the-channel"}],
    ids=["named", "without-a-name"],
)
async def test_bot_account_comes_from_a_stored_reference_when_there_is_no_app_id(
    stub: ConnectorStub, tmp_path: Path, bot_account: dict[str, str]
) -> None:
    turn_errors: list[Exception] = []
    made = make_worker(stub, tmp_path, MovableClock(T0), turn_errors, bot=None)
    references, sender = made.references, made.sender
    notification = Notification(
        recipient=LEADER,
        tenant_id=TENANT,
        service_url=stub.url,
        kind="leader_card",
        payload={"type": "message", "text": "x"},
        created_at=T0,
    )
    try:
        with pytest.raises(SendFailed, match="unknown"):
            await sender.send(notification)
        assert stub.calls == []

        someone = Person(user_id="29:employee", aad_object_id="aad-employee")
        seen_in_chat = {  # the wire JSON the edge stores from an incoming message
            "channelId": "msteams",
            "serviceUrl": stub.url,
            "conversation": {"id": "a:employee-chat", "tenantId": TENANT},
            "bot": bot_account,
            "user": {"id": someone.user_id, "aadObjectId": someone.aad_object_id},
            "activityId": "incoming-1",
        }
        await references.save(someone, seen_in_chat)
        await sender.send(notification)
    finally:
        await made.close_adapter()
    [create] = [call for call in stub.calls if call.kind == "create_conversation"]
    assert create.body["bot"]["id"] == "28:from-the-channel"
    assert await references.last_bot() == bot_account
    stored = await references.get(someone)
    assert stored is not None and "activityId" not in stored
    assert not turn_errors


async def test_background_worker_delivers_on_wake_and_survives_errors(harness: Harness) -> None:
    from domain.clock import SystemClock

    calls = 0
    real_due = harness.outbox.due

    async def flaky_due(now: datetime, *, per_recipient: int | None = None) -> list[Notification]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise OSError("storage hiccup")
        return await real_due(now, per_recipient=per_recipient)

    harness.outbox.due = flaky_due  # type: ignore[method-assign]
    worker = OutboxWorker(harness.outbox, harness.sender, SystemClock(), interval_seconds=0.05)
    worker.start()
    try:
        notification = harness.notification(text="straks")
        notification.created_at = notification.next_attempt_at = datetime.now(UTC)
        await harness.outbox.enqueue(notification)
        worker.wake()
        activities = await asyncio.to_thread(harness.stub.wait_for_activities, None, 1, timeout=5)
        assert [a["text"] for a in activities] == ["straks"]
    finally:
        await worker.stop()
    assert calls >= 2
