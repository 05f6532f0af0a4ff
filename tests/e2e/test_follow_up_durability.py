"""Follow-ups survive crashes and a throttling connector: two bot instances (`python app.py`, worker inside) and
a worker running alone (`python -m bot.scheduler`) share Azure storage on Azurite (blobs for cases and the
outbox, Azure Storage Queues for the jobs); 500 jobs come due at once; one app is killed with SIGKILL in the
middle and restarted; the connector stub answers bursts of 429 (with Retry-After) and 502. Every job's
messages must arrive, none twice in effect, at a paced rate; the lone worker stops cleanly on SIGTERM.

Every proactive message carries its outbox id (`<job id>.<recipient>`) in channelData, so the stub can tell a
resend of the same message (a crash between sending and recording it) from a second effect.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from domain.case import Case, CaseStatus, Incident, Person
from domain.clock import SystemClock
from domain.follow_ups import FollowUpPolicy, FollowUps, JobKind
from domain.working_time import WorkingCalendar
from storage.azure_blob import open_azure_backend
from storage.azure_queue import open_azure_job_queue
from storage.cases import CaseRepository
from tests.e2e.conftest import BotEnv
from tests.support.bot_process import REPO_ROOT, BotProcess
from tests.support.connector_stub import ConnectorStub, RecordedCall
from tests.support.organisation import Member, Organisation, UnitPeople
from tests.support.outbox_ids import outbox_id
from tests.support.teams import TeamsUser

pytestmark = [pytest.mark.slow, pytest.mark.azurite]

# × 11 jobs = 550 jobs (the first_card check has no card to watch here and sends nothing); 10 messages per case
# (3 check-ins are overtaken by day 21's)
CASES = 50
KILL_AFTER_MESSAGES = 200
DELIVERY_TIMEOUT_SECONDS = 240.0
PACING_PER_CONVERSATION = 2  # per instance: three instances stay within Teams' 7 per second
FOLLOW_UPS = FollowUps(FollowUpPolicy(), WorkingCalendar())
FAST = {
    "SCHEDULER_INTERVAL_SECONDS": "0.2",
    "OUTBOX_INTERVAL_SECONDS": "0.2",
    "JOB_LEASE_SECONDS": "3",
    "OUTBOX_LEASE_SECONDS": "3",
    "PACING_PER_CONVERSATION": str(PACING_PER_CONVERSATION),
}


def person(member: Member) -> Person:
    return Person(user_id=member.teams_user_id, name=member.name, aad_object_id=member.aad_object_id)


def a_month_old_case(unit: UnitPeople, number: int, service_url: str) -> Case:
    """Reported a month ago and never acknowledged: every follow-up it plans is due now."""
    employee = person(unit.employee)
    return Case(
        case_id=uuid.uuid4().hex,
        reference=f"VK-2026-9{number:03d}",
        status=CaseStatus.REPORTED,
        subject=employee,
        reporter=employee,
        incident=Incident(description="Truende beskeder på Facebook."),
        created_at=datetime.now(UTC) - timedelta(days=30),
        tenant_id="tenant-durability",
        service_url=service_url,
        unit=unit.unit_name,
        unit_id=unit.unit_id,
        leader=person(unit.leader),
        deputy=person(unit.deputy),
    )


def expected_messages(case: Case, organisation: Organisation) -> set[str]:
    """The outbox ids each due job of an unacknowledged case sends (see services/follow_ups.py). Of the four check-ins
    only day 21's: a check-in that is overtaken by a later one is not sent."""
    roles = {
        JobKind.ACK_REMINDER: ["leader"],
        JobKind.ACK_DEPUTY: ["deputy", "deputy-card"],
        # Værn's own escalation goes to the intake function only (HR_INTAKE_FUNCTION, the coordinator by default)
        JobKind.ACK_HR: ["leader", f"hr-{organisation.hr_coordinator.aad_object_id}"],
        JobKind.FIRST_AID: ["leader"],
        JobKind.DEBRIEF: ["leader"],
        JobKind.SAFETYNET: ["leader"],
        JobKind.CHECK_IN: ["employee"],
        JobKind.FIRST_CARD: [],  # seeded without a leader's card: there is no card to be late
    }
    now = datetime.now(UTC)
    due = [job for job in FOLLOW_UPS.planned_jobs(case) if FOLLOW_UPS.still_applies(case, job, now)]
    return {f"{job.id}.{role}" for job in due for role in roles[job.kind]}


