"""Statistics of the cases without exposing anyone: counts per unit and period, channel, kind, offender relation,
actions taken and SafetyNet registration, and the median time to acknowledge, with k-anonymity (k = 5).

Every count of 1 to k-1, totals included, is suppressed (primary suppression); zeros are shown. Then more counts are
suppressed (complementary suppression, the smallest first) until no suppressed count can be worked out from what
is shown: a table's counts add up along its lines (a unit's counts to the unit's total, a column's to its total,
the totals to the grand total), and a suppressed count is recoverable when those sums pin it down. That is the case
when it is a *bridge* among the suppressed counts (no cycle of other suppressed counts through its two lines gives
it room), or when bounds pin it (every suppressed count is at least 1, as zeros are never suppressed). The units'
totals are the same in every table, so a total suppressed in one is suppressed in all.

A case has one unit, period, channel, relation and SafetyNet state, so those tables add up both ways. It may have
several kinds and actions: those tables add up by column only (their rows have no total). No free text, no names.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from domain.overview import CaseRow
from domain.working_time import COPENHAGEN

K = 5
GROUND = -1  # the free end of a count that lies on one line only
MAX_CANDIDATES = 24  # complementary candidates tried per step, the smallest

Entry = tuple[str, ...]  # ("cell", row, column) | ("row", row) | ("column", column) | ("all",)
Period = Literal["month", "quarter"]


@dataclass(frozen=True)
class CountTable:
    """Counts by row (a unit) and column (a category). `additive`: each case is counted once per row, so a row's
    counts add up to its total; otherwise (several kinds per case) only the columns add up."""

    name: str
    rows: list[str]
    columns: list[str]
    cells: dict[tuple[str, str], int]
    row_totals: dict[str, int]
    additive: bool = True

    def column_totals(self) -> dict[str, int]:
        return {column: sum(self.cells.get((row, column), 0) for row in self.rows) for column in self.columns}

    def entries(self) -> dict[Entry, int]:
        values: dict[Entry, int] = {
            ("cell", row, column): self.cells.get((row, column), 0) for row in self.rows for column in self.columns
        }
        values |= {("column", column): total for column, total in self.column_totals().items()}
        if self.additive:
            values |= {("row", row): self.row_totals.get(row, 0) for row in self.rows}
            values[("all",)] = sum(self.row_totals.get(row, 0) for row in self.rows)
        return values

    def lines(self) -> list[tuple[list[Entry], list[Entry]]]:
        """Each linear relation as (parts, whole): the parts add up to the whole(s)."""
        lines: list[tuple[list[Entry], list[Entry]]] = [
            ([("cell", row, column) for row in self.rows], [("column", column)]) for column in self.columns
        ]
        if self.additive:
            lines += [([("cell", row, column) for column in self.columns], [("row", row)]) for row in self.rows]
            lines.append(([("column", column) for column in self.columns], [("all",)]))
            lines.append(([("row", row) for row in self.rows], [("all",)]))
        return lines


@dataclass(frozen=True)
class PublishedTable:
    """A table as shown: None where a count is suppressed."""

    name: str
    rows: list[str]
    columns: list[str]
    cells: dict[tuple[str, str], int | None]
    column_totals: dict[str, int | None]
    row_totals: dict[str, int | None] | None  # None: the rows do not add up (several values per case)
    total: int | None

    def value(self, entry: Entry) -> int | None:
        match entry:
            case ("cell", row, column):
                return self.cells[(row, column)]
            case ("column", column):
                return self.column_totals[column]
            case ("row", row):
                return self.row_totals[row] if self.row_totals is not None else None
            case _:
                return self.total


@dataclass(frozen=True)
class Median:
    """A unit's median hours to acknowledge, None when fewer than k cases were acknowledged."""

    unit_id: str
    hours: float | None


@dataclass(frozen=True)
class Statistics:
    units: dict[str, str]  # unit id -> name
    tables: list[PublishedTable]
    time_to_acknowledge: list[Median] = field(default_factory=list[Median])
    k: int = K


def _entry_lines(lines: list[tuple[list[Entry], list[Entry]]]) -> dict[Entry, list[int]]:
    where: dict[Entry, list[int]] = {}
    for index, (parts, wholes) in enumerate(lines):
        for entry in (*parts, *wholes):
            where.setdefault(entry, []).append(index)
    return where


def _ends(entry: Entry, where: dict[Entry, list[int]]) -> tuple[int, int]:
    lines = where.get(entry, [])
    return (lines[0], lines[1]) if len(lines) >= 2 else (lines[0] if lines else GROUND, GROUND)


