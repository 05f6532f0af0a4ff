"""Render every Værn card with the official Adaptive Cards renderer, the way Teams shows them, and check it.

    python scripts/render_cards.py                 # screenshots and index in docs/cards/
    python scripts/render_cards.py --out /tmp/cards --report /tmp/cards.json
    python scripts/render_cards.py --out /tmp/cards --report /tmp/cards.json --no-shrink   # checks only (tests)

Builds the sample cards with the project's own card builders (scripts/card_samples.py, both languages),
writes them as JSON to a temporary folder and runs scripts/render_cards.mjs, which renders each card with
npm `adaptivecards` and a Teams light host config (scripts/teams-hostconfig.json) in headless Chromium,
collects the renderer's parse warnings and errors and `validateProperties()` failures, and screenshots
each card at 480 px (Teams desktop) and some at 360 px (phone). Exits 1 when any card has a renderer
warning or error or is over Teams' 28 KB; 2 when Chromium or node_modules is missing.

Needs: `npm ci` (adaptivecards, playwright-core) and Debian's Chromium at /usr/lib/chromium/chromium
(or CHROMIUM_PATH); fonts-open-sans and fonts-noto-color-emoji make the screenshots look like Teams.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"
for folder in (ROOT, SCRIPTS):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from card_samples import Sample, samples  # noqa: E402
from PIL import Image  # noqa: E402

from cards.validation import TEAMS_MAX_BYTES  # noqa: E402

DEFAULT_OUT = ROOT / "docs" / "cards"
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/lib/chromium/chromium"))
HOST_CONFIG = SCRIPTS / "teams-hostconfig.json"
CSS = SCRIPTS / "teams-card.css"
NODE_SCRIPT = SCRIPTS / "render_cards.mjs"
NEEDED_MODULES = ("adaptivecards", "playwright-core")
RENDER_TIMEOUT_SECONDS = 300


class Missing(Exception):
    """A tool the renderer needs is not installed."""


@dataclass
class Outcome:
    """What happened to one card: `problems` fail the run; `layout` notes are for a person to look at."""

    sample: Sample
    size: int
    problems: list[str] = field(default_factory=list)
    layout: list[str] = field(default_factory=list)
    screenshots: list[str] = field(default_factory=list)


def card_size(card: dict[str, Any]) -> int:
    """Bytes of the card as the bot sends it (the measure of Teams' 28 KB limit)."""
    return len(json.dumps(card, ensure_ascii=False).encode("utf-8"))


def check_tools() -> str:
    """The node executable; raises Missing with what to install."""
    node = shutil.which("node")
    if node is None:
        raise Missing("node is not installed: apt-get install nodejs npm")
    if not CHROMIUM.is_file():
        raise Missing(f"Chromium is not installed at {CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)")
    for module in NEEDED_MODULES:
        if not (ROOT / "node_modules" / module / "package.json").is_file():
            raise Missing(f"node_modules/{module} is missing: run `npm ci` in the repository root")
    return node


def write_job(work: Path, out: Path, cards: Sequence[Sample]) -> Path:
    """The cards as JSON files and the job description render_cards.mjs reads."""
    entries = []
    for sample in cards:
        file = work / f"{sample.name}.json"
        file.write_text(json.dumps(sample.card, ensure_ascii=False), encoding="utf-8")
        entries.append({"name": sample.name, "file": str(file), "widths": sample.widths, "expand": sample.expand})
    job = {
        "hostConfig": str(HOST_CONFIG),
        "css": str(CSS),
        "outDir": str(out),
        "results": str(work / "results.json"),
        "cards": entries,
    }
    path = work / "job.json"
    path.write_text(json.dumps(job, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def run_renderer(node: str, job: Path) -> list[dict[str, Any]]:
    """Run the Node renderer; its results, one per card."""
    completed = subprocess.run(
        [node, str(NODE_SCRIPT), str(job)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=RENDER_TIMEOUT_SECONDS,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"render_cards.mjs failed ({completed.returncode}):\n{completed.stderr[-4000:]}")
    results_path = Path(json.loads(job.read_text(encoding="utf-8"))["results"])
    return json.loads(results_path.read_text(encoding="utf-8"))


def _event_text(kind: str, event: dict[str, Any]) -> str:
    source = f" ({event['source']})" if event.get("source") else ""
    return f"{kind} {event.get('phase', '?')}/{event.get('event', '?')}{source}: {event.get('message', '')}"


def outcome(sample: Sample, result: dict[str, Any] | None) -> Outcome:
    """Judge one card from its size and the renderer's result."""
    found = Outcome(sample=sample, size=card_size(sample.card))
    if found.size > TEAMS_MAX_BYTES:
        found.problems.append(f"card is {found.size} bytes, over Teams' limit of {TEAMS_MAX_BYTES}")
    if result is None:
        found.problems.append("the renderer returned no result")
        return found
    found.problems += [_event_text("parse", event) for event in result.get("parseEvents", [])]
    found.problems += [_event_text("validation", event) for event in result.get("validation", [])]
    found.problems += [f"render: {error}" for error in result.get("errors", [])]
    found.layout = list(result.get("layout", []))
    found.screenshots = list(result.get("screenshots", []))
    return found


def shrink_png(path: Path) -> None:
    """256 colours are plenty for a card and make the committed PNGs about a third of Chromium's size."""
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    small.save(path)


def remove_old_screenshots(out: Path) -> None:
    """Drop PNGs of cards that no longer exist, so docs/cards shows only what the code makes."""
    for old in out.glob("*.png"):
        old.unlink()


def index_markdown(outcomes: Sequence[Outcome]) -> str:
    """docs/cards/index.md: every card with its size and screenshots."""
    lines = [
        "# Værn's cards as Teams shows them",
        "",
        "Rendered by `python scripts/render_cards.py` with the official Adaptive Cards renderer (npm",
        "`adaptivecards`) and a Teams light host config (`scripts/teams-hostconfig.json`, from the Adaptive",
        "Cards Designer's *Microsoft Teams - Light*) in headless Chromium, 480 px wide like Teams desktop",
        "(some also 360 px like a phone). Segoe UI is replaced by Open Sans, so line breaks differ slightly",
        "from Teams. Do not edit: run the script again after changing a card.",
        "",
        f"Teams' limit is {TEAMS_MAX_BYTES} bytes per card.",
        "",
        "| card | shows | bytes | screenshots |",
        "|---|---|---:|---|",
    ]
    for item in outcomes:
        shots = " ".join(f"[{Path(shot).stem}]({shot})" for shot in item.screenshots)
        lines.append(f"| `{item.sample.name}` | {item.sample.title} | {item.size} | {shots} |")
    notes = [(item.sample.name, note) for item in outcomes for note in item.layout]
    if notes:
        lines += ["", "## Layout notes", "", "What the renderer shows cut off or too wide (look at the picture):", ""]
        lines += [f"- `{name}`: {note}" for name, note in notes]
    return "\n".join(lines) + "\n"


def render(out: Path, only: str = "", *, shrink: bool = True) -> list[Outcome]:
    """Render the samples (those whose name contains `only`) into `out`; raises Missing. `shrink=False` leaves the
    screenshots as Chromium wrote them (the checks do not need the smaller files that docs/cards keeps)."""
    node = check_tools()
    chosen = [sample for sample in samples() if only in sample.name]
    out.mkdir(parents=True, exist_ok=True)
    if not only:
        remove_old_screenshots(out)
    with tempfile.TemporaryDirectory(prefix="vaern-cards-") as work:
        results = run_renderer(node, write_job(Path(work), out, chosen))
    for result in results if shrink else []:
        for shot in result.get("screenshots", []):
            shrink_png(out / shot)
    by_name = {result["name"]: result for result in results}
    outcomes = [outcome(sample, by_name.get(sample.name)) for sample in chosen]
    if not only:
        (out / "index.md").write_text(index_markdown(outcomes), encoding="utf-8")
    return outcomes


def report(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """A machine-readable summary (for the tests)."""
    return {
        "cards": [
            {
                "name": item.sample.name,
                "size": item.size,
                "problems": item.problems,
                "layout": item.layout,
                "screenshots": item.screenshots,
            }
            for item in outcomes
        ]
    }


def print_summary(outcomes: Sequence[Outcome], out: Path) -> None:
    shots = sum(len(item.screenshots) for item in outcomes)
    largest = max(outcomes, key=lambda item: item.size)
    print(f"{len(outcomes)} cards rendered, {shots} screenshots in {out}")
    print(f"largest: {largest.sample.name}, {largest.size} bytes (limit {TEAMS_MAX_BYTES})")
    for item in outcomes:
        for note in item.layout:
            print(f"layout  {item.sample.name}: {note}")
        for problem in item.problems:
            print(f"PROBLEM {item.sample.name}: {problem}")
    failed = [item for item in outcomes if item.problems]
    print(f"{len(failed)} cards with problems" if failed else "no renderer warnings or errors; every card fits")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the PNGs and index.md")
    parser.add_argument("--report", type=Path, help="also write a JSON summary here")
    parser.add_argument("--only", default="", help="render only cards whose name contains this")
    parser.add_argument("--strict", action="store_true", help="layout notes fail the run too")
    parser.add_argument("--no-shrink", action="store_true", help="keep Chromium's PNGs (for checks, not for docs)")
    arguments = parser.parse_args(argv)
    try:
        outcomes = render(arguments.out.resolve(), arguments.only, shrink=not arguments.no_shrink)
    except Missing as error:
        print(f"cannot render the cards: {error}", file=sys.stderr)
        return 2
    if arguments.report:
        arguments.report.write_text(json.dumps(report(outcomes), ensure_ascii=False, indent=2), encoding="utf-8")
    print_summary(outcomes, arguments.out)
    failed = any(item.problems or (arguments.strict and item.layout) for item in outcomes)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