async def seed(storage_env: dict[str, str], cases: list[Case]) -> int:
    """Store the cases and queue their jobs, as the bot itself does when a case is reported."""
    connection, prefix = storage_env["AZURE_STORAGE_CONNECTION_STRING"], storage_env["AZURE_CONTAINER_PREFIX"]
    documents, _, close = await open_azure_backend(connection, prefix)
    queue = await open_azure_job_queue(connection, prefix, documents, SystemClock())
    repository, queued = CaseRepository(documents), 0
    try:
        for case in cases:
            await repository.create(case)
            queued += await queue.schedule(FOLLOW_UPS.planned_jobs(case))
    finally:
        await queue.close()
        await close()
    return queued


def max_per_second(moments: list[datetime]) -> int:
    """The most sends in any one-second window."""
    times, most, start = sorted(m.timestamp() for m in moments), 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


@pytest.fixture
def apps_and_worker(
    bot_env: BotEnv, organisation: Organisation, tmp_path: Path
) -> Iterator[tuple[list[BotProcess], subprocess.Popen[bytes]]]:
    """Two bot apps, and a follow-up worker running alone, all on the same storage (same settings)."""
    storage = bot_env("azure")
    directory = organisation.write(tmp_path / "directory.json")
    env = storage.env(DIRECTORY_FILE=str(directory), **FAST)
    apps = [BotProcess(env, workdir=tmp_path / f"app-{n}") for n in (1, 2)]
    for app in apps:
        app.start()
    with open(tmp_path / "scheduler.log", "wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "bot.scheduler"],
            cwd=REPO_ROOT,
            env=apps[0].env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield apps, worker
    finally:
        worker.kill()
        worker.wait(10)
        for app in apps:
            app.stop()


def test_500_due_jobs_three_workers_one_killed_throttled_connector(
    apps_and_worker: tuple[list[BotProcess], subprocess.Popen[bytes]],
    connector: ConnectorStub,
    organisation: Organisation,
) -> None:
    (first, second), lone_worker = apps_and_worker
    # Someone talks to the bot first, so it knows its own Teams account for the chats it has to create.
    TeamsUser(first.url, connector).say("hjælp")
    units = [organisation.next_unit() for _ in range(CASES // 2)]
    for unit in units:
        for member in (unit.leader, unit.deputy, unit.employee):
            TeamsUser(first.url, connector, **member.teams_details())  # their 1:1 chats exist in Teams
    cases = [a_month_old_case(units[n // 2], n, connector.url) for n in range(CASES)]
    expected = set().union(*(expected_messages(case, organisation) for case in cases))

    mark = connector.mark()
    connector.fail_next(12, 429, {"Retry-After": "1"})
    connector.fail_next(12, 502)
    queued = asyncio.run(seed(first.env, cases))
    assert queued == 11 * CASES

    def delivered() -> list[RecordedCall]:
        return [c for c in connector.calls[mark:] if c.status == 200 and outbox_id(c) in expected]

    connector.wait_for(lambda _: len(delivered()) >= KILL_AFTER_MESSAGES, DELIVERY_TIMEOUT_SECONDS)
    first.kill()
    connector.fail_next(12, 429, {"Retry-After": "1"})
    connector.fail_next(12, 502)
    time.sleep(1.0)
    first.start()

    connector.wait_for(lambda _: {outbox_id(c) for c in delivered()} >= expected, DELIVERY_TIMEOUT_SECONDS)
    time.sleep(2.0)  # anything still in flight would show up as a second effect now

    calls = delivered()
    sends = Counter(outbox_id(c) for c in calls)
    throttled = [c for c in connector.calls[mark:] if c.status in (429, 502)]
    per_conversation: dict[str, list[datetime]] = defaultdict(list)
    for call in calls:
        per_conversation[call.conversation_id or ""].append(call.at)
    fastest = max(max_per_second(moments) for moments in per_conversation.values())
    print(
        f"\nfollow-up durability: jobs={queued} messages expected={len(expected)} delivered={len(sends)} "
        f"lost={len(expected - set(sends))} resends of the same message={sum(sends.values()) - len(sends)} "
        f"throttled answers={len(throttled)} max sends per conversation in 1 s={fastest}"
    )
    assert set(sends) == expected, "every job took effect, nothing else was sent"
    unexpected = {outbox_id(c) for c in connector.calls[mark:]} - expected - {""}
    assert not unexpected
    assert sum(sends.values()) - len(sends) <= 8, f"only a message in flight at the kill may be resent: {sends}"
    assert len(throttled) >= 24
    assert fastest <= 7, "Teams allows about 7 messages per second per conversation"
    assert first.running and second.running
    lone_worker.send_signal(signal.SIGTERM)
    assert lone_worker.wait(15) == 0, "the worker running alone stops cleanly"
