"""The overview's case table on Azure Table Storage (STORAGE_BACKEND=azure; Azurite serves it in tests).

Table `<prefix>cases`, one partition per tenant ("t-" + its id, so a case without a tenant has a key too).
- A case entity per case: RowKey the case id, the columns the queries filter on, the whole row as JSON (`row`),
  and the RowKeys of its register index entities (`register_keys`).
- A leader index entity per case and person who leads it (leader, deputy): RowKey "~l|<aad id>|<inverted report
  time>|<inverted case id>", so one person's cases are one RowKey range, newest first (domain.overview.leader_order),
  with the closing time to filter on and the row as JSON. The leader's list is that range query, never a read of
  the tenant.
- Register index entities, eight per case: one per sort the register offers (domain.overview.SortKey) and
  direction, RowKey "~r|<sort>|<a or d>|<sort value>|<case id>", the values encoded so the RowKey order is
  domain.overview.sort_value's order (ascending: the UTF-8 bytes in hex, then "!"; descending: each byte's
  complement in hex, then "~"). Table Storage reads a range in ascending RowKey order only, so a descending page
  needs keys of its own: a second set, rather than reading a range from its end (which the service cannot do).
  Each holds the row as JSON and the columns the register filters on (unit, status, escalated, closed, the first
  open deadline, report time, the reference case-folded), so a page is one range query filtered by the service,
  read in order and stopped after the page. A sort value longer than SORT_BYTES bytes is cut there (its order is
  then the case id's among values that share those bytes).
- The register's total: a filter of unit, status and escalated only is added up from the unit entities' counts
  (storage/azure_case_tallies.py); any other filter (overdue, dates, a reference) counts the matching register
  index entities of the report-time set (the date range as a RowKey range, the rest as the service's filter, only
  the RowKeys read).
- Index RowKeys start with "~", after every case id (letters, digits, - and _), so the other queries read case
  entities only ("RowKey lt '~'").
- Consistency: `upsert` and `delete` change a case entity and its index entities in one entity group transaction
  (atomic within the partition; at most 1 + 10 deletes + 10 writes + 2 unit entities, well under the 100 a
  transaction may hold), the case entity's ETag checked (made again on a conflict), so the indexes are always the
  case's. `upsert_many` (seeding, a rebuild) writes them apart for speed, in an order that fails closed: stale
  index entities are deleted before the cases change and the new ones written after, so a failure can leave a
  case missing from a list until it is written again, never shown to someone who no longer leads it or with facts
  it no longer has. A case entity written before an index existed (no `indexed`, no `register_keys`) has no
  entities of it: written again, it gets them.
- Unit entities for the statistics and the register's totals (storage/azure_case_tallies.py), changed in the same
  transaction as the case entity, so the statistics read one entity per unit, never the cases. `upsert_many`
  applies them after the cases, BATCH_SIZE units a transaction, each ETag checked: a bulk write that stops part way
  leaves the counts short until the table is rebuilt (every row written again into an empty table). A case written
  before the unit entities is counted once it is written again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.data.tables import TableTransactionError, UpdateMode
from azure.data.tables.aio import TableClient, TableServiceClient

from domain.overview import (
    PAGE_SIZE,
    CaseRow,
    LeaderPage,
    RegisterPage,
    RegisterQuery,
    SortKey,
    reported_between,
    sort_value,
)
from domain.statistics import CaseCounts
from storage import azure_case_tallies as tallies
from storage.azure_account import AzureAccount, as_account, close_with_credential, service_client
from storage.sqlite_case_table import utc_text

# Queries name the RowKey range first: Azurite evaluates a filter on every entity of the table, left to right.
SELECTED = ["row"]
BATCH_SIZE = 100  # the most one entity group transaction may hold
CASES_ONLY = "RowKey lt '~'"  # case entities, not index entities
LEADS = ["leader_id", "deputy_id", "reported_at", "indexed", "register_keys", *tallies.FACTS]  # its index, counts
TRIES = 20  # a transaction made again after a concurrent change of the same case or of its unit's counts
FIRST_PAUSE_SECONDS, MAX_PAUSE_SECONDS = 0.005, 0.2  # before a try again: random, below a doubling bound
CONFLICT = (409, 412)  # created meanwhile, or changed since it was read
PARALLEL = 16  # requests at once in a bulk write
SORTS: tuple[SortKey, ...] = ("reported", "reference", "unit", "status")
SORT_BYTES = 150  # of a sort value in a register RowKey (a RowKey may hold 1 KiB)
MOST_PER_REQUEST = 1000  # entities the service returns in one response
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_LIMIT = 10**17  # microseconds since 1970, more than any report time


def table_name(prefix: str) -> str:
    """Letters and digits, starting with a letter (the service's rule for table names)."""
    return f"{'t' if prefix[:1].isdigit() else ''}{prefix}cases"


def _partition(tenant_id: str) -> str:
    return f"t-{tenant_id}"


def _inverted(case_id: str, reported_at: datetime) -> str:
    """Text that sorts ascending as the leader's list sorts descending: the report time, then the case id (its
    characters' complements in hex, with "~" after, so a longer id sorts before its own prefix)."""
    micros = (reported_at.astimezone(UTC) - _EPOCH) // timedelta(microseconds=1)
    return f"{_EPOCH_LIMIT - micros:018d}|{''.join(f'{255 - ord(c):02x}' for c in case_id)}~"


def _led_prefix(aad_object_id: str) -> str:
    return f"~l|{aad_object_id}|"


def _index_keys(case_id: str, reported_at: datetime, leads: tuple[str, str]) -> set[str]:
    return {f"{_led_prefix(aad)}{_inverted(case_id, reported_at)}" for aad in leads if aad}


def _hex(text: str, descending: bool) -> str:
    """A sort value as RowKey text in the same order (each byte's complement for descending), without its end."""
    data = text.encode()[:SORT_BYTES]
    return bytes(255 - byte for byte in data).hex() if descending else data.hex()


def _register_prefix(sort: SortKey, descending: bool) -> str:
    return f"~r|{sort}|{'d' if descending else 'a'}|"


def _register_key(row: CaseRow, sort: SortKey, descending: bool) -> str:
    """The row's place in the register sorted so: "!" ends a value ascending (before any longer value that starts
    the same), "~" descending (after it)."""
    end = "~" if descending else "!"
    primary, case_id = sort_value(row, sort)
    return f"{_register_prefix(sort, descending)}{_hex(primary, descending)}{end}{_hex(case_id, descending)}{end}"


def _register_keys(row: CaseRow) -> set[str]:
    return {_register_key(row, sort, descending) for sort in SORTS for descending in (False, True)}


def _new_keys(row: CaseRow) -> set[str]:
    return _index_keys(row.case_id, row.reported_at, (row.leader_id, row.deputy_id)) | _register_keys(row)


def _index_entity(row: CaseRow, key: str, data: str) -> dict[str, Any]:
    entity = {
        "PartitionKey": _partition(row.tenant_id),
        "RowKey": key,
        "closed": row.status.value == "closed",
        "closed_at": utc_text(row.closed_at) if row.closed_at else "",
        "row": data,
    }
    if key.startswith("~r|"):
        entity |= {
            "unit_id": row.unit_id,
            "status": row.status.value,
            "escalated": row.escalated,
            "first_open_due": utc_text(row.first_open_due) if row.first_open_due else "",
            "reported_at": utc_text(row.reported_at),
            "reference_key": row.reference.casefold(),
        }
    return entity


def _old_keys(case_id: str, old: dict[str, Any] | None) -> set[str]:
    """The index entities the stored case entity has (none of an index it was written before)."""
    if old is None:
        return set()
    found: set[str] = set(json.loads(old.get("register_keys") or "[]"))
    if old.get("indexed"):
        reported = datetime.fromisoformat(old["reported_at"])
        found |= _index_keys(case_id, reported, (old.get("leader_id", ""), old.get("deputy_id", "")))
    return found


def _entity(row: CaseRow) -> dict[str, Any]:
    return {
        "PartitionKey": _partition(row.tenant_id),
        "RowKey": row.case_id,
        "unit_id": row.unit_id,
        "status": row.status.value,
        "leader_id": row.leader_id,
        "deputy_id": row.deputy_id,
        "escalated": row.escalated,
        "reported_at": utc_text(row.reported_at),
        "row": row.model_dump_json(),
        "indexed": True,
        "register_keys": json.dumps(sorted(_register_keys(row))),
        **tallies.facts(row),
    }


def _register_filter(query: RegisterQuery, now: datetime) -> tuple[str, dict[str, Any]]:
    """The register's filter on the index entities' columns (domain.overview.matches, as OData)."""
    condition, parameters = "", dict[str, Any]()
    if query.unit_id is not None:
        condition += " and unit_id eq @unit"
        parameters["unit"] = query.unit_id
    if query.status is not None:
        condition += " and status eq @status"
        parameters["status"] = query.status.value
    if query.overdue_only:
        condition += " and closed eq false and first_open_due ne '' and first_open_due le @now"
        parameters["now"] = utc_text(now)
    if query.escalated_only:
        condition += " and escalated eq true"
    start, end = reported_between(query)
    if start is not None:
        condition += " and reported_at ge @start"
        parameters["start"] = utc_text(start)
    if end is not None:
        condition += " and reported_at lt @end"
        parameters["end"] = utc_text(end)
    if query.reference:
        # Every case-folded reference that starts with it, and only those (the service compares UTF-16 units).
        condition += " and reference_key ge @reference and reference_key lt @after"
        parameters["reference"] = query.reference.casefold()
        parameters["after"] = query.reference.casefold() + "\uffff"
    return condition, parameters


def _reported_range(query: RegisterQuery, descending: bool) -> tuple[str, str]:
    """The RowKey range of the report-time set that holds the query's dates (all of it without dates)."""
    prefix = _register_prefix("reported", descending)
    start, end = reported_between(query)
    if descending:  # "~~" after a value: after every key of that value
        first = f"{prefix}{_hex(utc_text(end), True)}~~" if end else prefix
        last = f"{prefix}{_hex(utc_text(start), True)}~~" if start else tallies.upper(prefix)
    else:
        first = f"{prefix}{_hex(utc_text(start), False)}" if start else prefix
        last = f"{prefix}{_hex(utc_text(end), False)}" if end else tallies.upper(prefix)
    return first, last


def _counted_by_units(query: RegisterQuery) -> bool:
    """The total comes from the unit entities' counts: no filter but unit, status and escalated."""
    return not (query.overdue_only or query.reported_from or query.reported_to or query.reference)


class AzureCaseTable:
    def __init__(self, table: TableClient, service: TableServiceClient) -> None:
        self._table = table
        self._service = service

    async def upsert(self, row: CaseRow) -> None:
        """The case entity and its index entities in one transaction, made again if the case changed meanwhile."""

        async def operations() -> list[Any]:
            old = await self._stored(row.tenant_id, row.case_id)
            entity = _entity(row)
            stale = _old_keys(row.case_id, old)
            new = _new_keys(row)
            write = ("update", entity, tallies.replace_if_unchanged(old)) if old is not None else ("create", entity)
            made: list[Any] = [write]
            made += [("delete", {"PartitionKey": entity["PartitionKey"], "RowKey": key}) for key in stale - new]
            made += [("upsert", _index_entity(row, key, entity["row"]), {"mode": UpdateMode.REPLACE}) for key in new]
            delta = tallies.Delta()
            delta.add(row, old)
            return made + tallies.changes(entity["PartitionKey"], delta, await self._units(row.tenant_id, delta))

        await self._transaction(operations)

    async def _transaction(self, operations: Callable[[], Awaitable[list[Any] | None]]) -> bool:
        """Submit what `operations` makes (None: nothing to do, False), made anew from a fresh read when a concurrent
        change of the same entities fails the transaction (409/412), at most TRIES times; any other failure at once."""
        for attempt in range(TRIES):
            if attempt:  # the writers of one unit's counts collide: each waits a random while, longer each time
                await asyncio.sleep(random.uniform(0, min(MAX_PAUSE_SECONDS, FIRST_PAUSE_SECONDS * 2**attempt)))
            made = await operations()
            if made is None:
                return False
            try:
                await self._table.submit_transaction(made)
                return True
            except TableTransactionError as error:
                if error.status_code not in CONFLICT or attempt == TRIES - 1:
                    raise
        return False

    async def _units(self, tenant_id: str, delta: tallies.Delta) -> dict[str, Any]:
        """The unit entities `delta` changes that exist, by unit id."""
        units = delta.unit_ids()
        found = await asyncio.gather(*(self._stored(tenant_id, tallies.unit_key(unit), None) for unit in units))
        return {unit: entity for unit, entity in zip(units, found, strict=True) if entity is not None}

    async def _apply(self, tenant_id: str, delta: tallies.Delta) -> None:
        """Apply a bulk write's counts, BATCH_SIZE unit entities a transaction, each made again on a conflict."""
        units = delta.unit_ids()
        for start in range(0, len(units), BATCH_SIZE):
            some = delta.only(set(units[start : start + BATCH_SIZE]))

            async def operations(some: tallies.Delta = some) -> list[Any]:
                return tallies.changes(_partition(tenant_id), some, await self._units(tenant_id, some))

            await self._transaction(operations)

    async def _stored(self, tenant_id: str, case_id: str, select: list[str] | None = LEADS) -> Any:
        try:
            if select is None:
                return await self._table.get_entity(_partition(tenant_id), case_id)
            return await self._table.get_entity(_partition(tenant_id), case_id, select=select)
        except ResourceNotFoundError:
            return None

    async def upsert_many(self, rows: list[CaseRow]) -> None:
        """Store many rows (seeding, a rebuild) in batch transactions (up to BATCH_SIZE entities of one partition
        each): the stale index entities, then the case entities, then their index entities (the
        order that fails closed: the module's docstring), then the counts."""
        limit = asyncio.Semaphore(PARALLEL)

        async def stored(row: CaseRow) -> Any:
            async with limit:
                return await self._stored(row.tenant_id, row.case_id)

        olds = await asyncio.gather(*(stored(row) for row in rows))
        changes = [(row, _old_keys(row.case_id, old), _new_keys(row)) for row, old in zip(rows, olds, strict=True)]
        await self._in_batches(
            [("delete", {"PartitionKey": _partition(row.tenant_id), "RowKey": key})
             for row, stale, new in changes for key in stale - new]
        )  # fmt: skip
        await self._in_batches([("upsert", _entity(row), {"mode": UpdateMode.REPLACE}) for row in rows])
        await self._in_batches(
            [("upsert", _index_entity(row, key, data), {"mode": UpdateMode.REPLACE})
             for row, _, new in changes for data in [row.model_dump_json()] for key in new]
        )  # fmt: skip
        deltas: dict[str, tallies.Delta] = {}
        for row, old in zip(rows, olds, strict=True):
            deltas.setdefault(row.tenant_id, tallies.Delta()).add(row, old)
        for tenant_id, delta in deltas.items():
            await self._apply(tenant_id, delta)

    async def _in_batches(self, operations: list[Any]) -> None:
        """One transaction after another (Azurite resets connections when batch transactions overlap)."""
        by_partition: dict[str, list[Any]] = {}
        for operation in operations:
            by_partition.setdefault(operation[1]["PartitionKey"], []).append(operation)
        for some in by_partition.values():
            for start in range(0, len(some), BATCH_SIZE):
                await self._table.submit_transaction(some[start : start + BATCH_SIZE])

    async def delete(self, tenant_id: str, case_id: str) -> int:
        """The case entity and its index entities in one transaction."""
        partition = _partition(tenant_id)

        async def operations() -> list[Any] | None:
            old = await self._stored(tenant_id, case_id)
            if old is None:
                return None
            condition = {"etag": old.metadata["etag"], "match_condition": MatchConditions.IfNotModified}
            made: list[Any] = [("delete", {"PartitionKey": partition, "RowKey": case_id}, condition)]
            made += [("delete", {"PartitionKey": partition, "RowKey": key}) for key in _old_keys(case_id, old)]
            delta = tallies.Delta()
            delta.remove(old)
            return made + tallies.changes(partition, delta, await self._units(tenant_id, delta))

        return 1 if await self._transaction(operations) else 0

    async def _query(self, query_filter: str, parameters: dict[str, Any]) -> list[CaseRow]:
        found: list[CaseRow] = []
        entities = self._table.query_entities(query_filter, parameters=parameters, select=SELECTED)
        async for entity in entities:
            found.append(CaseRow.model_validate_json(entity["row"]))
        return found

    async def led_by(self, tenant_id: str, aad_object_id: str, since: datetime, page: int) -> LeaderPage:
        """One RowKey range of the person's index entities, newest first; the service drops the old closed ones."""
        if not aad_object_id:
            return LeaderPage([], page, more=False)
        prefix = _led_prefix(aad_object_id)
        entities = self._table.query_entities(
            "RowKey gt @first and RowKey lt @last and PartitionKey eq @tenant and ( closed eq false or "
            "closed_at ge @since )",  # the SDK fills in "@name " only
            parameters={
                "tenant": _partition(tenant_id),
                "first": prefix,
                "last": prefix + "~",
                "since": utc_text(since),
            },
            select=SELECTED,
            results_per_page=min(MOST_PER_REQUEST, page * PAGE_SIZE + 1),
        )
        skip, rows = (page - 1) * PAGE_SIZE, list[CaseRow]()
        async for entity in entities:
            if skip:
                skip -= 1
                continue
            if len(rows) == PAGE_SIZE:
                return LeaderPage(rows, page, more=True)
            rows.append(CaseRow.model_validate_json(entity["row"]))
        return LeaderPage(rows, page, more=False)

    async def register(self, tenant_id: str, query: RegisterQuery, now: datetime) -> RegisterPage:
        """A page read in order from the register index of the query's sort, and the total (module docstring)."""
        condition, parameters = _register_filter(query, now)
        rows, total = await asyncio.gather(
            self._register_rows(tenant_id, query, condition, parameters),
            self._register_total(tenant_id, query, condition, parameters),
        )
        return RegisterPage(rows, total, query.page)

    async def _register_rows(
        self, tenant_id: str, query: RegisterQuery, condition: str, parameters: dict[str, Any]
    ) -> list[CaseRow]:
        if query.sort == "reported":
            first, last = _reported_range(query, query.descending)
        else:
            first = _register_prefix(query.sort, query.descending)
            last = tallies.upper(first)
        entities = self._table.query_entities(
            f"RowKey ge @first and RowKey lt @last and PartitionKey eq @tenant{condition}",
            parameters={"tenant": _partition(tenant_id), "first": first, "last": last, **parameters},
            select=SELECTED,
            results_per_page=min(MOST_PER_REQUEST, query.page * PAGE_SIZE),
        )
        skip, rows = (query.page - 1) * PAGE_SIZE, list[CaseRow]()
        async for entity in entities:
            if skip:
                skip -= 1
                continue
            rows.append(CaseRow.model_validate_json(entity["row"]))
            if len(rows) == PAGE_SIZE:
                break
        return rows

    async def _register_total(
        self, tenant_id: str, query: RegisterQuery, condition: str, parameters: dict[str, Any]
    ) -> int:
        if _counted_by_units(query):
            if query.unit_id is not None:
                found = await self._stored(tenant_id, tallies.unit_key(query.unit_id), ["counts"])
                units = [] if found is None else [found]
            else:
                units = await self._range(tenant_id, tallies.UNIT, ["RowKey", "counts"])
            return tallies.register_total(units, query.status, query.escalated_only)
        first, last = _reported_range(query, descending=False)
        entities = self._table.query_entities(
            f"RowKey ge @first and RowKey lt @last and PartitionKey eq @tenant{condition}",
            parameters={"tenant": _partition(tenant_id), "first": first, "last": last, **parameters},
            select=["RowKey"],
            results_per_page=MOST_PER_REQUEST,
        )
        return sum([1 async for _ in entities])

    async def rows(self, tenant_id: str, unit_ids: frozenset[str] | None = None) -> list[CaseRow]:
        rows = await self._query(f"PartitionKey eq @tenant and {CASES_ONLY}", {"tenant": _partition(tenant_id)})
        return rows if unit_ids is None else [row for row in rows if row.unit_id in unit_ids]

    async def counts(self, tenant_id: str, unit_ids: frozenset[str] | None = None) -> CaseCounts:
        """From the unit entities (storage/azure_case_tallies.py): one RowKey range for every unit, or a point read
        of each unit asked for."""
        if unit_ids is None:
            units = await self._range(tenant_id, tallies.UNIT)
        else:
            found = await _gathered(self._stored(tenant_id, tallies.unit_key(unit), None) for unit in sorted(unit_ids))
            units = [entity for entity in found if entity is not None]
        return tallies.counts_of(units, unit_ids)

    async def _range(self, tenant_id: str, prefix: str, select: list[str] | None = None) -> list[Any]:
        entities = self._table.query_entities(
            "RowKey ge @first and RowKey lt @last and PartitionKey eq @tenant",
            parameters={"tenant": _partition(tenant_id), "first": prefix, "last": tallies.upper(prefix)},
            select=select,
            results_per_page=MOST_PER_REQUEST,
        )
        return [entity async for entity in entities]

    async def close(self) -> None:
        await self._table.close()
        await close_with_credential(self._service)


async def _gathered(reads: Iterable[Awaitable[Any]]) -> list[Any]:
    return list(await asyncio.gather(*reads))


async def open_azure_case_table(account: AzureAccount | str, prefix: str) -> AzureCaseTable:
    """Connect (a connection string, or the account URL with a managed identity) and create the table if missing."""
    service: TableServiceClient = service_client(as_account(account), "table", TableServiceClient)
    name = table_name(prefix)
    try:
        with contextlib.suppress(ResourceExistsError):
            await service.create_table(name)
        table = service.get_table_client(name)
    except BaseException:
        await close_with_credential(service)
        raise
    return AzureCaseTable(table, service)
