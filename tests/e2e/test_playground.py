"""End to end in a Teams-like client: the Microsoft 365 Agents Playground's web UI, driven in Chromium.

Two Playgrounds run against one real bot (`python app.py`), one per signed-in person, as two people each have
their own Teams: Sara (employee) and Lone (her leader in the directory file). Sara writes "hjælp", reports what
happened by clicking through the question cards, shares a screenshot and pastes an SMS as evidence, checks the
summary and sends it; she sees her case reference. Lone, who has talked to the bot before, gets the leader card
in her own chat, clicks its Action.Execute button "Kvittér for sagen", and the card updates in place; Sara is
told. The scenario runs once (about 30 s); the tests below check what it showed and what the bot stored.

Where the Playground (0.2.x) cannot act as Teams does, the test says so instead of hiding it:
- it stamps every activity `locale: en-US`; `LocaleShim` between it and the bot plays a Danish Teams;
- its message box sends text only, so the screenshot is shared through its "Mock an Activity → Custom
  activity" dialog as the `file.download.info` activity Teams sends for a file in a 1:1 chat, the file lying
  on a local stand-in for OneDrive (`FileServer`).

Screenshots of the key steps go to a temporary folder; `PLAYGROUND_SCREENS_DIR=docs/screens` refreshes the ones
in the repository. Needs `npm ci` (the Playground, playwright-core), node and Debian's Chromium; skipped, with
the reason, only when one of them is missing, and an error instead when VAERN_REQUIRE_PLAYGROUND=1 (for CI).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

from content import texts_for
from domain.case import Case
from tests.support.bot_process import BotProcess, BotStorage
from tests.support.file_server import FileServer
from tests.support.playground import (
    PACKAGE,
    LocaleShim,
    Playground,
    PlaygroundUser,
    config_file_text,
    installed_version,
    node_executable,
)
from tests.support.stored import all_cases, case_with_reference, documents_under, evidence_bytes, evidence_items

REPO_ROOT = Path(__file__).resolve().parents[2]
DRIVER = REPO_ROOT / "tests" / "support" / "playground_driver.mjs"
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/lib/chromium/chromium"))
DRIVER_TIMEOUT_SECONDS = 180
OUTBOX_SETTLE_SECONDS = 6.0
TENANT = "8d5c7a2e-0000-4000-8000-0000000000a1"
BOT_ID = "28:00000000-0000-4000-8000-00000000b007"
CRISIS_LINE = "89 70 12 99"
REFERENCE = re.compile(r"VK-(\d{4})-\d{4}")
DA = texts_for("da", CRISIS_LINE)

SARA = PlaygroundUser(
    "29:1sara", "Sara Ahmadi", "sara.ahmadi@eksempel-kommune.dk", "0b1c2d3e-0000-4a00-8000-000000000012"
)
LONE = PlaygroundUser("29:1lone", "Lone Kjær", "lone.kjaer@eksempel-kommune.dk", "0b1c2d3e-0000-4a00-8000-000000000010")
MADS = PlaygroundUser(
    "29:1mads", "Mads Nørgaard", "mads.norgaard@eksempel-kommune.dk", "0b1c2d3e-0000-4a00-8000-000000000011"
)
JENS = PlaygroundUser(
    "29:1jens", "Jens Vestergaard", "jens.vestergaard@eksempel-kommune.dk", "0b1c2d3e-0000-4a00-8000-000000000013"
)
IDA = PlaygroundUser("29:1ida", "Ida Lund", "ida.lund@eksempel-kommune.dk", "0b1c2d3e-0000-4a00-8000-000000000015")
PETER = PlaygroundUser(
    "29:1peter", "Peter Dam", "peter.dam@eksempel-kommune.dk", "0b1c2d3e-0000-4a00-8000-000000000014"
)
TENANT_PEOPLE = [SARA, LONE, MADS, JENS, IDA, PETER]

DESCRIPTION = (
    "En borger skrev i en Facebook-gruppe, at jeg er inkompetent og burde fyres. Opslaget er delt mange gange."
)
PASTED_SMS = "SMS fra borgeren kl. 14.02: Du skal passe på, jeg ved hvor du bor."
EVIDENCE_NAME = "opslag.png"


def _missing_tools() -> str | None:
    if not CHROMIUM.exists():
        return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    if node_executable() is None:
        return "node is not installed (apt-get install nodejs npm)"
    if installed_version() is None:
        return f"{PACKAGE} is not installed (npm ci)"
    if not (REPO_ROOT / "node_modules" / "playwright-core").exists():
        return "playwright-core is not installed (npm ci)"
    return None


if (_missing := _missing_tools()) is not None and os.environ.get("VAERN_REQUIRE_PLAYGROUND") == "1":
    raise RuntimeError(f"VAERN_REQUIRE_PLAYGROUND=1 but {_missing}")  # CI must not skip this silently
pytestmark = [pytest.mark.slow, pytest.mark.skipif(_missing is not None, reason=_missing or "")]


def directory() -> dict[str, Any]:
    """Jobcenter Syd: Lone leads it, Mads is her deputy; Sara and the others work there. Nobody leads themself."""

    def person(user: PlaygroundUser) -> dict[str, str]:
        return {
            "aad_object_id": user.aad_object_id,
            "upn": user.upn,
            "name": user.name,
            "unit": "jobcenter-syd",
            "teams_user_id": user.teams_id,
        }

    return {
        "units": [
            {
                "id": "jobcenter-syd",
                "name": "Jobcenter Syd",
                "leader": LONE.aad_object_id,
                "deputy": MADS.aad_object_id,
                "work_environment_group": [LONE.aad_object_id, PETER.aad_object_id],
                "safety_representatives": [PETER.aad_object_id],
            }
        ],
        "people": [person(user) for user in TENANT_PEOPLE],
        "hr": [],
    }


def post_screenshot() -> bytes:
    """A phone screenshot of the offending post: a real PNG, drawn here."""
    image = Image.new("RGB", (390, 220), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 390, 36), fill=(66, 103, 178))
    draw.text((12, 12), "Facebook · Borgere i byen", fill="white")
    lines = ["Jens H. · 2 t", "", "Sagsbehandleren på jobcentret er", "inkompetent og burde fyres!!", "", "7 delinger"]
    for number, line in enumerate(lines):
        draw.text((12, 50 + 22 * number), line, fill=(28, 30, 33))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def file_shared_in_chat(playground: Playground, user: PlaygroundUser, name: str, url: str) -> dict[str, Any]:
    """The activity Teams sends when a person shares a file in their 1:1 chat with a bot (file.download.info)."""
    return {
        "type": "message",
        "id": str(uuid.uuid4()),
        "timestamp": datetime.now().astimezone().isoformat(),
        "channelId": "msteams",
        "serviceUrl": f"{playground.url}/_connector",
        "from": {"id": user.teams_id, "name": user.name, "aadObjectId": user.aad_object_id},
        "recipient": {"id": BOT_ID, "name": "Værn"},
        "conversation": {"id": playground.personal_chat_id, "conversationType": "personal", "tenantId": TENANT},
        "channelData": {"tenant": {"id": TENANT}},
        "locale": "da-DK",
        "text": "",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.teams.file.download.info",
                "contentUrl": url,
                "name": name,
                "content": {"downloadUrl": url, "uniqueId": str(uuid.uuid4()), "fileType": "png"},
            }
        ],
    }


class Steps(list[dict[str, Any]]):
    """The plan for playground_driver.mjs; `tag` names a step whose value a test reads."""

    def on(self, page: str, do: str, **fields: Any) -> Steps:
        self.append({"do": do, "page": page, **fields})
        return self


def scenario(shared_file: dict[str, Any]) -> Steps:
    """Every click and keystroke of the story, with the texts taken from content/da.toml."""
    saved_text = DA("evidence.saved_text", short_hash="").split(" – ")[0].lstrip("✅ ")
    reported = DA("leader.status", status=DA("leader.status_reported"))
    acknowledged = DA("leader.status", status=DA("leader.status_acknowledged"))
    steps = Steps()
    # Lone has talked to the bot before (in Teams: she has the app), so the bot knows her 1:1 chat.
    steps.on("leader", "open", viewport={"width": 1280, "height": 1500}, settle=DA("welcome.title"))
    steps.on("leader", "say", text="hej", awaitReply=True)
    # Sara asks for help and reports.
    steps.on("employee", "open", settle=DA("welcome.title"))
    steps.on("employee", "say", text="hjælp", awaitReply=True, tag="welcome")
    steps.on("employee", "screenshot", name="01-welcome", of=DA("welcome.report"))
    steps.on("employee", "click", button=DA("welcome.report"))
    steps.on("employee", "click", button=DA("common.no"))  # not in acute danger
    steps.on("employee", "click", button=DA("subject.me"))
    steps.on("employee", "tick", label=DA("kinds.threats")).on("employee", "tick", label=DA("kinds.mockery"))
    steps.on("employee", "screenshot", name="02-question-kinds", of=DA("kinds.question"))
    steps.on("employee", "click", button=DA("common.next"))
    steps.on("employee", "tick", label=DA("common.yes"), nth=0)  # during working hours
    steps.on("employee", "tick", label=DA("common.no"), nth=1)  # colleagues not targeted
    steps.on("employee", "click", button=DA("common.next"))
    steps.on("employee", "tick", label=DA("channel.facebook"))
    steps.on("employee", "click", button=DA("common.next"))
    steps.on("employee", "click", button=DA("when.now"))
    steps.on("employee", "waitText", text=DA("description.question"))
    steps.on("employee", "fill", textbox=0, text=DESCRIPTION)
    steps.on("employee", "click", button=DA("common.next"))
    steps.on("employee", "click", button=DA("offender.not_known"))
    steps.on("employee", "click", button=DA("links.none"))
    steps.on("employee", "click", button=DA("witnesses.done"))
    steps.on("employee", "tick", label=DA("impact.scale_3"))
    steps.on("employee", "click", button=DA("common.next"))
    steps.on("employee", "waitText", text=DA("evidence.pasted"))
    steps.on("employee", "customActivity", activity=shared_file)
    steps.on("employee", "waitText", text=EVIDENCE_NAME)
    steps.on("employee", "fill", label=DA("evidence.pasted"), text=PASTED_SMS)
    steps.on("employee", "click", button=DA("evidence.save_text"))
    steps.on("employee", "waitText", text=saved_text, tag="text_saved")
    steps.on("employee", "screenshot", name="03-evidence-saved")
    steps.on("employee", "click", button=DA("evidence.done"))
    steps.on("employee", "cardText", contains=DA("summary.title"), tag="summary")
    steps.on("employee", "screenshot", name="04-summary", of=DA("summary.confirm"))
    steps.on("employee", "click", button=DA("summary.confirm"))
    steps.on("employee", "waitRegex", pattern=REFERENCE.pattern, tag="reference")
    steps.on("employee", "cardText", contains=DA("submitted.body"), tag="submitted")
    steps.on("employee", "screenshot", name="05-reference", of=DA("submitted.body"))
    # A second click on the old summary card (a stressed double tap) must not send a second case.
    steps.on("employee", "click", button=DA("summary.confirm"), awaitReply=True, tag="second_send")
    # Lone's card arrives in her own chat; she acknowledges the case; the card changes where it is.
    steps.on("leader", "waitText", text=reported)
    steps.on("leader", "cardText", contains=reported, tag="leader_before")
    steps.on("leader", "countCards", contains="VK-", tag="leader_cards_before")
    steps.on("leader", "screenshot", name="06-leader-card", of=reported)
    steps.on("leader", "click", button=DA("actions.acknowledge"))
    steps.on("leader", "waitText", text=acknowledged)
    steps.on("leader", "cardText", contains=acknowledged, tag="leader_after")
    steps.on("leader", "countCards", contains="VK-", tag="leader_cards_after")
    steps.on("leader", "screenshot", name="07-leader-card-acknowledged", of=acknowledged)
    # Sara hears about it in her chat.
    steps.on("employee", "waitText", text=DA("employee_update.acknowledge"), tag="employee_update")
    steps.on("employee", "screenshot", name="08-employee-told")
    return steps


def run_driver(plan: dict[str, Any], workdir: Path) -> dict[str, Any]:
    plan_path, result_path = workdir / "plan.json", workdir / "result.json"
    plan_path.write_text(json.dumps(plan, ensure_ascii=False, indent=2), encoding="utf-8")
    completed = subprocess.run(
        [node_executable() or "node", str(DRIVER), str(plan_path), str(result_path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=DRIVER_TIMEOUT_SECONDS,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")},
    )
    if not result_path.exists():
        raise AssertionError(f"the driver wrote no result (exit {completed.returncode}):\n{completed.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(result_path.read_text(encoding="utf-8"))
    result["stderr"] = completed.stderr[-4000:]
    return result


def _playground(user: PlaygroundUser, endpoint: str, workdir: Path) -> Playground:
    others = [person for person in TENANT_PEOPLE if person != user]
    config = config_file_text(
        user, others, tenant_id=TENANT, bot_id=BOT_ID, bot_name="Værn", personal_chat_id=f"chat-{uuid.uuid4().hex}"
    )
    return Playground(endpoint, config, workdir=workdir)


def _outbox(storage: BotStorage, folder: str) -> list[dict[str, Any]]:
    return [json.loads(data) for data in documents_under(storage, f"{folder}/").values()]


@dataclass
class Outcome:
    """What one run of the scenario showed (driver values by tag) and left behind (the bot's storage)."""

    values: dict[str, Any]
    storage: BotStorage
    screens: Path
    evidence_png: bytes
    file_requests: list[str]
    shim_activities: list[str]
    pending_outbox: list[dict[str, Any]] = field(default_factory=list)
    dead_outbox: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    def case(self) -> Case:
        return case_with_reference(self.storage, self.values["reference"])


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outcome]:
    started = time.monotonic()
    workdir = tmp_path_factory.mktemp("playground")
    screens_setting = os.environ.get("PLAYGROUND_SCREENS_DIR")
    screens = (REPO_ROOT / screens_setting) if screens_setting else workdir / "screens"
    directory_file = workdir / "directory.json"
    directory_file.write_text(json.dumps(directory(), ensure_ascii=False), encoding="utf-8")
    storage = BotStorage(backend="local", data_dir=workdir / "data")
    bot = BotProcess(storage.env(DIRECTORY_FILE=str(directory_file)), workdir=workdir / "bot")
    evidence_png = post_screenshot()
    with bot, LocaleShim(bot.messages_url) as shim, FileServer() as files:
        employee = _playground(SARA, shim.messages_url, workdir / "playground-sara")
        leader = _playground(LONE, shim.messages_url, workdir / "playground-lone")
        with employee.start(SARA.teams_id), leader.start(LONE.teams_id):
            url = files.add(f"/personal/sara_ahmadi/Documents/{EVIDENCE_NAME}", evidence_png, "image/png")
            steps = scenario(file_shared_in_chat(employee, SARA, EVIDENCE_NAME, url))
            plan = {
                "chromium": str(CHROMIUM),
                "pages": {"employee": employee.url, "leader": leader.url},
                "screensDir": str(screens),
                "failureDir": str(workdir / "failure"),
                "stepTimeoutMs": 20000,
                "steps": steps,
            }
            result = run_driver(plan, workdir)
            if not result["ok"]:
                report = {key: value for key, value in result.items() if key != "steps"}
                pytest.fail(
                    f"the Playground run failed (screenshots and page HTML in {workdir / 'failure'}):\n"
                    f"{json.dumps(report, indent=2, ensure_ascii=False)}\n"
                    f"--- bot (tail) ---\n{bot.log_tail()}\n"
                    f"--- employee Playground ---\n{employee.output()[-3000:]}\n"
                    f"--- leader Playground ---\n{leader.output()[-3000:]}\n"
                    f"--- activities through the locale shim: {shim.forwarded}"
                )
            values = {
                steps[done["index"]]["tag"]: done.get("value")
                for done in result["steps"]
                if "tag" in steps[done["index"]]
            }
            deadline = time.monotonic() + OUTBOX_SETTLE_SECONDS  # let the outbox deliver or fail what is left
            while _outbox(storage, "outbox") and time.monotonic() < deadline:
                time.sleep(0.2)
            yield Outcome(
                values=values,
                storage=storage,
                screens=screens,
                evidence_png=evidence_png,
                file_requests=[request.path for request in files.requests],
                shim_activities=list(shim.forwarded),
                pending_outbox=_outbox(storage, "outbox"),
                dead_outbox=_outbox(storage, "outbox-dead"),
                seconds=time.monotonic() - started,
            )


