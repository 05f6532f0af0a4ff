"""How fast the Overblik tab's API answers at municipal scale, on local SQLite and on Azure Table Storage (Azurite).

    python benchmarks/overview.py                                  # 100,000 cases in 98 units, both backends
    python benchmarks/overview.py --cases 2000 --backends local    # a quick run

For each backend it seeds the overview's case table through the storage port in bulk (`upsert_many`: one SQLite
transaction per chunk, Table Storage batch transactions), with a realistic spread made from a fixed seed: reports
over three years, big and small units, statuses by age, channels, kinds, relations, SafetyNet, some escalated, a
leader and (mostly) a deputy per unit. Then it starts the real bot (`python app.py`, the aiohttp app on 127.0.0.1)
with the tab's token check against a local OpenID metadata and JWKS (tests/support/jwks_server.py), and measures,
one request at a time, the latency of:

- `GET /api/overview/me`: the baseline (the token check and the directory, no storage);
- `GET /api/overview/leader`: the leader view's first page, rotating over the units' leaders and deputies;
- `GET /api/overview/register`: HR's register page (50 rows), rotating over filters, sorts and pages;
- `GET /api/overview/statistics`: HR's statistics of every unit (month and quarter in turn).

Each phase stops after `--requests` requests or `--seconds` seconds, whichever comes first (after `--warmup`
unmeasured requests), so a run stops by itself. It prints p50/p95/max per phase, p95 against the goal (200 ms
locally, 500 ms on Azurite) and against the baseline, and the bot's memory (VmRSS now and VmHWM, its peak, from
/proc) against 300 MB. Exit code 0 when every request answered 200 with a plausible body; a missed goal is
reported, not an error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bot.tab_auth import issuers  # noqa: E402
from domain.case import CaseStatus, Channel, HarassmentKind, OffenderRelation  # noqa: E402
from domain.handling import HrFunction, SafetyNetCategory  # noqa: E402
from domain.overview import CaseRow, Duty, DutyRecord  # noqa: E402
from tests.support.bot_process import BotProcess, BotStorage  # noqa: E402
from tests.support.jwks_server import JwksServer  # noqa: E402

APP_ID = "11111111-2222-3333-4444-555555555555"
DOMAIN = "vaern.bench.example"
TENANT = "bench-tenant"
HR_ID = "aad-hr-jura"
GOALS_MS = {"local": 200.0, "azurite": 500.0}
MEMORY_GOAL_MB = 300.0
SEED_CHUNK = 2_000
YEARS = 3


# --- the data -------------------------------------------------------------------------------------------------


def unit_id(index: int) -> str:
    return f"unit-{index:03d}"


def leader_id(index: int) -> str:
    return f"aad-leader-{index:03d}"


def deputy_id(index: int) -> str | None:
    return None if index % 7 == 3 else f"aad-deputy-{index:03d}"  # some units have no deputy


def directory(units: int) -> dict[str, Any]:
    """The organisation: each unit with its leader and (mostly) a deputy, and one HR member (Jura)."""
    people: list[dict[str, str]] = []
    unit_entries: list[dict[str, str]] = []
    for index in range(units):
        entry = {"id": unit_id(index), "name": f"Enhed {index:03d}", "leader": leader_id(index)}
        people.append({"aad_object_id": leader_id(index), "upn": f"leader{index}@bench.dk", "name": f"Leder {index}",
                       "unit": unit_id(index)})  # fmt: skip
        deputy = deputy_id(index)
        if deputy is not None:
            entry["deputy"] = deputy
            people.append({"aad_object_id": deputy, "upn": f"deputy{index}@bench.dk", "name": f"Stedfortræder {index}",
                           "unit": unit_id(index)})  # fmt: skip
        unit_entries.append(entry)
    hr = [{"aad_object_id": HR_ID, "upn": "hr@bench.dk", "name": "HR Jura", "function": HrFunction.JURA.value}]
    return {"units": unit_entries, "people": people, "hr": hr}


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


CHANNELS = {c.value: w for c, w in zip(Channel, [30, 8, 6, 4, 3, 2, 3, 2, 3, 4, 20, 15], strict=False)}
RELATIONS = {OffenderRelation.CITIZEN: 60, OffenderRelation.RELATIVE: 12, OffenderRelation.PARENT: 15,
             OffenderRelation.OTHER: 5, OffenderRelation.UNKNOWN: 8}  # fmt: skip


def case_rows(count: int, units: int, now: datetime, seed: int = 2026) -> Iterator[CaseRow]:
    """`count` overview rows as the bot would have made them, spread realistically, the same for the same seed."""
    rng = random.Random(seed)
    unit_weights = [1.0 / (1 + index % 20) + 0.05 for index in range(units)]  # a few big units, many small ones
    start = now - timedelta(days=365 * YEARS)
    span = (now - start).total_seconds()
    moments = sorted(start + timedelta(seconds=rng.random() * span) for _ in range(count))
    numbers: dict[int, int] = {}
    for moment in moments:
        unit = rng.choices(range(units), weights=unit_weights)[0]
        reported = moment.replace(hour=7 + rng.randrange(9))  # office hours (UTC)
        numbers[reported.year] = numbers.get(reported.year, 0) + 1
        age = now - reported
        if age > timedelta(days=120):
            status = CaseStatus.CLOSED if rng.random() < 0.92 else CaseStatus.ACKNOWLEDGED
        else:
            status = rng.choices(list(CaseStatus)[1:], weights=[25, 55, 20])[0]
        acknowledged = status is not CaseStatus.REPORTED
        acknowledged_at = reported + timedelta(hours=rng.expovariate(1 / 20)) if acknowledged else None
        escalated = rng.random() < 0.08
        safetynet = ""
        if acknowledged and rng.random() < 0.35:
            safetynet = rng.choice([SafetyNetCategory.MINOR_VIOLENCE_THREATS_HARASSMENT.value] * 6
                                   + [SafetyNetCategory.WORK_INJURY.value])  # fmt: skip
        done = {
            Duty.ACKNOWLEDGE: acknowledged,
            Duty.FIRST_AID: acknowledged and rng.random() < 0.8,
            Duty.COLLEAGUES: acknowledged and rng.random() < 0.6,
            Duty.SAFETYNET: bool(safetynet),
            Duty.RESTRICTIONS: rng.random() < 0.15,
            Duty.WORK_ENVIRONMENT: status is CaseStatus.CLOSED and rng.random() < 0.7,
        }
        police = rng.random() < 0.1
        if police:
            done[Duty.POLICE] = rng.random() < 0.7
        deadlines = {Duty.ACKNOWLEDGE: 1, Duty.FIRST_AID: 2, Duty.COLLEAGUES: 3, Duty.SAFETYNET: 14, Duty.POLICE: 7}
        duties = {
            duty: DutyRecord(done=is_done, due_at=None if is_done or duty not in deadlines
                             else reported + timedelta(days=deadlines[duty]))
            for duty, is_done in done.items()
        }  # fmt: skip
        open_dues = [record.due_at for record in duties.values() if record.due_at is not None]
        actions = [name for name, taken in (("acknowledged", acknowledged), ("first_aid", done[Duty.FIRST_AID]),
                   ("restrictions", done[Duty.RESTRICTIONS]), ("safetynet", bool(safetynet)),
                   ("hr_escalation", escalated), ("police_report", police and done[Duty.POLICE]),
                   ("work_environment", done[Duty.WORK_ENVIRONMENT])) if taken]  # fmt: skip
        deputy = deputy_id(unit)
        yield CaseRow(
            case_id=uuid.UUID(int=rng.getrandbits(128)).hex,
            reference=f"VK-{reported.year}-{numbers[reported.year]:04d}",
            tenant_id=TENANT,
            unit_id=unit_id(unit),
            unit=f"Enhed {unit:03d}",
            status=status,
            reported_at=reported,
            occurred_at=reported - timedelta(hours=rng.randrange(1, 72)),
            acknowledged_at=acknowledged_at,
            closed_at=reported + timedelta(days=rng.randrange(10, 90)) if status is CaseStatus.CLOSED else None,
            leader_id=leader_id(unit),
            deputy_id=deputy or "",
            escalated=escalated,
            escalated_to=rng.choice(["", HrFunction.JURA.value, HrFunction.WORK_ENVIRONMENT_COORDINATOR.value])
            if escalated
            else "",
            duties=duties,
            ban_until=(reported + timedelta(days=180)).date() if done[Duty.RESTRICTIONS] else None,
            follow_ups=[reported + timedelta(days=days) for days in (7, 30, 90)],
            first_open_due=min(open_dues, default=None),
            channel=_weighted(rng, CHANNELS),
            kinds=sorted({kind.value for kind in rng.sample(list(HarassmentKind), rng.choice([1, 1, 2, 2, 3]))}),
            offender_relation=_weighted(rng, {relation.value: weight for relation, weight in RELATIONS.items()}),
            actions=actions,
            safetynet=safetynet,
        )


def _chunks(rows: Iterator[CaseRow], size: int) -> Iterator[list[CaseRow]]:
    chunk: list[CaseRow] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


async def seed(storage: BotStorage, count: int, units: int, now: datetime) -> float:
    """Write the rows through the storage port in bulk; returns the seconds it took."""
    started = time.perf_counter()
    if storage.backend == "azure":
        from storage.azure_case_table import open_azure_case_table

        table: Any = await open_azure_case_table(storage.connection_string or "", storage.container_prefix or "")
    else:
        from storage.sqlite_case_table import SqliteCaseTable

        table = SqliteCaseTable(storage.data_dir / "overview.sqlite3")
    try:
        written = 0
        for chunk in _chunks(case_rows(count, units, now), SEED_CHUNK):
            await table.upsert_many(chunk)
            written += len(chunk)
            if written % (5 * SEED_CHUNK) == 0:
                print(f"  {written:,} cases written in {time.perf_counter() - started:.0f} s", flush=True)
    finally:
        await table.close()
    return time.perf_counter() - started


# --- the measurement ------------------------------------------------------------------------------------------


@dataclass
class Phase:
    backend: str
    name: str
    latencies_ms: list[float] = field(default_factory=list[float])
    errors: list[str] = field(default_factory=list[str])
    rss_mb: float = 0.0

    def percentile(self, fraction: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def memory_mb(pid: int) -> tuple[float, float]:
    """The process's resident memory now and at its peak (VmRSS, VmHWM), in MB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("Vm")
    )
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def register_queries(units: int) -> list[str]:
    """HR's register as it is used: filters, sorts and pages (50 rows each)."""
    today = datetime.now(UTC).date()
    return [
        "",
        "?sort=reference&order=asc",
        f"?unit={unit_id(1)}&sort=reported&order=desc",
        "?status=reported&sort=unit&order=asc",
        "?overdue=true",
        "?escalated=true&sort=status",
        f"?from={today - timedelta(days=90)}&to={today}&sort=reported",
        f"?reference=VK-{today.year}-01",
        f"?unit={unit_id(units // 2)}&status=closed&page=2",
        "?page=20&sort=unit&order=desc",
    ]