def _bridges(hidden: list[Entry], where: dict[Entry, list[int]]) -> set[Entry]:
    """The suppressed entries that are the only way between their two lines among the suppressed ones (then the
    sums fix their value): the bridges of the graph whose nodes are the lines and whose edges are the suppressed
    entries (Tarjan's algorithm, without recursion)."""
    ends = [_ends(entry, where) for entry in hidden]
    adjacent: dict[int, list[tuple[int, int]]] = {}
    for edge, (a, b) in enumerate(ends):
        if a == b:
            continue  # no line, or a loop: never fixed
        adjacent.setdefault(a, []).append((b, edge))
        adjacent.setdefault(b, []).append((a, edge))
    order: dict[int, int] = {}
    low: dict[int, int] = {}
    bridges: set[Entry] = set()
    for root in adjacent:
        if root in order:
            continue
        order[root] = low[root] = len(order)
        stack: list[tuple[int, int, int]] = [(root, -1, 0)]  # node, the edge it was reached by, next neighbour
        while stack:
            node, via, index = stack[-1]
            if index < len(adjacent[node]):
                stack[-1] = (node, via, index + 1)
                other, edge = adjacent[node][index]
                if edge == via:
                    continue
                if other in order:
                    low[node] = min(low[node], order[other])
                else:
                    order[other] = low[other] = len(order)
                    stack.append((other, edge, 0))
                continue
            stack.pop()
            if stack:
                parent = stack[-1][0]
                low[parent] = min(low[parent], low[node])
                if low[node] > order[parent]:
                    bridges.add(hidden[via])
    return bridges


def _bounds(
    values: dict[Entry, int], hidden: set[Entry], lines: list[tuple[list[Entry], list[Entry]]]
) -> dict[Entry, tuple[int, int]]:
    """What the shown counts and the sums tell of each suppressed count: at least 1 (zeros are shown), at most ...
    narrowed line by line until nothing changes."""
    ceiling = sum(values.values()) + 1
    low = dict.fromkeys(hidden, 1)
    high = dict.fromkeys(hidden, ceiling)
    relevant = [
        (
            sum(sign * values[entry] for entry, sign in terms if entry not in hidden),
            [(entry, sign) for entry, sign in terms if entry in hidden],
        )
        for terms in ([(entry, 1) for entry in parts] + [(entry, -1) for entry in wholes] for parts, wholes in lines)
    ]
    relevant = [(known, unknown) for known, unknown in relevant if unknown]
    changed = True
    while changed:
        changed = False
        for known, unknown in relevant:  # sum of sign * value over the line = 0
            most_all = sum(s * (high[o] if s > 0 else low[o]) for o, s in unknown)
            least_all = sum(s * (low[o] if s > 0 else high[o]) for o, s in unknown)
            for entry, sign in unknown:
                most = most_all - sign * (high[entry] if sign > 0 else low[entry])
                least = least_all - sign * (low[entry] if sign > 0 else high[entry])
                # sign * x = -known - (the others), which lies in [-known - most, -known - least]
                lo, hi = (-known - most, -known - least) if sign > 0 else (known + least, known + most)
                if lo > low[entry] or hi < high[entry]:
                    low[entry], high[entry], changed = max(lo, low[entry]), min(hi, high[entry]), True
                    most_all = sum(s * (high[o] if s > 0 else low[o]) for o, s in unknown)
                    least_all = sum(s * (low[o] if s > 0 else high[o]) for o, s in unknown)
    return {entry: (low[entry], high[entry]) for entry in hidden}


def recoverable(
    values: dict[Entry, int], hidden: set[Entry], lines: list[tuple[list[Entry], list[Entry]]]
) -> list[Entry]:
    """The suppressed entries whose value the shown ones give away (a bridge, or bounds that pin it)."""
    where = _entry_lines(lines)
    ordered = sorted(hidden)
    bridges = _bridges(ordered, where)
    pinned = _bounds(values, hidden, lines)
    return [entry for entry in ordered if entry in bridges or pinned[entry][0] >= pinned[entry][1]]


def _lone_in_a_line(
    values: dict[Entry, int], hidden: set[Entry], lines: list[tuple[list[Entry], list[Entry]]]
) -> set[Entry]:
    """A quick first pass: while a line holds exactly one suppressed entry, suppress its smallest other count."""
    hidden = set(hidden)
    changed = True
    while changed:
        changed = False
        for parts, wholes in lines:
            line = [*parts, *wholes]
            if sum(1 for entry in line if entry in hidden) != 1:
                continue
            candidates = [entry for entry in line if entry not in hidden and values[entry] > 0]
            if candidates:
                hidden.add(min(candidates, key=lambda entry: _order(entry, values)))
                changed = True
    return hidden


def _order(entry: Entry, values: dict[Entry, int]) -> tuple[int, int, Entry]:
    """Complementary suppression takes inner counts before totals, the smallest first."""
    return (0 if entry[0] == "cell" else 1, values[entry], entry)


