"""The overview's case table on both backends (SQLite, Azure Table Storage on Azurite): rows replaced whole, the
leader's cases, the register filtered, sorted and paged exactly as domain.overview says, tenants kept apart."""

from __future__ import annotations

import asyncio
import itertools
import random
import sqlite3
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from benchmarks import overview as bench
from domain.case import CaseStatus
from domain.overview import (
    PAGE_SIZE,
    CaseRow,
    RegisterPage,
    RegisterQuery,
    SortKey,
    case_row,
    leader_order,
    leader_page,
    register_page,
)
from domain.statistics import case_counts
from storage.ports import CaseTable
from storage.sqlite_case_table import SqliteCaseTable
from tests.support.case_samples import DEPUTY, LEADER, REPORTED_AT, STRANGER, TENANT
from tests.unit.test_overview import FOLLOW_UPS, fresh_case, many_rows

BACKENDS = ["local", pytest.param("azure", marks=pytest.mark.azurite)]
NOW = REPORTED_AT + timedelta(days=3)
SINCE = REPORTED_AT - timedelta(days=300)  # the leader's list: closed since then


@pytest.fixture(params=BACKENDS)
async def table(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[CaseTable]:
    if request.param == "local":
        opened: CaseTable = SqliteCaseTable(tmp_path / "overview.sqlite3")
    else:
        from storage.azure_case_table import open_azure_case_table

        emulator = request.getfixturevalue("azurite")
        opened = await open_azure_case_table(emulator.connection_string, f"t{uuid.uuid4().hex[:12]}")
    try:
        yield opened
    finally:
        await opened.close()


def row_of(**changes: object) -> CaseRow:
    row = case_row(fresh_case(**changes), FOLLOW_UPS)
    assert row is not None
    return row


async def register_as_the_domain_says(
    table: CaseTable, rows: list[CaseRow], query: RegisterQuery
) -> tuple[RegisterPage, RegisterPage]:
    """The table's register page and domain.overview's for the same rows; their totals and case ids must agree."""
    expected = register_page(rows, query, NOW)
    found = await table.register(TENANT, query, NOW)
    assert (found.total, [row.case_id for row in found.rows]) == (
        expected.total,
        [row.case_id for row in expected.rows],
    ), query
    return found, expected


async def test_an_upsert_replaces_the_row_of_the_case(table: CaseTable) -> None:
    await table.upsert(row_of(status=CaseStatus.REPORTED))
    await table.upsert(row_of(status=CaseStatus.CLOSED))

    rows = await table.rows(TENANT)
    assert [(row.case_id, row.status) for row in rows] == [("case-fresh", CaseStatus.CLOSED)]


async def test_a_leader_and_a_deputy_get_the_cases_they_lead_and_nobody_else_does(table: CaseTable) -> None:
    await table.upsert(row_of(case_id="a", created_at=REPORTED_AT))
    await table.upsert(row_of(case_id="b", created_at=REPORTED_AT + timedelta(days=1)))
    await table.upsert(row_of(case_id="c", leader=STRANGER, deputy=None))
    await table.upsert(row_of(case_id="d", tenant_id="another-tenant"))

    async def led(tenant: str, aad: str | None) -> list[str]:
        return [row.case_id for row in (await table.led_by(tenant, aad or "", SINCE, 1)).rows]

    assert await led(TENANT, LEADER.aad_object_id) == ["b", "a"]
    assert await led(TENANT, DEPUTY.aad_object_id) == ["b", "a"]
    assert await led(TENANT, STRANGER.aad_object_id) == ["c"]
    assert await led(TENANT, "") == []
    assert await led("another-tenant", LEADER.aad_object_id) == ["d"]


async def test_a_case_given_to_another_leader_or_deleted_leaves_the_old_leaders_list(table: CaseTable) -> None:
    async def led(aad: str | None) -> list[str]:
        return [row.case_id for row in (await table.led_by(TENANT, aad or "", SINCE, 1)).rows]

    same_time = [row_of(case_id=case_id, created_at=REPORTED_AT) for case_id in ("a", "ab", "b", "a-1")]
    await table.upsert_many(same_time)
    assert await led(LEADER.aad_object_id) == ["b", "ab", "a-1", "a"]  # the same moment: by case id, descending

    await table.upsert(row_of(case_id="ab", created_at=REPORTED_AT, leader=STRANGER, deputy=None))
    await table.upsert_many([row_of(case_id="b", created_at=REPORTED_AT, leader=STRANGER, deputy=LEADER)])
    assert await led(LEADER.aad_object_id) == ["b", "a-1", "a"]
    assert await led(DEPUTY.aad_object_id) == ["a-1", "a"]
    assert await led(STRANGER.aad_object_id) == ["b", "ab"]
    assert await table.delete(TENANT, "b") == 1
    assert await led(LEADER.aad_object_id) == ["a-1", "a"] and await led(STRANGER.aad_object_id) == ["ab"]
    assert sorted(row.case_id for row in await table.rows(TENANT)) == ["a", "a-1", "ab"]


async def test_the_leaders_list_keeps_open_and_recently_closed_cases_a_page_at_a_time(table: CaseTable) -> None:
    leader = LEADER.aad_object_id or ""
    rows = []
    for number, row in enumerate(many_rows(130)):  # every fourth closed; reported an hour apart
        closed_at = SINCE + timedelta(days=1 if number % 8 == 0 else -1) if row.status is CaseStatus.CLOSED else None
        rows.append(row.model_copy(update={"closed_at": closed_at}))
    await table.upsert_many(rows)

    pages = [await table.led_by(TENANT, leader, SINCE, page) for page in (1, 2, 3)]

    expected = leader_page(rows, leader, SINCE, 1)
    assert pages[0] == expected and len(expected.rows) == PAGE_SIZE and expected.more
    shown = [row.case_id for page in pages for row in page.rows]
    kept = [row for row in rows if row.status is not CaseStatus.CLOSED or (row.closed_at and row.closed_at >= SINCE)]
    assert shown == [row.case_id for row in sorted(kept, key=leader_order, reverse=True)]
    assert len(kept) == 114 and [len(page.rows) for page in pages] == [50, 50, 14] and not pages[2].more


QUERIES = [
    RegisterQuery(),
    RegisterQuery(page=2),
    RegisterQuery(page=3),
    RegisterQuery(sort="unit", descending=False),
    RegisterQuery(sort="reference", descending=False, page=2),
    RegisterQuery(sort="status"),
    RegisterQuery(unit_id="unit-2", status=CaseStatus.REPORTED),
    RegisterQuery(overdue_only=True),
    RegisterQuery(escalated_only=True),
    RegisterQuery(reported_from=date(2026, 11, 21), reported_to=date(2026, 11, 22)),
    RegisterQuery(reference="VK-2026-01"),
    RegisterQuery(reference="%"),
]


async def test_the_register_answers_every_query_as_the_domain_rule_does(table: CaseTable) -> None:
    rows = many_rows(120)
    await table.upsert_many(rows[:110])  # in bulk (more than one Table Storage batch), the rest one by one
    for row in rows[110:]:
        await table.upsert(row)
    await table.upsert(row_of(case_id="elsewhere", tenant_id="another-tenant"))

    for query in QUERIES:
        await register_as_the_domain_says(table, rows, query)


def crafted_rows(count: int) -> list[CaseRow]:
    """Rows that try the register's order: unit names and references that start like each other or differ only in
    case, the same report time (to the microsecond, or one apart), case ids that are prefixes of each other, every
    status, escalated or not, deadlines passed or not, reports around Danish midnight."""
    rng = random.Random(20)
    units = [("u-a", "Enhed"), ("u-b", "Enhed 1"), ("u-c", "enhed 10"), ("u-d", "Ældreplejen"), ("u-e", "ældreplejen"),
             ("u-f", "Zulu|~!"), ("u-g", "")]  # fmt: skip
    references = ["VK-2026-0001", "vk-2026-0001", "VK-2026-00011", "VK-2026-01", "VK-2026-0100", "VK-2025-9999",
                  "vk-2026-01a", "Ø-1", "ø-10"]  # fmt: skip
    midnight = REPORTED_AT.replace(hour=23, minute=0)  # 00:00 in Copenhagen (winter time)
    rows = []
    for number, base in enumerate(many_rows(count)):
        unit_id, unit = rng.choice(units)
        reported = midnight + timedelta(hours=rng.choice(range(-30, 30, 6)), microseconds=rng.choice([0, 0, 1]))
        rows.append(base.model_copy(update={
            "case_id": rng.choice(["c", "c-", "c_", "C"]) + str(number),
            "unit_id": unit_id,
            "unit": unit,
            "reference": rng.choice(references) + ("" if number % 3 else str(number)),
            "reported_at": reported,
            "status": rng.choice([CaseStatus.REPORTED, CaseStatus.ACKNOWLEDGED, CaseStatus.CLOSED]),
            "escalated": rng.random() < 0.3,
            "first_open_due": rng.choice([None, NOW - timedelta(hours=1), NOW, NOW + timedelta(hours=1)]),
        }))  # fmt: skip
    return rows


SORTS: list[SortKey] = ["reported", "reference", "unit", "status"]
FILTERS = [
    RegisterQuery(),
    RegisterQuery(unit_id="u-b"),
    RegisterQuery(status=CaseStatus.CLOSED),
    RegisterQuery(unit_id="u-d", status=CaseStatus.REPORTED, escalated_only=True),
    RegisterQuery(overdue_only=True),
    RegisterQuery(escalated_only=True),
    RegisterQuery(reported_from=date(2026, 11, 21)),
    RegisterQuery(reported_to=date(2026, 11, 20), status=CaseStatus.ACKNOWLEDGED),
    RegisterQuery(reported_from=date(2026, 11, 20), reported_to=date(2026, 11, 21), unit_id="u-f"),
    RegisterQuery(reference="vk-2026-01"),
    RegisterQuery(reference="Ø-1", overdue_only=True),
    RegisterQuery(reference="nothing"),
]


async def test_the_register_index_answers_every_sort_direction_filter_and_page_as_the_domain_rule(
    table: CaseTable,
) -> None:
    rows = crafted_rows(130)
    await table.upsert_many(rows[:120])
    for row in rows[120:]:
        await table.upsert(row)
    moved = [
        row.model_copy(update={"status": CaseStatus.CLOSED, "unit_id": "u-a", "unit": "Enhed"}) for row in rows[:6]
    ]
    await table.upsert_many(moved[:3])  # facts that change move the case in every index
    for row in moved[3:]:
        await table.upsert(row)
    assert await table.delete(TENANT, rows[6].case_id) == 1
    await table.upsert(row_of(case_id="elsewhere", tenant_id="another-tenant"))
    current = moved + rows[7:]

    for base, sort, descending in itertools.product(FILTERS, SORTS, (False, True)):
        for page in (1, 2, 3):
            query = RegisterQuery(**{**base.__dict__, "sort": sort, "descending": descending, "page": page})
            found, expected = await register_as_the_domain_says(table, current, query)
            assert found.rows == expected.rows
            if len(expected.rows) < PAGE_SIZE:
                break
    assert register_page(current, RegisterQuery(), NOW).total == 129


async def test_the_statistics_read_the_rows_of_the_units_asked_for(table: CaseTable) -> None:
    for row in many_rows(9):
        await table.upsert(row)

    assert len(await table.rows(TENANT)) == 9
    assert {row.unit_id for row in await table.rows(TENANT, frozenset({"unit-1", "unit-2"}))} == {"unit-1", "unit-2"}
    assert len(await table.rows(TENANT, frozenset({"unit-1"}))) == 3
    assert await table.rows("another-tenant") == []


async def test_the_statistics_counts_are_the_domain_counts_of_the_rows(table: CaseTable) -> None:
    rows = list(bench.case_rows(160, 7, NOW))  # realistic rows: acknowledged or not, several kinds and actions
    await table.upsert_many(rows)
    await table.upsert(row_of(case_id="elsewhere", tenant_id="another-tenant"))
    await table.delete(bench.TENANT, rows[0].case_id)
    acknowledged = rows[1].reported_at + timedelta(hours=5)
    moved = rows[1].model_copy(update={"unit_id": bench.unit_id(4), "unit": "Enhed 004"})
    moved = moved.model_copy(update={"acknowledged_at": acknowledged})
    await table.upsert(moved)  # to another unit, acknowledged: counted there, no longer where it was
    await table.upsert_many(rows[2:60])  # written again in bulk: still counted once
    current = [moved, *rows[2:]]

    assert await table.counts(bench.TENANT) == case_counts(current)
    some = frozenset({bench.unit_id(1), bench.unit_id(4)})
    assert await table.counts(bench.TENANT, some) == case_counts([row for row in current if row.unit_id in some])


async def test_cases_of_one_unit_written_at_the_same_moment_are_all_listed_and_counted(table: CaseTable) -> None:
    """Every write changes its unit's counts: writers of one unit collide (on Azure, on the unit entity's ETag) and
    each is made again until it is stored, never dropped."""
    rows = [row_of(case_id=f"same-moment-{number}") for number in range(12)]
    await asyncio.gather(*(table.upsert(row) for row in rows))

    assert sorted(row.case_id for row in await table.rows(TENANT)) == sorted(row.case_id for row in rows)
    assert sum((await table.counts(TENANT)).unit_totals.values()) == len(rows)


async def test_sqlite_commits_rows_written_at_once_together_and_keeps_the_newest_of_each(tmp_path: Path) -> None:
    """Writes queued while a batch commits share the next transaction, in the order they were asked for."""
    table = SqliteCaseTable(tmp_path / "overview.sqlite3")
    try:
        writes = [row_of(case_id=f"c{number}", status=CaseStatus.REPORTED) for number in range(40)]
        writes += [row_of(case_id=f"c{number}", status=CaseStatus.CLOSED) for number in range(0, 40, 2)]
        await asyncio.gather(*(table.upsert(row) for row in writes), table.delete(TENANT, "c39"))

        rows = {row.case_id: row.status for row in await table.rows(TENANT)}
        assert len(rows) == 39 and "c39" not in rows
        assert {rows[f"c{number}"] for number in range(0, 39, 2)} == {CaseStatus.CLOSED}
        assert {rows[f"c{number}"] for number in range(1, 39, 2)} == {CaseStatus.REPORTED}
        assert sum((await table.counts(TENANT)).unit_totals.values()) == 39
        assert table._writes.batches < len(writes) // 4  # pyright: ignore[reportPrivateUsage]
    finally:
        await table.close()


async def test_sqlite_fills_what_it_did_not_keep_before_the_statistics_closing_times_and_folded_references(
    tmp_path: Path,
) -> None:
    rows = list(bench.case_rows(60, 3, NOW))
    table = SqliteCaseTable(tmp_path / "overview.sqlite3")
    await table.upsert_many(rows)
    await table.close()
    with sqlite3.connect(tmp_path / "overview.sqlite3") as older:
        older.executescript(  # as a database from before them
            "drop table case_facts; drop table case_tallies; alter table case_rows drop column closed_at; "
            "drop index case_rows_by_reference_key; alter table case_rows drop column reference_key"
        )

    table = SqliteCaseTable(tmp_path / "overview.sqlite3")
    try:
        assert await table.counts(bench.TENANT) == case_counts(rows)
        since, leader = NOW - timedelta(days=365), rows[0].leader_id
        assert any(row.closed_at for row in rows if row.leader_id == leader)
        assert await table.led_by(bench.TENANT, leader, since, 1) == leader_page(rows, leader, since, 1)
        query = RegisterQuery(reference=rows[0].reference.lower())
        assert (await table.register(bench.TENANT, query, NOW)).rows == register_page(rows, query, NOW).rows
    finally:
        await table.close()


@pytest.mark.azurite
async def test_azure_indexes_and_counts_a_case_written_before_its_indexes_when_it_is_written_again(
    request: pytest.FixtureRequest,
) -> None:
    from azure.data.tables.aio import TableClient

    from storage.azure_case_table import open_azure_case_table, table_name

    connection, prefix = request.getfixturevalue("azurite").connection_string, f"t{uuid.uuid4().hex[:12]}"
    table = await open_azure_case_table(connection, prefix)
    row = row_of(case_id="older")
    async with TableClient.from_connection_string(connection, table_name(prefix)) as raw:
        await raw.create_entity(  # as the table wrote a case before it kept the index
            {"PartitionKey": f"t-{TENANT}", "RowKey": row.case_id, "leader_id": row.leader_id,
             "deputy_id": row.deputy_id, "reported_at": row.reported_at.isoformat(), "row": row.model_dump_json(),
             "counted": True, "tallies": "[]"}  # counted as the per-tally entities of that time were
        )  # fmt: skip
    try:
        assert (await table.led_by(TENANT, row.leader_id, SINCE, 1)).rows == []
        assert (await table.register(TENANT, RegisterQuery(sort="unit"), NOW)).rows == []
        await table.upsert(row.model_copy(update={"deputy_id": ""}))
        assert [found.case_id for found in (await table.led_by(TENANT, row.leader_id, SINCE, 1)).rows] == ["older"]
        assert (await table.led_by(TENANT, row.deputy_id, SINCE, 1)).rows == []
        await table.upsert(row.model_copy(update={"deputy_id": "", "status": CaseStatus.CLOSED}))  # and again
        for sort, descending in itertools.product(SORTS, (False, True)):
            page = await table.register(TENANT, RegisterQuery(sort=sort, descending=descending), NOW)
            assert ([found.case_id for found in page.rows], page.total) == (["older"], 1)
        closed = await table.register(TENANT, RegisterQuery(status=CaseStatus.CLOSED, reference="vk"), NOW)
        assert ([found.status for found in closed.rows], closed.total) == ([CaseStatus.CLOSED], 1)
        assert (await table.counts(TENANT)).unit_totals == {row.unit_id: 1}
    finally:
        await table.close()


async def test_retention_deletes_a_row_in_its_tenant_only(table: CaseTable) -> None:
    kept, gone = row_of(case_id="case-kept"), row_of(case_id="case-gone")
    await table.upsert(kept)
    await table.upsert(gone)
    assert await table.delete("another-tenant", gone.case_id) == 0
    assert await table.delete(TENANT, gone.case_id) == 1
    assert await table.delete(TENANT, gone.case_id) == 0
    assert [row.case_id for row in await table.rows(TENANT)] == [kept.case_id]
