"""The Overblik tab's API over real HTTP, the real app with local storage, tokens from a local OpenID metadata and
JWKS: a leader sees the cases they lead, HR the register (full details only where escalated to their function), a
stranger nothing; HR breaks the glass with a reason (400 without one, 404 for anyone who may not) and the leader is
told; forged, foreign and missing tokens get 401, bad queries 400, never a 500; every read is audited."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from app import create_app
from bot.config import Settings
from bot.tab_auth import issuers
from domain.case import Case, CaseStatus, Channel, Incident, Person
from domain.follow_ups import FollowUpPolicy, FollowUps
from domain.handling import HrEscalation, HrFunction, Signed, WorkEnvironmentReview
from domain.working_time import WorkingCalendar
from services.case_records import CaseRecords
from storage.audit import AuditLog
from storage.cases import CaseRepository
from storage.outbox import Outbox
from storage.sqlite_case_table import SqliteCaseTable
from storage.sqlite_documents import SqliteDocumentStore
from tests.support.case_samples import REPORTED_AT
from tests.support.connector_stub import BackgroundServer
from tests.support.jwks_server import JwksServer, SigningKey

APP_ID = "11111111-2222-3333-4444-555555555555"
DOMAIN = "vaern.example.dk"
TENANT = "tenant-1"
DESCRIPTION = "Han skrev hvor jeg bor DESCRIPTION-MARKER-4242"
DIRECTORY = {
    "units": [
        {"id": "unit-1", "name": "Borgerservice", "leader": "aad-karen", "deputy": "aad-peter",
         "work_environment_group": ["aad-anna"]},
        {"id": "unit-2", "name": "Jobcenter", "leader": "aad-lars"},
    ],
    "people": [
        {"aad_object_id": "aad-mette", "upn": "mette@kommune.dk", "name": "Mette Hansen", "unit": "unit-1"},
        {"aad_object_id": "aad-karen", "upn": "karen@kommune.dk", "name": "Karen Leder", "unit": "unit-1"},
        {"aad_object_id": "aad-peter", "upn": "peter@kommune.dk", "name": "Peter Deputy", "unit": "unit-1"},
        {"aad_object_id": "aad-lars", "upn": "lars@kommune.dk", "name": "Lars Leder", "unit": "unit-2"},
        {"aad_object_id": "aad-ole", "upn": "ole@kommune.dk", "name": "Ole Anden", "unit": "unit-2"},
        {"aad_object_id": "aad-anna", "upn": "anna@kommune.dk", "name": "Anna Arbejdsmiljø", "unit": "unit-1"},
    ],
    "hr": [
        {"aad_object_id": "aad-hanne", "upn": "hanne@kommune.dk", "name": "Hanne Jura", "function": "jura"},
        {"aad_object_id": "aad-helle", "upn": "helle@kommune.dk", "name": "Helle AMK",
         "function": "work_environment_coordinator"},
    ],
}  # fmt: skip


def person(aad: str, name: str) -> Person:
    return Person(user_id=f"29:{aad}", name=name, aad_object_id=aad)


METTE, KAREN, PETER, LARS = (
    person("aad-mette", "Mette Hansen"),
    person("aad-karen", "Karen Leder"),
    person("aad-peter", "Peter Deputy"),
    person("aad-lars", "Lars Leder"),
)


def a_case(case_id: str, number: int, unit_id: str, leader: Person, deputy: Person | None, **changes: Any) -> Case:
    return Case(
        case_id=case_id,
        reference=f"VK-2026-{number:04d}",
        status=CaseStatus.REPORTED,
        subject=METTE,
        reporter=METTE,
        incident=Incident(description=DESCRIPTION, channel=Channel.SMS),
        created_at=REPORTED_AT + timedelta(hours=number),
        tenant_id=TENANT,
        unit={"unit-1": "Borgerservice", "unit-2": "Jobcenter"}[unit_id],
        unit_id=unit_id,
        leader=leader,
        deputy=deputy,
        **changes,
    )


async def seed(data_dir: Path) -> None:
    """Three cases stored as the bot stores them, with their overview rows."""
    documents = SqliteDocumentStore(data_dir / "documents.sqlite3")
    table = SqliteCaseTable(data_dir / "overview.sqlite3")
    cases = CaseRepository(documents, on_saved=CaseRecords(table, FollowUps(FollowUpPolicy(), WorkingCalendar())).saved)
    escalated = a_case("case-escalated", 1, "unit-1", KAREN, PETER)
    escalated.handling.hr_escalation = HrEscalation(by=KAREN.user_id, at=REPORTED_AT, function=HrFunction.JURA)
    plain = a_case("case-plain", 2, "unit-1", KAREN, PETER)  # sent to the unit's arbejdsmiljøgruppe (Anna)
    plain.handling.work_environment = WorkEnvironmentReview(sent=Signed(by=KAREN.user_id, by_name=KAREN.name,
                                                                        at=REPORTED_AT))  # fmt: skip
    for case in (
        escalated,
        plain,
        a_case("case-other", 3, "unit-2", LARS, None),
    ):
        await cases.create(case)
        await cases.saved(case)
    await table.close()
    await documents.close()


class Bot(BackgroundServer):
    thread_name = "vaern-overview-bot"

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings

    def build_app(self) -> web.Application:
        return create_app(self.settings)


@pytest.fixture(scope="module")
def jwks() -> Iterator[JwksServer]:
    with JwksServer(issuer=issuers(TENANT)[0]) as server:
        yield server


@pytest.fixture(scope="module")
def bot(jwks: JwksServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bot]:
    data_dir = tmp_path_factory.mktemp("overview") / "data"
    data_dir.mkdir(mode=0o700)
    directory = data_dir.parent / "directory.json"
    directory.write_text(json.dumps(DIRECTORY), encoding="utf-8")
    asyncio.run(seed(data_dir))
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]  # a developer's .env must not change a test
        microsoft_app_id=APP_ID,
        microsoft_app_password="not-used",
        microsoft_app_tenant_id=TENANT,
        allowed_tenant_ids=[TENANT],
        bot_openid_metadata_url=jwks.metadata_url,
        tab_openid_metadata_url=jwks.metadata_url,
        bot_domain=DOMAIN,
        storage_backend="local",
        data_dir=data_dir,
        directory_file=directory,
        scheduler_in_app=False,
    )
    with Bot(settings) as running:
        yield running


def token(jwks: JwksServer, oid: str | None, **overrides: Any) -> str:
    now = int(time.time())
    claims = {
        "aud": f"api://{DOMAIN}/{APP_ID}",
        "iss": issuers(TENANT)[0],
        "tid": TENANT,
        "oid": oid,
        "scp": "access_as_user",
        "nbf": now - 5,
        "exp": now + 3600,
        **overrides,
    }
    return jwks.mint({name: value for name, value in claims.items() if value is not None})


async def get(bot: Bot, path: str, bearer: str | None) -> tuple[int, Any, aiohttp.typedefs.LooseHeaders]:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer is not None else {}
    async with aiohttp.ClientSession() as session, session.get(f"{bot.base_url}{path}", headers=headers) as response:
        text = await response.text()
        body = json.loads(text) if response.content_type == "application/json" else text
        return response.status, body, response.headers


async def test_a_leader_sees_the_cases_they_lead_with_their_duties_and_opens_one(bot: Bot, jwks: JwksServer) -> None:
    karen = token(jwks, "aad-karen")
    status, body, headers = await get(bot, "/api/overview/leader", karen)

    assert status == 200 and headers["Cache-Control"] == "no-store"
    assert [case["reference"] for case in body["cases"]] == ["VK-2026-0002", "VK-2026-0001"]
    assert body["cases"][0]["duties"]["acknowledge"] == "overdue"  # reported in 2026, long past its deadline
    assert DESCRIPTION not in json.dumps(body)  # the list holds no free text

    status, opened, _ = await get(bot, "/api/overview/cases/case-escalated", karen)
    assert status == 200 and opened["case"]["description"] == DESCRIPTION
    assert opened["case"]["viewerRoles"] == ["leader"] and "users=28%3A" in opened["case"]["chatLink"]
    assert (await get(bot, "/api/overview/cases/case-other", karen))[0] == 404
    deputy = (await get(bot, "/api/overview/leader", token(jwks, "aad-peter")))[1]
    assert len(deputy["cases"]) == 2


async def test_hr_sees_the_whole_register_minimal_and_opens_only_what_reached_their_function(
    bot: Bot, jwks: JwksServer
) -> None:
    hanne = token(jwks, "aad-hanne")
    status, page, _ = await get(bot, "/api/overview/register?sort=reference&order=asc", hanne)

    assert status == 200 and page["total"] == 3 and page["pageSize"] == 50
    assert [(case["reference"], case["mayOpen"]) for case in page["cases"]] == [
        ("VK-2026-0001", True),
        ("VK-2026-0002", False),
        ("VK-2026-0003", False),
    ]
    assert DESCRIPTION not in json.dumps(page) and "Mette" not in json.dumps(page)
    assert (await get(bot, "/api/overview/cases/case-escalated", hanne))[0] == 200
    assert (await get(bot, "/api/overview/cases/case-plain", hanne))[0] == 404
    helle = token(jwks, "aad-helle")  # the intake function: this escalation named Jura
    assert (await get(bot, "/api/overview/cases/case-escalated", helle))[0] == 404
    filtered = (await get(bot, "/api/overview/register?unit=unit-2&escalated=false", hanne))[1]
    assert [case["reference"] for case in filtered["cases"]] == ["VK-2026-0003"]


async def test_the_statistics_hide_small_counts_and_export_as_csv(bot: Bot, jwks: JwksServer) -> None:
    hanne = token(jwks, "aad-hanne")
    status, stats, _ = await get(bot, "/api/overview/statistics?period=quarter", hanne)

    assert status == 200 and stats["k"] == 5
    for table in stats["tables"]:
        shown = [v for row in table["cells"] for v in row] + table["columnTotals"] + (table["rowTotals"] or [])
        assert not [v for v in shown if v is not None and 0 < v < 5], table["name"]
    status, csv_text, headers = await get(bot, "/api/overview/statistics.csv", hanne)
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert csv_text.splitlines()[0] == "table,unit_id,unit,column,count,note" and "suppressed" in csv_text
    karen_stats = (await get(bot, "/api/overview/statistics", token(jwks, "aad-karen")))[1]
    assert karen_stats["units"] == {"unit-1": "Borgerservice"}  # a leader: their own unit only


async def test_a_stranger_gets_nothing(bot: Bot, jwks: JwksServer) -> None:
    ole = token(jwks, "aad-ole")

    assert (await get(bot, "/api/overview/leader", ole))[1] == {"cases": []}
    for path in ("/api/overview/register", "/api/overview/statistics", "/api/overview/statistics.csv"):
        assert (await get(bot, path, ole))[0] == 403, path
    for case_id in ("case-escalated", "no-such-case", "..%2F..%2Fetc", "x" * 300):
        assert (await get(bot, f"/api/overview/cases/{case_id}", ole))[0] == 404, case_id


OTHER_KEY = SigningKey(kid="vaern-test-key-1")  # the published kid, another key


@pytest.mark.parametrize(
    "bearer",
    [
        pytest.param(lambda j: None, id="missing"),
        pytest.param(lambda j: "garbage", id="garbage"),
        pytest.param(lambda j: j.mint({"oid": "aad-hanne"}, alg="none"), id="alg-none"),
        pytest.param(lambda j: j.mint({"oid": "x"}, key=OTHER_KEY), id="forged"),
        pytest.param(lambda j: token(j, "aad-hanne", tid="tenant-2", iss=issuers("tenant-2")[0]), id="foreign-tenant"),
        pytest.param(lambda j: token(j, "aad-hanne", exp=int(time.time()) - 3600), id="expired"),
        pytest.param(lambda j: token(j, "aad-hanne", aud=APP_ID + "x"), id="wrong-audience"),
        pytest.param(lambda j: token(j, "aad-hanne", scp="User.Read"), id="wrong-scope"),
    ],
)
async def test_every_bad_token_gets_401_on_every_endpoint(bot: Bot, jwks: JwksServer, bearer: Any) -> None:
    value = bearer(jwks)
    for path in ("/api/overview/me", "/api/overview/register", "/api/overview/cases/case-escalated"):
        status, body, headers = await get(bot, path, value)
        assert status == 401 and body["error"] == "unauthorized", path
        assert "WWW-Authenticate" in headers


@pytest.mark.parametrize(
    "query", ["sort=name", "order=up", "page=0", "page=abc", "status=draft", "from=2026-13-01", "overdue=maybe"]
)
async def test_a_bad_register_query_gets_400_with_what_was_wrong(bot: Bot, jwks: JwksServer, query: str) -> None:
    status, body, _ = await get(bot, f"/api/overview/register?{query}", token(jwks, "aad-hanne"))
    assert status == 400 and body["error"] == "bad_request" and body["message"]


async def test_every_read_is_audited(bot: Bot, jwks: JwksServer) -> None:
    await get(bot, "/api/overview/register", token(jwks, "aad-hanne"))
    await get(bot, "/api/overview/cases/case-escalated", token(jwks, "aad-hanne"))
    await get(bot, "/api/overview/cases/case-escalated", token(jwks, "aad-ole"))

    documents = SqliteDocumentStore(bot.settings.data_dir / "documents.sqlite3")
    try:
        audit = AuditLog(documents)
        reads = await audit.overview_read_events()
        case_log = await audit.events("case-escalated")
    finally:
        await documents.close()
    register_reads = [event for event in reads if event.action == "overview_register"]
    assert register_reads and "case-other" in register_reads[-1].detail
    assert register_reads[-1].actor_aad_object_id == "aad-hanne"
    assert any(event.action == "overview_case_read" and event.actor_aad_object_id == "aad-hanne" for event in case_log)
    assert any(event.action == "refused" and event.actor_aad_object_id == "aad-ole" for event in case_log)


async def post(bot: Bot, path: str, bearer: str | None, body: Any) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer is not None else {}
    data = body if isinstance(body, str) else json.dumps(body)
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{bot.base_url}{path}", headers=headers, data=data) as response,
    ):
        return response.status, await response.json()


GLASS = "/api/overview/cases/{}/break-the-glass"
REASON = "Medarbejderen har klaget over, at sagen ikke blev fulgt op"


async def stored(bot: Bot) -> tuple[list[Any], list[Any]]:
    """The audit log of case-other and the outbox's waiting notifications."""
    documents = SqliteDocumentStore(bot.settings.data_dir / "documents.sqlite3")
    try:
        return await AuditLog(documents).events("case-other"), await Outbox(documents).pending()
    finally:
        await documents.close()