def suppress(table: CountTable, k: int = K, forced: Iterable[Entry] = ()) -> set[Entry]:
    """The entries to suppress: every count of 1 to k-1, the `forced` ones (shared totals suppressed elsewhere), and
    complementary ones until none of them is recoverable."""
    values, lines = table.entries(), table.lines()
    where = _entry_lines(lines)
    hidden = {entry for entry, value in values.items() if 0 < value < k} | (set(forced) & set(values))
    hidden = _lone_in_a_line(values, hidden, lines)
    while exposed := recoverable(values, hidden, lines):
        near = {
            other
            for entry in exposed
            for index in where.get(entry, [])
            for other in (*lines[index][0], *lines[index][1])
            if other not in hidden and values[other] > 0
        }
        anywhere = {other for other, value in values.items() if other not in hidden and value > 0}
        candidates = sorted(near or anywhere, key=lambda other: _order(other, values))[:MAX_CANDIDATES]
        if not candidates:
            break  # everything that is not zero is suppressed already
        # The one that leaves the fewest exposed, the smallest among those.
        hidden.add(min(candidates, key=lambda other: len(recoverable(values, hidden | {other}, lines))))
    return hidden


def publish(table: CountTable, hidden: set[Entry]) -> PublishedTable:
    values = table.entries()

    def shown(entry: Entry) -> int | None:
        return None if entry in hidden else values[entry]

    return PublishedTable(
        name=table.name,
        rows=table.rows,
        columns=table.columns,
        cells={(row, column): shown(("cell", row, column)) for row in table.rows for column in table.columns},
        column_totals={column: shown(("column", column)) for column in table.columns},
        row_totals={row: shown(("row", row)) for row in table.rows} if table.additive else None,
        total=shown(("all",)) if table.additive else None,
    )


def suppress_tables(tables: Sequence[CountTable], k: int = K) -> list[PublishedTable]:
    """Suppress every table, the shared totals (units' and the grand total) alike in all of them."""
    shared: set[Entry] = set()
    while True:
        hidden = [suppress(table, k, shared) for table in tables]
        now_shared = {entry for found, table in zip(hidden, tables, strict=True) if table.additive for entry in found}
        now_shared = {entry for entry in now_shared if entry[0] in ("row", "all")}
        if now_shared <= shared:
            return [publish(table, found) for table, found in zip(tables, hidden, strict=True)]
        shared |= now_shared


def period_of(row: CaseRow, period: Period) -> str:
    local = row.reported_at.astimezone(COPENHAGEN)
    return f"{local.year}-{local.month:02d}" if period == "month" else f"{local.year}-Q{(local.month - 1) // 3 + 1}"


def _table(
    name: str, rows: list[CaseRow], units: list[str], values: dict[str, list[str]], additive: bool
) -> CountTable:
    cells: Counter[tuple[str, str]] = Counter()
    for row in rows:
        for value in values[row.case_id]:
            cells[(row.unit_id, value)] += 1
    columns = sorted({column for _, column in cells})
    totals = Counter(row.unit_id for row in rows)
    return CountTable(name, units, columns, dict(cells), dict(totals), additive)


def count_tables(rows: list[CaseRow], period: Period = "month") -> list[CountTable]:
    """The tables of the statistics, unsuppressed (rows: the units, in id order)."""
    units = sorted({row.unit_id for row in rows})

    def one(value: str) -> list[str]:
        return [value or "unknown"]

    by_row: dict[str, dict[str, list[str]]] = {
        "period": {row.case_id: [period_of(row, period)] for row in rows},
        "channel": {row.case_id: one(row.channel) for row in rows},
        "offender_relation": {row.case_id: one(row.offender_relation) for row in rows},
        "safetynet": {row.case_id: [row.safetynet or "not_registered"] for row in rows},
        "kind": {row.case_id: list(dict.fromkeys(row.kinds)) for row in rows},
        "action": {row.case_id: list(dict.fromkeys(row.actions)) for row in rows},
    }
    additive = {"period", "channel", "offender_relation", "safetynet"}
    return [_table(name, rows, units, values, name in additive) for name, values in by_row.items()]


def medians(rows: list[CaseRow], k: int = K) -> list[Median]:
    """Each unit's median hours from report to acknowledgement; suppressed below k acknowledged cases."""
    hours: dict[str, list[float]] = {}
    for row in rows:
        hours.setdefault(row.unit_id, [])
        if row.acknowledged_at is not None:
            hours[row.unit_id].append((row.acknowledged_at - row.reported_at).total_seconds() / 3600)
    return [
        Median(unit, round(statistics.median(found), 1) if len(found) >= k else None)
        for unit, found in sorted(hours.items())
    ]


def case_statistics(rows: list[CaseRow], period: Period = "month", k: int = K) -> Statistics:
    """The statistics of these cases, every table suppressed for k-anonymity."""
    units = {row.unit_id: row.unit for row in sorted(rows, key=lambda row: row.reported_at)}
    return Statistics(units, suppress_tables(count_tables(rows, period), k), medians(rows, k), k)
