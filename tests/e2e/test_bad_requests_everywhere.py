"""Bad input on every route of the real app over HTTP (the Overblik tab's API with tokens from a local JWKS, the
bot's endpoint, the health checks, the tab's page and the privacy notice): a wrong method, no token, a body that is
not JSON, not an object or of the wrong shape, text that cannot be stored, odd query values and path parameters all
get a 4xx with a message that says what was wrong, never a 500, and nothing is stored on the way.
Bodies that are right but refused for another reason are tested beside the routes (test_overview_api.py,
test_http_edge.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from bot.tab_auth import issuers
from tests.e2e.test_overview_api import TENANT, Bot, seeded_bot, token
from tests.support.jwks_server import JwksServer

WHY = "Lederen er syg i længere tid, så sagen skal videre"
CORRECTION = "Episoden skete om eftermiddagen, ikke om morgenen"
HUGE = "x" * 200_000
LONE = "\ud800"  # an unpaired surrogate: json.dumps writes it as the escape \ud800, which json.loads reads back

# The API's POST routes: the path, who may use it (so the body is what is judged), and bodies of the wrong shape.
POSTS: dict[str, tuple[str, str, list[Any]]] = {
    "break-the-glass": (
        "/api/overview/cases/case-other/break-the-glass",
        "aad-hanne",
        [
            {"reason": 7},
            {"reason": None},
            {"reason": [WHY]},
            {"reason": HUGE},
            {"reason": "   "},
            {"reason": LONE + WHY},
        ],
    ),
    "reassign": (
        "/api/overview/cases/case-reassign/reassign",
        "aad-hanne",
        [
            {"leaderName": 7, "reason": WHY},
            {"leaderName": None, "reason": WHY},
            {"leaderName": HUGE, "reason": WHY},
            {"leaderName": "Karen Leder", "reason": {"why": WHY}},
            {"leaderName": "Karen Leder", "reason": WHY, "leaderAadObjectId": ["aad-karen"]},
            {"leaderName": "Karen Leder" + LONE, "reason": WHY},
        ],
    ),
    "subject-requests": (
        "/api/overview/subject-requests",
        "aad-hanne",
        [
            {"name": 7},
            {"name": None},
            {"name": HUGE},
            {"name": "Mette Hansen", "aadObjectId": "../../etc"},
            {"name": "Mette Hansen", "language": "fr"},
            {"name": "Mette Hansen", "language": ["en"]},
            {"name": LONE + LONE + " Mette"},
        ],
    ),
    "rectifications": (
        "/api/overview/cases/case-escalated/rectifications",
        "aad-karen",
        [{"text": 7}, {"text": None}, {"text": HUGE}, {"text": "   "}, {"text": LONE + CORRECTION}],
    ),
    "analysis": (
        "/api/overview/work-environment/case-plain/analysis",
        "aad-anna",
        [
            {"causes": 7, "measures": "m", "planChange": False},
            {"causes": None, "measures": "m", "planChange": False},
            {"causes": "c", "measures": "m", "planChange": "ja"},
            {"causes": "c", "measures": "m", "planChange": False, "owner": "x"},
            {"causes": LONE, "measures": "m", "planChange": False},
        ],
    ),
}
# Bodies no POST route takes: (raw bytes, Content-Type).
NOT_AN_OBJECT: list[tuple[bytes, str | None]] = [
    (b"", "application/json"),
    (b'{"reason": ', "application/json"),
    (b"[" * 100_000, "application/json"),  # past the json module's own nesting limit
    (b"null", "application/json"),
    (b"[]", "application/json"),
    (b'"text"', "application/json"),
    (b"42", "application/json"),
    (b'{"text": "\xff\xfe"}', "application/json"),  # not UTF-8
    (b'{"reason": "hej"', "application/json; charset=no-such-charset"),
    (b"text=hej", "application/x-www-form-urlencoded"),
    (b"hej", None),
]
GETS = {
    "/api/overview/leader": ["page=%C2%B2", "page=%D9%A1", "page=" + "9" * 5000, "page=-1", "page="],
    "/api/overview/register": [
        "page=%C2%B2",
        "page=%EF%BC%91",
        "page=999999999999999999999",
        "from=0001-01-01",
        "to=9999-12-31",
        "from=2026-02-30",
        "from=20260101",
        "from=2026-01-01T00:00",
        "from=%00",
        "from=2026-03-01&to=2026-02-01",
        "status=%00",
        "sort=%F0%9F%98%80",
        "overdue=%C4%B0",
        "reference=" + "x" * 6000,
        "unit=" + "x" * 6000,
    ],
    "/api/overview/statistics": ["period=year", "period=%00"],
    "/api/overview/statistics.csv": ["period=" + "x" * 6000],
}
CASE_PATHS = [
    ("GET", "/api/overview/cases/{}"),
    ("POST", "/api/overview/cases/{}/break-the-glass"),
    ("POST", "/api/overview/cases/{}/reassign"),
    ("POST", "/api/overview/cases/{}/rectifications"),
    ("POST", "/api/overview/work-environment/{}/analysis"),
]
CASE_IDS = [
    "%00",
    "..%2F..%2Fdocuments.sqlite3",
    "..",
    "%2e%2e",
    "case-escalated%00",
    "%F0%9F%98%80",
    "%20",
    "x" * 4000,
]
ROUTES = [
    ("POST", "/api/messages"),
    ("GET", "/livez"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/tab"),
    ("GET", "/tab/static/app.js"),
    ("GET", "/tab/texts/da.json"),
    ("GET", "/privacy"),
    ("GET", "/api/overview/me"),
    ("GET", "/api/overview/leader"),
    ("GET", "/api/overview/register"),
    ("GET", "/api/overview/statistics"),
    ("GET", "/api/overview/statistics.csv"),
    ("GET", "/api/overview/work-environment"),
    *((method, path.format("case-escalated")) for method, path in CASE_PATHS),
    ("POST", "/api/overview/subject-requests"),
]
API_ROUTES = [(method, path) for method, path in ROUTES if path.startswith("/api/overview/")]


@pytest.fixture(scope="module")
def jwks() -> Iterator[JwksServer]:
    with JwksServer(issuer=issuers(TENANT)[0]) as server:
        yield server


@pytest.fixture(scope="module")
def bot(jwks: JwksServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bot]:
    with seeded_bot(jwks, tmp_path_factory.mktemp("bad-requests")) as running:
        yield running


async def send(
    session: aiohttp.ClientSession,
    bot: Bot,
    method: str,
    path: str,
    bearer: str | None = None,
    data: bytes | None = None,
    content_type: str | None = "application/json",
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    if content_type is not None and data is not None:
        headers["Content-Type"] = content_type
    url = f"{bot.base_url}{path}"
    async with session.request(method, url, headers=headers, data=data, skip_auto_headers=["Content-Type"]) as answer:
        text = await answer.text()
        return answer.status, json.loads(text) if answer.content_type == "application/json" else text


def refused_clearly(status: int, body: Any, expected: int = 400) -> bool:
    """The status expected, and a message saying what was wrong (the API's JSON, or aiohttp's own text)."""
    if isinstance(body, dict):
        message = body.get("message") or body.get("error")
        return status == expected and isinstance(message, str) and len(message) > 5
    return status == expected and isinstance(body, str) and len(body.strip()) > 5


async def test_every_route_answers_a_wrong_method_with_405(bot: Bot) -> None:
    async with aiohttp.ClientSession() as session:
        for method, path in ROUTES:
            for wrong in ("PUT", "DELETE", "PATCH", "POST" if method == "GET" else "GET"):
                status, body = await send(session, bot, wrong, path, data=b"{}")
                assert refused_clearly(status, body, 405), (wrong, path, status, body)


async def test_every_api_route_answers_a_missing_or_odd_token_with_401_before_reading_anything(
    bot: Bot, jwks: JwksServer
) -> None:
    odd = ["", "Bearer", "Bearer  ", "Basic aGFubmU6a29kZQ==", "Bearer " + "x" * 7000, "Bearer a.b.c", "bearer ÿ"]
    async with aiohttp.ClientSession() as session:
        for method, path in API_ROUTES:
            for header in odd:
                headers = {"Authorization": header} if header else {}
                async with session.request(method, f"{bot.base_url}{path}", headers=headers, data=b"[") as answer:
                    body = await answer.json()
                    assert answer.status == 401 and body["error"] == "unauthorized" and body["message"], (path, header)
                    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


async def test_every_post_route_refuses_a_body_that_is_not_a_json_object_with_400(bot: Bot, jwks: JwksServer) -> None:
    async with aiohttp.ClientSession() as session:
        for name, (path, who, _) in POSTS.items():
            bearer = token(jwks, who)
            for data, content_type in NOT_AN_OBJECT:
                status, body = await send(session, bot, "POST", path, bearer, data, content_type)
                assert refused_clearly(status, body) and body["error"] == "bad_request", (name, data[:20], body)


async def test_every_post_route_refuses_a_body_of_the_wrong_shape_with_400_and_stores_nothing(
    bot: Bot, jwks: JwksServer
) -> None:
    async with aiohttp.ClientSession() as session:
        for name, (path, who, bodies) in POSTS.items():
            bearer = token(jwks, who)
            for shape in bodies:
                status, body = await send(session, bot, "POST", path, bearer, json.dumps(shape).encode())
                assert refused_clearly(status, body), (name, str(shape)[:80], status, body)
                assert body["error"] == "bad_request", (name, str(shape)[:80], body)
        status, opened = await send(session, bot, "GET", "/api/overview/cases/case-escalated", token(jwks, "aad-karen"))
        assert status == 200 and opened["case"]["rectifications"] == []
        assert opened["case"]["workEnvironment"] is None
        status, plain = await send(session, bot, "GET", "/api/overview/cases/case-plain", token(jwks, "aad-karen"))
        assert status == 200 and plain["case"]["workEnvironment"]["handledAt"] is None
        status, other = await send(session, bot, "GET", "/api/overview/cases/case-reassign", token(jwks, "aad-hanne"))
        assert status == 200 and other["case"]["leader"] == "Lars Leder"


async def test_an_oversized_body_gets_413(bot: Bot, jwks: JwksServer) -> None:
    oversized = json.dumps({"text": "x" * (2 * 1024 * 1024)}).encode()
    async with aiohttp.ClientSession() as session:
        for name, (path, who, _) in POSTS.items():
            status, body = await send(session, bot, "POST", path, token(jwks, who), oversized)
            assert refused_clearly(status, body, 413), (name, status, body)


async def test_every_odd_query_value_gets_400_with_what_was_wrong(bot: Bot, jwks: JwksServer) -> None:
    hanne = token(jwks, "aad-hanne")
    async with aiohttp.ClientSession() as session:
        for path, queries in GETS.items():
            for query in queries:
                status, body = await send(session, bot, "GET", f"{path}?{query}", hanne)
                assert refused_clearly(status, body) and body["error"] == "bad_request", (path, query[:40], body)
        status, body = await send(session, bot, "GET", "/api/overview/register?from=0001-01-01", hanne)
        assert body["message"] == "from must be a date (YYYY-MM-DD) from 1900-01-01 to 2999-12-31"
        status, body = await send(session, bot, "GET", "/api/overview/register?from=2026-03-01&to=2026-02-01", hanne)
        assert body["message"] == "from must be on or before to"
        status, body = await send(session, bot, "GET", "/api/overview/register?page=%C2%B2", hanne)
        assert body["message"] == "page must be a number from 1 to 100000"
        status, body = await send(session, bot, "GET", "/api/overview/register?from=2026-01-01&to=2026-01-01", hanne)
        assert status == 200 and body["total"] == 0


async def test_odd_case_ids_in_the_path_get_404_and_no_case(bot: Bot, jwks: JwksServer) -> None:
    good = {"reason": WHY, "leaderName": "Karen Leder", "text": CORRECTION}  # a body each route would take
    analysis = {"causes": "Travlhed", "measures": "Flere på vagt", "planChange": False}
    async with aiohttp.ClientSession() as session:
        for who in ("aad-hanne", "aad-karen", "aad-anna"):
            bearer = token(jwks, who)
            for method, path in CASE_PATHS:
                for case_id in CASE_IDS:
                    data = json.dumps(analysis if "analysis" in path else good).encode() if method == "POST" else None
                    status, answer = await send(session, bot, method, path.format(case_id), bearer, data)
                    allowed = {403, 404} if "reassign" in path and who != "aad-hanne" else {404}  # reassigning: HR
                    assert status in allowed and refused_clearly(status, answer, status), (who, path, case_id[:20])


async def test_the_pages_and_health_checks_take_odd_queries_and_names_without_a_500(bot: Bot) -> None:
    async with aiohttp.ClientSession() as session:
        for query in ("lang=%00", "lang=xx", "lang=" + "x" * 6000, "lang=%F0%9F%98%80"):
            status, page = await send(session, bot, "GET", f"/privacy?{query}")
            assert status == 200 and "<html" in page, query[:20]
        for path in ("/livez?x=%00", "/readyz?" + "x" * 6000, "/tab?page=%00"):
            assert (await send(session, bot, "GET", path))[0] == 200, path[:20]
        for path in ("/tab/static/%00", "/tab/static/..%2Fapp.py", "/tab/lib/..%2F..%2Fpackage.json",
                     "/tab/lib/fluent-tokens/..%2F..%2F..%2Fapp.js", "/tab/lib/fluent-tokens/%00.js",
                     "/tab/texts/de.json", "/tab/static/" + "x" * 4000):  # fmt: skip
            status, body = await send(session, bot, "GET", path)
            assert refused_clearly(status, body, 404), path[:40]
