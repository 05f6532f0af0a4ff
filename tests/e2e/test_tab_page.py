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
DPO_NAME, DPO_EMAIL, DPO_PHONE = "Dorte <Rådgiver>", "dpo@silkeborg.dk", "89 70 10 00"

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
        data_protection_officer_name=DPO_NAME,
        data_protection_officer_email=DPO_EMAIL,
        data_protection_officer_phone=DPO_PHONE,
    )
    with Bot(settings) as running:
        yield running


async def fetch(bot: Bot, path: str, headers: dict[str, str] | None = None) -> tuple[int, str, Any]:
    async with aiohttp.ClientSession() as session, session.get(f"{bot.base_url}{path}", headers=headers) as response:
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
    assert 'href="/privacy"' in html and escape(texts_for("da", CRISIS_LINE)("tab.privacy")) in html


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
        ("/tab/static/privacy.css", "text/css"),
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


def _notice(language: str) -> Any:
    return texts_for(language, CRISIS_LINE)


@pytest.mark.parametrize(
    ("path", "accept_language", "language"),
    [
        ("/privacy", None, "da"),
        ("/privacy?lang=en", None, "en"),
        ("/privacy", "en-GB,en;q=0.9,da;q=0.5", "en"),
        ("/privacy", "de-DE, da;q=0.8, en;q=0.7", "da"),
        ("/privacy?lang=da", "en-US", "da"),
        ("/privacy?lang=de", "fr, en;q=0.5", "en"),
    ],
)
async def test_the_privacy_page_is_the_notice_in_the_asked_language_with_the_policy(
    bot: Bot, path: str, accept_language: str | None, language: str
) -> None:
    headers = {"Accept-Language": accept_language} if accept_language else None
    status, html, response_headers = await fetch(bot, path, headers)

    texts = _notice(language)
    assert status == 200 and response_headers["Content-Type"].startswith("text/html")
    assert f'<html lang="{language}">' in html and response_headers["Content-Language"] == language
    csp = policy(response_headers)
    assert csp["default-src"] == ["'none'"] and csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]
    assert "Set-Cookie" not in response_headers and response_headers["X-Content-Type-Options"] == "nosniff"
    for key in ("privacy.title", "privacy.purpose_title", "privacy.basis_title", "privacy.rights_title"):
        assert f">{escape(texts(key))}<" in html
    assert escape(texts("privacy.how_long_closed", years=5)) in html and "Datatilsynet" in html
    assert escape(DPO_NAME) in html and "<Rådgiver>" not in html  # escaped, never markup
    assert f'href="mailto:{DPO_EMAIL}"' in html and 'href="tel:+4589701000"' in html
    assert CRISIS_LINE in html and 'href="tel:+4570203040"' in html
    assert "<script" not in html and "style=" not in html and "https://" not in html  # nothing inline, no CDN
    assert "**" not in html and "<strong>" in html  # the notice's bold words, as HTML


async def test_the_built_manifest_points_at_the_privacy_page_the_bot_serves(bot: Bot) -> None:
    from urllib.parse import urlsplit

    from manifest.build import app_info

    info = app_info({"bot_id": APP_ID, "bot_domain": DOMAIN}, lambda name, default: default)
    url = urlsplit(info.privacy_url)
    assert (url.scheme, url.netloc) == ("https", DOMAIN)
    status, html, _ = await fetch(bot, url.path)
    assert status == 200 and escape(_notice("da")("privacy.title")) in html
