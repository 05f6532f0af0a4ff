"""The statistics' counts of the overview's case table on Azure Table Storage (storage/azure_case_table.py), kept as
entities in the tenant's partition beside the cases, so the statistics read a few thousand small entities instead
of every case (Table Storage cannot group).

- A tally entity per unit, table and value: RowKey "~s|<unit id>|<tally>|<value>" (each part percent-quoted), with
  `count`: the same tallies as the local table's (storage/sqlite_case_table.py: a unit's cases, its cases by month,
  channel, offender relation, SafetyNet, kind and action, and those acknowledged).
- A unit entity per unit: RowKey "~u|<unit id>", the unit's name from its newest case (`newest`: report time and
  case id) and every acknowledged case's hours to acknowledge, sorted (`hours`, JSON), for the median.
- Each case entity keeps what it was counted as (`tallies`, `ack_hours`), so a new row moves the counts from its old
  facts to its new ones. `changes` turns that into operations conditioned on each entity's ETag, for the caller's
  entity group transaction with the case entity (atomic in the partition; made again on a conflict).
What the statistics count and suppress is domain.statistics' rule; this module only adds up. A unit's name stays
that of its newest case even when retention deletes that case (until another is written).
"""

from __future__ import annotations

import json
import statistics
from bisect import insort
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote

from azure.core import MatchConditions
from azure.data.tables import UpdateMode

from domain.overview import CaseRow
from domain.statistics import TABLES, CaseCounts, hours_to_acknowledge, month_of, values_of

CASES, ACKNOWLEDGED = "cases", "acknowledged"
TALLY, UNIT = "~s|", "~u|"
FACTS = ["unit_id", "tallies", "ack_hours", "counted"]  # what a case entity was counted as


def _q(text: str) -> str:
    return quote(text, safe="")


def tally_key(unit_id: str, tally: str, value: str) -> str:
    return f"{TALLY}{_q(unit_id)}|{tally}|{_q(value)}"


def unit_tallies(unit_id: str) -> str:
    """The start of every RowKey of a unit's tallies."""
    return f"{TALLY}{_q(unit_id)}|"


def unit_key(unit_id: str) -> str:
    return f"{UNIT}{_q(unit_id)}"


def upper(prefix: str) -> str:
    """The first RowKey after every key that starts with `prefix` (which ends in "|")."""
    return prefix[:-1] + "}"


def tally_keys(row: CaseRow) -> list[str]:
    """What the case adds to: one tally each (several kinds and actions)."""
    counted = [(CASES, ""), ("period", month_of(row))]
    counted += [(name, value) for name, values in values_of(row).items() for value in values]
    if hours_to_acknowledge(row) is not None:
        counted.append((ACKNOWLEDGED, ""))
    return [tally_key(row.unit_id, tally, value) for tally, value in counted]


def facts(row: CaseRow) -> dict[str, Any]:
    """The case entity's record of what it is counted as."""
    return {"tallies": json.dumps(tally_keys(row)), "ack_hours": hours_to_acknowledge(row), "counted": True}


@dataclass
class UnitChange:
    name: tuple[str, str, str] | None = None  # (report time, case id, name) of a newer case
    removed: list[float] = field(default_factory=list[float])
    added: list[float] = field(default_factory=list[float])


@dataclass
class Delta:
    """How a set of rows moves the counts: per tally key, and per unit."""

    tallies: Counter[str] = field(default_factory=Counter[str])
    units: dict[str, UnitChange] = field(default_factory=dict[str, UnitChange])

    def remove(self, old: Any) -> None:
        """Take away what a stored case entity was counted as (nothing, if it was written before the tallies)."""
        if old is not None and old.get("counted"):
            self.tallies.subtract(json.loads(old["tallies"]))
            if old.get("ack_hours") is not None:
                self._unit(old["unit_id"]).removed.append(float(old["ack_hours"]))

    def add(self, row: CaseRow, old: Any) -> None:
        """Move the counts from the stored case entity `old` (or None) to `row`."""
        self.remove(old)
        self.tallies.update(tally_keys(row))
        change = self._unit(row.unit_id)
        hours = hours_to_acknowledge(row)
        if hours is not None:
            change.added.append(hours)
        newest = (row.reported_at.isoformat(), row.case_id, row.unit)
        if change.name is None or newest[:2] > change.name[:2]:
            change.name = newest

    def _unit(self, unit_id: str) -> UnitChange:
        return self.units.setdefault(unit_id, UnitChange())

    def entity_keys(self) -> list[str]:
        """The RowKeys of the tally and unit entities this changes."""
        return [key for key, count in self.tallies.items() if count] + [unit_key(unit) for unit in self.units]


def _condition(stored: Any) -> dict[str, Any]:
    etag = stored.metadata["etag"]
    return {"mode": UpdateMode.REPLACE, "etag": etag, "match_condition": MatchConditions.IfNotModified}


def changes(partition: str, delta: Delta, stored: dict[str, Any]) -> list[Any]:
    """Transaction operations that apply `delta` to the stored tally and unit entities (`stored`: by RowKey, those
    that exist), each conditioned on the ETag it was read with, or created."""
    operations: list[Any] = []
    for key, change in delta.tallies.items():
        if not change:
            continue
        found = stored.get(key)
        entity = {"PartitionKey": partition, "RowKey": key, "count": (found["count"] if found else 0) + change}
        operations.append(("update", entity, _condition(found)) if found else ("create", entity))
    for unit_id, change in delta.units.items():
        key = unit_key(unit_id)
        found = stored.get(key)
        hours: list[float] = json.loads(found["hours"]) if found else []
        for each in change.removed:
            if each in hours:
                hours.remove(each)
        for each in change.added:
            insort(hours, each)
        newest = (found["newest"], found["case_id"], found["name"]) if found else ("", "", "")
        if change.name is not None and change.name[:2] >= newest[:2]:
            newest = change.name
        entity = {"PartitionKey": partition, "RowKey": key, "hours": json.dumps(hours), "newest": newest[0],
                  "case_id": newest[1], "name": newest[2]}  # fmt: skip
        operations.append(("update", entity, _condition(found)) if found else ("create", entity))
    return operations


def counts_of(tallies: list[Any], units: list[Any], unit_ids: frozenset[str] | None) -> CaseCounts:
    """The statistics' counts from the tally and unit entities read (of these units only, when given)."""
    totals: dict[str, int] = {}
    counted: dict[str, int] = {}
    cells: dict[str, dict[tuple[str, str], int]] = {name: {} for name in TABLES}
    for entity in tallies:
        count = int(entity["count"])
        unit_part, tally, value_part = entity["RowKey"][len(TALLY) :].split("|")
        unit_id = unquote(unit_part)
        if count <= 0 or (unit_ids is not None and unit_id not in unit_ids):
            continue
        if tally == CASES:
            totals[unit_id] = count
        elif tally == ACKNOWLEDGED:
            counted[unit_id] = count
        else:
            cells[tally][(unit_id, unquote(value_part))] = count
    names: dict[str, str] = {}
    acknowledged: dict[str, tuple[int, float | None]] = {}
    for entity in units:
        unit_id = unquote(entity["RowKey"][len(UNIT) :])
        if unit_id not in totals:
            continue
        names[unit_id] = entity["name"]
        hours: list[float] = json.loads(entity["hours"])
        if counted.get(unit_id) and hours:
            acknowledged[unit_id] = (counted[unit_id], statistics.median(hours))
    return CaseCounts({unit: names.get(unit, "") for unit in sorted(totals)}, totals, cells, acknowledged)
