"""The order of a confirmed report's writes, the same on every store: the case first, its follow-ups and its
leader's card only once it is stored, never without it (on the local store with the real writes:
tests/integration/test_report_filing.py)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from services.reporting import ReportServices
from storage.ports import PreconditionFailed


class Recorder:
    def __init__(self, create_fails: bool) -> None:
        self.events: list[str] = []
        self._create_fails = create_fails

    async def create(self, case: Any, *, replacing: str | None = None) -> str:
        self.events.append("storing the case")
        await asyncio.sleep(0.01)  # a storage round trip
        if self._create_fails:  # e.g. a second confirm of the same report at the same moment
            raise PreconditionFailed("cases/x.json")
        self.events.append("case stored")
        return "etag"

    async def case_reported(self, case: Any, evidence: list[Any]) -> None:
        self.events.append("follow-ups and leader's card queued")

    async def add(self, case: Any) -> None:
        self.events.append("indexed")

    async def saved(self, case: Any) -> None:
        self.events.append("overview row")


def filing_with(recorder: Recorder) -> ReportServices:
    """The report filing service with the recorder in place of its stores."""
    services = ReportServices.__new__(ReportServices)
    services.cases = services.notifications = services.case_index = recorder  # type: ignore[assignment]
    return services


async def test_the_follow_ups_and_the_leaders_card_are_queued_after_the_case_is_stored() -> None:
    recorder = Recorder(create_fails=False)
    await filing_with(recorder)._file(SimpleNamespace(), [])  # type: ignore[arg-type]
    events = [event for event in recorder.events if event not in ("indexed", "overview row")]
    assert events == ["storing the case", "case stored", "follow-ups and leader's card queued"]
    assert "indexed" in recorder.events
    assert recorder.events.index("overview row") > recorder.events.index("case stored")  # it carries the reference


async def test_nothing_is_queued_when_the_case_could_not_be_stored() -> None:
    recorder = Recorder(create_fails=True)
    with pytest.raises(PreconditionFailed):
        await filing_with(recorder)._file(SimpleNamespace(), [])  # type: ignore[arg-type]
    assert "follow-ups and leader's card queued" not in recorder.events
    assert "overview row" not in recorder.events
