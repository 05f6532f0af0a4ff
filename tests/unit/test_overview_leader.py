"""The Overblik leader's list through the service, on in-memory fakes: the open cases and those closed in the last
12 months, newest first, a page at a time, and each page's case ids (only those) on the overview's audit log."""

from __future__ import annotations

from datetime import UTC, datetime

from benchmarks import overview as bench
from domain.case import CaseStatus
from domain.overview import PAGE_SIZE, closed_since, leader_order
from services.overview import Overview
from services.roles import DirectoryFile, JsonDirectory
from storage.audit import AuditLog
from storage.cases import CaseRepository
from tests.support.clock import MovableClock
from tests.support.fakes import InMemoryCaseTable, InMemoryDocumentStore

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


async def test_a_leader_pages_through_open_and_recently_closed_cases_newest_first_and_each_page_is_audited() -> None:
    table, documents = InMemoryCaseTable(), InMemoryDocumentStore()
    rows = list(bench.case_rows(600, 4, NOW))
    await table.upsert_many(rows)
    audit = AuditLog(documents)
    directory = JsonDirectory(DirectoryFile.model_validate(bench.directory(4)))
    overview = Overview(table, CaseRepository(documents), audit, directory, MovableClock(NOW), "jura")
    leader = overview.viewer(bench.leader_id(0), bench.TENANT)
    since = closed_since(NOW)
    led = [row for row in rows if bench.leader_id(0) in (row.leader_id, row.deputy_id)]
    expected = sorted(
        (row for row in led if row.status is not CaseStatus.CLOSED or (row.closed_at and row.closed_at >= since)),
        key=leader_order,
        reverse=True,
    )
    assert PAGE_SIZE < len(expected) < len(led)  # more than a page, and some closed long ago

    pages = [await overview.led_cases(leader, number, f"c{number}") for number in range(1, 10)]

    shown = [row for page in pages for row in page.rows]
    assert shown == expected
    assert [page.more for page in pages if page.rows] == [True] * (len([p for p in pages if p.rows]) - 1) + [False]
    events = [event for event in await audit.overview_read_events() if event.action == "overview_leader"]
    shown_per_page = [" ".join(row.case_id for row in page.rows) for page in pages]
    assert sorted(event.detail for event in events) == sorted(shown_per_page)