def test_the_employee_is_welcomed_with_the_crisis_line(outcome: Outcome) -> None:
    welcome = outcome.values["welcome"]
    assert CRISIS_LINE in welcome
    assert DA("welcome.report") in welcome
    assert SARA.name.split()[0] in welcome


def test_her_answers_come_back_in_the_summary(outcome: Outcome) -> None:
    summary = outcome.values["summary"]
    for expected in (
        DA("kinds.threats"),
        DA("kinds.mockery"),
        DA("summary.during_work"),
        DA("channel.facebook"),
        DESCRIPTION,
        DA("impact.scale_3"),
        EVIDENCE_NAME,
        DA("summary.confirm"),
    ):
        assert expected in summary, f"{expected!r} is not on the summary card:\n{summary}"


def test_she_gets_a_case_reference_and_the_case_is_stored(outcome: Outcome) -> None:
    reference = outcome.values["reference"]
    year = REFERENCE.fullmatch(reference)
    assert year and abs(int(year.group(1)) - date.today().year) <= 1  # the bot counts in Danish time
    assert reference in outcome.values["submitted"]
    case = outcome.case()
    assert case.subject.aad_object_id == SARA.aad_object_id
    assert case.leader is not None and case.leader.aad_object_id == LONE.aad_object_id
    assert case.incident.description == DESCRIPTION
    assert case.locale == "da"


