"""At start-up, one pass over every stored case: each step (finish an action a crash interrupted, plan the
case's follow-ups) gets the case as it was read once, so the sweep costs one listing and one read per case."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from domain.case import Case
from storage.cases import CaseRepository

log = logging.getLogger("vaern.cases")

CaseStep = Callable[[Case], Awaitable[object]]


async def sweep_cases(cases: CaseRepository, steps: list[CaseStep]) -> int:
    """Run every step on every stored case; a failing step is logged and the others still run. Returns how many
    cases were read."""
    swept = 0
    for case_id in await cases.list_ids():
        try:
            current = await cases.get(case_id)
        except Exception:
            log.exception("case sweep: could not read a case", extra={"fields": {"case_id": case_id}})
            continue
        if current is None:
            continue
        swept += 1
        for step in steps:
            try:
                await step(current.case)
            except Exception:
                fields = {"case_id": case_id, "step": getattr(step, "__qualname__", repr(step))}
                log.exception("case sweep: a step failed", extra={"fields": fields})
    log.info("case sweep done", extra={"fields": {"cases": swept}})
    return swept