Check = Callable[[str, Any], str | None]  # (path, body) -> what is wrong with the answer, or None


def _register_check(cases: int) -> Check:
    def check(path: str, body: Any) -> str | None:
        if not isinstance(body, dict) or not isinstance(body.get("cases"), list) or len(body["cases"]) > 50:
            return "not a register page"
        if path.endswith("/register") and body.get("total") != cases:  # unfiltered: every seeded case
            return f"the register counts {body.get('total')} cases, not {cases}"
        return None

    return check


def _check_leader(path: str, body: Any) -> str | None:
    if not isinstance(body, dict) or not isinstance(body.get("cases"), list) or len(body["cases"]) > 50:
        return "not a page of cases"
    return None if isinstance(body.get("more"), bool) else "no 'more'"


def _check_statistics(path: str, body: Any) -> str | None:
    return None if isinstance(body, dict) and body.get("tables") else "no statistics tables"


def _check_me(path: str, body: Any) -> str | None:
    return None if isinstance(body, dict) and "isHr" in body else "not the signed-in user"


async def measure(
    session: aiohttp.ClientSession,
    phase: Phase,
    requests: Iterator[tuple[str, str]],
    check: Check,
    *,
    count: int,
    seconds: float,
    warmup: int,
    timeout: float,
) -> None:
    """Send requests one at a time: `warmup` unmeasured, then up to `count` measured or until `seconds` passed."""
    deadline: float | None = None
    for sent, (path, bearer) in enumerate(requests, start=1):
        if sent == warmup + 1:
            deadline = time.perf_counter() + seconds
        started = time.perf_counter()
        try:
            async with session.get(
                path, headers={"Authorization": f"Bearer {bearer}"}, timeout=aiohttp.ClientTimeout(total=timeout)
            ) as response:
                text = await response.text()
                elapsed = (time.perf_counter() - started) * 1000
                problem = (
                    f"HTTP {response.status} for {path}" if response.status != 200 else check(path, json.loads(text))
                )
        except (TimeoutError, aiohttp.ClientError) as error:
            elapsed, problem = (time.perf_counter() - started) * 1000, f"{type(error).__name__} for {path}"
        if problem:
            phase.errors.append(problem)
        if sent > warmup:
            phase.latencies_ms.append(elapsed)
        if sent >= warmup + count or (deadline is not None and time.perf_counter() >= deadline):
            return


