"""The Overblik tab in Debian's Chromium, loaded the way Teams loads it: a host page at https://teams.microsoft.com
frames the tab at the bot's https origin (proxied to the real bot over HTTP) and answers the Teams JS SDK's host
messages, so the real @microsoft/teams-js runs; tokens come from the local JWKS the API test uses
(tests/support/tab_driver.mjs). A leader sees their cases and opens one with a deep link back to the chat, HR the
register and the statistics (bar charts of the API's counts, hidden ones not drawn, "<5" in the tables) and a CSV,
HR gives a case to another leader choosing among the people the name means, a stranger a kind "not for you", a
foreign tenant's token a kind 401 page, and the privacy notice page (/privacy) reads at phone width; axe-core finds
no serious or critical violation; the page's CSP holds (nothing blocked but the SDK's own CDN look-up), no cookie is
set, and a page outside Teams cannot frame the tab. Screenshots go to TAB_SCREENS_DIR (docs/screens/ when
refreshing them) or a temporary folder.

Needs `npm ci` (playwright-core, axe-core, the tab's libraries), node and Debian's Chromium."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest

from bot.tab_auth import issuers
from content import texts_for
from tests.e2e.test_overview_api import APP_ID, DOMAIN, TENANT, Bot, get, seeded_bot
from tests.support.jwks_server import JwksServer, SigningKey
from tests.support.playground import node_executable

REPO_ROOT = Path(__file__).resolve().parents[2]
DRIVER = REPO_ROOT / "tests" / "support" / "tab_driver.mjs"
AXE = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/lib/chromium/chromium"))
TAB_ORIGIN = f"https://{DOMAIN}"
TEAMS = "https://teams.microsoft.com"
CRISIS_LINE = "89 70 12 99"
DA = texts_for("da", CRISIS_LINE)
EN = texts_for("en", CRISIS_LINE)
PHONE = {"width": 375, "height": 740}
GLASS_REASON = "Medarbejderen har klaget til Organisation og Personale"
REASSIGN_REASON = "Lars Leder er sygemeldt i flere uger"
MORE = 6  # plain cases in unit-2 besides the API test's four, so that the statistics show some counts
RECTIFICATION = "Medarbejderen oplyser, at beskeden kom om morgenen"


def _missing_tools() -> str | None:
    if not CHROMIUM.exists():
        return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    if node_executable() is None:
        return "node is not installed (apt-get install nodejs npm)"
    for package in ("playwright-core", "axe-core", "@microsoft/teams-js", "@fluentui/web-components"):
        if not (REPO_ROOT / "node_modules" / package).exists():
            return f"{package} is not installed (npm ci)"
    return None


pytestmark = [pytest.mark.slow, pytest.mark.skipif((_missing := _missing_tools()) is not None, reason=_missing or "")]


def mint(jwks: JwksServer, oid: str, tenant: str = TENANT) -> str:
    now = int(time.time())
    claims = {
        "aud": f"api://{DOMAIN}/{APP_ID}",
        "iss": issuers(tenant)[0],
        "tid": tenant,
        "oid": oid,
        "scp": "access_as_user",
        "nbf": now - 5,
        "exp": now + 3600,
    }
    return jwks.mint(claims)


def session(name: str, token: str, who: dict[str, str], steps: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    return {
        "name": name,
        "hostOrigin": TEAMS,
        "token": token,
        "locale": "da-DK",
        "theme": "default",
        "oid": "",
        "tenant": TENANT,
        "upn": "",
        "displayName": "",
        "steps": steps,
        **who,
        **fields,
    }


def plan(jwks: JwksServer, bot: Bot, screens: Path) -> dict[str, Any]:
    t = lambda key, **values: DA(f"tab.{key}", **values)  # noqa: E731
    g = lambda key, **values: DA(f"amg_tab.{key}", **values)  # noqa: E731
    karen, hanne, ole = mint(jwks, "aad-karen"), mint(jwks, "aad-hanne"), mint(jwks, "aad-ole")
    as_karen = {"oid": "aad-karen", "upn": "karen@kommune.dk", "displayName": "Karen Leder"}
    as_hanne = {"oid": "aad-hanne", "upn": "hanne@kommune.dk", "displayName": "Hanne Jura"}
    foreign = mint(jwks, "aad-hanne", tenant="tenant-2")
    forged = jwks.mint(jwt.decode(hanne, options={"verify_signature": False}), key=SigningKey(kid=jwks.key.kid))
    return {
        "chromium": str(CHROMIUM),
        "botUrl": bot.base_url,
        "tabOrigin": TAB_ORIGIN,
        "axeScript": str(AXE),
        "screensDir": str(screens),
        "stepTimeoutMs": 20000,
        "sessions": [
            session(
                "leader",
                karen,
                as_karen,
                [
                    {"do": "waitText", "text": "VK-2026-0002"},
                    {"do": "text"},
                    {"do": "axe"},
                    {"do": "screenshot", "name": "overblik-leder-lys"},
                    {"do": "tabTo", "name": t("open_case", reference="VK-2026-0001")},
                    {"do": "press", "key": "Enter"},
                    {"do": "waitText", "text": t("chat_link")},
                    {"do": "text"},
                    {"do": "axe"},
                    {"do": "screenshot", "name": "overblik-sag-lys"},
                    {"do": "click", "role": "link", "name": t("chat_link")},
                    {"do": "click", "role": "button", "name": t("back")},
                    {"do": "waitText", "text": "VK-2026-0002"},
                ],
            ),
            session(
                "leader-dark-en",
                karen,
                as_karen,
                [
                    {"do": "waitText", "text": EN("tab.view_leader")},
                    {"do": "waitText", "text": "VK-2026-0002"},
                    {"do": "text"},
                    {"do": "axe"},
                    {"do": "screenshot", "name": "overblik-leder-moerk-en"},
                ],
                locale="en-US",
                theme="dark",
            ),
            session(
                "privacy-phone",
                "",
                {},
                [
                    {"do": "waitText", "text": DA("privacy.rights_title")},
                    {"do": "text"},
                    {"do": "axe"},
                    {"do": "screenshot", "name": "privatliv-telefon"},
                ],
                viewport=PHONE,
                path="/privacy",
            ),
            session(
                "leader-phone",
                karen,
                as_karen,
                [
                    {"do": "waitText", "text": "VK-2026-0002"},
                    {"do": "axe"},
                    {"do": "screenshot", "name": "overblik-leder-telefon"},
                ],
                viewport=PHONE,
            ),
            session(
                "hr",
                hanne,
                as_hanne,
                [
                    {"do": "click", "role": "button", "name": t("view_register")},
                    {"do": "waitText", "text": "VK-2026-0003"},
                    {"do": "click", "role": "button", "name": t("sort_by", column=t("reference"))},
                    {"do": "waitText", "text": "▲"},  # sorted ascending: the page is drawn again with the new order
                    {"do": "waitText", "text": t("page_of", page=1, pages=1, total=4 + MORE)},
                    {"do": "text"},
                    {"do": "axe"},
                    {"do": "screenshot", "name": "overblik-register-lys"},
                    {"do": "fill", "label": t("filter_unit"), "text": "unit-2"},
                    {"do": "click", "role": "button", "name": t("apply")},
                    {"do": "waitText", "text": t("page_of", page=1, pages=1, total=2 + MORE)},
                    {"do": "text"},
                    {"do": "click", "role": "button", "name": t("view_statistics")},
                    {"do": "waitText", "text": t("table_channel")},
                    {"do": "charts"},
                    {"do": "text"},
                    {"do": "axe"},
                    {"do": "screenshot", "name": "overblik-statistik-lys"},
                    {"do": "download", "role": "button", "name": t("download_csv")},
                ],
            ),
            session(
                "hr-break-glass",
                hanne,
                as_hanne,
                [
                    {"do": "click", "role": "button", "name": t("view_register")},
                    {"do": "waitText", "text": "VK-2026-0003"},
                    {"do": "click", "role": "button", "name": t("glass_for", reference="VK-2026-0002")},
                    {"do": "waitText", "text": t("glass_title", reference="VK-2026-0002")},
                    {"do": "text"},
                    {"do": "axe"},
                    {"do": "fill", "label": t("glass_reason"), "text": GLASS_REASON},
                    {"do": "click", "role": "button", "name": t("glass_submit")},
                    {"do": "waitText", "text": "DESCRIPTION-MARKER-4242"},
                    {"do": "text"},
                    {"do": "axe"},
                    {"do": "screenshot", "name": "overblik-brudt-forsegling"},
                ],
            ),
            session(
                "hr-subject-request",
                hanne,
                as_hanne,
                [
                    {"do": "click", "role": "button", "name": DA("subject_requests.view")},
                    {"do": "fill", "label": DA("subject_requests.name"), "text": "Mette Hansen"},
                    {"do": "fill", "label": DA("subject_requests.object_id"), "text": "aad-mette"},
                    {"do": "axe"},
                    {"do": "download", "role": "button", "name": DA("subject_requests.submit")},
                    {"do": "waitText", "text": "Antal sager med personen: 10"},
                    {"do": "click", "role": "button", "name": t("view_register")},
                    {"do": "click", "role": "button", "name": t("open_case", reference="VK-2026-0001")},
                    {"do": "fill", "label": DA("subject_requests.rectification_text"), "text": RECTIFICATION},
                    {"do": "click", "role": "button", "name": DA("subject_requests.rectification_submit")},
                    {"do": "waitText", "text": "Hanne Jura, "},
                    {"do": "text"},
                    {"do": "axe"},
                ],
            ),
            session(
                "hr-contrast-phone",
                hanne,
                as_hanne,
                [
                    {"do": "click", "role": "button", "name": t("view_register")},
                    {"do": "waitText", "text": "VK-2026-0003"},
                    {"do": "axe"},
                    {"do": "screenshot", "name": "overblik-register-kontrast-telefon"},
                    {"do": "click", "role": "button", "name": t("view_statistics")},
                    {"do": "charts"},
                    {"do": "axe"},
                    {"do": "screenshot", "name": "overblik-statistik-kontrast-telefon"},
                ],
                theme="contrast",
                viewport=PHONE,
            ),
            session(
                "stranger",
                ole,
                {"oid": "aad-ole", "upn": "ole@kommune.dk", "displayName": "Ole Anden"},
                [
                    {"do": "waitText", "text": t("not_allowed_title")},
                    {"do": "text"},
                    {"do": "axe"},
                    {"do": "screenshot", "name": "overblik-ikke-adgang"},
                ],
            ),
            session(
                "foreign-tenant",
                foreign,
                {"oid": "aad-hanne", "upn": "hanne@other.example", "displayName": "Hanne", "tenant": "tenant-2"},
                [
                    {"do": "waitText", "text": t("unauthorized_title")},
                    {"do": "text"},
                    {"do": "axe"},
                    {"do": "screenshot", "name": "overblik-401"},
                ],
            ),
            session(
                "forged",
                forged,
                as_hanne,
                [{"do": "waitText", "text": t("unauthorized_title")}, {"do": "text"}],
            ),
            session(
                "no-token",
                "",
                as_hanne,
                [{"do": "waitText", "text": t("unauthorized_title")}, {"do": "text"}],
            ),
            session(
                "work-environment-group",
                mint(jwks, "aad-anna"),
                {"oid": "aad-anna", "upn": "anna@kommune.dk", "displayName": "Anna Arbejdsmiljø"},
                [
                    {"do": "waitText", "text": g("view")},
                    {"do": "waitText", "text": g("form_title", reference="VK-2026-0002")},
                    {"do": "text"},
                    {"do": "axe"},
                    {"do": "screenshot", "name": "overblik-arbejdsmiljoegruppe-lys"},
                    {"do": "fill", "label": g("causes"), "text": "Fulde navne på skiltene"},
                    {"do": "fill", "label": g("measures"), "text": "Kun fornavne fra 1. maj"},
                    {"do": "click", "role": "checkbox", "name": g("plan_change_yes")},
                    {"do": "fill", "label": g("plan_change_text"), "text": "Navneskilte: kun fornavne"},
                    {"do": "click", "role": "button", "name": g("save")},
                    {"do": "waitText", "text": g("saved")},
                    {"do": "text"},
                    {"do": "axe"},
                    {"do": "screenshot", "name": "overblik-arbejdsmiljoegruppe-behandlet"},
                ],
            ),
            session("outside-teams", hanne, as_hanne, [{"do": "framed"}], hostOrigin="https://intranet.example.com"),
            session(  # last: it gives case-reassign (Lars Leder's) to Karen Leder
                "hr-reassign",
                hanne,
                as_hanne,
                [
                    {"do": "click", "role": "button", "name": t("view_register")},
                    {"do": "click", "role": "button", "name": t("open_case", reference="VK-2026-0004")},
                    {"do": "waitText", "text": t("reassign_title")},
                    {"do": "fill", "label": t("reassign_leader"), "text": "leder"},
                    {"do": "fill", "label": t("reassign_reason"), "text": REASSIGN_REASON},
                    {"do": "click", "role": "button", "name": t("reassign_submit")},
                    {"do": "waitText", "text": t("reassign_choose")},
                    {"do": "text"},
                    {"do": "axe"},
                    {"do": "click", "role": "radio", "name": "Karen Leder, Borgerservice"},
                    {"do": "click", "role": "button", "name": t("reassign_submit")},
                    {"do": "waitText", "text": t("reassign_done", leader="Karen Leder")},
                    {"do": "text"},
                    {"do": "axe"},
                    {"do": "screenshot", "name": "overblik-giv-videre"},
                ],
            ),
        ],
    }


@pytest.fixture(scope="module")
def jwks() -> Iterator[JwksServer]:
    with JwksServer(issuer=issuers(TENANT)[0]) as server:
        yield server


@pytest.fixture(scope="module")
def bot(jwks: JwksServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bot]:
    with seeded_bot(jwks, tmp_path_factory.mktemp("tab"), more=MORE, crisis_line=CRISIS_LINE) as running:
        yield running


@pytest.fixture(scope="module")
def run(jwks: JwksServer, bot: Bot, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    workdir = tmp_path_factory.mktemp("tab-driver")
    screens = Path(os.environ.get("TAB_SCREENS_DIR") or workdir / "screens")
    plan_path, result_path = workdir / "plan.json", workdir / "result.json"
    plan_path.write_text(json.dumps(plan(jwks, bot, screens), ensure_ascii=False, indent=2), encoding="utf-8")
    # HR's statistics as the API gives them before the run (its last session moves a case to another unit)
    statistics = asyncio.run(get(bot, "/api/overview/statistics?period=month", mint(jwks, "aad-hanne")))[1]
    completed = subprocess.run(
        [node_executable() or "node", str(DRIVER), str(plan_path), str(result_path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")},
    )
    if not result_path.exists():
        raise AssertionError(f"the driver wrote no result (exit {completed.returncode}):\n{completed.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(result_path.read_text(encoding="utf-8"))
    assert result["ok"], json.dumps(result.get("failedStep"), ensure_ascii=False) + json.dumps(
        {name: record.get("failureText") or record.get("console") for name, record in result["sessions"].items()},
        ensure_ascii=False,
    )
    result["screens"] = screens
    result["statistics"] = statistics
    return result


def values(run: dict[str, Any], name: str, do: str) -> list[Any]:
    return [step["value"] for step in run["sessions"][name]["steps"] if step["do"] == do]


def test_a_leader_sees_their_cases_with_duties_and_the_crisis_line(run: dict[str, Any]) -> None:
    text = values(run, "leader", "text")[0]
    assert "VK-2026-0001" in text and "VK-2026-0002" in text and "VK-2026-0003" not in text
    assert DA("tab.crisis") in text and CRISIS_LINE in text
    assert f"{DA('tab.duty_acknowledge')}: {DA('tab.state_overdue')}" in text  # reported long ago, not acknowledged
    assert DA("tab.next_follow_up") in text
    assert "DESCRIPTION-MARKER-4242" not in text  # the list holds no free text
    # VK-2026-0002 went to the arbejdsmiljøgruppe (when, and handled once the group has recorded its analysis)
    assert re.search(rf"{DA('tab.duty_work_environment')}\s*Sendt \d", text)
    assert DA("tab.work_environment_not_sent") in text


def test_a_leader_opens_a_case_by_keyboard_with_its_facts_and_a_deep_link_to_the_chat(run: dict[str, Any]) -> None:
    presses = values(run, "leader", "tabTo")[0]
    opened = values(run, "leader", "text")[1]
    assert 1 <= presses <= 15
    assert "DESCRIPTION-MARKER-4242" in opened and "Mette Hansen" in opened and "Karen Leder" in opened
    links = run["sessions"]["leader"]["deepLinks"]
    assert links == [f"https://teams.microsoft.com/l/chat/0/0?users=28%3A{APP_ID}"]


def test_the_tab_follows_the_teams_locale_and_theme(run: dict[str, Any]) -> None:
    text = values(run, "leader-dark-en", "text")[0]
    assert EN("tab.view_leader") in text and EN("tab.crisis") in text and DA("tab.view_leader") not in text
    for name in ("overblik-leder-moerk-en", "overblik-leder-lys"):
        assert (run["screens"] / f"{name}.png").stat().st_size > 10_000
    dark = _mean_brightness(run["screens"] / "overblik-leder-moerk-en.png")
    light = _mean_brightness(run["screens"] / "overblik-leder-lys.png")
    assert dark < 80 < 170 < light, (dark, light)


def _mean_brightness(path: Path) -> float:
    from PIL import Image, ImageStat

    with Image.open(path) as image:
        return float(ImageStat.Stat(image.convert("L")).mean[0])


def test_hr_sees_the_register_sorted_filtered_and_paged(run: dict[str, Any]) -> None:
    sorted_text, filtered = values(run, "hr", "text")[:2]
    assert sorted_text.index("VK-2026-0001") < sorted_text.index("VK-2026-0002") < sorted_text.index("VK-2026-0003")
    assert "Mette" not in sorted_text and "DESCRIPTION-MARKER-4242" not in sorted_text
    assert "VK-2026-0003" in filtered and "VK-2026-0001" not in filtered


def test_hr_sees_the_statistics_with_small_counts_hidden_and_downloads_the_csv(run: dict[str, Any]) -> None:
    text = values(run, "hr", "text")[2]
    assert "<5" in text and DA("tab.table_channel") in text
    download = values(run, "hr", "download")[0]
    assert download["name"] == "vaern-statistik.csv"
    assert download["text"].splitlines()[0] == "table,unit_id,unit,column,count,note"


def test_the_statistics_are_charts_of_the_apis_counts_with_the_hidden_ones_not_drawn(run: dict[str, Any]) -> None:
    charts = values(run, "hr", "charts")[0]
    expected = {table["name"]: table["columnTotals"] for table in run["statistics"]["tables"] if table["columns"]}
    assert {chart["table"]: chart["values"] for chart in charts} == expected
    shown = sum(value is not None for totals in expected.values() for value in totals)
    assert sum(chart["bars"] for chart in charts) == shown > 0  # one bar per count shown, none for a hidden one
    assert None in [value for totals in expected.values() for value in totals]
    for chart in charts:
        hidden = [label for label, value in zip(chart["labels"], chart["values"], strict=True) if value is None]
        assert all("<5" in label for label in hidden) and chart["width"] > 0
        assert chart["role"] == "img" and chart["label"].startswith(DA("tab.chart_label", name="X").split("X")[0])
    contrast = values(run, "hr-contrast-phone", "charts")[0]
    assert [chart["values"] for chart in contrast] == [chart["values"] for chart in charts]
    assert contrast[0]["colour"] != charts[0]["colour"]  # the high-contrast theme's own colour


def test_hr_gives_a_case_to_another_leader_choosing_among_the_people_the_name_means(run: dict[str, Any]) -> None:
    choose, done = values(run, "hr-reassign", "text")
    assert DA("tab.reassign_choose") in choose
    assert "Karen Leder, Borgerservice" in choose and "Lars Leder, Jobcenter" in choose
    assert DA("tab.reassign_done", leader="Karen Leder") in done and CRISIS_LINE in done
    calls = [call for call in run["sessions"]["hr-reassign"]["api"] if call["path"].endswith("/reassign")]
    path = "/api/overview/cases/case-reassign/reassign"
    assert calls == [{"path": path, "status": 422}, {"path": path, "status": 200}]


def test_hr_breaks_the_glass_with_a_reason_and_sees_the_case_and_its_access_log(run: dict[str, Any]) -> None:
    form, opened = values(run, "hr-break-glass", "text")
    assert DA("tab.glass_intro") in form
    assert "DESCRIPTION-MARKER-4242" in opened and "Mette Hansen" in opened
    assert DA("tab.glass_until", until="X").split("X")[0] in opened
    assert DA("tab.access_log") in opened and DA("tab.access_action_break_the_glass") in opened
    assert GLASS_REASON in opened and "Hanne Jura" in opened
    calls = run["sessions"]["hr-break-glass"]["api"]
    assert {"path": "/api/overview/cases/case-plain/break-the-glass", "status": 200} in calls


def test_hrs_legal_function_downloads_a_subject_package_and_rectifies_a_case(run: dict[str, Any]) -> None:
    download = values(run, "hr-subject-request", "download")[0]
    assert download["name"].startswith("Indsigtspakke-") and download["name"].endswith(".zip")
    opened = values(run, "hr-subject-request", "text")[0]
    assert DA("subject_requests.rectifications") in opened and RECTIFICATION in opened
    calls = run["sessions"]["hr-subject-request"]["api"]
    assert {"path": "/api/overview/subject-requests", "status": 200} in calls
    assert {"path": "/api/overview/cases/case-escalated/rectifications", "status": 201} in calls


def test_a_work_environment_group_member_sees_the_anonymised_case_and_records_the_analysis(
    run: dict[str, Any],
) -> None:
    before, after = values(run, "work-environment-group", "text")
    assert "VK-2026-0002" in before and "VK-2026-0001" not in before  # only the case sent to the group
    assert DA("amg_tab.waiting") in before and DA("channel.sms") in before
    for private in ("DESCRIPTION-MARKER-4242", "Mette Hansen", "Karen Leder"):
        assert private not in before and private not in after
    assert DA("amg_tab.saved") in after and "Kun fornavne fra 1. maj" in after
    assert DA("amg_tab.plan_change_decided", text="Navneskilte: kun fornavne") in after
    assert CRISIS_LINE in after


def test_a_stranger_gets_a_kind_not_for_you(run: dict[str, Any]) -> None:
    text = values(run, "stranger", "text")[0]
    assert DA("tab.not_allowed_body") in text and CRISIS_LINE in text
    assert DA("tab.view_register") not in text


@pytest.mark.parametrize("name", ["foreign-tenant", "forged"])
def test_a_foreign_or_forged_token_gets_401_shown_kindly(run: dict[str, Any], name: str) -> None:
    record = run["sessions"][name]
    assert {"path": "/api/overview/me", "status": 401} in record["api"]
    assert not [call for call in record["api"] if call["status"] == 200]
    text = values(run, name, "text")[0]
    assert DA("tab.unauthorized_body") in text and CRISIS_LINE in text and "VK-2026" not in text


def test_no_token_from_teams_is_shown_kindly_and_asks_nothing_of_the_api(run: dict[str, Any]) -> None:
    record = run["sessions"]["no-token"]
    assert record["api"] == [] and "authentication.getAuthToken" in record["hostCalls"]
    assert DA("tab.unauthorized_body") in values(run, "no-token", "text")[0]


def test_axe_finds_no_serious_or_critical_violation(run: dict[str, Any]) -> None:
    checked = 0
    for name, record in run["sessions"].items():
        for step in record["steps"]:
            if step["do"] == "axe":
                checked += 1
                bad = [v for v in step["value"] if v["impact"] in ("serious", "critical")]
                assert bad == [], (name, bad)
    assert checked >= 8


def test_the_content_security_policy_holds_and_no_cookie_is_set(run: dict[str, Any]) -> None:
    for name, record in run["sessions"].items():
        blocked = [v for v in record["csp"] if not v["blocked"].startswith("https://res.cdn.office.net/")]
        assert blocked == [], (name, blocked)  # only the SDK's own look-up of Teams' origins is refused
        assert record["cookies"] == 0 and record["setCookie"] == 0, name


def test_a_page_outside_teams_cannot_frame_the_tab(run: dict[str, Any]) -> None:
    assert values(run, "outside-teams", "framed") == [False]
    assert values(run, "stranger", "text")  # the same page at Teams' origin did load


def test_the_privacy_page_reads_at_phone_width_in_a_teams_frame(run: dict[str, Any]) -> None:
    [text] = values(run, "privacy-phone", "text")
    assert DA("privacy.title") in text and DA("privacy.dpo_title") in text and CRISIS_LINE in text
    assert "**" not in text  # the notice's bold words are HTML, not Markdown


def test_the_screenshots_are_taken(run: dict[str, Any]) -> None:
    names = {path.stem for path in run["screens"].glob("*.png")}
    assert {
        "overblik-leder-lys",
        "overblik-sag-lys",
        "overblik-leder-moerk-en",
        "overblik-leder-telefon",
        "overblik-register-lys",
        "overblik-register-kontrast-telefon",
        "overblik-statistik-lys",
        "overblik-ikke-adgang",
        "overblik-401",
        "overblik-brudt-forsegling",
        "overblik-statistik-kontrast-telefon",
        "overblik-giv-videre",
        "privatliv-telefon",
        "overblik-arbejdsmiljoegruppe-lys",
        "overblik-arbejdsmiljoegruppe-behandlet",
    } <= names
