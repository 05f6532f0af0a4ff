"""Every card, rendered by the official Adaptive Cards renderer (npm `adaptivecards`) with a Teams host config
in headless Chromium: no parse warnings or errors, nothing over Teams' 28 KB, a screenshot of each.

Needs `npm ci` and Debian's Chromium (`apt-get install chromium`); skipped only when Chromium is absent."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "render_cards.py"
LANGUAGES = ("da", "en")
QUESTIONS = (
    "safety",
    "subject",
    "kinds",
    "context",
    "channel",
    "when",
    "description",
    "offender",
    "links",
    "witnesses",
    "impact",
    "evidence",
)
PLAN_QUESTIONS = (
    "prevention",
    "workflow",
    "protection",
    "findability",
    "digital_media",
    "sms_mail",
    "competences",
    "escalation",
    "help_offered",
    "offender_handling",
)
PLATFORMS = (
    "facebook",
    "instagram",
    "x",
    "tiktok",
    "youtube",
    "linkedin",
    "snapchat",
    "google",
    "trustpilot",
    "websites",
)
EVERY_LANGUAGE = (
    "welcome",
    "prevention",
    "citizen",
    "removal",
    *(f"removal-{platform}" for platform in PLATFORMS),
    "law",
    "summary",
    "submitted",
    "submitted-plan",
    "choose-leader",
    "status-new",
    "status-in-progress",
    "status-closed",
    "status-reporter",
    "leader-new",
    "leader-urgent",
    "leader-acknowledged",
    "leader-everything-done",
    "leader-closed",
    "leader-follow-up",
    "hr-escalation",
    "hr-escalation-automatic",
    "hr-escalation-advised",
    "check-in",
    "check-in-answered",
    "check-in-stopped",
    "evidence-view",
    *(f"report-{question}" for question in QUESTIONS),
    "my-cases",
    "my-cases-empty",
    "my-case",
    "my-case-closed",
    "my-case-draft",
    "add-evidence",
    "package-choose-police",
    "package-choose-full",
    "work-environment",
    *(f"plan-question-{question}" for question in PLAN_QUESTIONS),
    "plan-question-editing",
    "plan-contacts",
    "plan-roles",
    "plan-revision",
    "plan-summary",
    "plan-view-editor",
    "plan-view-employee",
    "plan-view-overdue",
    "plan-choose-unit",
)
DANISH_ONLY = ("leader-largest-da", "package-choose-most-da", "plan-view-largest-da")
TEAMS_MAX_BYTES = 28 * 1024


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("render_cards", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being created
    spec.loader.exec_module(module)
    return module


render_cards = _load_script()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], dict[str, Any], Path]:
    if not render_cards.CHROMIUM.is_file():
        pytest.skip(f"Chromium is not installed at {render_cards.CHROMIUM}: apt-get install chromium")
    for module in render_cards.NEEDED_MODULES:
        if not (ROOT / "node_modules" / module).is_dir():
            pytest.fail(f"node_modules/{module} is missing: run `npm ci` in the repository root")
    out = tmp_path_factory.mktemp("cards")
    report_path = out / "report.json"
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(out), "--report", str(report_path), "--no-shrink"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert report_path.is_file(), f"no report written:\n{completed.stdout}\n{completed.stderr}"
    return completed, json.loads(report_path.read_text(encoding="utf-8")), out


def test_every_card_renders_without_warnings_and_fits_teams(rendered: tuple[Any, dict[str, Any], Path]) -> None:
    completed, report, _ = rendered
    problems = {card["name"]: card["problems"] for card in report["cards"] if card["problems"]}
    assert problems == {}, completed.stdout
    oversized = {card["name"]: card["size"] for card in report["cards"] if card["size"] > TEAMS_MAX_BYTES}
    assert oversized == {}
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_every_card_family_is_rendered_in_both_languages(rendered: tuple[Any, dict[str, Any], Path]) -> None:
    _, report, _ = rendered
    names = {card["name"] for card in report["cards"]}
    missing = [f"{family}-{lang}" for family in EVERY_LANGUAGE for lang in LANGUAGES if f"{family}-{lang}" not in names]
    assert missing == []
    assert {f"leader-done-{verb}-da" for verb in ("first_aid", "police", "escalate_hr")} <= names
    assert set(DANISH_ONLY) <= names


def test_each_card_has_its_screenshots(rendered: tuple[Any, dict[str, Any], Path]) -> None:
    _, report, out = rendered
    for card in report["cards"]:
        assert card["screenshots"], card["name"]
        for shot in card["screenshots"]:
            with Image.open(out / shot) as image:
                assert image.format == "PNG"
                assert image.size[0] in (360, 480), (shot, image.size)
                assert image.size[1] > 60, (shot, image.size)
    opened = [shot for card in report["cards"] for shot in card["screenshots"] if "--" in shot]
    assert "leader-acknowledged-da--close.png" in opened
    assert "leader-acknowledged-da--absence.png" in opened
    assert {
        "hr-escalation-automatic-da--hr_assign.png",
        "hr-escalation-automatic-en--hr_advice.png",
        "hr-escalation-automatic-da--legal_hold.png",
        "hr-escalation-automatic-en--hr_reassign.png",
    } <= set(opened)
    index = (out / "index.md").read_text(encoding="utf-8")
    assert all(f"`{card['name']}`" in index for card in report["cards"])


# --- how a result is judged (no browser needed) -----------------------------------------------------------


def _sample(card: dict[str, Any]) -> Any:
    return render_cards.Sample(name="x-da", title="x", card=card)


def test_a_parse_warning_or_a_validation_failure_is_a_problem() -> None:
    result = {
        "parseEvents": [{"phase": "Parse", "event": "UnknownElementType", "message": "Unknown element type: Foo"}],
        "validation": [{"phase": "Validation", "event": "DuplicateId", "message": "Duplicate Id x"}],
        "errors": [],
        "layout": ['480px: button titles cut off: "Luk sagen"'],
        "screenshots": ["x-da.png"],
    }
    found = render_cards.outcome(_sample({"type": "AdaptiveCard"}), result)
    assert found.problems == [
        "parse Parse/UnknownElementType: Unknown element type: Foo",
        "validation Validation/DuplicateId: Duplicate Id x",
    ]
    assert found.layout == ['480px: button titles cut off: "Luk sagen"']


def test_a_card_over_28_kb_is_a_problem() -> None:
    card = {"type": "AdaptiveCard", "body": [{"type": "TextBlock", "text": "æ" * 15000}]}
    found = render_cards.outcome(_sample(card), {"parseEvents": [], "validation": [], "errors": []})
    assert found.size > TEAMS_MAX_BYTES
    assert found.problems == [f"card is {found.size} bytes, over Teams' limit of {TEAMS_MAX_BYTES}"]


def test_a_screenshot_is_shrunk_to_256_colours_at_the_same_size(tmp_path: Path) -> None:
    """What docs/cards keeps (the rendering above leaves Chromium's PNGs as they are: --no-shrink)."""
    shot = tmp_path / "card.png"
    image = Image.new("RGB", (480, 200), "white")
    for x in range(480):  # more colours than a palette holds: a gradient, as anti-aliased text gives
        for y in range(0, 200, 4):
            image.putpixel((x, y), (x % 256, (x * 3) % 256, y))
    image.save(shot)
    render_cards.shrink_png(shot)
    with Image.open(shot) as shrunk:
        assert shrunk.format == "PNG"
        assert shrunk.mode == "P"
        assert shrunk.size == (480, 200)
        assert len(shrunk.getcolors(maxcolors=1024) or []) <= 256


def test_a_card_the_renderer_skipped_is_a_problem() -> None:
    assert render_cards.outcome(_sample({"type": "AdaptiveCard"}), None).problems == ["the renderer returned no result"]
