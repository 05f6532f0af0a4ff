"""Retention on both real backends, with moved time: SQLite documents with evidence files and the local job queue, and
Azure blobs with Azure Storage Queues on Azurite. When a closed case's period ends nothing of it is left in any table,
container, folder or queue, only its tombstone; a legal hold keeps it; a draft goes with its author told; and
`python -m bot.retention --dry-run` lists without deleting.

Azure delays are real visibility timeouts, so the Azure queue here waits at most 1 s per message
(JOB_QUEUE_MAX_DELAY_SECONDS=1): a job due years later comes back every second and is checked against the test's
clock, as it hops in 7-day steps in production.
"""

from __future__ import annotations

import asyncio
import io
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.retention import run as retention_command
from domain.retention import DeletionRule
from services.case_service import Result
from storage.job_queue import JobQueue, LocalJobQueue
from storage.local import LocalEvidenceStore
from storage.sqlite_case_table import SqliteCaseTable
from storage.sqlite_documents import SqliteDocumentStore
from tests.support.clock import MovableClock
from tests.unit.test_retention import (
    AS_JURA,
    EMPLOYEE,
    NOW,
    PERSONAL,
    TENANT,
    World,
    mentions,
    package_offer,
    tombstone_key,
)

LEASE_SECONDS = 10
REAL_WAIT = 1.3  # a little longer than the longest Azure message delay here


@dataclass
class Backend:
    world: World
    settings: Settings
    azure: Any  # the Azure clients (documents container, evidence container, jobs queue, dead queue), or None
    data_dir: Path

    async def settle(self) -> None:
        """Let delayed Azure messages come up (they wait at most 1 s here)."""
        if self.azure is not None:
            await asyncio.sleep(REAL_WAIT)

    async def keys(self) -> list[str]:
        """Every document key of the store."""
        if self.azure is None:
            return await self.world.documents.list_keys("")
        return [name async for name in self.azure.documents.list_blob_names()]

    async def evidence_left(self, case_id: str) -> list[str]:
        """Whatever the evidence store holds under the case: files in its folder, or blobs under its name."""
        if self.azure is None:
            folder = self.data_dir / "evidence" / case_id
            return [path.name for path in folder.iterdir()] if folder.exists() else []
        return [name async for name in self.azure.evidence.list_blob_names(name_starts_with=f"{case_id}/")]

    async def queued(self, case_id: str) -> list[str]:
        """Messages of the Azure job queues that name the case (every message: the queues are this test's alone)."""
        if self.azure is None:
            return []
        found = []
        for queue in (self.azure.jobs, self.azure.dead):
            properties = await queue.get_queue_properties()
            found += [f"{queue.queue_name}: {properties.approximate_message_count} message(s)"] * bool(
                properties.approximate_message_count
            )
            found += [m.content for m in await queue.peek_messages(max_messages=32) if case_id in m.content]
        return found

    async def stored(self, case_id: str) -> list[str]:
        """The documents that name the case and its evidence (the queues' visible messages change with time)."""
        return [*await mentions(self.world, case_id, await self.keys()), *await self.evidence_left(case_id)]

    async def nothing_left(self, case_id: str) -> list[str]:
        return [*await self.stored(case_id), *await self.queued(case_id)]


@dataclass
class _AzureClients:
    documents: Any
    evidence: Any
    jobs: Any
    dead: Any


@pytest.fixture(params=["local", pytest.param("azure", marks=pytest.mark.azurite)])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    data_dir = tmp_path / "data"
    packages = data_dir / "packages"
    if request.param == "local":
        settings = Settings(_env_file=None, storage_backend="local", data_dir=data_dir)  # type: ignore[call-arg]
        from storage.private_files import check_data_folder

        check_data_folder(data_dir)
        documents = SqliteDocumentStore(data_dir / "documents.sqlite3")
        jobs: JobQueue = LocalJobQueue(documents, lease_seconds=LEASE_SECONDS)
        table = SqliteCaseTable(data_dir / "overview.sqlite3")
        world = World(
            documents, LocalEvidenceStore(data_dir / "evidence"), jobs, case_table=table, package_folder=packages
        )
        try:
            yield Backend(world, settings, None, data_dir)
        finally:
            await table.close()
            await documents.close()
        return
    from storage.azure_blob import open_azure_backend
    from storage.azure_case_table import open_azure_case_table
    from storage.azure_queue import open_azure_job_queue

    emulator = request.getfixturevalue("azurite")
    prefix = f"r{uuid.uuid4().hex[:12]}"
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        storage_backend="azure",
        azure_storage_connection_string=emulator.connection_string,
        azure_container_prefix=prefix,
        data_dir=data_dir,
        job_queue_max_delay_seconds=1,
        job_lease_seconds=LEASE_SECONDS,
    )
    documents, evidence, close = await open_azure_backend(emulator.connection_string, prefix)
    clock = MovableClock(NOW)
    queue = await open_azure_job_queue(
        emulator.connection_string, prefix, documents, clock, lease_seconds=LEASE_SECONDS, max_delay_seconds=1
    )
    table = await open_azure_case_table(emulator.connection_string, prefix)
    world = World(documents, evidence, queue, clock, case_table=table, package_folder=packages)
    clients = _AzureClients(documents._container, evidence._container, queue._queue, queue._dead)  # type: ignore[attr-defined]
    try:
        yield Backend(world, settings, clients, data_dir)
    finally:
        await table.close()
        await queue.close()
        await close()


