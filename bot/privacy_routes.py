"""The privacy notice as a web page the bot serves: GET /privacy (the Teams app's privacyUrl, linked from the Overblik
tab), Danish by default, English with `?lang=en` or an Accept-Language that prefers English over Danish.

Rules: the text is the privacy notice card's own (cards.privacy.privacy_sections and content/<lang>/privacy.toml, with
the retention periods and the data protection officer from the settings), never a copy; the page carries the HR
crisis line like every screen; every response has the tab's strict Content-Security-Policy (bot/tab_routes.py: its
own stylesheet only, no script, nothing from elsewhere) and sets no cookie; all text is HTML-escaped, with bold
Markdown (**…**) as <strong> and nothing else interpreted.
"""

from __future__ import annotations

import re
from html import escape

from aiohttp import web

from bot.config import Settings
from bot.tab_routes import NO_STORE, SECURITY_HEADERS, tel_link
from cards.privacy import DataProtectionOfficer, officer_facts, privacy_sections
from content import SUPPORTED, Texts, texts_for

PRIVACY_PATH = "/privacy"
STYLESHEET = "/tab/static/privacy.css"
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def data_protection_officer(settings: Settings) -> DataProtectionOfficer:
    """The data protection officer the notice names (DATA_PROTECTION_OFFICER_*)."""
    return DataProtectionOfficer(
        settings.data_protection_officer_name,
        settings.data_protection_officer_email,
        settings.data_protection_officer_phone,
    )


def _quality(value: str) -> float:
    """An Accept-Language weight; one that is no number between 0 and 1 counts as 0 (not wanted)."""
    try:
        quality = float(value)
    except ValueError:
        return 0.0
    return quality if 0.0 <= quality <= 1.0 else 0.0


def page_language(query: str | None, accept_language: str | None) -> str:
    """`?lang=` when it names a language Værn speaks; else the Accept-Language Værn speaks best; else Danish."""
    if query in SUPPORTED:
        return query
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, *parameters = [piece.strip() for piece in part.split(";")]
        quality = 1.0
        for parameter in parameters:
            if parameter.lower().startswith("q="):
                quality = _quality(parameter[2:])
        language = tag.split("-")[0].lower()
        if language in SUPPORTED and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else "da"


def _html(text: str) -> str:
    return _BOLD.sub(r"<strong>\1</strong>", escape(text))


def _officer(texts: Texts, officer: DataProtectionOfficer) -> list[str]:
    lines = ['<section aria-labelledby="dpo">', f'<h2 id="dpo">{escape(texts("privacy.dpo_title"))}</h2>']
    if not officer.known:
        return [*lines, f"<p>{_html(texts('privacy.dpo_unknown'))}</p>", "</section>"]
    lines += [f"<p>{_html(texts('privacy.dpo_intro'))}</p>", "<dl>"]
    for field, label, value in officer_facts(texts, officer):
        shown = escape(value)
        if field == "email":
            shown = f'<a href="mailto:{escape(value, quote=True)}">{shown}</a>'
        elif field == "phone":
            shown = f'<a href="{escape(tel_link(value), quote=True)}">{shown}</a>'
        lines += [f"<dt>{escape(label)}</dt>", f"<dd>{shown}</dd>"]
    return [*lines, "</dl>", "</section>"]


def privacy_page(settings: Settings, language: str) -> str:
    """The whole page in one language."""
    texts = texts_for(language, settings.crisis_line, settings.organisation_name)
    officer = data_protection_officer(settings)
    title = escape(texts("privacy.title"))
    parts = [
        "<!doctype html>",
        f'<html lang="{language}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}</title>",
        f'<link rel="stylesheet" href="{STYLESHEET}">',
        "</head>",
        "<body>",
        "<main>",
        f"<h1>{title}</h1>",
        f"<p>{_html(texts('privacy.intro'))}</p>",
    ]
    for number, section in enumerate(privacy_sections(texts, settings.retention), start=1):
        parts += [f'<section aria-labelledby="s{number}">', f'<h2 id="s{number}">{escape(section.title)}</h2>']
        parts += [f"<p>{_html(paragraph)}</p>" for paragraph in section.paragraphs]
        parts.append("</section>")
    parts += _officer(texts, officer)
    crisis = f'<a href="{escape(tel_link(settings.crisis_line), quote=True)}">{_html(texts("common.crisis_line"))}</a>'
    parts += ["</main>", f'<footer><p class="crisis">{crisis}</p></footer>', "</body>", "</html>", ""]
    return "\n".join(parts)


def add_privacy_routes(app: web.Application, settings: Settings) -> None:
    """GET /privacy in Danish and English, each built once."""
    pages = {language: privacy_page(settings, language) for language in SUPPORTED}

    async def privacy(request: web.Request) -> web.Response:
        language = page_language(request.query.get("lang"), request.headers.get("Accept-Language"))
        headers = {**SECURITY_HEADERS, **NO_STORE, "Content-Language": language, "Vary": "Accept-Language"}
        return web.Response(text=pages[language], content_type="text/html", headers=headers)

    app.router.add_get(PRIVACY_PATH, privacy)