def test_a_second_click_on_the_old_summary_sends_nothing_twice(outcome: Outcome) -> None:
    reference = outcome.values["reference"]
    assert reference not in outcome.values["second_send"]  # no second "Din sag er oprettet"
    assert len(all_cases(outcome.storage)) == 1


def test_the_shared_screenshot_and_the_pasted_sms_are_secured_unchanged(outcome: Outcome) -> None:
    case = outcome.case()
    items = {item.original_name: item for item in evidence_items(outcome.storage, case.case_id)}
    screenshot = items[EVIDENCE_NAME]
    assert screenshot.sha256 == hashlib.sha256(outcome.evidence_png).hexdigest()
    assert evidence_bytes(outcome.storage, screenshot) == outcome.evidence_png
    assert screenshot.uploaded_by == SARA.teams_id
    pasted = [item for item in items.values() if item.content_type.startswith("text/")]
    assert len(pasted) == 1 and evidence_bytes(outcome.storage, pasted[0]).decode() == PASTED_SMS
    assert pasted[0].short_hash in outcome.values["text_saved"]
    assert any(path.endswith(EVIDENCE_NAME) for path in outcome.file_requests)


def test_the_leaders_card_updates_in_place_when_she_acknowledges(outcome: Outcome) -> None:
    before, after = outcome.values["leader_before"], outcome.values["leader_after"]
    reference = outcome.values["reference"]
    assert reference in before and reference in after
    assert DA("actions.acknowledge") in before
    assert DA("actions.acknowledge") not in after
    assert DA("handling.acknowledged") in after and LONE.name in after
    assert outcome.values["leader_cards_before"] == outcome.values["leader_cards_after"] == 1
    assert outcome.case().handling.acknowledged is not None
    assert "invoke adaptiveCard/action acknowledge" in outcome.shim_activities  # Action.Execute, verb acknowledge


def test_the_employee_is_told_that_her_leader_acknowledged(outcome: Outcome) -> None:
    assert DA("employee_update.acknowledge") in outcome.values["employee_update"]


def test_every_notification_is_delivered(outcome: Outcome) -> None:
    """Each person's card is updated through their own chat's connector (the leader's here is another one)."""
    failing = [(item["id"], item.get("last_error") or "") for item in outcome.pending_outbox + outcome.dead_outbox]
    assert failing == []


def test_the_screenshots_are_taken(outcome: Outcome) -> None:
    names = {path.name for path in outcome.screens.glob("*.png")}
    assert names >= {
        "01-welcome.png",
        "02-question-kinds.png",
        "03-evidence-saved.png",
        "04-summary.png",
        "05-reference.png",
        "06-leader-card.png",
        "07-leader-card-acknowledged.png",
        "08-employee-told.png",
    }
    assert outcome.seconds < 150, f"the Playground scenario took {outcome.seconds:.0f} s"