async def test_hr_breaks_the_glass_with_a_reason_the_leader_is_told_and_it_is_in_the_access_log(
    bot: Bot, jwks: JwksServer
) -> None:
    hanne = token(jwks, "aad-hanne")
    assert (await get(bot, "/api/overview/cases/case-other", token(jwks, "aad-lars")))[0] == 200
    page = (await get(bot, "/api/overview/register?sort=reference&order=asc", hanne))[1]
    assert [(case["mayOpen"], case["mayBreakTheGlass"]) for case in page["cases"]][::2] == [
        (True, False),
        (False, True),
    ]
    assert (await get(bot, "/api/overview/cases/case-other", hanne))[0] == 404

    for body in ({}, {"reason": "   "}, {"reason": 7}, "not json", []):
        status, answer = await post(bot, GLASS.format("case-other"), hanne, body)
        assert status == 400 and answer["error"] == "bad_request" and answer["message"], body
    status, answer = await post(bot, GLASS.format("case-other"), hanne, {"reason": REASON})

    assert status == 200 and answer["case"]["description"] == DESCRIPTION
    assert answer["case"]["viewerRoles"] == ["hr"] and answer["case"]["glassUntil"]
    log = answer["case"]["accessLog"]
    assert [(e["name"], e["role"], e["action"]) for e in log if e["action"] != "refused"][-2:] == [
        ("Lars Leder", "leader", "overview_case_read"),
        ("Hanne Jura", "hr", "break_the_glass"),
    ]
    assert (await get(bot, "/api/overview/cases/case-other", hanne))[0] == 200  # for the next hours
    events, waiting = await stored(bot)
    glass = [e for e in events if e.action == "break_the_glass"]
    assert len(glass) == 1 and glass[0].detail == REASON and glass[0].actor_aad_object_id == "aad-hanne"
    told = [n for n in waiting if n.kind == "glass_broken"]
    assert len(told) == 1 and told[0].recipient.aad_object_id == "aad-lars" and REASON in told[0].payload["text"]