async def test_a_closed_case_goes_when_due_and_nothing_of_it_is_left_anywhere(backend: Backend) -> None:
    world = backend.world
    case = await world.closed_case()
    packages = backend.data_dir / "packages"
    packages.mkdir(parents=True, exist_ok=True)
    (packages / f"{package_offer(case, world.clock.now()).package_id}.zip").write_bytes(b"PK")
    assert await backend.evidence_left(case.case_id)
    due_at = case.handling.closure.at.replace(year=2031)  # type: ignore[union-attr]

    world.clock.move_to(due_at - timedelta(minutes=1))
    await backend.settle()
    assert not [job for job in await world.due_jobs() if ".retention." in job]
    assert await world.cases.get(case.case_id) is not None

    world.clock.move_to(due_at)
    await backend.settle()
    assert await world.due_jobs() == [f"{case.case_id}.retention.1.20310310"]

    assert await backend.nothing_left(case.case_id) == [tombstone_key(case.case_id)]
    assert list(packages.iterdir()) == []
    [stone] = await world.audit.deletions()
    assert stone.rule is DeletionRule.CLOSED_CASE and stone.deleted["evidence"] == 1
    stored = stone.model_dump_json()
    assert [value for value in PERSONAL if value in stored] == []
    assert await world.index.case_ids_for(EMPLOYEE) == []
    assert await world.case_table.rows(TENANT) == [] and stone.deleted["overview_rows"] == 1


async def test_a_legal_hold_keeps_the_case_and_its_evidence_past_its_period(backend: Backend) -> None:
    world = backend.world
    case = await world.closed_case(escalated=True)
    held = await world.holds.place(AS_JURA, case.case_id, "Verserende retssag", "corr-hold")
    assert held.result is Result.DONE

    world.clock.advance(days=8 * 366)
    await backend.settle()
    assert await world.due_jobs() == []
    assert await world.retention.run() == []

    assert await world.cases.get(case.case_id) is not None
    assert await backend.evidence_left(case.case_id)
    assert await world.audit.deletions() == []


async def test_a_draft_goes_after_its_period_with_its_authors_notice_queued(backend: Backend) -> None:
    world = backend.world
    case_id = "e" * 32
    await world.store_evidence(case_id)
    assert await world.reports.cancel_report(world.draft(case_id)) == 1

    world.clock.advance(days=30)
    await backend.settle()
    assert await world.due_jobs() == [f"{case_id}.retention.1.20260409"]

    [notice] = await world.outbox.pending()
    assert notice.recipient == EMPLOYEE and "30" in notice.payload["text"]
    assert await backend.nothing_left(case_id) == [tombstone_key(case_id), f"outbox/{notice.id}.json"]


async def test_the_dry_run_lists_what_is_due_and_deletes_nothing_then_the_run_deletes_it(backend: Backend) -> None:
    world = backend.world
    case = await world.closed_case()
    world.clock.advance(days=6 * 366)
    before = await backend.stored(case.case_id)

    listed = io.StringIO()
    assert await retention_command(backend.settings, dry_run=True, out=listed, clock=world.clock) == 1

    lines = listed.getvalue().splitlines()
    assert lines[0].split("\t") == [
        case.reference,
        "Borgerservice",
        "closed",
        "closed_case_retention",
        "period ended 2031-03-10",
        "would be deleted",
    ]
    assert lines[-1] == "1 case(s) would be deleted, 0 kept under legal hold"
    assert [value for value in PERSONAL if value in listed.getvalue()] == []
    assert await backend.stored(case.case_id) == before

    deleted = io.StringIO()
    assert await retention_command(backend.settings, dry_run=False, out=deleted, clock=world.clock) == 1
    assert deleted.getvalue().splitlines()[0].endswith("\tdeleted")
    assert await backend.stored(case.case_id) == [tombstone_key(case.case_id)]
