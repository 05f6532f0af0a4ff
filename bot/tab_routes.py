"""The Overblik tab's page, served by the bot itself: GET /tab (the page), /tab/static/<file> (its own scripts and
styles from the top-level tab/ folder), /tab/lib/<file> (the pinned npm packages' built files, an allow-list from
node_modules) and /tab/texts/<da|en>.json (its texts from content/, the crisis line filled in from the settings).

Rules: nothing comes from a CDN; every response carries a strict Content-Security-Policy (everything from this
origin only, no inline script or style, framing only by Teams' and Microsoft 365's origins) and sets no cookie;
a name outside the allow-lists is 404, never a file from elsewhere on disk. The data behind the page comes from
the API in bot/overview_routes.py, which checks the Teams SSO token on every request.
"""

from __future__ import annotations

import logging
import re
from html import escape
from pathlib import Path
from string import Template

from aiohttp import web

from bot.config import Settings
from content import client_texts, texts_for

log = logging.getLogger("vaern.tab")

ROOT = Path(__file__).resolve().parent.parent
PAGE_FOLDER = ROOT / "tab"
NODE_MODULES = ROOT / "node_modules"

# The hosts that may frame the tab: Teams on the web and desktop, and Microsoft 365 (Outlook, the Microsoft 365 app).
FRAME_ANCESTORS = (
    "https://teams.microsoft.com",
    "https://*.teams.microsoft.com",
    "https://teams.cloud.microsoft",
    "https://*.cloud.microsoft",
    "https://*.office.com",
    "https://outlook.office.com",
    "https://outlook.office365.com",
    "https://*.microsoft365.com",
)
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "object-src 'none'",
        "frame-ancestors " + " ".join(FRAME_ANCESTORS),
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}
NO_STORE = {"Cache-Control": "no-store"}
A_DAY = {"Cache-Control": "public, max-age=86400"}

# The tab's own files (tab/) and the built files of the pinned packages (package.json "dependencies").
OWN_FILES = {
    "app.js",
    "views.js",
    "subject_requests.js",
    "work_environment.js",
    "teams.js",
    "dom.js",
    "charts.js",
    "reassign.js",
    "tab.css",
    "privacy.css",
}
LIBRARIES = {
    "teams-js/MicrosoftTeams.min.js": "@microsoft/teams-js/dist/umd/MicrosoftTeams.min.js",
    "fluent/web-components.min.js": "@fluentui/web-components/dist/web-components-all.min.js",
    "chart.js/chart.umd.min.js": "chart.js/dist/chart.umd.min.js",  # UMD: no eval, sets window.Chart
}
LIBRARY_FOLDERS = {"fluent-tokens/": "@fluentui/tokens/lib/"}  # ES modules that import one another by path
MODULE_PATH = re.compile(r"^(?:[a-zA-Z0-9_-]+/)*[a-zA-Z0-9_.-]+\.js$")
TYPES = {".js": "text/javascript", ".css": "text/css"}
TEXT_SECTIONS = ("tab", "subject_requests", "kinds", "channel", "offender", "amg_tab")


def _file(path: Path, cache: dict[str, str]) -> web.StreamResponse:
    if not path.is_file():
        raise web.HTTPNotFound(text="Not found.", headers=SECURITY_HEADERS)
    content_type = TYPES.get(path.suffix, "application/octet-stream")
    return web.FileResponse(path, headers={**SECURITY_HEADERS, **cache, "Content-Type": content_type})


def library_path(name: str) -> Path | None:
    """Where a /tab/lib/<name> file is in node_modules, or None when the allow-lists do not name it."""
    if name in LIBRARIES:
        return NODE_MODULES / LIBRARIES[name]
    for prefix, folder in LIBRARY_FOLDERS.items():
        rest = name.removeprefix(prefix)
        if rest != name and MODULE_PATH.match(rest) and ".." not in rest.split("/"):
            base = (NODE_MODULES / folder).resolve()
            found = (base / rest).resolve()
            return found if found.is_relative_to(base) else None
    return None


async def _library(request: web.Request) -> web.StreamResponse:
    path = library_path(request.match_info["name"])
    if path is None:
        raise web.HTTPNotFound(text="Not found.", headers=SECURITY_HEADERS)
    return _file(path, A_DAY)


async def _own(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if name not in OWN_FILES:
        raise web.HTTPNotFound(text="Not found.", headers=SECURITY_HEADERS)
    return _file(PAGE_FOLDER / name, NO_STORE)


def tel_link(number: str) -> str:
    """A tel: link to a phone number as people write it (8 digits: a Danish number)."""
    digits = re.sub(r"[^0-9+]", "", number)
    return f"tel:{digits if digits.startswith('+') or len(digits) != 8 else '+45' + digits}"


def page(settings: Settings) -> str:
    """The page in Danish (the tab switches to English from the Teams locale), the crisis line in it from the start."""
    texts = texts_for("da", settings.crisis_line, settings.organisation_name)
    template = Template((PAGE_FOLDER / "index.html").read_text(encoding="utf-8"))
    return template.substitute(
        title=escape(texts("tab.title")),
        loading=escape(texts("tab.loading")),
        crisis=escape(texts("tab.crisis")),
        privacy=escape(texts("tab.privacy")),
        crisis_tel=escape(tel_link(settings.crisis_line)),
    )


def add_tab_routes(app: web.Application, settings: Settings) -> None:
    """The page, its files and its texts."""
    missing = [name for name in LIBRARIES.values() if not (NODE_MODULES / name).is_file()]
    if missing:
        log.error("the Overblik tab's libraries are missing (run npm ci --omit=dev): %s", ", ".join(missing))
    html = page(settings)

    async def tab_page(request: web.Request) -> web.Response:
        return web.Response(text=html, content_type="text/html", headers={**SECURITY_HEADERS, **NO_STORE})

    async def texts(request: web.Request) -> web.Response:
        language = request.match_info["language"]
        body = client_texts(language, TEXT_SECTIONS, settings.crisis_line, settings.organisation_name)
        return web.json_response(body, headers={**SECURITY_HEADERS, **NO_STORE})

    app.router.add_get("/tab", tab_page)
    app.router.add_get("/tab/", tab_page)
    app.router.add_get("/tab/static/{name}", _own)
    app.router.add_get("/tab/lib/{name:.+}", _library)
    app.router.add_get(r"/tab/texts/{language:da|en}.json", texts)
