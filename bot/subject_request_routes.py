"""The Overblik tab's data subject requests (GDPR art. 15 and 16), beside its other routes under /api/overview/:

  * `POST /api/overview/subject-requests` with `{"name": ..., "aadObjectId": ...?, "language": "da"|"en"?}`: the
    signed package of every case that names the person (services.subject_requests), streamed as the response
    (application/zip) and deleted from the disk once sent; `X-Vaern-Cases` says how many cases it holds. HR's legal
    function only (403 for anyone else);
  * `POST /api/overview/cases/{case_id}/rectifications` with `{"text": ...}`: a rectification appended to the case
    (201 with the note); the case's leader or deputy, HR it reached, or HR's legal function; 404 for anyone else.

Same token check and error answers as the rest of the API (bot/overview_routes.py): 401 without a good token, 400
with what was wrong for a bad body, never a 500 for bad input.
"""

from __future__ import annotations

import asyncio
import uuid

from aiohttp import web

from bot.overview_routes import NOT_FOUND, RUNTIME_SETTINGS, BadQuery, _iso, _json, _signed_in, json_object
from bot.runtime import RUNTIME
from content import texts_for
from domain.case import Rectification
from domain.case_package import package_file_name
from domain.subject_requests import (
    MAX_NAME_CHARS,
    MAX_RECTIFICATION_CHARS,
    MAX_RECTIFICATIONS,
    MIN_RECTIFICATION_CHARS,
    data_subject,
)
from services.overview import Overview, Viewer
from services.subject_requests import SubjectRefusal

CHUNK = 256 * 1024


async def _export(request: web.Request, overview: Overview, viewer: Viewer, correlation_id: str) -> web.StreamResponse:
    body = await json_object(request)
    subject = data_subject(body.get("name"), body.get("aadObjectId"))
    if subject is None:
        raise BadQuery(
            f"write the person's full name (2 to {MAX_NAME_CHARS} characters); an Entra object id, if given, has "
            "letters, digits and hyphens only"
        )
    language = body.get("language") or "da"
    if language not in ("da", "en"):
        raise BadQuery("language must be da or en")
    settings = request.app[RUNTIME_SETTINGS]
    texts = texts_for(language, settings.crisis_line, settings.organisation_name)
    package_id = uuid.uuid4().hex
    destination = settings.data_dir / "packages" / f"subject-{package_id}.zip"
    requests = request.app[RUNTIME].subject_requests
    built = await requests.export(viewer.actor, subject, texts, package_id, destination, correlation_id)
    if built is SubjectRefusal.NOT_ALLOWED:
        message = "Data subject requests are answered by Organisation og Personale's legal function (Jura)."
        return _json({"error": "forbidden", "message": message}, status=403)
    if built is SubjectRefusal.INTEGRITY:
        message = "A stored evidence file no longer matches its record, so no package was made. IT has been told."
        return _json({"error": "integrity_failed", "message": message}, status=409)
    if isinstance(built, SubjectRefusal):
        message = "The package could not be made just now. Try again in a little while."
        return _json({"error": "failed", "message": message}, status=500)
    name = package_file_name(overview.now().strftime("%Y-%m-%d"), built.manifest.kind, language)
    response = web.StreamResponse(
        headers={
            "Content-Type": "application/zip",
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
            "X-Vaern-Cases": str(len(built.manifest.cases)),
            "X-Vaern-Package-Sha256": built.sha256,
        }
    )
    response.content_length = built.size
    try:
        await response.prepare(request)
        with built.path.open("rb") as handle:
            while chunk := await asyncio.to_thread(handle.read, CHUNK):
                await response.write(chunk)
        await response.write_eof()
    finally:
        built.path.unlink(missing_ok=True)
    return response


async def _rectify(request: web.Request, overview: Overview, viewer: Viewer, correlation_id: str) -> web.StreamResponse:
    body = await json_object(request)
    requests = request.app[RUNTIME].subject_requests
    note = await requests.rectify(viewer.actor, request.match_info["case_id"], body.get("text"), correlation_id)
    if note is SubjectRefusal.NO_TEXT:
        raise BadQuery(
            f"write the correction ({MIN_RECTIFICATION_CHARS} to {MAX_RECTIFICATION_CHARS} characters); the record "
            "itself is never changed"
        )
    if note is SubjectRefusal.TOO_MANY:
        message = f"The case already holds {MAX_RECTIFICATIONS} rectifications; write one that sums up the rest."
        return _json({"error": "too_many", "message": message}, status=409)
    if not isinstance(note, Rectification):
        return _json(NOT_FOUND, status=404)
    return _json(
        {"rectification": {"at": _iso(note.at), "name": note.by_name, "role": note.role, "text": note.text}}, status=201
    )


def add_subject_request_routes(app: web.Application) -> None:
    app.router.add_post("/api/overview/subject-requests", _signed_in(_export))
    app.router.add_post("/api/overview/cases/{case_id}/rectifications", _signed_in(_rectify))
