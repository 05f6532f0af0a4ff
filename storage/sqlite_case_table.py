"""The overview's case table in a local SQLite database (`DATA_DIR/overview.sqlite3`, private like every file there).

One row per case: the columns the lists filter and sort on, indexed per tenant (an index for each sort, one that
covers every filter for the register's count), and the whole row as JSON. The filter and the sort say what
domain.overview.matches and sort_value say (tests/integration/test_case_table.py holds both backends to the
in-memory rule). For the statistics each case also has its facts (`case_facts`: what domain.statistics counts of
it) and the tenant keeps tallies per unit (`case_tallies`), moved from a case's old facts to its new ones in the
same transaction as its row, so the statistics read a few thousand tallies instead of every case; rows written
before the tallies existed are counted when the table is opened. A reference prefix is found through an index on
the case-folded reference (`reference_key`, folded as domain.overview.matches folds it: SQLite's lower() folds ASCII
only), filled when a table from before it is opened. Reads run in the event loop (indexed, a page at a time).
Writes go to one storage thread in batches (storage/write_batches.py): every write queued while a batch commits
goes into the next transaction, in the order queued, so a busy bot pays one hand-over and one commit per batch, not
per case; a batch that fails fails its own writes (a case's row is written again with the case's next change).
Several processes of one machine may share the file (WAL, busy timeout).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from domain.overview import PAGE_SIZE, CaseRow, LeaderPage, RegisterPage, RegisterQuery, reported_between
from domain.statistics import TABLES, CaseCounts, hours_to_acknowledge, month_of, values_of
from storage.private_files import touch_private
from storage.write_batches import WriteBatches

_SCHEMA = """
create table if not exists case_rows (
    case_id text primary key,
    tenant text not null,
    reference text not null,
    unit_id text not null,
    unit_sort text not null,
    status text not null,
    reported_at text not null,
    leader_id text not null,
    deputy_id text not null,
    escalated integer not null,
    closed integer not null,
    first_open_due text,
    row text not null,
    closed_at text,
    reference_key text not null default ''
);
create index if not exists case_rows_reported on case_rows (tenant, reported_at);
drop index if exists case_rows_leader;
drop index if exists case_rows_deputy;
create index if not exists case_rows_led on case_rows (tenant, leader_id, reported_at, case_id);
create index if not exists case_rows_deputised on case_rows (tenant, deputy_id, reported_at, case_id);
create index if not exists case_rows_unit on case_rows (tenant, unit_id, reported_at);
create index if not exists case_rows_by_reference on case_rows (tenant, reference, case_id);
create index if not exists case_rows_by_unit on case_rows (tenant, unit_sort, case_id);
create index if not exists case_rows_by_status on case_rows (tenant, status, case_id);
drop index if exists case_rows_by_reference_prefix;
create index if not exists case_rows_by_reference_key on case_rows (tenant, reference_key);
create index if not exists case_rows_filters
    on case_rows (tenant, unit_id, status, escalated, closed, first_open_due, reported_at, reference);
