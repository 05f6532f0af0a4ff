"""The one place that keeps the overview's case table in step with the cases.

`saved(case)` turns the case into its overview row (domain.overview.case_row) and stores it. It runs after every
stored write of a case (storage.cases.CaseRepository calls it from `replace` and `update`; ReportServices once a
new case is stored) and for every case in the start-up sweep, which heals a crash between a case's write and its
row and fills the table for cases older than it. A row that cannot be stored is logged and never fails the write
of the case that was already made.
"""

from __future__ import annotations

import logging

from domain.case import Case
from domain.follow_ups import FollowUps
from domain.overview import case_row
from storage.ports import CaseTable

log = logging.getLogger("vaern.overview")


class CaseRecords:
    def __init__(self, table: CaseTable, follow_ups: FollowUps) -> None:
        self._table = table
        self._follow_ups = follow_ups

    async def saved(self, case: Case) -> None:
        row = case_row(case, self._follow_ups)
        if row is None:
            return
        try:
            await self._table.upsert(row)
        except Exception:
            log.exception("overview: could not store the row of a case", extra={"fields": {"case_id": case.case_id}})
