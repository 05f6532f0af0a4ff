"""Statistics of the cases without exposing anyone: counts per unit and period, channel, kind, offender relation,
actions taken and SafetyNet registration, and the median time to acknowledge, with k-anonymity (k = 5).

Every count of 1 to k-1, totals included, is suppressed (primary suppression); zeros are shown. Then more counts are
suppressed (complementary suppression) until no suppressed count can be worked out from what is shown. A table's
counts add up along its lines (a unit's counts to the unit's total, a column's to its total, the totals to the grand
total), so each count is an arc of a flow network between its two lines, and every suppressed count is at least 1.
A suppressed count can take another value exactly when it lies on a cycle of changes by one among the suppressed
counts that keeps each at least 1; one that lies on none is pinned, and the cheapest path of shown counts (inner
counts before totals, the smallest first) that closes a cycle round it is suppressed too. The units' totals are the
same in every table, so a total suppressed in one is suppressed in all.

The same viewer may ask for months and for quarters, so the quarters are made from the months as shown, never
suppressed apart: a quarter is shown only where all its months are (`by_quarter`), and tells nothing more.

A case has one unit, period, channel, relation and SafetyNet state, so those tables add up both ways. It may have
several kinds and actions: those tables add up by column only (their rows have no total). No free text, no names.
"""

from __future__ import annotations

import heapq
import statistics
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from domain.overview import CaseRow
from domain.working_time import COPENHAGEN

K = 5

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


class _Network:
    """A table's entries as arcs between its lines, so that every line's sum reads "what flows in equals what flows
    out" (a line's equation is negated where needed; an entry on one line only has its other end on the ground
    node, which keeps no sum). Tables that add up by rows and columns always form such a network. Entries are
    numbered in the order given; `hidden` is a flag per entry."""

    def __init__(self, values: dict[Entry, int], lines: list[tuple[list[Entry], list[Entry]]]) -> None:
        self.entries = list(values)
        number = {entry: index for index, entry in enumerate(self.entries)}
        self.value = [values[entry] for entry in self.entries]
        self.ground = len(lines)
        self.nodes = len(lines) + 1
        on: list[list[tuple[int, int]]] = [[] for _ in self.entries]  # (line, +1 a part / -1 a whole)
        for line, (parts, wholes) in enumerate(lines):
            for entry in parts:
                on[number[entry]].append((line, 1))
            for entry in wholes:
                on[number[entry]].append((line, -1))
        neighbours: list[list[tuple[int, int]]] = [[] for _ in range(self.nodes)]
        for index, found in enumerate(on):
            if len(found) > 2:
                raise ValueError(f"{self.entries[index]} lies on more than two lines")
            if len(found) == 2:
                (a, sign_a), (b, sign_b) = found
                neighbours[a].append((b, sign_a * sign_b))
                neighbours[b].append((a, sign_a * sign_b))
        orientation = [0] * self.nodes
        for start in range(len(lines)):
            if orientation[start]:
                continue
            orientation[start] = 1
            pending = [start]
            while pending:
                line = pending.pop()
                for other, product in neighbours[line]:
                    wanted = -orientation[line] * product  # out of one line, into the other
                    if not orientation[other]:
                        orientation[other] = wanted
                        pending.append(other)
                    elif orientation[other] != wanted:
                        raise ValueError("the lines of the table do not form a network")
        self.tail = [self.ground] * len(self.entries)
        self.head = [self.ground] * len(self.entries)
        for index, found in enumerate(on):
            for line, sign in found:
                if orientation[line] * sign > 0:
                    self.head[index] = line
                else:
                    self.tail[index] = line

    def moves(self, entries: Iterable[int]) -> list[list[tuple[int, int]]]:
        """Per node, the ways to change an entry by one and keep it at least 1: up always (tail to head), down
        while it is 2 or more (head to tail); as (the node reached, the entry)."""
        outgoing: list[list[tuple[int, int]]] = [[] for _ in range(self.nodes)]
        for index in entries:
            outgoing[self.tail[index]].append((self.head[index], index))
            if self.value[index] >= 2:
                outgoing[self.head[index]].append((self.tail[index], index))
        return outgoing

    def pinned(self, hidden: list[bool]) -> list[int]:
        """The suppressed entries that only one value fits. Another value fits exactly when the entry lies on a
        cycle of changes by one that keeps every suppressed count at least 1 (a directed cycle of the moves among
        the suppressed entries): for an entry that can only go up (it is 1), when its ends are strongly connected;
        for one that can go both ways, when its ends stay connected without it inside their strong component (a
        strongly connected graph has a way round an edge, in one direction or the other, exactly when the edge is
        no bridge)."""
        suppressed = [index for index, flag in enumerate(hidden) if flag]
        component = _components(self.moves(suppressed))
        inside = [index for index in suppressed if component[self.tail[index]] == component[self.head[index]]]
        bridges = _bridges([(self.tail[index], self.head[index]) for index in inside])
        bridged = {inside[edge] for edge in bridges}
        return [
            index
            for index in suppressed
            if component[self.tail[index]] != component[self.head[index]]
            or (self.value[index] >= 2 and index in bridged)
        ]

    def way_round(
        self, index: int, outgoing: list[list[tuple[int, int]]], cost: list[int], hidden: list[bool]
    ) -> list[int]:
        """The shown entries to suppress so that entry `index` lies on a cycle of changes (none when it does
        already): the cheapest path between its ends over the suppressed entries (free) and the shown ones (by
        `cost`), in either direction the entry can move."""
        tail, head = self.tail[index], self.head[index]
        ways = [(head, tail)] + ([(tail, head)] if self.value[index] >= 2 else [])
        best: tuple[int, list[int]] | None = None
        for start, goal in ways:
            found = _cheapest_path(outgoing, cost, hidden, index, start, goal)
            if found is not None and (best is None or found[0] < best[0]):
                best = found
                if best[0] == 0:
                    break
        return [] if best is None else best[1]


