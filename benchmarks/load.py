"""Load benchmark: Værn's report dialog against the stock Agents SDK and botbuilder echo bots and a plain aiohttp echo.

    .venv/bin/python benchmarks/load.py                                  # 50 and 200 users, 3 repetitions, ~5 min
    .venv/bin/python benchmarks/load.py --users 50 --repeat 1 --seconds 5  # quicker
    .venv/bin/python benchmarks/load.py --py-spy /tmp/prof                 # also record where each bot spends CPU

(`bash scripts/setup.sh bench` puts botbuilder, for the stock echo, into .venv.)

Everything runs on 127.0.0.1, each in its own process: the connector stub and the file server
(`benchmarks/servers.py`), Værn (`python app.py`, local storage in a temporary directory), the stock Microsoft 365
Agents SDK echo agent (`benchmarks/agents_echo.py`, the SDK's quickstart), the stock botbuilder echo bot
(`benchmarks/stock_echo.py`) and the plain aiohttp echo (`benchmarks/plain_echo.py`). This process is the load
generator: per phase, N simulated Teams users each loop on their own conversation until `--seconds` (after a
`--warmup` that is not measured) or `--rounds` are used up, then the phase ends by itself.

  * Værn: each user walks the full report dialog (`tests/e2e/report_walk.py` STANDARD_ANSWERS): start, eleven
    answers, one 1 MB PNG screenshot shared from the file server at the evidence step, "done", then "confirm"
    on the summary (the case is stored and the leader is notified through the outbox): 15 turns a walk.
  * the echo bots: each user sends text messages.

Every phase runs `--repeat` times, the targets' order reversed every other time, so a change of the machine's speed
during the run (other tenants' load; it has been seen to halve the plain echo's turns/s within minutes) weighs on
every target alike. The table shows each target's repetition with the median turns/s; a ratio is computed within
each repetition, between phases that ran back to back, and the goals take the median of those. With `--pin` (the
default on 2+ CPUs) the bots share the last CPU and the load generator and helper servers have the others, so each
bot has one whole core however much its harness costs (Værn's replies are cards, the echo bots' a line of text).

A turn is one POST /api/messages until its HTTP answer; the bots send their replies to the connector inside
the turn. Errors are: HTTP answers outside 2xx, timeouts and connection errors, turns whose replies never
reached the connector (counted there per conversation: a failed reply still answers 201), and Værn walks that
did not end with a case reference.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks.servers import SCREENSHOT_PATH  # noqa: E402
from tests.e2e.report_walk import STANDARD_ANSWERS  # noqa: E402
from tests.support.bot_process import BotProcess, BotStorage  # noqa: E402

TENANT_ID = "72f988bf-0000-4000-8000-000000000001"
BOT_ID = "28:bot-id"
CASE_REFERENCE = re.compile(r"VK-\d{4}-\d{4}")
TARGETS = ("vaern", "agents", "stock", "plain")
TITLES = {
    "vaern": "Værn report dialog",
    "agents": "stock Agents SDK echo",
    "stock": "stock botbuilder echo",
    "plain": "plain aiohttp echo",
}
# The quickstart's settings for a local run: one service connection without a client id, anonymous requests.
AGENTS_ECHO_ENV = {"CONNECTIONS__SERVICE_CONNECTION__SETTINGS__ANONYMOUS_ALLOWED": "true"}
START_TIMEOUT_SECONDS = 60.0
USERS_PER_UNIT = 10


# ---- processes ----------------------------------------------------------------------------------------------------


@contextmanager
def helper_server(kind: str, workdir: Path) -> Iterator[str]:
    """`python -m benchmarks.servers KIND` in its own process; yields its base URL."""
    log = open(workdir / f"{kind}.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.servers", kind],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=log,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().decode().split()
        if len(line) != 2 or line[0] != "ready":
            raise RuntimeError(f"{kind} server did not start; see {workdir / f'{kind}.log'}")
        yield f"http://127.0.0.1:{line[1]}"
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        log.close()


@contextmanager
def bot(name: str, env: dict[str, str], workdir: Path, script: Path) -> Iterator[BotProcess]:
    process = BotProcess(env, workdir=workdir / name, script=script, health_timeout=START_TIMEOUT_SECONDS)
    process.start()
    try:
        yield process
    finally:
        process.stop()


@contextmanager
def py_spy(pid: int | None, output: Path) -> Iterator[None]:
    """Record the process with py-spy (collapsed stacks, idle frames left out) while the block runs."""
    if pid is None:
        yield
        return
    executable = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    recorder = subprocess.Popen(
        [executable, "record", "--pid", str(pid), "--format", "raw", "--rate", "250", "--gil", "-o", str(output)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        recorder.send_signal(signal.SIGINT)
        try:
            recorder.wait(30)
        except subprocess.TimeoutExpired:
            recorder.kill()
            recorder.wait()


def cpu_sets(pin: bool) -> tuple[set[int], set[int]]:
    """(the harness's CPUs, the bots' CPUs): pinned, the bots share the last CPU this process may use and the load
    generator and helper servers have the others, so a bot gets one whole core whatever its harness costs (Værn's
    replies are cards, the echo bots' a line of text); unpinned, everyone may use every CPU."""
    allowed = os.sched_getaffinity(0)
    if not pin or len(allowed) < 2:
        return allowed, allowed
    last = max(allowed)
    return allowed - {last}, {last}


def write_directory(path: Path, user_count: int) -> list[dict[str, str]]:
    """A directory where every simulated user is an employee with a leader, so "confirm" notifies a leader."""
    units, people, employees = [], [], []
    for number in range((user_count + USERS_PER_UNIT - 1) // USERS_PER_UNIT):
        leader = {"aad_object_id": str(uuid.uuid4()), "teams_user_id": f"29:{uuid.uuid4().hex}"}
        units.append({"id": f"unit-{number}", "name": f"Afdeling {number}", "leader": leader["aad_object_id"]})
        people.append({**leader, "upn": f"leder{number}@bench.dk", "name": f"Leder {number}", "unit": f"unit-{number}"})
        for index in range(USERS_PER_UNIT):
            employee = {
                "aad_object_id": str(uuid.uuid4()),
                "teams_user_id": f"29:{uuid.uuid4().hex}",
                "upn": f"ansat{number}-{index}@bench.dk",
                "name": f"Ansat {number}-{index}",
                "unit": f"unit-{number}",
            }
            people.append(employee)
            employees.append(employee)
    path.write_text(json.dumps({"units": units, "people": people, "hr": []}, ensure_ascii=False), encoding="utf-8")
    return employees[:user_count]


# ---- simulated users ----------------------------------------------------------------------------------------------


@dataclass
class User:
    connector_url: str
    aad_object_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    user_id: str = field(default_factory=lambda: f"29:{uuid.uuid4().hex}")
    name: str = "Mette Testesen"
    conversation_id: str = field(default_factory=lambda: f"a:{uuid.uuid4().hex}")
    ok_turns: int = 0
    sequence: int = 0

    def activity(self, **fields: Any) -> bytes:
        self.sequence += 1
        activity: dict[str, Any] = {
            "type": "message",
            "id": f"{int(time.time() * 1000)}{self.sequence:05d}",
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "localTimezone": "Europe/Copenhagen",
            "serviceUrl": self.connector_url,
            "channelId": "msteams",
            "from": {"id": self.user_id, "name": self.name, "aadObjectId": self.aad_object_id},
            "conversation": {"id": self.conversation_id, "conversationType": "personal", "tenantId": TENANT_ID},
            "recipient": {"id": BOT_ID, "name": "Værn"},
            "locale": "da-DK",
            "channelData": {"tenant": {"id": TENANT_ID}},
            **fields,
        }
        return json.dumps(activity, ensure_ascii=False).encode("utf-8")


def report_walk(user: User, screenshot_url: str) -> list[tuple[str, bytes]]:
    """The 15 turns of one full report, as Teams would post them: (step name, activity)."""
    turns = [("start", user.activity(value={"command": "report"}))]
    for key, answer in STANDARD_ANSWERS:
        if key == "evidence":
            attachment = {
                "contentType": "application/vnd.microsoft.teams.file.download.info",
                "contentUrl": screenshot_url,
                "name": "skaermbillede.png",
                "content": {"downloadUrl": screenshot_url, "uniqueId": str(uuid.uuid4()), "fileType": "png"},
            }
            turns.append(("screenshot", user.activity(text="", attachments=[attachment])))
        turns.append((key, user.activity(value=dict(answer))))
    turns.append(("confirm", user.activity(value={"q": "summary", "answer": "confirm"})))
    return turns


@dataclass
class PhaseResult:
    target: str
    users: int
    seconds: float
    repetition: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    step_latencies_ms: dict[str, list[float]] = field(default_factory=dict)
    completed_in_window: int = 0
    http_errors: int = 0
    missing_replies: int = 0
    bad_walks: int = 0
    walks: int = 0
    bot_cpu_seconds: float = 0.0
    first_errors: list[str] = field(default_factory=list)

    @property
    def bot_cpu_percent(self) -> float:
        return 100 * self.bot_cpu_seconds / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_turn(self) -> float:
        return 1000 * self.bot_cpu_seconds / self.completed_in_window if self.completed_in_window else float("nan")

    @property
    def errors(self) -> int:
        return self.http_errors + self.missing_replies + self.bad_walks

    @property
    def throughput(self) -> float:
        return self.completed_in_window / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of a process (all its threads) so far, from /proc (0 where there is none)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Phase:
    def __init__(
        self,
        target: str,
        bot_pid: int | None,
        messages_url: str,
        connector_url: str,
        users: list[User],
        *,
        warmup: float,
        seconds: float,
        rounds: int,
        timeout: float,
        screenshot_url: str,
        repetition: int = 0,
    ) -> None:
        self.target = target
        self.bot_pid = bot_pid
        self.messages_url = messages_url
        self.connector_url = connector_url
        self.users = users
        self.warmup = warmup
        self.seconds = seconds
        self.rounds = rounds
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.screenshot_url = screenshot_url
        self.result = PhaseResult(target, len(users), seconds, repetition)

    async def run(self) -> PhaseResult:
        connector = aiohttp.TCPConnector(limit=0, force_close=False)
        async with aiohttp.ClientSession(connector=connector, trust_env=False) as session:
            start = time.monotonic()
            self.window = (start + self.warmup, start + self.warmup + self.seconds)
            meter = asyncio.create_task(self._meter_cpu())
            await asyncio.gather(*(self._user(session, user) for user in self.users))
            await meter
            await self._count_replies(session)
        return self.result

    async def _meter_cpu(self) -> None:
        """The bot's CPU seconds during the measured window."""
        await asyncio.sleep(max(0.0, self.window[0] - time.monotonic()))
        before = cpu_seconds(self.bot_pid)
        await asyncio.sleep(max(0.0, self.window[1] - time.monotonic()))
        self.result.bot_cpu_seconds = cpu_seconds(self.bot_pid) - before

    def _error(self, message: str) -> None:
        if len(self.result.first_errors) < 5:
            self.result.first_errors.append(message)

    async def _turn(self, session: aiohttp.ClientSession, body: bytes, step: str = "echo") -> bool:
        started = time.monotonic()
        try:
            async with session.post(
                self.messages_url, data=body, headers={"Content-Type": "application/json"}, timeout=self.timeout
            ) as response:
                await response.read()
                ok = 200 <= response.status < 300
                problem = f"HTTP {response.status}"
        except (aiohttp.ClientError, TimeoutError) as error:
            ok, problem = False, f"{type(error).__name__}: {error}"
        finished = time.monotonic()
        if started >= self.window[0] and started < self.window[1]:
            self.result.latencies_ms.append((finished - started) * 1000)
            self.result.step_latencies_ms.setdefault(step, []).append((finished - started) * 1000)
        if self.window[0] <= finished <= self.window[1]:
            self.result.completed_in_window += 1
        if not ok:
            self.result.http_errors += 1
            self._error(problem)
        return ok

    async def _user(self, session: aiohttp.ClientSession, user: User) -> None:
        for _ in range(self.rounds):
            if time.monotonic() >= self.window[1]:
                return
            if self.target == "vaern":
                await self._walk(session, user)
            else:
                for number in range(len(STANDARD_ANSWERS) + 3):
                    if time.monotonic() >= self.window[1]:
                        return
                    if await self._turn(session, user.activity(text=f"hej {number}", textFormat="plain")):
                        user.ok_turns += 1

    async def _walk(self, session: aiohttp.ClientSession, user: User) -> None:
        url = f"{self.screenshot_url}?user={user.user_id}&walk={uuid.uuid4().hex[:8]}"
        completed = True
        for step, body in report_walk(user, url):
            if time.monotonic() >= self.window[1]:
                completed = False
                break
            if await self._turn(session, body, step):
                user.ok_turns += 1
            else:
                completed = False
                break
        if not completed:  # an interrupted or failed walk starts over in a fresh conversation state
            await self._turn(session, user.activity(text="annuller", textFormat="plain"))
            return
        self.result.walks += 1
        state = await self._conversation(session, user)
        if not CASE_REFERENCE.search(state.get("last_text", "")):
            self.result.bad_walks += 1
            self._error(f"walk ended without a case reference: {state.get('last_text', '')[:200]!r}")

    async def _conversation(self, session: aiohttp.ClientSession, user: User) -> dict[str, Any]:
        url = f"{self.connector_url}/__bench/conversations/{user.conversation_id}"
        async with session.get(url, timeout=self.timeout) as response:
            return dict(await response.json())

    async def _count_replies(self, session: aiohttp.ClientSession) -> None:
        """Every turn the bot answered 2xx must have put at least one activity at the connector."""
        for user in self.users:
            state = await self._conversation(session, user)
            missing = max(0, user.ok_turns - int(state.get("sends", 0)))
            if missing:
                self.result.missing_replies += missing
                self._error(f"{missing} turn(s) without a reply at the connector ({user.conversation_id})")


# ---- report -------------------------------------------------------------------------------------------------------


def _by_phase(results: list[PhaseResult]) -> dict[tuple[str, int], list[PhaseResult]]:
    """Each target's and user count's phases, one per repetition, in the order they ran."""
    phases: dict[tuple[str, int], list[PhaseResult]] = {}
    for result in results:
        phases.setdefault((result.target, result.users), []).append(result)
    return phases


def _typical(phases: list[PhaseResult]) -> PhaseResult:
    """The repetition with the median throughput (the lower middle one of an even count)."""
    return sorted(phases, key=lambda result: result.throughput)[(len(phases) - 1) // 2]


def table(results: list[PhaseResult]) -> str:
    """A row per target and user count: the repetition with the median turns/s, and every repetition's turns/s."""
    header = (
        f"{'target':<26} {'users':>5} {'turns/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'turns':>7} {'errors':>6} {'bot CPU':>8} {'CPU ms/turn':>11}  turns/s of each repetition"
    )
    lines = [header, "-" * len(header)]
    for (target, users), phases in _by_phase(results).items():
        result = _typical(phases)
        each = ", ".join(f"{phase.throughput:.1f}" for phase in phases)
        lines.append(
            f"{TITLES[target]:<26} {users:>5} {result.throughput:>9.1f} {result.percentile(50):>8.1f} "
            f"{result.percentile(95):>8.1f} {result.percentile(99):>8.1f} {result.completed_in_window:>7} "
            f"{sum(phase.errors for phase in phases):>6} {result.bot_cpu_percent:>7.0f}% "
            f"{result.cpu_ms_per_turn:>11.2f}  {each}"
        )
    return "\n".join(lines)


def steps(results: list[PhaseResult]) -> str:
    """Værn's latency per step of the report walk (p50/p99 ms, every repetition), to see which turns are slow."""
    lines = []
    for (target, users), phases in _by_phase(results).items():
        if target != "vaern":
            continue
        merged = PhaseResult(target, users, sum(phase.seconds for phase in phases))
        for phase in phases:
            merged.latencies_ms += phase.latencies_ms
            for step, values in phase.step_latencies_ms.items():
                merged.step_latencies_ms.setdefault(step, []).extend(values)
        if not merged.step_latencies_ms:
            continue
        parts = []
        for step, values in merged.step_latencies_ms.items():
            ordered = sorted(values)
            p50, p99 = ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
            parts.append(f"{step} {p50:.0f}/{p99:.0f}")
        lines.append(f"Værn {users} users, p50/p99 ms per step: " + ", ".join(parts))
        lines.append(f"Værn {users} users, the slowest 1 % of turns by step: " + _tail_by_step(merged))
    return "\n".join(lines)


def _tail_by_step(result: PhaseResult) -> str:
    """Which steps the turns above the phase's p99 belong to (their share of those turns)."""
    threshold = result.percentile(99)
    slow = Counter(step for step, values in result.step_latencies_ms.items() for value in values if value > threshold)
    total = sum(slow.values()) or 1
    return ", ".join(f"{step} {count * 100 / total:.0f} %" for step, count in slow.most_common())


def paired_ratios(results: list[PhaseResult], target: str, users: int) -> list[float]:
    """Værn's turns/s over `target`'s, one ratio per repetition in which both ran (they ran back to back)."""
    phases = _by_phase(results)
    vaern = {phase.repetition: phase for phase in phases.get(("vaern", users), [])}
    other = {phase.repetition: phase for phase in phases.get((target, users), [])}
    return [
        vaern[repetition].throughput / other[repetition].throughput
        for repetition in sorted(vaern.keys() & other.keys())
        if other[repetition].throughput
    ]


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _ratio_text(values: list[float], percent: bool = False) -> str:
    shown = (lambda value: f"{value:.1%}") if percent else (lambda value: f"{value:.2f}x")
    spread = f" (median of {len(values)}: {shown(min(values))} to {shown(max(values))})" if len(values) > 1 else ""
    return shown(_median(values)) + spread


def ratios(results: list[PhaseResult]) -> str:
    lines = []
    for users in sorted({r.users for r in results}):
        parts = [f"{users:>4} users:"]
        for target, name in (
            ("agents", "Værn/Agents SDK echo"),
            ("stock", "Værn/stock echo"),
            ("plain", "Værn/ceiling"),
        ):
            values = paired_ratios(results, target, users)
            if values:
                parts.append(f"{name} = {_ratio_text(values, percent=target == 'plain')}")
        if len(parts) > 1:
            lines.append("  ".join(parts))
    return "\n".join(lines)


def goals(results: list[PhaseResult]) -> str:
    """The issue's goals, each from the median of the repetitions (ratios paired within a repetition)."""
    phases = _by_phase(results)
    lines = []
    for users in sorted({r.users for r in results}):
        vaern = phases.get(("vaern", users))
        if vaern is None:
            continue
        if users == 50 and (values := paired_ratios(results, "agents", users)):
            ratio = _median(values)
            verdict = "ok" if ratio >= 1.5 else "MISSED"
            lines.append(f"  [{verdict}] {users} users: Værn ≥ 1.5x Agents SDK echo ({ratio:.2f}x)")
        if users == 50 and (values := paired_ratios(results, "stock", users)):
            ratio = _median(values)
            lines.append(f"  [{'ok' if ratio >= 7 else 'MISSED'}] {users} users: Værn ≥ 7x stock echo ({ratio:.2f}x)")
        if users == 50:
            p99 = _median([phase.percentile(99) for phase in vaern])
            lines.append(f"  [{'ok' if p99 < 150 else 'MISSED'}] 50 users: Værn p99 < 150 ms ({p99:.1f} ms)")
        if users >= 200:
            errors = sum(phase.errors for phase in vaern)
            lines.append(f"  [{'ok' if errors == 0 else 'MISSED'}] {users} users: 0 errors ({errors})")
    return "\n".join(lines)


# ---- main ---------------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", default="50,200", help="concurrent users per phase, comma-separated")
    parser.add_argument("--seconds", type=float, default=8.0, help="measured seconds per phase")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds before each phase")
    parser.add_argument(
        "--repeat", type=int, default=3, help="repetitions of every phase, the targets' order reversed every other one"
    )
    parser.add_argument(
        "--pin",
        action=argparse.BooleanOptionalAction,
        default=(os.cpu_count() or 1) >= 2,
        help="the bots on the last CPU, the load generator and the helper servers on the others (default with 2+)",
    )
    parser.add_argument("--rounds", type=int, default=200, help="at most this many walks (15 turns) per user")
    parser.add_argument("--targets", default=",".join(TARGETS), help="which of vaern,agents,stock,plain to run")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds before a turn counts as an error")
    parser.add_argument("--log-level", default="WARNING", help="Værn's LOG_LEVEL during the run")
    parser.add_argument("--py-spy", type=Path, default=None, help="directory for py-spy profiles of each phase")
    parser.add_argument("--steps", action="store_true", help="also print Værn's latency per report step")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, Værn's data)")
    parser.add_argument(
        "--work-parent",
        type=Path,
        default=Path(tempfile.gettempdir()),
        help="the folder (file system) in which the run's work directory with Værn's data is made",
    )
    args = parser.parse_args(argv)
    args.users = [int(value) for value in str(args.users).split(",") if value.strip()]
    args.targets = [value.strip() for value in str(args.targets).split(",") if value.strip()]
    unknown = set(args.targets) - set(TARGETS)
    if unknown or not args.users or min(args.users) < 1 or args.seconds <= 0 or args.rounds < 1 or args.repeat < 1:
        parser.error(f"bad arguments (unknown targets: {sorted(unknown)})")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.work_parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="vaern-bench-", dir=args.work_parent))
    if args.py_spy:
        args.py_spy.mkdir(parents=True, exist_ok=True)
    results: list[PhaseResult] = []
    began = time.monotonic()
    try:
        with ExitStack() as stack:
            harness_cpus, bot_cpus = cpu_sets(args.pin)
            os.sched_setaffinity(0, harness_cpus)  # the helper servers inherit it, and this load generator keeps it
            connector_url = stack.enter_context(helper_server("connector", workdir)) + "/"
            files_url = stack.enter_context(helper_server("files", workdir))
            employees = write_directory(workdir / "directory.json", sum(args.users))
            bots: dict[str, BotProcess] = {}
            os.sched_setaffinity(0, bot_cpus)  # the bots started below inherit it (and every thread they start)
            if "vaern" in args.targets:
                env = BotStorage(backend="local", data_dir=workdir / "vaern-data").env(
                    DIRECTORY_FILE=str(workdir / "directory.json"),
                    ALLOW_UNAUTHENTICATED="true",
                    LOG_LEVEL=args.log_level,
                )
                bots["vaern"] = stack.enter_context(bot("vaern", env, workdir, REPO_ROOT / "app.py"))
            if "agents" in args.targets:
                script = REPO_ROOT / "benchmarks/agents_echo.py"
                bots["agents"] = stack.enter_context(bot("agents", AGENTS_ECHO_ENV, workdir, script))
            if "stock" in args.targets:
                bots["stock"] = stack.enter_context(bot("stock", {}, workdir, REPO_ROOT / "benchmarks/stock_echo.py"))
            if "plain" in args.targets:
                bots["plain"] = stack.enter_context(bot("plain", {}, workdir, REPO_ROOT / "benchmarks/plain_echo.py"))
            os.sched_setaffinity(0, harness_cpus)
            pinned = f"bots on CPU {sorted(bot_cpus)}, the rest on {sorted(harness_cpus)}" if args.pin else "not pinned"
            print(
                f"processes up in {time.monotonic() - began:.1f} s; {os.cpu_count()} CPUs, {pinned}; work dir {workdir}"
            )
            next_employee = 0
            for repetition in range(args.repeat):
                order = args.targets if repetition % 2 == 0 else args.targets[::-1]  # a drift of the machine's
                for users in args.users:  # speed through the run then weighs on every target alike
                    for target in order:
                        people = []
                        for _ in range(users):
                            if target == "vaern":
                                employee = employees[next_employee % len(employees)]
                                next_employee += 1
                                people.append(
                                    User(
                                        connector_url,
                                        aad_object_id=employee["aad_object_id"],
                                        user_id=employee["teams_user_id"],
                                        name=employee["name"],
                                    )
                                )
                            else:
                                people.append(User(connector_url))
                        phase = Phase(
                            target,
                            bots[target].pid,
                            bots[target].messages_url,
                            connector_url.rstrip("/"),
                            people,
                            warmup=args.warmup,
                            seconds=args.seconds,
                            rounds=args.rounds,
                            timeout=args.timeout,
                            screenshot_url=files_url + SCREENSHOT_PATH,
                            repetition=repetition,
                        )
                        profile = args.py_spy / f"{target}-{users}-{repetition}.txt" if args.py_spy else None
                        with py_spy(bots[target].pid if profile else None, profile or Path()):
                            result = asyncio.run(phase.run())
                        results.append(result)
                        print(
                            f"  {TITLES[target]:<26} {users:>4} users: {result.throughput:8.1f} turns/s, "
                            f"p99 {result.percentile(99):7.1f} ms, errors {result.errors}"
                            + (f" (first: {result.first_errors[0]})" if result.first_errors else ""),
                            flush=True,
                        )
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(table(results))
    print()
    if args.steps:
        print(steps(results))
        print()
    print(ratios(results))
    print(goals(results))
    print(f"\nwhole run: {time.monotonic() - began:.0f} s")
    return 0 if all(r.errors == 0 for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
