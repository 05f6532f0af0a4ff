"""The Overblik statistics through the service, on in-memory fakes: made from the store's counts exactly as the
domain makes them from the rows, made again only when the counts change, and audited by units and counts (no case
ids)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from benchmarks import overview as bench
from domain.overview import CaseRow
from domain.statistics import case_statistics
from services.overview import Overview
from services.roles import DirectoryFile, JsonDirectory
from storage.audit import AuditLog
from storage.cases import CaseRepository
from tests.support.clock import MovableClock
from tests.support.fakes import InMemoryCaseTable, InMemoryDocumentStore

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


async def test_hr_statistics_are_the_domains_and_are_made_again_only_when_the_counts_change() -> None:
    table, documents = InMemoryCaseTable(), InMemoryDocumentStore()
    rows = list(bench.case_rows(200, 4, NOW))
    await table.upsert_many(rows)
    audit = AuditLog(documents)
    directory = JsonDirectory(DirectoryFile.model_validate(bench.directory(4)))
    overview = Overview(table, CaseRepository(documents), audit, directory, MovableClock(NOW), "jura")
    hr = overview.viewer(bench.HR_ID, bench.TENANT)

    first = await overview.statistics(hr, "month", "c1")
    assert first == case_statistics(rows, "month")
    assert await overview.statistics(hr, "month", "c2") is first  # the same counts: the same published tables
    assert await overview.statistics(hr, "quarter", "c3") == case_statistics(rows, "quarter")

    later = rows[0].model_copy(update={"case_id": "case-later", "reported_at": NOW + timedelta(days=1)})
    await table.upsert(later)
    again = await overview.statistics(hr, "month", "c4")
    assert again is not first and again == case_statistics([*rows, later], "month")

    events = [event for event in await audit.overview_read_events() if event.action == "overview_statistics"]
    assert len(events) == 4 and not any(row.case_id in event.detail for event in events for row in rows)

    def counted(rows: list[CaseRow]) -> str:
        return " ".join(f"{unit}:{total}" for unit, total in sorted(Counter(row.unit_id for row in rows).items()))

    assert {event.detail for event in events} == {counted(rows), counted([*rows, later])}