create table if not exists case_facts (
    case_id text primary key,
    tenant text not null,
    unit_id text not null,
    unit text not null,
    reported_at text not null,
    month text not null,
    channel text not null,
    offender_relation text not null,
    safetynet text not null,
    kinds text not null,
    actions text not null,
    ack_hours real
);
create index if not exists case_facts_unit on case_facts (tenant, unit_id, reported_at, unit);
create index if not exists case_facts_acknowledged on case_facts (tenant, unit_id, ack_hours);
create table if not exists case_tallies (
    tenant text not null,
    unit_id text not null,
    tally text not null,
    value text not null,
    count integer not null,
    primary key (tenant, unit_id, tally, value)
) without rowid;
"""
CASES, ACKNOWLEDGED = "cases", "acknowledged"  # tallies of their own: a unit's cases, and those acknowledged
# Columns added after the first release, with how an older table's rows fill them: the closing time (the leader's
# list keeps closed cases 12 months) and the case-folded reference (SQLite's lower() folds ASCII only).
_ADDED_COLUMNS: tuple[tuple[str, str, Callable[[CaseRow], Any]], ...] = (
    ("closed_at", "text", lambda row: utc_text(row.closed_at) if row.closed_at else None),
    ("reference_key", "text not null default ''", lambda row: row.reference.casefold()),
)
_SORT_COLUMNS = {"reported": "reported_at", "reference": "reference", "unit": "unit_sort", "status": "status"}
BUSY_TIMEOUT_SECONDS = 10.0
_UPSERT = "insert or replace into case_rows values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_UPSERT_FACTS = "insert or replace into case_facts values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_COUNT = (
    "insert into case_tallies values (?, ?, ?, ?, ?) "
    "on conflict (tenant, unit_id, tally, value) do update set count = count + excluded.count"
)


def utc_text(moment: datetime) -> str:
    """A time as sortable text: ISO 8601 in UTC."""
    return moment.astimezone(UTC).isoformat()


def _values(row: CaseRow) -> tuple[Any, ...]:
    return (
        row.case_id,
        row.tenant_id,
        row.reference,
        row.unit_id,
        row.unit.casefold(),
        row.status.value,
        utc_text(row.reported_at),
        row.leader_id,
        row.deputy_id,
        int(row.escalated),
        int(row.status.value == "closed"),
        utc_text(row.first_open_due) if row.first_open_due else None,
        row.model_dump_json(),
        utc_text(row.closed_at) if row.closed_at else None,
        row.reference.casefold(),
    )


def _facts(row: CaseRow) -> tuple[Any, ...]:
    """What the statistics count of the case (domain.statistics), one column each."""
    values = values_of(row)
    return (
        row.case_id,
        row.tenant_id,
        row.unit_id,
        row.unit,
        utc_text(row.reported_at),
        month_of(row),
        values["channel"][0],
        values["offender_relation"][0],
        values["safetynet"][0],
        json.dumps(values["kind"]),
        json.dumps(values["action"]),
        hours_to_acknowledge(row),
    )


def _tallies(facts: tuple[Any, ...], change: int) -> list[tuple[Any, ...]]:
    """The counts a case's facts add to (change 1) or take from (change -1)."""
    _, tenant, unit_id, _, _, month, channel, relation, safetynet, kinds, actions, ack_hours = facts
    counted = [(CASES, ""), ("period", month), ("channel", channel), ("offender_relation", relation),
               ("safetynet", safetynet)]  # fmt: skip
    counted += [("kind", kind) for kind in json.loads(kinds)] + [("action", action) for action in json.loads(actions)]
    if ack_hours is not None:
        counted.append((ACKNOWLEDGED, ""))
    return [(tenant, unit_id, tally, value, change) for tally, value in counted]


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, check_same_thread=False, isolation_level=None)
    connection.execute("pragma journal_mode=wal")
    connection.execute("pragma synchronous=full")
    return connection


@dataclass(frozen=True)
class _Write:
    """Rows to store (their values and facts), or one case to delete (tenant, case id)."""

    upserts: list[tuple[tuple[Any, ...], tuple[Any, ...]]] = field(default_factory=list)
    deletes: tuple[str, str] | None = None


