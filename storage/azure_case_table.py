"""The overview's case table on Azure Table Storage (STORAGE_BACKEND=azure; Azurite serves it in tests).

Table `<prefix>cases`; one entity per case: PartitionKey the tenant ("t-" + its id, so a case without a tenant has
a key too), RowKey the case id, the columns the queries filter on, and the whole row as JSON (`row`). An upsert
replaces the entity. The leader's list and the register are partition queries filtered by the service; the
register is sorted and paged here (the service sorts only by its keys), with the rule of domain.overview. The
statistics are counted here from every row of the tenant (Table Storage cannot group). Bulk writes (`upsert_many`)
go in batch transactions of one partition.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.data.tables import UpdateMode
from azure.data.tables.aio import TableClient, TableServiceClient

from domain.overview import CaseRow, LeaderPage, RegisterPage, RegisterQuery, leader_page, register_page
from domain.statistics import CaseCounts, case_counts
from storage.azure_account import AzureAccount, as_account, close_with_credential, service_client
from storage.sqlite_case_table import utc_text

SELECTED = ["row"]
BATCH_SIZE = 100  # the most one entity group transaction may hold


def table_name(prefix: str) -> str:
    """Letters and digits, starting with a letter (the service's rule for table names)."""
    return f"{'t' if prefix[:1].isdigit() else ''}{prefix}cases"


def _partition(tenant_id: str) -> str:
    return f"t-{tenant_id}"


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
    }


class AzureCaseTable:
    def __init__(self, table: TableClient, service: TableServiceClient) -> None:
        self._table = table
        self._service = service

    async def upsert(self, row: CaseRow) -> None:
        await self._table.upsert_entity(_entity(row), mode=UpdateMode.REPLACE)

    async def upsert_many(self, rows: list[CaseRow]) -> None:
        """Store many rows in batch transactions (up to BATCH_SIZE entities of one partition each): seeding, a
        rebuild."""
        by_partition: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_partition.setdefault(_partition(row.tenant_id), []).append(_entity(row))
        for entities in by_partition.values():
            for start in range(0, len(entities), BATCH_SIZE):
                batch = entities[start : start + BATCH_SIZE]
                await self._table.submit_transaction(
                    [("upsert", entity, {"mode": UpdateMode.REPLACE}) for entity in batch]
                )

    async def delete(self, tenant_id: str, case_id: str) -> int:
        try:
            await self._table.get_entity(_partition(tenant_id), case_id, select=["RowKey"])
        except ResourceNotFoundError:
            return 0
        await self._table.delete_entity(_partition(tenant_id), case_id)
        return 1

    async def _query(self, query_filter: str, parameters: dict[str, Any]) -> list[CaseRow]:
        found: list[CaseRow] = []
        entities = self._table.query_entities(query_filter, parameters=parameters, select=SELECTED)
        async for entity in entities:
            found.append(CaseRow.model_validate_json(entity["row"]))
        return found

    async def led_by(self, tenant_id: str, aad_object_id: str, since: datetime, page: int) -> LeaderPage:
        if not aad_object_id:
            return LeaderPage([], page, more=False)
        rows = await self._query(
            "PartitionKey eq @tenant and ( leader_id eq @me or deputy_id eq @me )",  # the SDK fills in "@me " only
            {"tenant": _partition(tenant_id), "me": aad_object_id},
        )
        return leader_page(rows, aad_object_id, since, page)

    async def register(self, tenant_id: str, query: RegisterQuery, now: datetime) -> RegisterPage:
        condition, parameters = "PartitionKey eq @tenant", {"tenant": _partition(tenant_id)}
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
        rows = await self._query("PartitionKey eq @tenant", {"tenant": _partition(tenant_id)})
        return rows if unit_ids is None else [row for row in rows if row.unit_id in unit_ids]

    async def counts(self, tenant_id: str, unit_ids: frozenset[str] | None = None) -> CaseCounts:
        """Counted here from every row of the partition (the service has no grouping)."""
        return case_counts(await self.rows(tenant_id, unit_ids))

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
