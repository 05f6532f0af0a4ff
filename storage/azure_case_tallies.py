"""The counts of the overview's case table on Azure Table Storage (storage/azure_case_table.py), kept as one entity
per unit in the tenant's partition beside the cases, so the statistics and the register's totals read one entity
per unit instead of every case (Table Storage cannot group).

- A unit entity per unit: RowKey "~c|<unit id>" (percent-quoted), with
  - `counts`: JSON {tally: {value: count}} of the unit's cases: the same tallies as the local table's
    (storage/sqlite_case_table.py: its cases, by month, channel, offender relation, SafetyNet, kind and action, and
    those acknowledged), and `register` by "<status>|<escalated 0/1>" for the register's totals;
  - `hours`: every acknowledged case's hours to acknowledge, sorted (JSON), for the median, cut into properties
    `hours`, `hours_1`, `hours_2` … of at most HOURS_CHARS characters each (a string property holds 32 K
    characters, an entity 1 MB: room for some 50,000 acknowledged cases in one unit);
  - the unit's name from its newest case (`newest`: report time, `case_id`, `name`).
- Each case entity keeps what it was counted as (`tallies`, `ack_hours`, `unit_counted`), so a new row moves the
  counts from its old facts to its new ones. `changes` turns that into operations conditioned on each unit entity's
  ETag, for the caller's entity group transaction with the case entity (atomic in the partition; made again on a
  conflict). A case entity written before these entities (no `unit_counted`) is counted once it is written again;
  the per-tally entities of that time ("~s|", "~u|") are no longer read.
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

from domain.case import CaseStatus
from domain.overview import CaseRow
from domain.statistics import TABLES, CaseCounts, hours_to_acknowledge, month_of, values_of

CASES, ACKNOWLEDGED, REGISTER = "cases", "acknowledged", "register"
UNIT = "~c|"
FACTS = ["unit_id", "tallies", "ack_hours", "unit_counted"]  # what a case entity was counted as
Tally = tuple[str, str, str]  # unit id, tally, value


def unit_key(unit_id: str) -> str:
    return f"{UNIT}{quote(unit_id, safe='')}"


def unit_of(key: str) -> str:
    return unquote(key[len(UNIT) :])


def upper(prefix: str) -> str:
    """The first RowKey after every key that starts with `prefix` (which ends in "|")."""
    return prefix[:-1] + "}"


def register_value(status: CaseStatus, escalated: bool) -> str:
    return f"{status.value}|{int(escalated)}"


def tallies_of(row: CaseRow) -> list[tuple[str, str]]:
    """What the case adds to in its unit: one tally each (several kinds and actions)."""
    counted = [(CASES, ""), ("period", month_of(row)), (REGISTER, register_value(row.status, row.escalated))]
    counted += [(name, value) for name, values in values_of(row).items() for value in values]
    if hours_to_acknowledge(row) is not None:
        counted.append((ACKNOWLEDGED, ""))
    return counted


def facts(row: CaseRow) -> dict[str, Any]:
    """The case entity's record of what it is counted as."""
    return {"tallies": json.dumps(tallies_of(row)), "ack_hours": hours_to_acknowledge(row), "unit_counted": True}


@dataclass
class UnitChange:
    name: tuple[str, str, str] | None = None  # (report time, case id, name) of a newer case
    removed: list[float] = field(default_factory=list[float])
    added: list[float] = field(default_factory=list[float])


@dataclass
class Delta:
    """How a set of rows moves the counts: per (unit, tally, value), and per unit."""

    tallies: Counter[Tally] = field(default_factory=Counter[Tally])
    units: dict[str, UnitChange] = field(default_factory=dict[str, UnitChange])

    def remove(self, old: Any) -> None:
        """Take away what a stored case entity was counted as (nothing, if it was written before these counts)."""
        if old is not None and old.get("unit_counted"):
            unit = old["unit_id"]
            self.tallies.subtract((unit, tally, value) for tally, value in json.loads(old["tallies"]))
            if old.get("ack_hours") is not None:
                self._unit(unit).removed.append(float(old["ack_hours"]))

    def add(self, row: CaseRow, old: Any) -> None:
        """Move the counts from the stored case entity `old` (or None) to `row`."""
        self.remove(old)
        self.tallies.update((row.unit_id, tally, value) for tally, value in tallies_of(row))
        change = self._unit(row.unit_id)
        hours = hours_to_acknowledge(row)
        if hours is not None:
            change.added.append(hours)
        newest = (row.reported_at.isoformat(), row.case_id, row.unit)
        if change.name is None or newest[:2] > change.name[:2]:
            change.name = newest

    def _unit(self, unit_id: str) -> UnitChange:
        return self.units.setdefault(unit_id, UnitChange())

    def unit_ids(self) -> list[str]:
        """The units whose entity this changes."""
        changed = {unit for (unit, _, _), count in self.tallies.items() if count} | set(self.units)
        return sorted(changed)

    def only(self, unit_ids: set[str]) -> Delta:
        """The part of this that changes these units."""
        return Delta(
            Counter({key: count for key, count in self.tallies.items() if key[0] in unit_ids}),
            {unit: change for unit, change in self.units.items() if unit in unit_ids},
        )


