"""benchmarks/overview.py keeps working: a tiny run on local storage seeds the case table, starts the real bot with
the tab's token check, measures every phase without an error, and reports the goals and the bot's memory."""

from __future__ import annotations

import re

import pytest

from benchmarks import overview

PHASES = ("baseline: me", "leader view", "HR register page", "HR statistics")


def test_a_tiny_local_run_measures_every_phase_without_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    code = overview.main(
        ["--cases", "300", "--units", "6", "--backends", "local", "--requests", "4", "--seconds", "5", "--warmup", "1"]
    )

    output = capsys.readouterr().out
    assert code == 0, output
    for phase in PHASES:
        line = re.search(rf"^local\s+{re.escape(phase)}\s+(\d+)\s+([\d.]+)\s+([\d.]+).*?\s(\d+)\s+(\d+)$", output, re.M)
        assert line is not None, output
        measured, p50, p95, errors, rss = int(line[1]), float(line[2]), float(line[3]), int(line[4]), int(line[5])
        assert 1 <= measured <= 4 and 0 < p50 <= p95 and errors == 0 and rss > 0
    assert re.search(r"local: seeding [\d.]+ s; slowest p95 [\d.]+ ms .* bot peak RSS \d+ MB against 300 MB", output)
