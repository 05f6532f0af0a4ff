"""`python app.py` stops promptly on SIGTERM while notifications are queued and the Bot Connector is slow to
answer: the outbox worker stops sending, a send in flight is cancelled after a short grace, and every notification
not delivered stays in the durable outbox, where the next process delivers it."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.typedefs import Handler

from domain.case import Person
from services.notifications import EVIDENCE_ADDED, text_payload
from storage.backends import StorageBackend
from storage.outbox import Notification, Outbox
from tests.e2e.conftest import BotEnv
from tests.support.bot_process import BotProcess
from tests.support.connector_stub import ConnectorStub
from tests.support.outbox_ids import outbox_id
from tests.support.stored import with_backend

LEADERS = 3
PER_LEADER = 4  # evidence added four times to each leader's case: a message each
STOPPED_WITHIN_SECONDS = 5.0  # the runtime's part is about a second (OutboxWorker.stop); before, 10 s or more
LEASE_SECONDS = 2  # how long a cancelled send keeps its notification from the next worker


class SlowConnector(ConnectorStub):
    """The Bot Connector stub, except that while `holding` every request waits for an answer that never comes."""

    def __init__(self) -> None:
        super().__init__()
        self.holding = True
        self.waiting = threading.Semaphore(0)  # released once per request that arrived while holding

    def build_app(self) -> web.Application:
        app = super().build_app()

        @web.middleware
        async def hold(request: web.Request, handler: Handler) -> web.StreamResponse:
            if self.holding:
                self.waiting.release()
            while self.holding:
                await asyncio.sleep(0.05)
            return await handler(request)

        app.middlewares.append(hold)
        return app


@pytest.fixture
def slow_connector() -> Iterator[SlowConnector]:
    with SlowConnector() as stub:
        yield stub


def queued(service_url: str) -> list[Notification]:
    now = datetime.now(UTC)
    return [
        Notification(
            id=f"case{leader}-evidence-{count}",
            recipient=Person(
                user_id=f"29:leader-{leader}", name=f"Leder {leader}", aad_object_id=f"aad-leader-{leader}"
            ),
            tenant_id="tenant-shutdown",
            service_url=service_url,
            kind=EVIDENCE_ADDED,
            case_id=f"case{leader}",
            payload=text_payload(f"Der er tilføjet bevis {count} til sagen."),
            bot_id="28:vaern-shutdown-test",
            created_at=now,
        )
        for leader in range(LEADERS)
        for count in range(PER_LEADER)
    ]


def test_sigterm_with_queued_notifications_stops_promptly_and_keeps_them_for_the_next_process(
    bot_env: BotEnv, slow_connector: SlowConnector, tmp_path: Path
) -> None:
    storage = bot_env("local")
    notifications = queued(slow_connector.url)

    async def enqueue(backend: StorageBackend) -> None:
        for notification in notifications:
            assert await Outbox(backend.documents).enqueue(notification)

    with_backend(storage, enqueue)
    process = BotProcess(storage.env(OUTBOX_LEASE_SECONDS=str(LEASE_SECONDS)), workdir=tmp_path)
    process.start()
    try:
        assert slow_connector.waiting.acquire(timeout=15), "the outbox worker never began sending"
        time.sleep(0.3)  # the worker's other sends are under way too
        assert process.pid is not None
        stopping = time.monotonic()
        os.killpg(process.pid, signal.SIGTERM)
        while process.running and time.monotonic() - stopping < 3 * STOPPED_WITHIN_SECONDS:
            time.sleep(0.05)
        took = time.monotonic() - stopping
        assert not process.running and took < STOPPED_WITHIN_SECONDS, f"stopped after {took:.1f} s"
        assert process.returncode == 0
        assert "runtime closed" in process.log_text()

        async def outbox_state(backend: StorageBackend) -> tuple[list[str], list[str]]:
            outbox = Outbox(backend.documents)
            return [n.id for n in await outbox.pending()], [n.id for n in await outbox.dead_letters()]

        pending, dead = with_backend(storage, outbox_state)
        assert sorted(pending) == sorted(n.id for n in notifications) and dead == []

        slow_connector.holding = False  # the Bot Connector answers again; a new process takes over
        process.start()
        expected = {n.id for n in notifications}

        def all_delivered(calls: list) -> set[str] | None:
            delivered = {outbox_id(call) for call in calls if call.kind == "send" and call.succeeded}
            return delivered if expected <= delivered else None

        slow_connector.wait_for(all_delivered, timeout=LEASE_SECONDS + 20)
        deadline = time.monotonic() + 10
        while with_backend(storage, outbox_state)[0] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert with_backend(storage, outbox_state) == ([], [])
    finally:
        process.kill()