def _cycle(items: list[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    while True:
        yield from items


async def run_phases(
    bot: BotProcess, jwks: JwksServer, backend: str, units: int, args: argparse.Namespace
) -> list[Phase]:
    now = int(time.time())

    def token(oid: str) -> str:
        claims = {"aud": f"api://{DOMAIN}/{APP_ID}", "iss": issuers(TENANT)[0], "tid": TENANT, "oid": oid,
                  "scp": "access_as_user", "nbf": now - 5, "exp": now + 4 * 3600}  # fmt: skip
        return jwks.mint(claims)

    hr = token(HR_ID)
    leaders = [token(leader_id(index)) for index in range(units)]
    deputies = [token(deputy) for index in range(units) if (deputy := deputy_id(index)) is not None]
    plan: list[tuple[str, list[tuple[str, str]], Check]] = [
        ("baseline: me", [("/api/overview/me", leader) for leader in leaders], _check_me),
        (
            "leader view",
            [("/api/overview/leader", bearer) for pair in zip(leaders, deputies, strict=False) for bearer in pair],
            _check_leader,
        ),
        (
            "HR register page",
            [(f"/api/overview/register{query}", hr) for query in register_queries(units)],
            _register_check(args.cases),
        ),
        (
            "HR statistics",
            [(f"/api/overview/statistics?period={period}", hr) for period in ("month", "quarter")],
            _check_statistics,
        ),
    ]
    phases: list[Phase] = []
    async with aiohttp.ClientSession(base_url=bot.url) as session:
        for name, requests, check in plan:
            phase = Phase(backend, name)
            await measure(session, phase, _cycle(requests), check, count=args.requests, seconds=args.seconds,
                          warmup=args.warmup, timeout=args.timeout)  # fmt: skip
            assert bot.pid is not None
            phase.rss_mb = memory_mb(bot.pid)[0]
            phases.append(phase)
            print(f"  {name}: {len(phase.latencies_ms)} requests, p95 {phase.percentile(0.95):.1f} ms", flush=True)
    return phases


def bot_env(storage: BotStorage, jwks: JwksServer, directory_file: Path) -> dict[str, str]:
    return storage.env(
        MICROSOFT_APP_ID=APP_ID,
        MICROSOFT_APP_PASSWORD="not-used",
        ALLOW_UNAUTHENTICATED="false",
        MICROSOFT_APP_TENANT_ID=TENANT,
        ALLOWED_TENANT_IDS=TENANT,
        BOT_OPENID_METADATA_URL=jwks.metadata_url,
        TAB_OPENID_METADATA_URL=jwks.metadata_url,
        BOT_DOMAIN=DOMAIN,
        DIRECTORY_FILE=str(directory_file),
        SCHEDULER_IN_APP="false",
        LOG_LEVEL="WARNING",
    )


@dataclass
class BackendResult:
    backend: str
    seed_seconds: float
    phases: list[Phase]
    rss_peak_mb: float


def run_backend(backend: str, args: argparse.Namespace, work: Path, jwks: JwksServer) -> BackendResult:
    directory_file = work / "directory.json"
    directory_file.write_text(json.dumps(directory(args.units)), encoding="utf-8")
    now = datetime.now(UTC)
    bot_dir = work / backend
    data_dir = bot_dir / "data"
    data_dir.mkdir(parents=True, mode=0o700)
    if backend == "azurite":
        from tests.support.azurite import running_azurite

        with running_azurite() as azurite:
            prefix = f"bench{uuid.uuid4().hex[:8]}"
            storage = BotStorage(backend="azure", data_dir=data_dir, connection_string=azurite.connection_string,
                                 container_prefix=prefix)  # fmt: skip
            return _seed_and_measure(backend, storage, args, bot_dir, jwks, directory_file, now)
    storage = BotStorage(backend="local", data_dir=data_dir)
    return _seed_and_measure(backend, storage, args, bot_dir, jwks, directory_file, now)


def _seed_and_measure(
    backend: str,
    storage: BotStorage,
    args: argparse.Namespace,
    bot_dir: Path,
    jwks: JwksServer,
    directory_file: Path,
    now: datetime,
) -> BackendResult:
    print(f"{backend}: seeding {args.cases:,} cases in {args.units} units", flush=True)
    seconds = asyncio.run(seed(storage, args.cases, args.units, now))
    print(f"{backend}: seeded in {seconds:.1f} s ({args.cases / seconds:,.0f} cases/s); starting the bot", flush=True)
    with BotProcess(bot_env(storage, jwks, directory_file), workdir=bot_dir, health_timeout=60) as bot:
        phases = asyncio.run(run_phases(bot, jwks, backend, args.units, args))
        assert bot.pid is not None
        peak = memory_mb(bot.pid)[1]
    return BackendResult(backend, seconds, phases, peak)


def report(results: list[BackendResult], args: argparse.Namespace) -> int:
    """Print the table and the goals; returns how many requests failed."""
    print()
    print(f"{args.cases:,} cases in {args.units} units; one request at a time; latencies in ms")
    header = (
        f"{'backend':9} {'endpoint':18} {'n':>5} {'p50':>8} {'p95':>8} {'max':>8} {'p95/goal':>9} {'p95/base':>9} "
        f"{'err':>4} {'RSS MB':>7}"
    )
    print(header)
    print("-" * len(header))
    errors = 0
    for result in results:
        goal = GOALS_MS[result.backend]
        baseline = result.phases[0].percentile(0.95)
        for phase in result.phases:
            p95 = phase.percentile(0.95)
            print(
                f"{result.backend:9} {phase.name:18} {len(phase.latencies_ms):5d} {phase.percentile(0.5):8.1f} "
                f"{p95:8.1f} {max(phase.latencies_ms, default=float('nan')):8.1f} {p95 / goal:8.2f}x "
                f"{p95 / baseline:8.1f}x {len(phase.errors):4d} {phase.rss_mb:7.0f}"
            )
            errors += len(phase.errors)
    print()
    for result in results:
        goal = GOALS_MS[result.backend]
        worst = max(result.phases[1:], key=lambda phase: phase.percentile(0.95))
        p95 = worst.percentile(0.95)
        verdict = "ok" if p95 < goal else "MISSED"
        memory = "ok" if result.rss_peak_mb < MEMORY_GOAL_MB else "MISSED"
        print(f"{result.backend}: seeding {result.seed_seconds:.1f} s; slowest p95 {p95:.1f} ms ({worst.name}) "
              f"against {goal:.0f} ms: {p95 / goal:.2f}x {verdict}; bot peak RSS {result.rss_peak_mb:.0f} MB "
              f"against {MEMORY_GOAL_MB:.0f} MB: {result.rss_peak_mb / MEMORY_GOAL_MB:.2f}x {memory}")  # fmt: skip
    for result in results:
        for phase in result.phases:
            for problem in sorted(set(phase.errors))[:5]:
                print(f"error {result.backend} {phase.name}: {problem}")
    return errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000, help="cases to seed (default 100000)")
    parser.add_argument("--units", type=int, default=98, help="units they are spread over (default 98)")
    parser.add_argument("--backends", default="local,azurite", help="local, azurite or both (default)")
    parser.add_argument("--requests", type=int, default=200, help="at most this many measured requests per phase")
    parser.add_argument("--seconds", type=float, default=30.0, help="at most this long per phase, measured")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured requests before each phase")
    parser.add_argument("--timeout", type=float, default=120.0, help="a request slower than this is an error")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, the SQLite files)")
    parser.add_argument("--work-parent", type=Path, default=None, help="where the work directory is made")
    args = parser.parse_args(argv)
    backends = [name.strip() for name in args.backends.split(",") if name.strip()]
    unknown = set(backends) - set(GOALS_MS)
    if unknown or not backends or args.cases < 1 or args.units < 2:
        parser.error("--backends takes local and/or azurite; --cases at least 1; --units at least 2")
    work = Path(tempfile.mkdtemp(prefix="vaern-overview-bench-", dir=args.work_parent))
    results: list[BackendResult] = []
    try:
        with JwksServer(issuer=issuers(TENANT)[0]) as jwks:
            results = [run_backend(backend, args, work, jwks) for backend in backends]
    finally:
        if args.keep:
            print(f"work directory kept: {work}")
        else:
            import shutil

            shutil.rmtree(work, ignore_errors=True)
    return 1 if report(results, args) else 0


if __name__ == "__main__":
    sys.exit(main())