def replace_if_unchanged(stored: Any) -> dict[str, Any]:
    """The options of an "update" that replaces the stored entity only if it has not changed since it was read."""
    etag = stored.metadata["etag"]
    return {"mode": UpdateMode.REPLACE, "etag": etag, "match_condition": MatchConditions.IfNotModified}


HOURS_CHARS = 30_000  # under a string property's 32 K characters


def hours_properties(hours: list[float]) -> dict[str, str]:
    """The hours as JSON, cut into properties `hours`, `hours_1` … (read back by `hours_in`)."""
    text = json.dumps(hours)
    pieces = [text[start : start + HOURS_CHARS] for start in range(0, len(text), HOURS_CHARS)] or [text]
    return {("hours" if number == 0 else f"hours_{number}"): piece for number, piece in enumerate(pieces)}


def hours_in(entity: Any) -> list[float]:
    if entity is None:
        return []
    pieces: list[str] = []
    while (piece := entity.get("hours" if not pieces else f"hours_{len(pieces)}")) is not None:
        pieces.append(piece)
    return json.loads("".join(pieces)) if pieces else []


def counts_in(entity: Any) -> dict[str, dict[str, int]]:
    return json.loads(entity["counts"]) if entity is not None else {}


def changes(partition: str, delta: Delta, stored: dict[str, Any]) -> list[Any]:
    """Transaction operations that apply `delta` to the stored unit entities (`stored`: by unit id, those that
    exist), each conditioned on the ETag it was read with, or created."""
    operations: list[Any] = []
    by_unit: dict[str, list[tuple[str, str, int]]] = {unit: [] for unit in delta.unit_ids()}
    for (unit, tally, value), change in delta.tallies.items():
        if change:
            by_unit[unit].append((tally, value, change))
    for unit_id, moved in by_unit.items():
        found = stored.get(unit_id)
        counts = counts_in(found)
        for tally, value, change in moved:
            values = counts.setdefault(tally, {})
            values[value] = values.get(value, 0) + change
            if not values[value]:
                del values[value]
        hours = hours_in(found)
        newest = (found["newest"], found["case_id"], found["name"]) if found else ("", "", "")
        change = delta.units.get(unit_id)
        if change is not None:
            for each in change.removed:
                if each in hours:
                    hours.remove(each)
            for each in change.added:
                insort(hours, each)
            if change.name is not None and change.name[:2] >= newest[:2]:
                newest = change.name
        entity = {"PartitionKey": partition, "RowKey": unit_key(unit_id), **hours_properties(hours),
                  "counts": json.dumps({tally: values for tally, values in counts.items() if values}),
                  "newest": newest[0], "case_id": newest[1], "name": newest[2]}  # fmt: skip
        operations.append(("update", entity, replace_if_unchanged(found)) if found else ("create", entity))
    return operations


def counts_of(units: list[Any], unit_ids: frozenset[str] | None) -> CaseCounts:
    """The statistics' counts from the unit entities read (of these units only, when given)."""
    totals: dict[str, int] = {}
    names: dict[str, str] = {}
    cells: dict[str, dict[tuple[str, str], int]] = {name: {} for name in TABLES}
    acknowledged: dict[str, tuple[int, float | None]] = {}
    for entity in units:
        unit_id = unit_of(entity["RowKey"])
        counts = counts_in(entity)
        total = counts.get(CASES, {}).get("", 0)
        if total <= 0 or (unit_ids is not None and unit_id not in unit_ids):
            continue
        totals[unit_id], names[unit_id] = total, entity["name"]
        for name in TABLES:
            cells[name].update({(unit_id, value): n for value, n in counts.get(name, {}).items() if n > 0})
        hours = hours_in(entity)
        counted = counts.get(ACKNOWLEDGED, {}).get("", 0)
        if counted and hours:
            acknowledged[unit_id] = (counted, statistics.median(hours))
    return CaseCounts({unit: names[unit] for unit in sorted(totals)}, totals, cells, acknowledged)


def register_total(units: list[Any], status: CaseStatus | None, escalated_only: bool) -> int:
    """How many cases of these unit entities have the status (any, when None), escalated or (unless
    `escalated_only`) not."""
    total = 0
    for entity in units:
        for value, count in counts_in(entity).get(REGISTER, {}).items():
            state, escalated = value.split("|")
            if count > 0 and (status is None or state == status.value) and (escalated == "1" or not escalated_only):
                total += count
    return total