class SqliteCaseTable:
    def __init__(self, path: Path) -> None:
        touch_private(path)
        self._writer = _connect(path)
        self._add_columns()
        self._writer.executescript(_SCHEMA)
        self._fill_facts()
        self._reader = _connect(path)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vaern-overview")
        self._writes = WriteBatches[_Write, int](self._executor, self._write_batch, max_threads=1)

    async def upsert(self, row: CaseRow) -> None:
        await self._writes.submit(_Write(upserts=[(_values(row), _facts(row))]))

    async def upsert_many(self, rows: list[CaseRow]) -> None:
        """Store many rows in one write (seeding, a rebuild): one commit instead of one per row."""
        await self._writes.submit(_Write(upserts=[(_values(row), _facts(row)) for row in rows]))

    async def delete(self, tenant_id: str, case_id: str) -> int:
        return await self._writes.submit(_Write(deletes=(tenant_id, case_id)))

    def _write_batch(self, writes: list[_Write]) -> list[int]:
        """In the storage thread: the writes in one transaction (if it fails, all of them fail with it)."""
        with self._transaction():
            return [self._apply(write) for write in writes]

    def _apply(self, write: _Write) -> int:
        """One write in the caller's transaction: rows stored (upserts) or deleted."""
        if write.deletes is not None:
            tenant_id, case_id = write.deletes
            cursor = self._writer.execute(
                "delete from case_rows where case_id = ? and tenant = ?", (case_id, tenant_id)
            )
            self._forget_facts([case_id], tenant_id)
            return cursor.rowcount
        self._writer.executemany(_UPSERT, [row for row, _ in write.upserts])
        self._store_facts([facts for _, facts in write.upserts])
        return len(write.upserts)

    def _store_facts(self, facts: list[tuple[Any, ...]]) -> None:
        """Replace the cases' facts and move the tallies from their old facts to the new (in the caller's
        transaction)."""
        self._forget_facts([each[0] for each in facts], None)
        self._writer.executemany(_UPSERT_FACTS, facts)
        self._writer.executemany(_COUNT, [tally for each in facts for tally in _tallies(each, 1)])

    def _forget_facts(self, case_ids: list[str], tenant_id: str | None) -> None:
        old: list[tuple[Any, ...]] = []
        for case_id in case_ids:
            old += self._writer.execute("select * from case_facts where case_id = ?", (case_id,)).fetchall()
        old = [each for each in old if tenant_id is None or each[1] == tenant_id]
        self._writer.executemany(_COUNT, [tally for each in old for tally in _tallies(each, -1)])
        self._writer.executemany("delete from case_facts where case_id = ?", [(each[0],) for each in old])

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self._writer.execute("begin immediate")  # the write lock first: the tallies are read, then changed
        try:
            yield
        except BaseException:
            self._writer.execute("rollback")
            raise
        self._writer.execute("commit")

    def _add_columns(self) -> None:
        """A table from before a column of `_ADDED_COLUMNS` gets it, filled from each row's JSON (once)."""
        columns = {name for (_, name, *_) in self._writer.execute("pragma table_info(case_rows)")}
        if not columns:
            return
        for name, definition, value in _ADDED_COLUMNS:
            if name in columns:
                continue
            with self._transaction():
                self._writer.execute(f"alter table case_rows add column {name} {definition}")
                found = self._writer.execute("select case_id, row from case_rows").fetchall()
                self._writer.executemany(
                    f"update case_rows set {name} = ? where case_id = ?",
                    [(value(CaseRow.model_validate_json(data)), case_id) for case_id, data in found],
                )

    def _fill_facts(self) -> None:
        """Count the rows written before the statistics had their own tables (once, when the table is opened)."""
        (rows,) = self._writer.execute("select count(*) from case_rows").fetchone()
        (facts,) = self._writer.execute("select count(*) from case_facts").fetchone()
        if rows == facts:  # every write keeps both, so equal counts mean nothing is missing (and a quick start)
            return
        missing = "select row from case_rows where case_id not in (select case_id from case_facts)"
        found = self._writer.execute(missing).fetchall()
        if found:
            with self._transaction():
                self._store_facts([_facts(CaseRow.model_validate_json(data)) for (data,) in found])

    def _rows(self, sql: str, parameters: list[Any]) -> list[CaseRow]:
        return [CaseRow.model_validate_json(data) for (data,) in self._reader.execute(sql, parameters)]

    async def led_by(self, tenant_id: str, aad_object_id: str, since: datetime, page: int) -> LeaderPage:
        if not aad_object_id:
            return LeaderPage([], page, more=False)
        # Two indexed lookups: with "leader_id = ? or deputy_id = ?" SQLite walks every row of the tenant by date.
        recent = "(closed = 0 or closed_at >= ?)"
        sql = (
            f"select row, reported_at, case_id from case_rows where tenant = ? and leader_id = ? and {recent} "
            f"union select row, reported_at, case_id from case_rows where tenant = ? and deputy_id = ? and {recent} "
            "order by reported_at desc, case_id desc limit ? offset ?"
        )
        after = utc_text(since)
        parameters = [tenant_id, aad_object_id, after, tenant_id, aad_object_id, after]
        found = self._reader.execute(sql, [*parameters, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE]).fetchall()
        rows = [CaseRow.model_validate_json(data) for (data, _, _) in found[:PAGE_SIZE]]
        return LeaderPage(rows, page, more=len(found) > PAGE_SIZE)

    async def register(self, tenant_id: str, query: RegisterQuery, now: datetime) -> RegisterPage:
        where, parameters = ["tenant = ?"], [tenant_id]
        if query.unit_id is not None:
            where.append("unit_id = ?")
            parameters.append(query.unit_id)
        if query.status is not None:
            where.append("status = ?")
            parameters.append(query.status.value)
        if query.overdue_only:
            where.append("closed = 0 and first_open_due is not null and first_open_due <= ?")
            parameters.append(utc_text(now))
        if query.escalated_only:
            where.append("escalated = 1")
        start, end = reported_between(query)
        if start is not None:
            where.append("reported_at >= ?")
            parameters.append(utc_text(start))
        if end is not None:
            where.append("reported_at < ?")
            parameters.append(utc_text(end))
        if query.reference:
            # The range lets the index on reference_key find the prefix; "like" keeps the exact rule.
            where.append("reference_key >= ? and reference_key < ? and reference_key like ? escape '\\'")
            prefix = query.reference.casefold()
            escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            parameters += [prefix, prefix + "\U0010ffff", f"{escaped}%"]
        condition = " and ".join(where)
        (total,) = self._reader.execute(f"select count(*) from case_rows where {condition}", parameters).fetchone()
        direction = "desc" if query.descending else "asc"
        order = f"{_SORT_COLUMNS[query.sort]} {direction}, case_id {direction}"
        sql = f"select row from case_rows where {condition} order by {order} limit ? offset ?"
        rows = self._rows(sql, [*parameters, PAGE_SIZE, (query.page - 1) * PAGE_SIZE])
        return RegisterPage(rows, total, query.page)

    async def rows(self, tenant_id: str, unit_ids: frozenset[str] | None = None) -> list[CaseRow]:
        if unit_ids is None:
            return self._rows("select row from case_rows where tenant = ?", [tenant_id])
        found: list[CaseRow] = []
        for unit_id in sorted(unit_ids):
            found += self._rows("select row from case_rows where tenant = ? and unit_id = ?", [tenant_id, unit_id])
        return found

    async def counts(self, tenant_id: str, unit_ids: frozenset[str] | None = None) -> CaseCounts:
        """The statistics' counts from the tallies kept at every write; each unit's name (of its newest case) and
        median hours to acknowledge by an index lookup."""
        where, parameters = "tenant = ?", [tenant_id]
        if unit_ids is not None:
            where += f" and unit_id in ({', '.join('?' * len(unit_ids))})"
            parameters += sorted(unit_ids)
        totals: dict[str, int] = {}
        counted: dict[str, int] = {}
        cells: dict[str, dict[tuple[str, str], int]] = {name: {} for name in TABLES}
        sql = f"select unit_id, tally, value, count from case_tallies where {where} and count > 0"
        for unit_id, tally, value, count in self._reader.execute(sql, parameters):
            if tally == CASES:
                totals[unit_id] = count
            elif tally == ACKNOWLEDGED:
                counted[unit_id] = count
            else:
                cells[tally][(unit_id, value)] = count
        units: dict[str, str] = {}
        acknowledged: dict[str, tuple[int, float | None]] = {}
        for unit_id in sorted(totals):
            (units[unit_id],) = self._reader.execute(
                "select unit from case_facts where tenant = ? and unit_id = ? order by reported_at desc limit 1",
                (tenant_id, unit_id),
            ).fetchone()
            count = counted.get(unit_id, 0)
            if count:  # the median: the middle value, or the mean of the two in the middle
                middle = self._reader.execute(
                    "select ack_hours from case_facts where tenant = ? and unit_id = ? and ack_hours is not null "
                    "order by ack_hours limit ? offset ?",
                    (tenant_id, unit_id, 2 - count % 2, (count - 1) // 2),
                ).fetchall()
                acknowledged[unit_id] = (count, sum(hours for (hours,) in middle) / len(middle))
        return CaseCounts(units, totals, cells, acknowledged)

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._executor, self._writer.close)  # after queued writes
        self._executor.shutdown(wait=True)
        self._reader.close()
