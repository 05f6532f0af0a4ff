"""k-anonymity of the statistics: no count of 1-4 is shown, and no suppressed count can be worked out from what is
shown. An attacker here enumerates every way to fill the suppressed counts (each at least 1, zeros being shown) that
agrees with the shown counts and totals; a suppressed count is exposed when only one value fits."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from scipy.optimize import linprog

from domain.case import CaseStatus
from domain.overview import CaseRow
from domain.statistics import (
    CountTable,
    Entry,
    PublishedTable,
    case_statistics,
    count_tables,
    publish,
    suppress,
    suppress_tables,
)
from tests.support.case_samples import REPORTED_AT, TENANT


def attacker(table: CountTable, published: PublishedTable) -> dict[Entry, set[int]]:
    """Every value each suppressed entry can take, given what is shown (stops once each has two)."""
    values, lines = table.entries(), table.lines()
    cap = 2 * sum(value for entry, value in values.items() if entry[0] == "cell") + 10  # more than it could be
    known = {entry: shown for entry in values if (shown := published.value(entry)) is not None}
    hidden = [entry for entry in values if entry not in known]
    seen: dict[Entry, set[int]] = {entry: set() for entry in hidden}

    def solve(assigned: dict[Entry, int]) -> None:
        if all(len(found) >= 2 for found in seen.values()):
            return
        assigned = dict(assigned)
        changed = True
        while changed:
            changed = False
            for parts, wholes in lines:
                terms = [(entry, 1) for entry in parts] + [(entry, -1) for entry in wholes]
                value_of = {**known, **assigned}
                open_terms = [(entry, sign) for entry, sign in terms if entry not in value_of]
                total = sum(sign * value_of[entry] for entry, sign in terms if entry in value_of)
                if not open_terms:
                    if total != 0:
                        return
                elif len(open_terms) == 1:
                    entry, sign = open_terms[0]
                    forced = -total * sign
                    if not 1 <= forced <= cap:
                        return
                    assigned[entry] = forced
                    changed = True
        free = [entry for entry in hidden if entry not in assigned]
        if not free:
            for entry, value in assigned.items():
                seen[entry].add(value)
            return
        for value in range(1, cap + 1):
            solve({**assigned, free[0]: value})

    solve({})
    return seen


def exposed(table: CountTable, published: PublishedTable) -> list[Entry]:
    return [entry for entry, found in attacker(table, published).items() if len(found) < 2]


def linear_attacker(table: CountTable, published: PublishedTable) -> list[Entry]:
    """The suppressed entries that the shown ones pin, found by linear programming (for tables too large to
    enumerate): the least and the most each can be, given the sums and that each is at least 1. The sums of a table
    that adds up by rows and columns have a totally unimodular matrix, so both bounds are whole numbers that some
    filling reaches: an entry is exposed exactly when they meet."""
    values, lines = table.entries(), table.lines()
    hidden = [entry for entry in values if published.value(entry) is None]
    column = {entry: index for index, entry in enumerate(hidden)}
    equations: list[list[float]] = []
    sums: list[float] = []
    for parts, wholes in lines:
        row = [0.0] * len(hidden)
        known = 0.0
        for entry, sign in [(entry, 1) for entry in parts] + [(entry, -1) for entry in wholes]:
            if entry in column:
                row[column[entry]] += sign
            else:
                known += sign * values[entry]
        if any(row):
            equations.append(row)
            sums.append(-known)
    found: list[Entry] = []
    for index, entry in enumerate(hidden):
        objective = [0.0] * len(hidden)
        objective[index] = 1.0
        least = linprog(objective, A_eq=equations, b_eq=sums, bounds=(1, None), method="highs")
        objective[index] = -1.0
        most = linprog(objective, A_eq=equations, b_eq=sums, bounds=(1, None), method="highs")
        assert least.status == 0 and most.status in (0, 3), entry  # feasible; the most may be unbounded
        if most.status == 0 and round(-most.fun) == round(least.fun):
            found.append(entry)
    return found


def municipal_table(seed: int, additive: bool) -> CountTable:
    """98 units by 12 months, most counts large, a fifth of them 1-4 and a third zero."""
    generator = random.Random(seed)

    def count() -> int:
        draw = generator.random()
        return 0 if draw < 0.3 else generator.randint(1, 4) if draw < 0.5 else generator.randint(5, 60)

    units, months = [f"unit-{number:02d}" for number in range(98)], [f"2026-{month:02d}" for month in range(1, 13)]
    cells = {(unit, month): count() for unit in units for month in months}
    totals = {unit: sum(cells[(unit, month)] for month in months) for unit in units}
    return CountTable("period", units, months, cells, totals, additive)


def channel_table(cells: dict[tuple[str, str], int], additive: bool = True) -> CountTable:
    rows = sorted({row for row, _ in cells})
    columns = sorted({column for _, column in cells})
    totals = {row: sum(value for (r, _), value in cells.items() if r == row) for row in rows}
    return CountTable("channel", rows, columns, cells, totals, additive)


# A unit with 3 cases on Facebook among 13: a table that hid only the 3 would give it away (13 - 10).
NAIVE_LEAK = {("A", "facebook"): 3, ("A", "email"): 10, ("B", "facebook"): 7, ("B", "email"): 8}


def test_the_attacker_recovers_a_small_count_that_only_primary_suppression_hid() -> None:
    table = channel_table(NAIVE_LEAK)
    naive = publish(table, {("cell", "A", "facebook")})

    assert exposed(table, naive) == [("cell", "A", "facebook")]
    assert attacker(table, naive)[("cell", "A", "facebook")] == {3}


def test_complementary_suppression_leaves_the_attacker_no_small_count() -> None:
    table = channel_table(NAIVE_LEAK)
    published = publish(table, suppress(table))

    assert published.cells[("A", "facebook")] is None
    assert exposed(table, published) == []
    assert published.total == 28  # what need not be hidden is shown
    assert sum(1 for value in published.cells.values() if value is None) == 4  # the 2x2 the 3 needs to hide in


def test_a_unit_with_fewer_than_five_cases_hides_its_total_and_cannot_be_recovered_from_the_grand_total() -> None:
    table = channel_table({("A", "sms"): 2, ("A", "email"): 1, ("B", "sms"): 9, ("B", "email"): 6, ("C", "sms"): 5})
    published = publish(table, suppress(table))

    assert published.row_totals is not None and published.row_totals["A"] is None
    assert published.cells[("A", "sms")] is None and published.cells[("A", "email")] is None
    assert exposed(table, published) == []


def test_zeros_are_shown_and_a_whole_table_under_k_is_hidden() -> None:
    table = channel_table({("A", "sms"): 2, ("A", "email"): 0, ("B", "sms"): 1, ("B", "email"): 1})
    published = publish(table, suppress(table))

    assert published.cells[("A", "email")] == 0
    assert published.total is None and exposed(table, published) == []
    assert all(value in (None, 0) for value in published.cells.values())


def test_a_column_only_table_of_several_kinds_per_case_hides_its_small_counts_unrecoverably() -> None:
    table = channel_table({("A", "threats"): 2, ("B", "threats"): 9, ("A", "mockery"): 6, ("B", "mockery"): 6}, False)
    published = publish(table, suppress(table))

    assert published.row_totals is None and published.total is None
    assert published.cells[("A", "threats")] is None and published.column_totals["threats"] == 11
    assert exposed(table, published) == []


@pytest.mark.parametrize("seed", range(60))
def test_random_small_tables_show_no_count_under_five_and_expose_none(seed: int) -> None:
    generator = random.Random(seed)
    units, columns = ["A", "B", "C"][: generator.choice([2, 3])], ["x", "y", "z"][: generator.choice([2, 3])]
    cells = {(unit, column): generator.choice([0, 1, 2, 3, 4, 5, 6, 8]) for unit in units for column in columns}
    table = channel_table(cells, additive=generator.random() < 0.7)
    published = publish(table, suppress(table))

    shown = [published.value(entry) for entry in table.entries()]
    assert not [value for value in shown if value is not None and 0 < value < 5]
    assert exposed(table, published) == []


def test_the_linear_attacker_agrees_with_the_enumerating_one_on_small_tables() -> None:
    table = channel_table(NAIVE_LEAK)
    assert linear_attacker(table, publish(table, {("cell", "A", "facebook")})) == [("cell", "A", "facebook")]
    for seed in range(20):
        generator = random.Random(seed)
        cells = {(unit, column): generator.choice([0, 1, 2, 3, 5, 8]) for unit in "ABC" for column in "xyz"}
        table = channel_table(cells, additive=seed % 3 != 0)
        hidden = {entry for entry, value in table.entries().items() if 0 < value < 5}
        published = publish(table, hidden)
        assert sorted(linear_attacker(table, published)) == sorted(exposed(table, published)), seed


@pytest.mark.parametrize(("seed", "additive"), [(1, True), (3, False)])
def test_a_municipal_size_table_shows_no_count_under_five_and_exposes_none(seed: int, additive: bool) -> None:
    table = municipal_table(seed, additive)
    published = publish(table, suppress(table))

    shown = [published.value(entry) for entry in table.entries()]
    assert not [value for value in shown if value is not None and 0 < value < 5]
    assert linear_attacker(table, published) == []
    assert sum(value is not None and value >= 5 for value in shown) > len(shown) / 3  # the table still says much


def test_a_units_total_hidden_in_one_table_is_hidden_in_every_table() -> None:
    # Unit B's 3 and 3 by channel hide, with unit D's 2 emails, B's total of 6 in the channel table; the month table
    # on its own has nothing small in B and shows that 6, which would give the 3 and 3 away.
    channel = channel_table(
        {
            **{("A", "sms"): 6, ("A", "email"): 0, ("B", "sms"): 3, ("B", "email"): 3},
            **{("C", "sms"): 6, ("C", "email"): 0, ("D", "sms"): 0, ("D", "email"): 2},
        }
    )
    units = ["A", "B", "C", "D"]
    cells = {(unit, "11"): 0 for unit in units} | {(unit, "12"): channel.row_totals[unit] for unit in units}
    months = CountTable("period", units, ["11", "12"], cells, channel.row_totals)
    assert ("row", "B") in suppress(channel)
    alone = publish(months, suppress(months)).row_totals
    assert alone is not None and alone["B"] == 6  # alone it shows B's total

    published = suppress_tables([channel, months])
    hidden_totals = [{row for row, value in (table.row_totals or {}).items() if value is None} for table in published]
    assert hidden_totals[0] == hidden_totals[1] and "B" in hidden_totals[1]
    assert published[1].cells[("B", "12")] is None
    assert all(exposed(table, shown) == [] for table, shown in zip([channel, months], published, strict=True))


def rows_of(count: int, unit: str, **changes: object) -> list[CaseRow]:
    return [
        CaseRow(
            case_id=f"{unit}-{number}",
            reference=f"VK-2026-{number:04d}",
            tenant_id=TENANT,
            unit_id=unit,
            unit=f"Enhed {unit}",
            status=CaseStatus.ACKNOWLEDGED,
            reported_at=REPORTED_AT + timedelta(days=number),
            acknowledged_at=REPORTED_AT + timedelta(days=number, hours=2 + number),
            channel="sms",
            kinds=["threats"],
            offender_relation="citizen",
            actions=["acknowledged"],
            **changes,  # type: ignore[arg-type]
        )
        for number in range(count)
    ]


def test_the_case_statistics_suppress_every_table_and_the_median_below_k() -> None:
    rows = rows_of(7, "big") + rows_of(3, "small")
    result = case_statistics(rows)

    assert {table.name for table in result.tables} == {
        "period",
        "channel",
        "offender_relation",
        "safetynet",
        "kind",
        "action",
    }
    for table, published in zip(count_tables(rows), result.tables, strict=True):
        assert exposed(table, published) == [], table.name
        shown = [published.value(entry) for entry in table.entries()]
        assert not [value for value in shown if value is not None and 0 < value < 5], table.name
    medians = {median.unit_id: median.hours for median in result.time_to_acknowledge}
    assert medians == {"big": 5.0, "small": None}
    assert result.units == {"big": "Enhed big", "small": "Enhed small"}


def test_a_count_hidden_by_month_cannot_be_worked_out_from_the_quarters() -> None:
    """The same viewer may ask for both periods. Unit A's one case in January is hidden by month, and its way round
    runs through April; quarters suppressed apart showed Q1 = 41 beside February and March at 20, so January was
    41 - 40 = 1. Made from the months as shown, Q1 is hidden with January."""
    months = {"A": {1: 1, 2: 20, 3: 20, 4: 5}, "B": {1: 5, 2: 20, 3: 20, 4: 5}}
    rows = [
        row.model_copy(
            update={"case_id": f"{unit}-{month}-{number}", "reported_at": REPORTED_AT.replace(month=month, day=10)}
        )
        for unit, counts in months.items()
        for month, count in counts.items()
        for number, row in enumerate(rows_of(count, unit))
    ]
    by_month = case_statistics(rows, "month").tables[0]
    by_quarter = case_statistics(rows, "quarter").tables[0]
    assert by_month.cells[("A", "2026-01")] is None
    shown_q1 = by_quarter.cells[("A", "2026-Q1")]
    february, march = by_month.cells[("A", "2026-02")], by_month.cells[("A", "2026-03")]
    recovered = None if None in (shown_q1, february, march) else shown_q1 - february - march  # type: ignore[operator]
    assert recovered is None, f"January of unit A is {recovered}"
