"""The overview's case table on Azure Table Storage (STORAGE_BACKEND=azure; Azurite serves it in tests).

Table `<prefix>cases`, one partition per tenant ("t-" + its id, so a case without a tenant has a key too).
- A case entity per case: RowKey the case id, the columns the queries filter on, and the whole row as JSON (`row`).
- A leader index entity per case and person who leads it (leader, deputy): RowKey "~l|<aad id>|<inverted report
  time>|<inverted case id>", so one person's cases are one RowKey range, newest first (domain.overview.leader_order),
  with the closing time to filter on and the row as JSON. The leader's list is that range query, never a read of
  the tenant. Index RowKeys start with "~", after every case id (letters, digits, - and _), so the other queries
  read case entities only ("RowKey lt '~'").
- Consistency: `upsert` and `delete` change a case entity and its index entities in one entity group transaction
  (atomic within the partition), the case entity's ETag checked (made again on a conflict), so the index is always
  the case's. `upsert_many` (seeding, a rebuild) writes them apart for speed, in an order that fails closed: a stale
  index entity is deleted before the case changes and the new one written after, so a failure can leave a case
  missing from a list until it is written again, never shown to someone who no longer leads it. A case entity
  written before the index existed (no `indexed`) has no index entities: written again, it gets them.
- Tally and unit entities for the statistics (storage/azure_case_tallies.py), changed in the same transaction as
  the case entity, so the statistics read those, never the cases. `upsert_many` applies them after the cases, a
  batch at a time, each ETag checked: a bulk write that stops part way leaves the counts short until the table is
  rebuilt (every row written again into an empty table). A case written before the tallies is counted once it is
  written again.
The register is still sorted and paged here after a partition query filtered by the service: it reads every case
entity of the tenant that passes the filter.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.data.tables import TableTransactionError, UpdateMode
from azure.data.tables.aio import TableClient, TableServiceClient

from domain.overview import PAGE_SIZE, CaseRow, LeaderPage, RegisterPage, RegisterQuery, register_page
from domain.statistics import CaseCounts
from storage import azure_case_tallies as tallies
from storage.azure_account import AzureAccount, as_account, close_with_credential, service_client
from storage.sqlite_case_table import utc_text

SELECTED = ["row"]
BATCH_SIZE = 100  # the most one entity group transaction may hold
CASES_ONLY = "RowKey lt '~'"  # case entities, not index entities
LEADS = ["leader_id", "deputy_id", "reported_at", "indexed", *tallies.FACTS]  # its index entities, its counts
TRIES = 5  # a transaction made again after a concurrent change of the same case
PARALLEL = 16  # requests at once in a bulk write
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


def _new_keys(row: CaseRow) -> set[str]:
    return _index_keys(row.case_id, row.reported_at, (row.leader_id, row.deputy_id))


def _index_entity(row: CaseRow, key: str, data: str) -> dict[str, Any]:
    return {
        "PartitionKey": _partition(row.tenant_id),
        "RowKey": key,
        "closed": row.status.value == "closed",
        "closed_at": utc_text(row.closed_at) if row.closed_at else "",
        "row": data,
    }


def _old_keys(case_id: str, old: dict[str, Any] | None) -> set[str]:
    """The index entities the stored case entity has (none before the index existed)."""
    if old is None or not old.get("indexed"):
        return set()
    reported = datetime.fromisoformat(old["reported_at"])
    return _index_keys(case_id, reported, (old.get("leader_id", ""), old.get("deputy_id", "")))


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
        **tallies.facts(row),
    }


class AzureCaseTable:
    def __init__(self, table: TableClient, service: TableServiceClient) -> None:
        self._table = table
        self._service = service

    async def upsert(self, row: CaseRow) -> None:
        """The case entity and its index entities in one transaction, made again if the case changed meanwhile."""
        for attempt in range(TRIES):
            old = await self._stored(row.tenant_id, row.case_id)
            entity = _entity(row)
            stale = _old_keys(row.case_id, old)
            new = _new_keys(row)
            operations: list[Any] = [
                (
                    "update",
                    entity,
                    {
                        "mode": UpdateMode.REPLACE,
                        "etag": old.metadata["etag"],
                        "match_condition": MatchConditions.IfNotModified,
                    },
                )
                if old is not None
                else ("create", entity)
            ]
            operations += [("delete", {"PartitionKey": entity["PartitionKey"], "RowKey": key}) for key in stale - new]
            operations += [
                ("upsert", _index_entity(row, key, entity["row"]), {"mode": UpdateMode.REPLACE}) for key in new
            ]
            delta = tallies.Delta()
            delta.add(row, old)
            operations += tallies.changes(entity["PartitionKey"], delta, await self._entities(row.tenant_id, delta))
            try:
                await self._table.submit_transaction(operations)
                return
            except TableTransactionError:
                if attempt == TRIES - 1:
                    raise

    async def _entities(self, tenant_id: str, delta: tallies.Delta) -> dict[str, Any]:
        """The tally and unit entities `delta` changes that exist, by RowKey."""
        found = await asyncio.gather(*(self._stored(tenant_id, key, None) for key in delta.entity_keys()))
        return {entity["RowKey"]: entity for entity in found if entity is not None}

    async def _apply(self, tenant_id: str, delta: tallies.Delta) -> None:
        """Apply a bulk write's counts, BATCH_SIZE entities a transaction, each made again on a conflict."""
        keys = delta.entity_keys()
        for start in range(0, len(keys), BATCH_SIZE):
            part = set(keys[start : start + BATCH_SIZE])
            some = tallies.Delta(
                Counter({key: count for key, count in delta.tallies.items() if key in part}),
                {unit: change for unit, change in delta.units.items() if tallies.unit_key(unit) in part},
            )
            for attempt in range(TRIES):
                operations = tallies.changes(_partition(tenant_id), some, await self._entities(tenant_id, some))
                try:
                    await self._table.submit_transaction(operations)
                    break
                except TableTransactionError:
                    if attempt == TRIES - 1:
                        raise

    async def _stored(self, tenant_id: str, case_id: str, select: list[str] | None = LEADS) -> Any:
        try:
            if select is None:
                return await self._table.get_entity(_partition(tenant_id), case_id)
            return await self._table.get_entity(_partition(tenant_id), case_id, select=select)
        except ResourceNotFoundError:
            return None

    async def upsert_many(self, rows: list[CaseRow]) -> None:
        """Store many rows (seeding, a rebuild) in batch transactions (up to BATCH_SIZE entities of one partition
        each): the stale index entities, then the case entities, then their index entities (the order that fails
        closed: the module's docstring), then the counts."""
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
            [("upsert", _index_entity(row, key, row.model_dump_json()), {"mode": UpdateMode.REPLACE})
             for row, _, new in changes for key in new]
        )  # fmt: skip
        deltas: dict[str, tallies.Delta] = {}
        for row, old in zip(rows, olds, strict=True):
            deltas.setdefault(row.tenant_id, tallies.Delta()).add(row, old)
        for tenant_id, delta in deltas.items():
            await self._apply(tenant_id, delta)

    async def _in_batches(self, operations: list[Any]) -> None:
        by_partition: dict[str, list[Any]] = {}
        for operation in operations:
            by_partition.setdefault(operation[1]["PartitionKey"], []).append(operation)
        for some in by_partition.values():
            for start in range(0, len(some), BATCH_SIZE):
                await self._table.submit_transaction(some[start : start + BATCH_SIZE])

    async def delete(self, tenant_id: str, case_id: str) -> int:
        """The case entity and its index entities in one transaction."""
        for attempt in range(TRIES):
            old = await self._stored(tenant_id, case_id)
            if old is None:
                return 0
            partition = _partition(tenant_id)
            condition = {"etag": old.metadata["etag"], "match_condition": MatchConditions.IfNotModified}
            operations: list[Any] = [("delete", {"PartitionKey": partition, "RowKey": case_id}, condition)]
            operations += [("delete", {"PartitionKey": partition, "RowKey": key}) for key in _old_keys(case_id, old)]
            delta = tallies.Delta()
            delta.remove(old)
            operations += tallies.changes(partition, delta, await self._entities(tenant_id, delta))
            try:
                await self._table.submit_transaction(operations)
                return 1
            except TableTransactionError:
                if attempt == TRIES - 1:
                    raise
        return 0

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
            "PartitionKey eq @tenant and RowKey gt @first and RowKey lt @last and ( closed eq false or "
            "closed_at ge @since )",  # the SDK fills in "@name " only
            parameters={
                "tenant": _partition(tenant_id),
                "first": prefix,
                "last": prefix + "~",
                "since": utc_text(since),
            },
            select=SELECTED,
            results_per_page=min(1000, page * PAGE_SIZE + 1),
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
        condition, parameters = f"PartitionKey eq @tenant and {CASES_ONLY}", {"tenant": _partition(tenant_id)}
        if query.unit_id is not None:
            condition += " and unit_id eq @unit"
            parameters["unit"] = query.unit_id
        if query.status is not None:
            condition += " and status eq @status"
            parameters["status"] = query.status.value
        if query.escalated_only:
            condition += " and escalated eq true"
        return register_page(await self._query(condition, parameters), query, now)

    async def rows(self, tenant_id: str, unit_ids: frozenset[str] | None = None) -> list[CaseRow]:
        rows = await self._query(f"PartitionKey eq @tenant and {CASES_ONLY}", {"tenant": _partition(tenant_id)})
        return rows if unit_ids is None else [row for row in rows if row.unit_id in unit_ids]

    async def counts(self, tenant_id: str, unit_ids: frozenset[str] | None = None) -> CaseCounts:
        """From the tally and unit entities (storage/azure_case_tallies.py): RowKey ranges, one per unit asked for."""
        prefixes = [tallies.TALLY] if unit_ids is None else [tallies.unit_tallies(unit) for unit in sorted(unit_ids)]
        found = [await self._range(tenant_id, prefix) for prefix in prefixes]
        units = await self._range(tenant_id, tallies.UNIT)
        return tallies.counts_of([entity for each in found for entity in each], units, unit_ids)

    async def _range(self, tenant_id: str, prefix: str) -> list[Any]:
        entities = self._table.query_entities(
            "PartitionKey eq @tenant and RowKey ge @first and RowKey lt @last",
            parameters={"tenant": _partition(tenant_id), "first": prefix, "last": tallies.upper(prefix)},
        )
        return [entity async for entity in entities]

    async def close(self) -> None:
        await self._table.close()
        await close_with_credential(self._service)


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