async def test_only_hr_breaks_the_glass_and_a_forged_id_answers_like_an_unknown_one(bot: Bot, jwks: JwksServer) -> None:
    for who, case_id in (("aad-ole", "case-plain"), ("aad-karen", "case-other"), ("aad-hanne", "no-such-case")):
        status, answer = await post(bot, GLASS.format(case_id), token(jwks, who), {"reason": REASON})
        assert status == 404 and answer == {"error": "not_found", "message": "No case here."}, (who, case_id)
    status, answer = await post(bot, GLASS.format("case-plain"), "garbage", {"reason": REASON})
    assert status == 401


WORK_ENVIRONMENT = "/api/overview/work-environment"
ANALYSIS = {"causes": "Fulde navne på skiltene", "measures": "Kun fornavne", "planChange": True,
            "planChangeText": "Navneskilte: kun fornavne"}  # fmt: skip


async def test_the_work_environment_group_records_its_analysis_and_the_leader_sees_it_handled(
    bot: Bot, jwks: JwksServer
) -> None:
    anna = token(jwks, "aad-anna")
    assert (await get(bot, "/api/overview/me", anna))[1]["workEnvironmentUnits"] == ["unit-1"]
    status, listed, _ = await get(bot, WORK_ENVIRONMENT, anna)

    assert status == 200 and [(c["reference"], c["analysis"]) for c in listed["cases"]] == [("VK-2026-0002", None)]
    assert listed["cases"][0]["summary"]["channel"] == "sms"
    for private in (DESCRIPTION, "Mette", "Karen", "aad-mette"):
        assert private not in json.dumps(listed), private
    for who in ("aad-karen", "aad-ole", "aad-hanne"):  # the leader, a stranger, HR: none of them is in the group
        assert (await get(bot, WORK_ENVIRONMENT, token(jwks, who)))[0] == 403, who
    path = f"{WORK_ENVIRONMENT}/case-plain/analysis"
    assert (await post(bot, path, token(jwks, "aad-karen"), ANALYSIS))[0] == 404
    assert (await post(bot, f"{WORK_ENVIRONMENT}/case-other/analysis", anna, ANALYSIS))[0] == 404  # not sent to them
    bad = [({**ANALYSIS, "causes": " "}, "causes"), ({**ANALYSIS, "planChangeText": ""}, "planChangeText"),
           ({**ANALYSIS, "planChange": "ja"}, "planChange"), ("not json", None), ({"x": 1}, None)]  # fmt: skip
    for body, field in bad:
        status, answer = await post(bot, path, anna, body)
        assert status == 400 and answer["error"] == "bad_request" and answer.get("field") == field, body

    status, answer = await post(bot, path, anna, ANALYSIS)

    assert status == 200 and answer["case"]["analysis"]["by"] == "Anna Arbejdsmiljø"
    assert (await post(bot, path, anna, ANALYSIS))[0] == 409  # handled once
    opened = (await get(bot, "/api/overview/cases/case-plain", token(jwks, "aad-karen")))[1]["case"]
    assert opened["workEnvironment"]["handledAt"] and opened["workEnvironment"]["planChangeText"] == ANALYSIS[
        "planChangeText"]  # fmt: skip
    led = (await get(bot, "/api/overview/leader", token(jwks, "aad-karen")))[1]["cases"]
    assert [c["workEnvironmentHandledAt"] is not None for c in led] == [True, False]
    documents = SqliteDocumentStore(bot.settings.data_dir / "documents.sqlite3")
    try:
        waiting, log = await Outbox(documents).pending(), await AuditLog(documents).events("case-plain")
    finally:
        await documents.close()
    told = [n for n in waiting if n.case_id == "case-plain" and n.recipient.aad_object_id == "aad-karen"]
    assert any("Arbejdsmiljøgruppen har behandlet sag VK-2026-0002" in n.payload.get("text", "") for n in told)
    assert [(e.actor_aad_object_id, e.role) for e in log if e.action == "work_environment_analysis"] == [
        ("aad-anna", "work_environment_group")
    ]
