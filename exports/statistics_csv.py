"""The overview's statistics as CSV, for a spreadsheet: one line per count (table, unit, column, count), a suppressed
count left empty and marked, then the medians. Only what the published statistics show: no names, no free text."""

from __future__ import annotations

import csv
import io

from domain.statistics import Statistics

TOTAL = "total"
SUPPRESSED = "suppressed"


def statistics_csv(stats: Statistics) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["table", "unit_id", "unit", "column", "count", "note"])

    def line(table: str, unit_id: str, column: str, value: int | None) -> None:
        unit = stats.units.get(unit_id, "") if unit_id not in ("", TOTAL) else ""
        writer.writerow(
            [table, unit_id, _safe(unit), column, "" if value is None else value, SUPPRESSED if value is None else ""]
        )

    for table in stats.tables:
        for row in table.rows:
            for column in table.columns:
                line(table.name, row, column, table.cells[(row, column)])
            if table.row_totals is not None:
                line(table.name, row, TOTAL, table.row_totals[row])
        for column in table.columns:
            line(table.name, TOTAL, column, table.column_totals[column])
        if table.row_totals is not None:
            line(table.name, TOTAL, TOTAL, table.total)
    for median in stats.time_to_acknowledge:
        hours = "" if median.hours is None else f"{median.hours:.1f}"
        note = SUPPRESSED if median.hours is None else ""
        writer.writerow(
            ["median_hours_to_acknowledge", median.unit_id, _safe(stats.units.get(median.unit_id, "")), "", hours, note]
        )
    return out.getvalue()


def _safe(text: str) -> str:
    """A unit name that a spreadsheet would not run as a formula."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
