"""The Azure register index's RowKeys (storage/azure_case_table.py), without a service: their order is the
domain's sort order in both directions, for any sort values (prefixes of each other, other scripts, case), and a
report-time range is exactly the keys of the reports in it; the unit entities' counts answer the register's totals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import ClassVar

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.case import CaseStatus
from domain.overview import CaseRow, RegisterQuery, matches, reported_between, sort_value
from storage import azure_case_tallies as tallies
from storage.azure_case_table import SORTS, _register_key, _reported_range  # pyright: ignore[reportPrivateUsage]

START = datetime(2026, 11, 19, 22, 0, tzinfo=UTC)
texts = st.text(alphabet=st.sampled_from("aAbB 1|~!ÆæøØßK\u212a\U0001f600-"), max_size=6)
rows = st.builds(
    lambda case_id, reference, unit, status, minutes: CaseRow(
        case_id=case_id,
        reference=reference,
        unit=unit,
        status=status,
        reported_at=START + timedelta(minutes=minutes),
    ),
    case_id=st.text(alphabet=st.sampled_from("ab-_9"), min_size=1, max_size=4),
    reference=texts,
    unit=texts,
    status=st.sampled_from([CaseStatus.REPORTED, CaseStatus.ACKNOWLEDGED, CaseStatus.CLOSED]),
    minutes=st.integers(0, 4 * 24 * 60),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(rows, max_size=12, unique_by=lambda row: row.case_id))
def test_the_register_keys_sort_as_the_domain_sorts_in_both_directions(found: list[CaseRow]) -> None:
    def ids(ordered: list[CaseRow]) -> list[str]:
        return [row.case_id for row in ordered]

    for sort in SORTS:
        for descending in (False, True):
            keys = {row.case_id: _register_key(row, sort, descending) for row in found}
            values = {row.case_id: sort_value(row, sort) for row in found}
            by_key = sorted(found, key=lambda row: keys[row.case_id])
            assert ids(by_key) == ids(sorted(found, key=lambda row: values[row.case_id], reverse=descending))


@settings(max_examples=200, deadline=None)
@given(rows, st.integers(0, 4), st.integers(0, 3), st.booleans())
def test_a_report_time_range_holds_exactly_the_keys_of_reports_in_it(
    row: CaseRow, first: int, days: int, descending: bool
) -> None:
    day = date(2026, 11, 19) + timedelta(days=first)
    query = RegisterQuery(reported_from=day, reported_to=day + timedelta(days=days))
    low, high = _reported_range(query, descending)
    key = _register_key(row, "reported", descending)
    start, end = reported_between(query)
    assert start is not None and end is not None
    assert (low <= key < high) == (start <= row.reported_at < end) == matches(row, query, START)


def test_the_register_total_adds_up_the_units_by_status_and_escalation() -> None:
    made = [
        CaseRow(case_id=f"c{n}", reference="VK", unit_id=f"u{n % 2}", status=status, escalated=n % 3 == 0,
                reported_at=START)
        for n, status in enumerate([CaseStatus.REPORTED, CaseStatus.CLOSED, CaseStatus.REPORTED] * 3)
    ]  # fmt: skip
    delta = tallies.Delta()
    for row in made:
        delta.add(row, None)
    units = [entity for _, entity in tallies.changes("t-x", delta, {})]

    def total(status: CaseStatus | None, escalated: bool) -> int:
        return tallies.register_total(units, status, escalated)

    def expected(status: CaseStatus | None, escalated: bool) -> int:
        return sum((status is None or row.status is status) and (row.escalated or not escalated) for row in made)

    for status in (None, CaseStatus.REPORTED, CaseStatus.CLOSED, CaseStatus.ACKNOWLEDGED):
        for escalated in (False, True):
            assert total(status, escalated) == expected(status, escalated)
    assert total(None, False) == 9 and total(CaseStatus.ACKNOWLEDGED, False) == 0


def test_a_units_hours_to_acknowledge_fit_in_string_properties_however_many_cases_it_has() -> None:
    """A string property holds 32 K characters: the hours of thousands of acknowledged cases are cut into several,
    read back whole, and the median is that of every case."""
    made = [
        CaseRow(case_id=f"c{n}", reference="VK", unit_id="u1", status=CaseStatus.ACKNOWLEDGED, reported_at=START,
                acknowledged_at=START + timedelta(seconds=7 * n + 0.123456))
        for n in range(6000)
    ]  # fmt: skip
    delta = tallies.Delta()
    for row in made[:-1]:
        delta.add(row, None)
    [(_, first)] = tallies.changes("t-x", delta, {})
    pieces = [name for name in first if name.startswith("hours")]
    assert len(pieces) > 3 and all(len(first[name]) <= 32_000 for name in pieces)

    class Stored(dict[str, object]):  # as the table gives an entity back: its properties and its ETag
        metadata: ClassVar[dict[str, str]] = {"etag": "W/1"}

    more = tallies.Delta()
    more.add(made[-1], None)
    [(_, second, _)] = tallies.changes("t-x", more, {"u1": Stored(first)})
    counts = tallies.counts_of([second], None)
    expected = sorted((row.acknowledged_at - row.reported_at).total_seconds() / 3600 for row in made)  # type: ignore[operator]
    assert tallies.hours_in(second) == expected
    assert counts.acknowledged["u1"] == (6000, (expected[2999] + expected[3000]) / 2)
