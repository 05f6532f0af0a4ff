"""The overview's case table in a local SQLite database (`DATA_DIR/overview.sqlite3`, private like every file there).

One row per case: the columns the lists filter and sort on, indexed per tenant, and the whole row as JSON. The
filter and the sort say what domain.overview.matches and sort_value say (tests/integration/test_case_table.py holds
both backends to the in-memory rule). Reads run in the event loop (indexed, a page at a time); writes take a lock
and run in a thread, so a commit's fsync never stalls the loop. Several processes of one machine may share the
file (WAL, busy timeout).
"""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from domain.overview import PAGE_SIZE, CaseRow, RegisterPage, RegisterQuery, reported_between
from storage.private_files import touch_private

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
    row text not null
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
create index if not exists case_rows_filters
    on case_rows (tenant, unit_id, status, escalated, closed, first_open_due, reported_at, reference);
"""
_SORT_COLUMNS = {"reported": "reported_at", "reference": "reference", "unit": "unit_sort", "status": "status"}
BUSY_TIMEOUT_SECONDS = 10.0
_UPSERT = "insert or replace into case_rows values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"


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
    )


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, check_same_thread=False, isolation_level=None)
    connection.execute("pragma journal_mode=wal")
    connection.execute("pragma synchronous=full")
    return connection


class SqliteCaseTable:
    def __init__(self, path: Path) -> None:
        touch_private(path)
        self._writer = _connect(path)
        self._writer.executescript(_SCHEMA)
        self._reader = _connect(path)
        self._lock = asyncio.Lock()

    async def upsert(self, row: CaseRow) -> None:
        values = _values(row)
        async with self._lock:
            await asyncio.to_thread(self._write, values)

    async def upsert_many(self, rows: list[CaseRow]) -> None:
        """Store many rows in one transaction (seeding, a rebuild): one commit instead of one per row."""
        values = [_values(row) for row in rows]
        async with self._lock:
            await asyncio.to_thread(self._write_many, values)

    async def delete(self, tenant_id: str, case_id: str) -> int:
        async with self._lock:
            return await asyncio.to_thread(self._delete, tenant_id, case_id)

    def _delete(self, tenant_id: str, case_id: str) -> int:
        cursor = self._writer.execute("delete from case_rows where case_id = ? and tenant = ?", (case_id, tenant_id))
        return cursor.rowcount

    def _write(self, values: tuple[Any, ...]) -> None:
        self._writer.execute(_UPSERT, values)

    def _write_many(self, values: list[tuple[Any, ...]]) -> None:
        self._writer.execute("begin")
        try:
            self._writer.executemany(_UPSERT, values)
        except BaseException:
            self._writer.execute("rollback")
            raise
        self._writer.execute("commit")

    def _rows(self, sql: str, parameters: list[Any]) -> list[CaseRow]:
        return [CaseRow.model_validate_json(data) for (data,) in self._reader.execute(sql, parameters)]

    async def led_by(self, tenant_id: str, aad_object_id: str) -> list[CaseRow]:
        if not aad_object_id:
            return []
        # Two indexed lookups: with "leader_id = ? or deputy_id = ?" SQLite walks every row of the tenant by date.
        sql = (
            "select row, reported_at, case_id from case_rows where tenant = ? and leader_id = ? "
            "union select row, reported_at, case_id from case_rows where tenant = ? and deputy_id = ? "
            "order by reported_at desc, case_id desc"
        )
        found = self._reader.execute(sql, [tenant_id, aad_object_id, tenant_id, aad_object_id])
        return [CaseRow.model_validate_json(data) for (data, _, _) in found]

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
            where.append("lower(reference) like ? escape '\\'")
            escaped = query.reference.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            parameters.append(f"{escaped}%")
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

    async def close(self) -> None:
        async with self._lock:
            self._writer.close()
            self._reader.close()
