"""The Overblik tab's API over real HTTP, the real app with local storage, tokens from a local OpenID metadata and
JWKS: a leader sees the cases they lead, HR the register (full details only where escalated to their function), a
stranger nothing; HR breaks the glass with a reason (400 without one, 404 for anyone who may not) and the leader is
told; HR's legal function exports everything about a person as one signed package and a leader appends a
rectification; forged, foreign and missing tokens get 401, bad queries 400, never a 500; every read is audited."""

from __future__ import annotations

import asyncio
import json
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
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
from tests.support.signing import verify
from tests.support.summary_pdf import flat, text_of

NOT_FOUND = {"error": "not_found", "message": "No case here."}

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


async def seed(data_dir: Path, more: int = 0) -> None:
    """Four cases stored as the bot stores them, with their overview rows (and `more` plain ones in unit-2)."""
    documents = SqliteDocumentStore(data_dir / "documents.sqlite3")
    table = SqliteCaseTable(data_dir / "overview.sqlite3")
    cases = CaseRepository(documents, on_saved=CaseRecords(table, FollowUps(FollowUpPolicy(), WorkingCalendar())).saved)
    escalated = a_case("case-escalated", 1, "unit-1", KAREN, PETER)
    escalated.handling.hr_escalation = HrEscalation(by=KAREN.user_id, at=REPORTED_AT, function=HrFunction.JURA)
    to_reassign = a_case("case-reassign", 4, "unit-2", LARS, None)  # HR gives it to Karen and back
    to_reassign.handling.hr_escalation = HrEscalation(by=LARS.user_id, at=REPORTED_AT, function=HrFunction.JURA)
    plain = a_case("case-plain", 2, "unit-1", KAREN, PETER)  # sent to the unit's arbejdsmiljøgruppe (Anna)
    plain.handling.work_environment = WorkEnvironmentReview(sent=Signed(by=KAREN.user_id, by_name=KAREN.name,
                                                                        at=REPORTED_AT))  # fmt: skip
    for case in (
        escalated,
        plain,
        a_case("case-other", 3, "unit-2", LARS, None),
        to_reassign,
        *(a_case(f"case-more-{number}", number, "unit-2", LARS, None) for number in range(5, 5 + more)),
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


@contextmanager
def seeded_bot(jwks: JwksServer, folder: Path, more: int = 0, **settings: Any) -> Iterator[Bot]:
    """The bot with the tab's sign-in on the seeded cases (`seed`), the test organisation in a directory file."""
    data_dir = folder / "data"
    data_dir.mkdir(mode=0o700)
    directory = folder / "directory.json"
    directory.write_text(json.dumps(DIRECTORY), encoding="utf-8")
    asyncio.run(seed(data_dir, more=more))
    with Bot(tab_settings(jwks, TENANT, data_dir, directory, **settings)) as running:
        yield running


@pytest.fixture(scope="module")
def bot(jwks: JwksServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bot]:
    with seeded_bot(jwks, tmp_path_factory.mktemp("overview")) as running:
        yield running


def tab_settings(jwks: JwksServer, tenant: str, data_dir: Path, directory: Path | None, **more: Any) -> Settings:
    """The bot with an app id, the tab's sign-in against the local JWKS, one tenant, local storage, no scheduler."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]  # a developer's .env must not change a test
        microsoft_app_id=APP_ID,
        microsoft_app_password="not-used",
        microsoft_app_tenant_id=tenant,
        allowed_tenant_ids=[tenant],
        bot_openid_metadata_url=jwks.metadata_url,
        tab_openid_metadata_url=jwks.metadata_url,
        bot_domain=DOMAIN,
        storage_backend="local",
        data_dir=data_dir,
        directory_file=directory,
        scheduler_in_app=False,
        **more,
    )


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
    assert len(deputy["cases"]) == 2 and (deputy["page"], deputy["more"]) == (1, False)
    assert (await get(bot, "/api/overview/leader?page=2", karen))[1]["cases"] == []
    for bad in ("0", "-1", "x", "1001", "1.5"):
        status, refused, _ = await get(bot, f"/api/overview/leader?page={bad}", karen)
        assert status == 400 and refused["message"] == "page must be a number from 1 to 1000", bad


async def test_hr_sees_the_whole_register_minimal_and_opens_only_what_reached_their_function(
    bot: Bot, jwks: JwksServer
) -> None:
    hanne = token(jwks, "aad-hanne")
    status, page, _ = await get(bot, "/api/overview/register?sort=reference&order=asc", hanne)

    assert status == 200 and page["total"] == 4 and page["pageSize"] == 50
    assert [(case["reference"], case["mayOpen"]) for case in page["cases"]] == [
        ("VK-2026-0001", True),
        ("VK-2026-0002", False),
        ("VK-2026-0003", False),
        ("VK-2026-0004", True),
    ]
    assert DESCRIPTION not in json.dumps(page) and "Mette" not in json.dumps(page)
    assert (await get(bot, "/api/overview/cases/case-escalated", hanne))[0] == 200
    assert (await get(bot, "/api/overview/cases/case-plain", hanne))[0] == 404
    helle = token(jwks, "aad-helle")  # the intake function: this escalation named Jura
    assert (await get(bot, "/api/overview/cases/case-escalated", helle))[0] == 404
    filtered = (await get(bot, "/api/overview/register?unit=unit-2&escalated=false", hanne))[1]
    assert [case["reference"] for case in filtered["cases"]] == ["VK-2026-0004", "VK-2026-0003"]
    assert (await get(bot, "/api/overview/cases/case-escalated", hanne))[1]["case"]["mayReassign"] is True


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

    assert (await get(bot, "/api/overview/leader", ole))[1] == {"cases": [], "page": 1, "more": False}
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


REASSIGN = "/api/overview/cases/{}/reassign"
WHY = "Lars Leder er sygemeldt i flere uger"


async def test_hr_gives_a_case_to_another_leader_choosing_by_object_id_when_the_name_means_several(
    bot: Bot, jwks: JwksServer
) -> None:
    hanne, path = token(jwks, "aad-hanne"), REASSIGN.format("case-reassign")
    status, answer = await post(bot, path, hanne, {"leaderName": "Ingen Sådan", "reason": WHY})
    assert status == 422 and answer["error"] == "leader_not_found" and answer["candidates"] == []
    status, answer = await post(bot, path, hanne, {"leaderName": "leder", "reason": WHY})
    assert status == 422 and answer["error"] == "leader_ambiguous"
    assert sorted((c["aadObjectId"], c["name"], c["unit"]) for c in answer["candidates"]) == [
        ("aad-karen", "Karen Leder", "Borgerservice"),
        ("aad-lars", "Lars Leder", "Jobcenter"),
    ]
    forged = {"leaderName": "leder", "leaderAadObjectId": "aad-ole", "reason": WHY}  # not someone the name means
    assert (await post(bot, path, hanne, forged))[1]["error"] == "leader_not_found"

    status, answer = await post(
        bot, path, hanne, {"leaderName": "leder", "leaderAadObjectId": "aad-karen", "reason": WHY}
    )

    assert status == 200 and (answer["case"]["leader"], answer["case"]["deputy"]) == ("Karen Leder", "Peter Deputy")
    assert answer["previousLeader"] is True  # Lars had it: the tab says he is told
    assert (await get(bot, "/api/overview/cases/case-reassign", token(jwks, "aad-karen")))[0] == 200
    assert (await get(bot, "/api/overview/cases/case-reassign", token(jwks, "aad-lars")))[0] == 404
    documents = SqliteDocumentStore(bot.settings.data_dir / "documents.sqlite3")
    try:
        events = await AuditLog(documents).events("case-reassign")
        told = [n for n in await Outbox(documents).pending() if n.case_id == "case-reassign"]
    finally:
        await documents.close()
    assert [(e.action, e.role, e.actor_aad_object_id) for e in events if e.action == "hr_reassign"] == [
        ("hr_reassign", "hr", "aad-hanne")
    ]
    assert {(n.recipient.aad_object_id, n.kind) for n in told} >= {
        ("aad-karen", "leader_card"),  # the new leader gets the case's card, as with HR's card
        ("aad-lars", "follow_up"),  # the leader before is told they are done with it
        ("aad-mette", "employee_update"),  # and the employee who has a new leader
    }

    status, answer = await post(bot, path, hanne, {"leaderName": "Lars Leder", "reason": WHY})  # one match: no choice
    assert status == 200 and answer["case"]["leader"] == "Lars Leder" and answer["case"]["deputy"] is None


async def test_only_hr_the_case_reached_reassigns_with_a_reason_and_bad_input_gets_400(
    bot: Bot, jwks: JwksServer
) -> None:
    body = {"leaderName": "Karen Leder", "reason": WHY}
    for who in ("aad-karen", "aad-lars", "aad-ole"):  # a leader of the case is not HR
        status, answer = await post(bot, REASSIGN.format("case-reassign"), token(jwks, who), body)
        assert status == 403 and answer["error"] == "forbidden", who
    hanne, helle = token(jwks, "aad-hanne"), token(jwks, "aad-helle")
    for bearer, case_id in (
        (helle, "case-reassign"),
        (hanne, "case-plain"),
        (hanne, "no-such-case"),
        (hanne, "x" * 300),
    ):
        assert (await post(bot, REASSIGN.format(case_id), bearer, body)) == (404, NOT_FOUND), case_id
    for bad in ({"leaderName": "Karen Leder"}, {"leaderName": "Karen Leder", "reason": "  "}):
        status, answer = await post(bot, REASSIGN.format("case-reassign"), hanne, bad)
        assert (status, answer["reason"]) == (400, "reassign_reason_required") and answer["message"]
    for bad in ({"reason": WHY}, {"leaderName": 7, "reason": WHY}, "not json", [], {"leaderName": "x" * 201}):
        status, answer = await post(bot, REASSIGN.format("case-reassign"), hanne, bad)
        assert status == 400 and answer["error"] == "bad_request" and answer["message"], bad
    status, answer = await post(bot, REASSIGN.format("case-reassign"), hanne, {**body, "leaderName": "Lars Leder"})
    assert (status, answer["reason"]) == (400, "same_leader")


SUBJECT_REQUESTS = "/api/overview/subject-requests"
NAMESAKE = person("aad-mette-2", "Mette Hansen")  # another Mette Hansen


async def decoys(bot: Bot) -> None:
    """Cases that must not be found for Mette (stored as documents only: the register's rows stay as they are)."""
    documents = SqliteDocumentStore(bot.settings.data_dir / "documents.sqlite3")
    try:
        cases = CaseRepository(documents)
        if await cases.get("decoy-namesake") is None:
            namesake = a_case("decoy-namesake", 4, "unit-2", LARS, None)
            namesake.subject = namesake.reporter = NAMESAKE
            longer = namesake.model_copy(deep=True, update={"case_id": "decoy-longer", "reference": "VK-2026-0005"})
            longer.incident.offender.name = "Mette Hansensen"
            for case in (namesake, longer):
                await cases.create(case)
    finally:
        await documents.close()


async def post_for_zip(bot: Bot, bearer: str, body: Any) -> tuple[int, bytes, Any]:
    headers = {"Authorization": f"Bearer {bearer}"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{bot.base_url}{SUBJECT_REQUESTS}", headers=headers, json=body) as response,
    ):
        return response.status, await response.read(), response.headers


async def test_hr_exports_everything_about_a_person_as_one_signed_package_and_rectifies_a_case(
    bot: Bot, jwks: JwksServer, tmp_path: Path
) -> None:
    await decoys(bot)
    hanne, karen = token(jwks, "aad-hanne"), token(jwks, "aad-karen")
    note = "Medarbejderen oplyser, at hændelsen skete om formiddagen, ikke om aftenen"
    rectify = "/api/overview/cases/{}/rectifications"
    for body in ({}, {"text": "kort"}, {"text": 7}, "not json", []):
        status, answer = await post(bot, rectify.format("case-escalated"), karen, body)
        assert status == 400 and answer["error"] == "bad_request" and answer["message"], body
    assert (await post(bot, rectify.format("case-escalated"), token(jwks, "aad-ole"), {"text": note}))[0] == 404
    status, answer = await post(bot, rectify.format("case-escalated"), karen, {"text": note})
    assert (
        status == 201 and answer["rectification"]["name"] == "Karen Leder" and answer["rectification"]["text"] == note
    )
    opened = (await get(bot, "/api/overview/cases/case-escalated", karen))[1]
    assert [r["text"] for r in opened["case"]["rectifications"]] == [note]

    for body in ({}, {"name": ""}, {"name": "M"}, {"name": "Mette Hansen", "aadObjectId": "../x"}, []):
        status, answer = await post(bot, SUBJECT_REQUESTS, hanne, body)
        assert status == 400 and answer["error"] == "bad_request" and answer["message"], body
    for who in ("aad-karen", "aad-helle", "aad-ole"):  # only HR's legal function answers these requests
        assert (await post(bot, SUBJECT_REQUESTS, token(jwks, who), {"name": "Mette Hansen"}))[0] == 403, who
    assert (await post(bot, SUBJECT_REQUESTS, "garbage", {"name": "Mette Hansen"}))[0] == 401

    status, data, headers = await post_for_zip(bot, hanne, {"name": "mette  hansen", "aadObjectId": "aad-mette"})

    assert status == 200 and headers["Content-Type"] == "application/zip" and headers["X-Vaern-Cases"] == "4"
    package = tmp_path / "indsigt.zip"
    package.write_bytes(data)
    public_key = (bot.settings.data_dir / "package-signing-key.pub.pem").read_bytes()  # made at the bot's first start
    assert verify(package, public_key).ok, verify(package, public_key).problems
    with zipfile.ZipFile(package) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        summary = archive.read("cases/01-VK-2026-0001/summary.pdf")
    assert [case["case_id"] for case in manifest["cases"]] == [
        "case-escalated",
        "case-plain",
        "case-other",
        "case-reassign",
    ]
    assert {tuple(case["found_as"]) for case in manifest["cases"]} == {("employee",)}
    (tmp_path / "summary.pdf").write_bytes(summary)
    assert flat("hændelsen skete om formiddagen") in flat(text_of(tmp_path / "summary.pdf"))  # the rectification
    assert not list((bot.settings.data_dir / "packages").glob("subject-*"))  # sent, then gone from the disk
    for case_id in ("case-escalated", "case-plain", "case-other", "case-reassign", "decoy-namesake", "decoy-longer"):
        documents = SqliteDocumentStore(bot.settings.data_dir / "documents.sqlite3")
        try:
            events = await AuditLog(documents).events(case_id)
        finally:
            await documents.close()
        exported = [e for e in events if e.action == "subject_export" and e.actor_aad_object_id == "aad-hanne"]
        assert len(exported) == (0 if case_id.startswith("decoy") else 1), case_id


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
