"""The crash-safety run shared by tests/e2e/test_crash_safety*.py (one file per storage backend, so pytest-xdist
can run the two on different workers): the bot is killed with SIGKILL at 12 points, during a report, inside an
evidence upload and right after a leader's Action.Execute, and restarted on the same storage each time.

After every restart: every case document parses; every visible evidence item has all its bytes with the recorded
size and SHA-256, and is the whole file that was sent, never a part; a leader action is applied fully (version
bumped, handling recorded, audited) or not at all, and repeating it works; the user's dialog resumes where it was
or starts cleanly, and never answers with an error. A reported case always reaches its leader.

The kill points are stratified, then drawn at random within each stratum, so every run hits each kind of moment:
a report killed between answers, while an answer is handled and while it is sent; an upload killed early in its
bytes, late in them and after the last byte (in the commit); a leader action killed early and late in its window,
on actions picked at random along the case's course. The seed is printed (`CRASH_SEED=<seed>` repeats a run) and
so are the figures (`pytest -s`): kills per phase, cases and evidence checked, and the losses, which must be none.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from domain.case import Case
from storage.outbox import LEADER_CARD
from tests.e2e.leader_steps import ReportedCase, execute_data, report_case
from tests.e2e.report_walk import STANDARD_ANSWERS, answer_until
from tests.e2e.test_leader_flow import ACTIONS
from tests.support.bot_process import BotProcess, BotStorage, RunningBot
from tests.support.connector_stub import ConnectorStub
from tests.support.evidence_files import png_screenshot
from tests.support.file_server import FileRequest, FileServer
from tests.support.integrity import IntegrityChecker, Sweep, pending_notifications, read_case
from tests.support.organisation import Organisation
from tests.support.stored import audit_events, cases_reported_by
from tests.support.teams import TeamsUser, Turn, actions, cards, texts

SEED_VARIABLE = "CRASH_SEED"
KILLS_PER_PHASE = 4  # x 3 phases = 12 kill points; each restart costs 3-5 s on a loaded 2-core machine
REPORT, EVIDENCE, LEADER = "report", "evidence", "leader"
# Where in its phase a kill lands: each stratum once, the rest of the phase's kills anywhere (KILLS_PER_PHASE).
BETWEEN_TURNS, DURING_TURN, WHILE_SENDING = "between answers", "answering", "sending"
REPORT_STRATA: list[str] = [BETWEEN_TURNS, DURING_TURN, WHILE_SENDING]
UPLOAD_STRATA: list[tuple[float, float]] = [(0.02, 0.5), (0.5, 1.0), (1.0, 1.25)]  # share of the bytes; past 1: commit
ACTION_STRATA: list[tuple[float, float]] = [(0.0, 0.025), (0.025, 0.05)]  # seconds after the Action.Execute
MOST_ACTIONS_SKIPPED = 2  # before a kill, the leader takes 0-2 actions unharmed: kills land on all of ACTIONS

ERROR_TEXT = "noget gik galt"  # content/da.toml common.error: a turn failed
STALE_TEXT = "tidligere trin"  # common.stale_card: the retried answer had been saved before the kill
WELCOME_TEXT = "Anmeld en krænkelse"  # the menu: no dialog was running
REFERENCE = re.compile(r"VK-\d{4}-\d{4}")

TURN_KILL_WINDOW_SECONDS = 0.06  # a report turn on Azurite takes some tens of ms
CONFIRM_SHARE = 1 / 3  # of the kills between answers: walk on to the summary first
SWEEP_TIMEOUT_SECONDS = 30.0  # the restarted process's start-up case sweep (it logs "case sweep done")
UPLOAD_BYTES = 5 * 1024 * 1024 + 12_345  # more than one 4 MiB block staged on Azure before the commit
UPLOAD_PATTERN_BYTES = 16  # divides the file server's 64 KiB block, so the file is prefix + pattern repeated
UPLOAD_DELAY_PER_BLOCK = 0.006  # ~0.5 s per upload, so the kill lands inside it
UPLOAD_AFTER_LAST_BYTE_SECONDS = 0.03  # kills after the last byte aim at the commit (bytes, then metadata)
LEADER_CARD_TIMEOUT_SECONDS = 5.0  # the outbox worker sends at once, and looks again every second
JOIN_TIMEOUT_SECONDS = 30.0

REPORT_STEPS: list[tuple[str, dict[str, Any]]] = [
    ("start", {"command": "report"}),
    *STANDARD_ANSWERS,
    ("summary", {"q": "summary", "answer": "confirm"}),
]


def joined(turn: list[dict]) -> str:
    return "\n".join(texts(turn))


def shown_question(turn: list[dict]) -> str | None:
    """The report question whose card the bot showed last in this turn (None: no question card)."""
    for card in reversed(cards(turn)):
        keys = [action["data"].get("q") for action in actions([card]) if isinstance(action.get("data"), dict)]
        if any(keys):
            return next(key for key in keys if key)
    return None


def in_flight(send: Callable[[], object]) -> threading.Thread:
    """Send in the background; the bot may die under it (the connection error is what a crash looks like)."""

    def run() -> None:
        with suppress(requests.RequestException):
            send()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@dataclass
class Reporter:
    """An employee walking the report dialog; `position` indexes REPORT_STEPS (the next step to send)."""

    user: TeamsUser
    leader: TeamsUser
    mark: int
    position: int = 0


@dataclass
class Upload:
    """A slow evidence file on the file server, unique per upload, with the digest of the whole file."""

    name: str
    path: str
    url: str
    sha256: str
    size: int


@dataclass
class LeaderCase:
    """A reported case the leader works through ACTIONS in order, one kill each; `version` and `applied` (the
    audited actions) are as stored after the previous one."""

    reported: ReportedCase
    version: int
    applied: list[str] = field(default_factory=list)
    next_action: int = 0


@dataclass
class Tally:
    kills: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    sweeps: int = 0
    cases_checked: int = 0  # case documents parsed, summed over the sweeps
    evidence_checked: int = 0  # evidence items whose bytes were hashed, summed over the sweeps
    leftovers: int = 0
    problems: list[str] = field(default_factory=list)


class CrashRun:
    """The bot, the people and the kill points of one run, with the checks after each restart."""

    def __init__(
        self,
        seed: int,
        bot: RunningBot,
        connector: ConnectorStub,
        file_server: FileServer,
        organisation: Organisation,
        new_user: Callable[..., TeamsUser],
    ) -> None:
        self.rng = random.Random(seed)
        self.bot = bot
        self.connector = connector
        self.file_server = file_server
        self.organisation = organisation
        self.new_user = new_user
        self.checker = IntegrityChecker(bot)
        self.tally = Tally()
        self.sweep = Sweep()
        self.reporter: Reporter | None = None
        self.evidence_user: TeamsUser | None = None
        self.uploads: dict[str, Upload] = {}
        self.leader_case: LeaderCase | None = None

    def problem(self, text: str) -> None:
        self.tally.problems.append(text)

    # ---- kill, restart, sweep -----------------------------------------------------------------------------------

    def kill_and_restart(self, phase: str, flight: threading.Thread | None = None) -> None:
        self.bot.process.kill()
        if flight is not None:
            flight.join(JOIN_TIMEOUT_SECONDS)
        self.tally.kills[phase] += 1
        mark = len(self.bot.process.log_text())
        self.bot.process.start()
        self.wait_for_start_up_sweep(mark)
        self.check_storage()

    def wait_for_start_up_sweep(self, mark: int) -> None:
        """The start-up case sweep completes what the kill interrupted (bot/unfinished_actions.py): storage is
        judged once it has run, however slowly the machine starts the new process's worker."""
        deadline = time.monotonic() + SWEEP_TIMEOUT_SECONDS
        while "case sweep done" not in self.bot.process.log_text()[mark:]:
            if time.monotonic() > deadline:
                self.problem(f"no start-up case sweep within {SWEEP_TIMEOUT_SECONDS} s of the restart")
                return
            time.sleep(0.05)

    def check_storage(self, *, full: bool = False) -> Sweep:
        sweep = self.checker.sweep(full=full)
        self.tally.sweeps += 1
        self.tally.cases_checked += len(sweep.cases)
        self.tally.evidence_checked += sweep.hashed
        self.tally.leftovers = sweep.leftovers
        self.tally.problems.extend(sweep.problems)
        for item in sweep.evidence.values():  # a visible upload is always the whole file
            upload = self.uploads.get(item.original_name)
            if upload is not None and (item.sha256, item.size) != (upload.sha256, upload.size):
                self.problem(f"evidence {item.original_name} is visible with {item.size} of {upload.size} bytes")
        self.sweep = sweep
        return sweep

    # ---- phase 1: a report, killed between or during answers ----------------------------------------------------

    def new_reporter(self) -> Reporter:
        unit = self.organisation.next_unit()
        leader = self.new_user(**unit.leader.teams_details())  # before the report: the card goes to this chat
        return Reporter(self.new_user(**unit.employee.teams_details()), leader, self.connector.mark())

    def report_kill(self, moment: str) -> None:
        """Kill between two answers, while an answer is handled, or while the report is sent ("confirm", which
        writes the most); the user then goes on as if nothing happened."""
        reporter = self.reporter = self.reporter or self.new_reporter()
        to_confirm = moment == WHILE_SENDING or (moment == BETWEEN_TURNS and self.rng.random() < CONFIRM_SHARE)
        for _ in range(len(REPORT_STEPS) if to_confirm else self.rng.randint(0, 3)):
            if reporter.position >= len(REPORT_STEPS) - 1:
                break
            self.report_step(reporter, reporter.user.submit(REPORT_STEPS[reporter.position][1]), after_kill=False)
        key, value = REPORT_STEPS[reporter.position]
        if moment == BETWEEN_TURNS:
            self.kill_and_restart(REPORT)
            self.tally.outcomes["report: killed between answers"] += 1
        else:
            flight = in_flight(lambda: reporter.user.submit(value, check=False))
            time.sleep(self.rng.uniform(0, TURN_KILL_WINDOW_SECONDS))
            self.kill_and_restart(REPORT, flight)
            self.tally.outcomes[f"report: killed while {'sending' if key == 'summary' else 'answering'}"] += 1
        self.report_step(reporter, reporter.user.submit(value, check=False), after_kill=True)  # the user goes on

    def report_step(self, reporter: Reporter, turn: Turn, *, after_kill: bool) -> None:
        """Check the bot's answer to REPORT_STEPS[position] and move on to the question it shows."""
        key = REPORT_STEPS[reporter.position][0]
        seen = joined(turn)
        if turn.status >= 300 or ERROR_TEXT in seen or not turn:
            self.problem(f"report step {key}: answered {turn.status} {seen[:200]!r}")
        if key == "summary":
            self.finish_report(reporter, seen)
            return
        expected, shown = REPORT_STEPS[reporter.position + 1][0], shown_question(turn)
        if shown != expected and not (key == "start" and shown is None):  # "report" again mid-dialog: no card
            self.problem(f"report step {key}: the bot shows {shown!r}, expected {expected!r}: {seen[:200]!r}")
        if after_kill and key == "start":
            self.tally.outcomes["dialog after the kill: report (re)started"] += 1
        elif after_kill:
            saved = "the answer had been saved" if STALE_TEXT in seen else "the answer taken again"
            self.tally.outcomes[f"dialog after the kill: resumed, {saved}"] += 1
        reporter.position += 1

    def finish_report(self, reporter: Reporter, seen: str) -> None:
        """The report was confirmed (perhaps twice, across a kill): one case, reported, and its leader told."""
        reference = REFERENCE.search(seen)
        if reference is None and WELCOME_TEXT not in seen:
            self.problem(f"confirming the report got neither a reference nor the menu: {seen[:200]!r}")
        found = cases_reported_by(self.bot, reporter.user.user_id)
        if len(found) != 1 or found[0].status != "reported":
            self.problem(f"confirmed report stored as {[(c.reference, c.status.value) for c in found]}")
        elif reference is not None and reference.group() != found[0].reference:
            self.problem(f"the user was told {reference.group()}, the case is {found[0].reference}")
        if found and not self.leader_told(found[0], reporter):
            pending = [n for n in pending_notifications(self.bot, found[0].case_id) if n.kind == LEADER_CARD]
            if pending:  # delayed, not lost: e.g. claimed by the killed bot, sent again when its lease ends
                self.tally.outcomes["leader card delayed: still in the outbox"] += 1
            else:
                self.problem(f"the leader never got case {found[0].reference} ({found[0].case_id})")
        self.tally.outcomes["reports sent"] += 1
        self.reporter = None

    def leader_told(self, case: Case, reporter: Reporter) -> bool:
        """The leader's card for the case arrived (in any chat: the bot may know an older one of the leader's)."""

        def card_arrived(_calls: list) -> bool:
            sent = cards(self.connector.activities(since=reporter.mark))
            return any(execute_data(card).get("case_id") == case.case_id for card in sent if card.get("refresh"))

        try:
            return self.connector.wait_for(card_arrived, LEADER_CARD_TIMEOUT_SECONDS)
        except TimeoutError:
            return False

    # ---- phase 2: a slow evidence file, killed while it is downloaded and stored ------------------------------

    def new_upload(self) -> Upload:
        number = len(self.uploads) + 1
        name = f"skaermoptagelse-{number:02d}.png"
        prefix = png_screenshot(shade=number)
        pattern = self.rng.randbytes(UPLOAD_PATTERN_BYTES)
        path = f"/personal/crash/{self.rng.getrandbits(64):016x}/{name}"
        url = self.file_server.add_generated(
            path, UPLOAD_BYTES, pattern, prefix=prefix, content_type="image/png", delay_per_block=UPLOAD_DELAY_PER_BLOCK
        )
        whole = prefix + (pattern * (UPLOAD_BYTES // UPLOAD_PATTERN_BYTES + 1))[: UPLOAD_BYTES - len(prefix)]
        upload = Upload(name, path, url, hashlib.sha256(whole).hexdigest(), UPLOAD_BYTES)
        self.uploads[name] = upload
        return upload

    def evidence_kill(self, point: float) -> None:
        """Kill when `point` of the upload's bytes are sent (past 1: after the last byte, in the commit)."""
        if self.evidence_user is None:
            unit = self.organisation.next_unit()
            self.evidence_user = self.new_user(**unit.employee.teams_details())
            answer_until(self.evidence_user, "evidence")
        user, upload = self.evidence_user, self.new_upload()
        flight = in_flight(lambda: user.send_files([(upload.name, upload.url)], check=False))
        self.wait_for_upload(upload, point)
        self.kill_and_restart(EVIDENCE, flight)
        secured = any(item.original_name == upload.name for item in self.sweep.evidence_by(user.user_id))
        self.tally.outcomes[f"evidence: {'secured' if secured else 'not visible'} at the kill"] += 1
        turn = user.send_files([(upload.name, upload.url)], check=False)  # the user sends it again
        seen = joined(turn)
        if turn.status >= 300 or ERROR_TEXT in seen or upload.sha256[:12] not in seen:
            self.problem(f"sending {upload.name} again after the kill: {turn.status} {seen[:200]!r}")

    def wait_for_upload(self, upload: Upload, point: float) -> None:
        wanted = int(min(point, 1.0) * upload.size)

        def reached(requests_so_far: list[FileRequest]) -> bool:
            return any(r.path == upload.path and (r.completed or r.bytes_sent >= wanted) for r in requests_so_far)

        self.file_server.wait_for(reached, timeout=JOIN_TIMEOUT_SECONDS)
        if point > 1:
            time.sleep((point - 1) / 0.25 * UPLOAD_AFTER_LAST_BYTE_SECONDS)

    def finish_evidence(self) -> None:
        """Send the report with its evidence: the case lists exactly the items secured, each the whole file."""
        user = self.evidence_user
        if user is None:
            return
        user.submit({"q": "evidence", "answer": "done"})
        seen = joined(user.submit({"q": "summary", "answer": "confirm"}))
        if ERROR_TEXT in seen or not REFERENCE.search(seen):
            self.problem(f"the report with evidence was not sent: {seen[:200]!r}")
        found = cases_reported_by(self.bot, user.user_id)
        sweep = self.check_storage()
        stored = sorted(item.evidence_id for item in sweep.evidence_by(user.user_id))
        listed = sorted(item.evidence_id for case in found for item in case.evidence)
        if len(found) != 1 or listed != stored or len(stored) < len(self.uploads):
            self.problem(f"case evidence {len(listed)} items, stored {len(stored)}, uploads {len(self.uploads)}")
        self.tally.outcomes["evidence items in the sent case"] += len(listed)

    # ---- phase 3: a leader action, killed 0-50 ms after the Action.Execute ------------------------------------

    def leader_kill(self, delay: float) -> None:
        """The leader takes 0-2 actions of the case's course unharmed, then the next one is killed `delay` seconds
        after its Action.Execute."""
        if self.leader_case is not None:
            for _ in range(self.rng.randint(0, MOST_ACTIONS_SKIPPED)):
                if self.leader_case.next_action >= len(ACTIONS) - 1:
                    break
                self.leader_action(self.leader_case)
        if self.leader_case is None or self.leader_case.next_action == len(ACTIONS):
            reported = report_case(self.organisation, self.new_user, self.connector)
            self.leader_case = LeaderCase(reported, reported.version)
        leader_case = self.leader_case
        reported, version = leader_case.reported, leader_case.version
        verb, inputs = ACTIONS[leader_case.next_action]
        data = {"case_id": reported.case_id, "version": version, **inputs}
        before = read_case(self.bot, reported.case_id)
        flight = in_flight(lambda: reported.leader.execute(verb, data))
        time.sleep(delay)
        self.kill_and_restart(LEADER, flight)
        self.tally.outcomes[f"action at the kill: {self.check_action(leader_case, verb, before, at_kill=True)}"] += 1
        status, body = reported.leader.execute(verb, data)  # the leader clicks again on the same card
        card_version = None
        if status == 200 and isinstance(body, dict) and body.get("statusCode") == 200:
            card_version = int(execute_data(body["value"])["version"])
        if card_version != version + 1:
            self.problem(f"{verb} repeated after the kill: {status} {str(body)[:200]}")
        self.check_action(leader_case, verb, before, at_kill=False)

    def leader_action(self, leader_case: LeaderCase) -> None:
        """The next action of the case's course with no kill: applied once, the case's version one up."""
        verb, inputs = ACTIONS[leader_case.next_action]
        data = {"case_id": leader_case.reported.case_id, "version": leader_case.version, **inputs}
        before = read_case(self.bot, leader_case.reported.case_id)
        status, body = leader_case.reported.leader.execute(verb, data)
        if status != 200 or not isinstance(body, dict) or body.get("statusCode") != 200:
            self.problem(f"{verb} without a kill: {status} {str(body)[:200]}")
        self.tally.outcomes["actions taken without a kill"] += 1
        self.check_action(leader_case, verb, before, at_kill=False)

    def check_action(self, leader_case: LeaderCase, verb: str, before: Case, *, at_kill: bool) -> str:
        """All or nothing: the case as before and no new audit event, or version + 1, changed handling and
        audited once. Returns which of "applied", "not applied" or "half-applied" it is."""
        case_id, version = leader_case.reported.case_id, leader_case.version
        after = read_case(self.bot, case_id)
        audited = [event.action for event in audit_events(self.bot, case_id)]
        untouched = after == before and audited == leader_case.applied
        applied = (
            after.version == version + 1
            and after.handling != before.handling
            and audited == [*leader_case.applied, verb]
        )
        state = "applied" if applied else "not applied" if untouched and at_kill else "half-applied"
        if state == "half-applied":
            self.problem(
                f"{verb} on {case_id} half-applied {'at the kill' if at_kill else 'after the repeat'}: "
                f"version {before.version} -> {after.version}, handling changed {after.handling != before.handling}, "
                f"new audit events {audited[len(leader_case.applied) :]}"
            )
        if not at_kill:  # the next action starts from what is stored, so a problem is not carried on to it
            leader_case.applied, leader_case.version = audited, after.version
            leader_case.next_action += 1
        return state

    # ---- the end ---------------------------------------------------------------------------------------------

    def finish(self) -> None:
        """Walk the open report to its end (the leader must get it), send the evidence report, sweep everything."""
        if self.reporter is not None:
            while self.reporter is not None:
                reporter = self.reporter
                self.report_step(reporter, reporter.user.submit(REPORT_STEPS[reporter.position][1]), after_kill=False)
        self.finish_evidence()
        final = self.check_storage(full=True)
        self.tally.outcomes["cases at the end"] = len(final.cases)
        self.tally.outcomes["evidence items at the end"] = len(final.evidence)

    def summary(self, seed: int, seconds: float) -> str:
        tally = self.tally
        lines = [
            f"crash safety, seed {seed} ({SEED_VARIABLE}={seed} repeats it), {seconds:.1f} s",
            f"  kills: {sum(tally.kills.values())} ({', '.join(f'{k} {n}' for k, n in sorted(tally.kills.items()))})",
            f"  sweeps: {tally.sweeps}, cases checked: {tally.cases_checked}",
            f"  evidence checked (bytes hashed): {tally.evidence_checked}",
            *(f"  {name}: {count}" for name, count in sorted(tally.outcomes.items())),
            f"  uploads cut between bytes and metadata (invisible): {tally.leftovers}",
            f"  losses/inconsistencies: {len(tally.problems)}",
            *(f"    - {problem}" for problem in tally.problems),
        ]
        return "\n".join(lines)


def kill_plan(rng: random.Random) -> list[tuple[str, Any]]:
    """KILLS_PER_PHASE kills per phase, shuffled: each stratum of a phase once, the others in a stratum at random;
    where in its stratum a kill lands is random too."""

    def strata[T](choices: list[T]) -> list[T]:
        picked = [*choices, *(rng.choice(choices) for _ in range(KILLS_PER_PHASE - len(choices)))]
        rng.shuffle(picked)
        return picked

    plan: list[tuple[str, Any]] = [
        *((REPORT, moment) for moment in strata(REPORT_STRATA)),
        *((EVIDENCE, rng.uniform(*bounds)) for bounds in strata(UPLOAD_STRATA)),
        *((LEADER, rng.uniform(*bounds)) for bounds in strata(ACTION_STRATA)),
    ]
    rng.shuffle(plan)
    return plan


@contextmanager
def crash_bot(storage: BotStorage, organisation: Organisation, workdir: Path) -> Iterator[RunningBot]:
    """A bot of its own on fresh storage instead of the session's shared one: what the kills leave behind, e.g.
    notifications leased for two minutes by a dead process, stays out of the other tests."""
    directory = organisation.write(workdir / "directory.json")
    with BotProcess(storage.env(DIRECTORY_FILE=str(directory)), workdir=workdir) as process:
        yield RunningBot(**vars(storage), process=process)


def kill_at_random_points(
    bot: RunningBot,
    connector: ConnectorStub,
    file_server: FileServer,
    organisation: Organisation,
    new_user: Callable[..., TeamsUser],
) -> None:
    """The whole run: every kill of the plan, then the end; fails with the figures if anything was lost."""
    seed = int(os.environ.get(SEED_VARIABLE) or random.SystemRandom().randrange(2**32))
    print(f"\ncrash safety seed: {seed}")
    started = time.monotonic()
    run = CrashRun(seed, bot, connector, file_server, organisation, new_user)
    bot.process.ensure_running()
    run.check_storage()
    steps: dict[str, Callable[[Any], None]] = {
        REPORT: run.report_kill,
        EVIDENCE: run.evidence_kill,
        LEADER: run.leader_kill,
    }
    for phase, point in kill_plan(run.rng):
        steps[phase](point)
    run.finish()
    summary = run.summary(seed, time.monotonic() - started)
    print(summary)
    assert run.tally.kills == {phase: KILLS_PER_PHASE for phase in steps}, summary
    assert run.tally.problems == [], summary
