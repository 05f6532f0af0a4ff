"""The Overblik tab's page and files over real HTTP from the real app: a strict Content-Security-Policy that lets
only Teams' and Microsoft 365's origins frame it, no cookie, the crisis line from the settings, the pinned
libraries served from node_modules by an allow-list only (anything else, traversal included, is 404), and the
texts in both languages with the tab's own placeholders left for it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from html import escape
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.config import Settings
from bot.tab_routes import NODE_MODULES
from content import texts_for
from tests.e2e.test_overview_api import APP_ID, DOMAIN, TENANT, Bot

CRISIS_LINE = "70 20 30 40"

pytestmark = pytest.mark.skipif(
    not (NODE_MODULES / "@microsoft" / "teams-js").exists(), reason="the tab's libraries are not installed (npm ci)"
)


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bot]:
    data_dir = tmp_path_factory.mktemp("tab-page") / "data"
    data_dir.mkdir(mode=0o700)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]  # a developer's .env must not change a test
        microsoft_app_id=APP_ID,
        microsoft_app_password="not-used",
        microsoft_app_tenant_id=TENANT,
        allowed_tenant_ids=[TENANT],
        bot_domain=DOMAIN,
        storage_backend="local",
        data_dir=data_dir,
        scheduler_in_app=False,
        crisis_line=CRISIS_LINE,
    )
    with Bot(settings) as running:
        yield running


async def fetch(bot: Bot, path: str) -> tuple[int, str, Any]:
    async with aiohttp.ClientSession() as session, session.get(f"{bot.base_url}{path}") as response:
        return response.status, await response.text(errors="replace"), response.headers


def policy(headers: Any) -> dict[str, list[str]]:
    directives = [part.strip().split() for part in headers["Content-Security-Policy"].split(";")]
    return {name: values for name, *values in directives}


async def test_the_page_has_a_strict_policy_no_cookie_and_the_crisis_line(bot: Bot) -> None:
    status, html, headers = await fetch(bot, "/tab")

    assert status == 200 and headers["Content-Type"].startswith("text/html")
    csp = policy(headers)
    assert csp["default-src"] == ["'none'"] and csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]
    assert csp["connect-src"] == ["'self'"] and csp["base-uri"] == ["'none'"] and csp["object-src"] == ["'none'"]
    assert "https://teams.microsoft.com" in csp["frame-ancestors"] and "'self'" not in csp["frame-ancestors"]
    assert all(source.startswith("https://") for source in csp["frame-ancestors"])
    assert not [value for values in csp.values() for value in values if "unsafe" in value or value in ("*", "data:")]
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in headers
    assert escape(texts_for("da", CRISIS_LINE)("tab.crisis")) in html and 'href="tel:+4570203040"' in html
    assert "<script>" not in html and "style=" not in html  # nothing inline: the policy would refuse it
    assert "https://" not in html  # no CDN


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/tab/lib/teams-js/MicrosoftTeams.min.js", "text/javascript"),
        ("/tab/lib/fluent/web-components.min.js", "text/javascript"),
        ("/tab/lib/fluent-tokens/index.js", "text/javascript"),
        ("/tab/lib/fluent-tokens/themes/index.js", "text/javascript"),
        ("/tab/lib/chart.js/chart.umd.min.js", "text/javascript"),
        ("/tab/static/app.js", "text/javascript"),
        ("/tab/static/charts.js", "text/javascript"),
        ("/tab/static/reassign.js", "text/javascript"),
        ("/tab/static/tab.css", "text/css"),
    ],
)
async def test_the_allowed_files_are_served_with_the_policy(bot: Bot, path: str, content_type: str) -> None:
    status, body, headers = await fetch(bot, path)

    assert status == 200 and headers["Content-Type"].startswith(content_type) and body
    assert "frame-ancestors" in headers["Content-Security-Policy"] and "Set-Cookie" not in headers
    assert "eval(" not in body and "new Function" not in body  # the policy has no unsafe-eval


@pytest.mark.parametrize(
    "path",
    [
        "/tab/lib/fluent-tokens/../../../azurite/package.json",
        "/tab/lib/fluent-tokens/%2e%2e/%2e%2e/web-components/package.json",
        "/tab/lib/fluent-tokens/..%2f..%2f..%2f..%2fpackage.json",
        "/tab/lib/fluent-tokens/index.js.map",
        "/tab/lib/azurite/package.json",
        "/tab/lib/teams-js/MicrosoftTeams.js.map",
        "/tab/lib/chart.js/chart.umd.min.js.map",
        "/tab/lib/chart.js/package.json",
        "/tab/static/index.html",
        "/tab/static/..%2f..%2fbot%2fconfig.py",
        "/tab/static/%2e%2e%2fREADME.md",
        "/tab/texts/de.json",
        "/tab/texts/..%2f..%2fpyproject.json",
    ],
)
async def test_anything_else_is_404_never_a_file_from_elsewhere(bot: Bot, path: str) -> None:
    status, body, _ = await fetch(bot, path)

    assert status == 404, (path, body[:200])
    assert "devDependencies" not in body and "[tool." not in body and "Settings" not in body


@pytest.mark.parametrize("language", ["da", "en"])
async def test_the_texts_come_from_content_with_the_crisis_line(bot: Bot, language: str) -> None:
    status, body, headers = await fetch(bot, f"/tab/texts/{language}.json")

    texts = json.loads(body)
    assert status == 200 and headers["Cache-Control"] == "no-store"
    assert (
        texts["tab"]["crisis"] == texts_for(language, CRISIS_LINE)("tab.crisis")
        and CRISIS_LINE in texts["tab"]["crisis"]
    )
    assert "{k}" in texts["tab"]["statistics_intro"] and "{reference}" in texts["tab"]["open_case"]
    assert texts["kinds"]["threats"] and texts["channel"]["sms"] and texts["offender"]["citizen"]


def test_every_own_file_of_the_tab_exists() -> None:
    from bot.tab_routes import LIBRARIES, OWN_FILES, PAGE_FOLDER

    assert all((PAGE_FOLDER / name).is_file() for name in OWN_FILES)
    assert all((NODE_MODULES / name).is_file() for name in LIBRARIES.values())
    assert Path(PAGE_FOLDER / "index.html").is_file()