def _components(outgoing: list[list[tuple[int, int]]]) -> list[int]:
    """The strongly connected component of each node (Tarjan's algorithm, without recursion)."""
    nodes = len(outgoing)
    order = [-1] * nodes
    low = [0] * nodes
    component = [-1] * nodes
    on_stack = [False] * nodes
    stack: list[int] = []
    counter = 0
    for root in range(nodes):
        if order[root] >= 0:
            continue
        order[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = True
        work: list[tuple[int, int]] = [(root, 0)]
        while work:
            node, position = work[-1]
            if position < len(outgoing[node]):
                work[-1] = (node, position + 1)
                other = outgoing[node][position][0]
                if order[other] < 0:
                    order[other] = low[other] = counter
                    counter += 1
                    stack.append(other)
                    on_stack[other] = True
                    work.append((other, 0))
                elif on_stack[other]:
                    low[node] = min(low[node], order[other])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == order[node]:
                while True:
                    member = stack.pop()
                    on_stack[member] = False
                    component[member] = node
                    if member == node:
                        break
    return component


def _bridges(edges: list[tuple[int, int]]) -> set[int]:
    """The edges (numbered; parallel ones apart) whose removal separates their two ends: the bridges of the
    undirected multigraph (Tarjan's algorithm, without recursion)."""
    adjacent: dict[int, list[tuple[int, int]]] = {}
    for number, (a, b) in enumerate(edges):
        adjacent.setdefault(a, []).append((b, number))
        adjacent.setdefault(b, []).append((a, number))
    order: dict[int, int] = {}
    low: dict[int, int] = {}
    bridges: set[int] = set()
    for root in adjacent:
        if root in order:
            continue
        order[root] = low[root] = len(order)
        stack: list[tuple[int, int, int]] = [(root, -1, 0)]  # node, the edge it was reached by, next neighbour
        while stack:
            node, via, position = stack[-1]
            if position < len(adjacent[node]):
                stack[-1] = (node, via, position + 1)
                other, edge = adjacent[node][position]
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
                    bridges.add(via)
    return bridges


def _cheapest_path(
    outgoing: list[list[tuple[int, int]]], cost: list[int], hidden: list[bool], skip: int, start: int, goal: int
) -> tuple[int, list[int]] | None:
    """Dijkstra's shortest path from start to goal, not over entry `skip`: its cost and the shown entries on it."""
    distance = [sys.maxsize] * len(outgoing)
    distance[start] = 0
    came: list[tuple[int, int]] = [(-1, -1)] * len(outgoing)
    queue = [(0, start)]
    while queue:
        so_far, node = heapq.heappop(queue)
        if node == goal:
            path: list[int] = []
            while node != start:
                node, step = came[node]
                if not hidden[step]:
                    path.append(step)
            return so_far, path
        if so_far > distance[node]:
            continue
        for other, step in outgoing[node]:
            reached = so_far if hidden[step] else so_far + cost[step]
            if reached < distance[other] and step != skip:
                distance[other] = reached
                came[other] = (node, step)
                heapq.heappush(queue, (reached, other))
    return None


def recoverable(
    values: dict[Entry, int], hidden: set[Entry], lines: list[tuple[list[Entry], list[Entry]]]
) -> list[Entry]:
    """The suppressed entries whose value the shown ones give away."""
    network = _Network(values, lines)
    pinned = network.pinned([entry in hidden for entry in network.entries])
    return sorted(network.entries[index] for index in pinned)


def _order(entry: Entry, values: dict[Entry, int]) -> tuple[int, int, Entry]:
    """Complementary suppression takes inner counts before totals, the smallest first."""
    return (0 if entry[0] == "cell" else 1, values[entry], entry)


def suppress(table: CountTable, k: int = K, forced: Iterable[Entry] = ()) -> set[Entry]:
    """The entries to suppress: every count of 1 to k-1, the `forced` ones (shared totals suppressed elsewhere), and
    complementary ones until none of them is recoverable. Suppressing more never pins a count that was free, so
    each pinned count is put on a cycle by the cheapest path round it: inner counts by their value, totals after
    every inner count; zeros are never suppressed."""
    values = table.entries()
    network = _Network(values, table.lines())
    forced = set(forced)
    hidden = [0 < value < k or entry in forced for entry, value in values.items()]
    totals_after = sum(value for entry, value in values.items() if entry[0] == "cell") + 1
    cost = [value + (0 if entry[0] == "cell" else totals_after) for entry, value in values.items()]
    outgoing = network.moves(index for index, value in enumerate(network.value) if value > 0 or hidden[index])
    while True:
        added = False
        pinned = network.pinned(hidden)
        for index in sorted(pinned, key=lambda index: _order(network.entries[index], values)):
            for other in network.way_round(index, outgoing, cost, hidden):
                hidden[other] = added = True
        if not added:  # what is still pinned has no way round (all else on its lines is suppressed or zero)
            return {entry for entry, flag in zip(network.entries, hidden, strict=True) if flag}


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


TABLES = ("period", "channel", "offender_relation", "safetynet", "kind", "action")
ADDITIVE = frozenset({"period", "channel", "offender_relation", "safetynet"})  # one value per case


def month_of(row: CaseRow) -> str:
    """The Danish month the case was reported in, "YYYY-MM"."""
    local = row.reported_at.astimezone(COPENHAGEN)
    return f"{local.year}-{local.month:02d}"


def period_of_month(month: str, period: Period) -> str:
    """A "YYYY-MM" month as the period shown: itself, or its quarter "YYYY-Qn"."""
    return month if period == "month" else f"{month[:4]}-Q{(int(month[5:7]) - 1) // 3 + 1}"


def period_of(row: CaseRow, period: Period) -> str:
    return period_of_month(month_of(row), period)


def values_of(row: CaseRow) -> dict[str, list[str]]:
    """What the case counts as in each table but the period's: one value each, several kinds and actions."""
    return {
        "channel": [row.channel or "unknown"],
        "offender_relation": [row.offender_relation or "unknown"],
        "safetynet": [row.safetynet or "not_registered"],
        "kind": list(dict.fromkeys(row.kinds)),
        "action": list(dict.fromkeys(row.actions)),
    }


def hours_to_acknowledge(row: CaseRow) -> float | None:
    return (row.acknowledged_at - row.reported_at).total_seconds() / 3600 if row.acknowledged_at is not None else None


@dataclass(frozen=True)
class CaseCounts:
    """What the statistics are made from, before any suppression, so a store can count in its own query: each unit's
    name (from its newest case) and number of cases, each table's count per (unit, value), with periods by month,
    and per unit how many cases were acknowledged and their median hours to acknowledge (None when none)."""

    units: dict[str, str]
    unit_totals: dict[str, int]
    cells: dict[str, dict[tuple[str, str], int]]  # table name -> (unit id, value) -> count; "period" by month
    acknowledged: dict[str, tuple[int, float | None]]


def case_counts(rows: list[CaseRow]) -> CaseCounts:
    """The counts of these rows (what a store without its own counting returns)."""
    ordered = sorted(rows, key=lambda row: row.reported_at)
    cells: dict[str, Counter[tuple[str, str]]] = {name: Counter() for name in TABLES}
    hours: dict[str, list[float]] = {}
    for row in ordered:
        cells["period"][(row.unit_id, month_of(row))] += 1
        for name, values in values_of(row).items():
            for value in values:
                cells[name][(row.unit_id, value)] += 1
        found = hours_to_acknowledge(row)
        if found is not None:
            hours.setdefault(row.unit_id, []).append(found)
    acknowledged: dict[str, tuple[int, float | None]] = {
        unit: (len(found), statistics.median(found)) for unit, found in hours.items()
    }
    return CaseCounts(
        units={row.unit_id: row.unit for row in ordered},
        unit_totals=dict(Counter(row.unit_id for row in ordered)),
        cells={name: dict(counted) for name, counted in cells.items()},
        acknowledged=acknowledged,
    )


def tables_of(counts: CaseCounts, period: Period = "month") -> list[CountTable]:
    """The tables of the statistics, unsuppressed (rows: the units, in id order)."""
    units = sorted(counts.unit_totals)
    tables: list[CountTable] = []
    for name in TABLES:
        cells: Counter[tuple[str, str]] = Counter()
        for (unit, value), count in counts.cells.get(name, {}).items():
            cells[(unit, period_of_month(value, period) if name == "period" else value)] += count
        columns = sorted({column for _, column in cells})
        tables.append(CountTable(name, units, columns, dict(cells), dict(counts.unit_totals), name in ADDITIVE))
    return tables


def count_tables(rows: list[CaseRow], period: Period = "month") -> list[CountTable]:
    """The tables of these rows' statistics, unsuppressed."""
    return tables_of(case_counts(rows), period)


def medians_of(counts: CaseCounts, k: int = K) -> list[Median]:
    """Each unit's median hours from report to acknowledgement; suppressed below k acknowledged cases."""
    result: list[Median] = []
    for unit in sorted(counts.unit_totals):
        acknowledged, median = counts.acknowledged.get(unit, (0, None))
        shown = acknowledged >= k and median is not None
        result.append(Median(unit, round(median, 1) if shown and median is not None else None))
    return result


def medians(rows: list[CaseRow], k: int = K) -> list[Median]:
    return medians_of(case_counts(rows), k)


def by_quarter(months: PublishedTable) -> PublishedTable:
    """The period table by quarter from the one by month as shown: a quarter's count (a unit's, or its column
    total) is the sum of its months', shown only when every one of them is; the units' totals are the months'."""
    quarters = sorted({period_of_month(month, "quarter") for month in months.columns})
    in_quarter = {
        quarter: [m for m in months.columns if period_of_month(m, "quarter") == quarter] for quarter in quarters
    }

    def summed(values: list[int | None]) -> int | None:
        return None if None in values else sum(value for value in values if value is not None)

    return PublishedTable(
        name=months.name,
        rows=months.rows,
        columns=quarters,
        cells={
            (row, quarter): summed([months.cells[(row, month)] for month in in_quarter[quarter]])
            for row in months.rows
            for quarter in quarters
        },
        column_totals={quarter: summed([months.column_totals[m] for m in in_quarter[quarter]]) for quarter in quarters},
        row_totals=months.row_totals,
        total=months.total,
    )


def statistics_of(counts: CaseCounts, period: Period = "month", k: int = K) -> Statistics:
    """The statistics of these counts, every table suppressed for k-anonymity (quarters from the months as shown)."""
    tables = suppress_tables(tables_of(counts), k)
    if period == "quarter":
        tables = [by_quarter(table) if table.name == "period" else table for table in tables]
    return Statistics(dict(counts.units), tables, medians_of(counts, k), k)


def case_statistics(rows: list[CaseRow], period: Period = "month", k: int = K) -> Statistics:
    """The statistics of these cases, every table suppressed for k-anonymity."""
    return statistics_of(case_counts(rows), period, k)
