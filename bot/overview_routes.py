"""The Overblik tab's JSON API under /api/overview/: who is signed in, the leader's cases, HR's register, one case
(with its full access log for HR and its rectifications), break the glass (POST, a JSON body with the written
reason), HR giving a case to another leader (POST .../reassign: the card's action through services/reassignment.py),
the statistics (JSON and CSV), and the arbejdsmiljøgruppe's cases (anonymised) with its analysis (POST, a JSON body;
409 once the case is handled); data subject requests and rectifications: bot/subject_request_routes.py.

Every request needs the tab's SSO token (bot/tab_auth.py): without a good one, 401 and nothing else. What the user
may see is decided by services/overview.py (the domain's rules); a refusal is 403 for a view that is not theirs
and 404 for a case (a stranger learns nothing, not even that it exists). Bad query parameters (a page in digits
0-9 only, dates as YYYY-MM-DD from 1900 to 2999), a body that is not a JSON object or holds unpaired surrogates,
and a break the glass without a reason, get 400 with what was wrong. A leader's name that means nobody or several
people gets 422 with the directory's candidates to choose from by object id. Responses are never cached.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any, cast
from urllib.parse import quote

from aiohttp import web

from bot.admission import ADMISSION
from bot.authentication import Refused
from bot.config import Settings
from bot.runtime import RUNTIME
from bot.tab_auth import TabTokens, TabUser
from domain.audit import AuditEvent
from domain.authorization import MIN_REASON_CHARS, may_break_the_glass
from domain.case import Case, CaseStatus
from domain.leader_actions import HOLD_REASON_LIMIT, NAME_LIMIT, InvalidCommand, Verb, may_take
from domain.overview import (
    LEADER_PAGES,
    CaseRow,
    RegisterQuery,
    duty_states,
    hr_may_open,
    is_overdue,
    leads,
    next_follow_up,
)
from domain.statistics import PublishedTable, Statistics
from exports.statistics_csv import statistics_csv
from services.case_service import Result
from services.overview import OpenedCase, Overview, Refusal, Viewer
from services.reassignment import NEEDS_A_CHOICE
from services.work_environment import GroupCase, GroupRefusal, WorkEnvironmentGroup

log = logging.getLogger("vaern.overview")

TAB_TOKENS = web.AppKey("tab_tokens", TabTokens)
NO_STORE = {"Cache-Control": "no-store"}
SORTS = ("reported", "reference", "unit", "status")
REGISTER_PAGES = 100_000
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)  # a register filter's bounds (far from date's own)


class BadQuery(ValueError):
    """A query parameter that cannot be used; the message says which."""


Handler = Callable[[web.Request, Overview, Viewer, str], Awaitable[web.StreamResponse]]


def _json(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, headers=NO_STORE)


def _signed_in(handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        correlation_id = uuid.uuid4().hex
        try:
            user: TabUser = await request.app[TAB_TOKENS].user(request.headers.get("Authorization"))
        except Refused as refused:
            log.warning("overview: token refused (%s)", refused, extra={"fields": {"correlation_id": correlation_id}})
            return web.json_response(
                {"error": "unauthorized", "message": "Sign in through Teams to see the overview."},
                status=401,
                headers={**NO_STORE, "WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        overview = request.app[RUNTIME].overview
        viewer = overview.viewer(user.aad_object_id, user.tenant_id, user.name)
        try:
            return await handler(request, overview, viewer, correlation_id)
        except BadQuery as bad:
            return _json({"error": "bad_request", "message": str(bad)}, status=400)

    return handle


def _iso(moment: datetime | date | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _row(row: CaseRow, now: datetime) -> dict[str, Any]:
    return {
        "caseId": row.case_id,
        "reference": row.reference,
        "unitId": row.unit_id,
        "unit": row.unit,
        "status": row.status.value,
        "reportedAt": _iso(row.reported_at),
        "duties": {duty.value: state.value for duty, state in duty_states(row, now).items()},
        "overdue": is_overdue(row, now),
        "nextFollowUp": _iso(next_follow_up(row, now)),
        "banUntil": _iso(row.ban_until),
        "escalated": row.escalated,
        "escalatedTo": row.escalated_to or ("intake" if row.escalated else None),
        "workEnvironmentSentAt": _iso(row.work_environment_sent_at),
        "workEnvironmentHandledAt": _iso(row.work_environment_handled_at),
    }


async def _me(request: web.Request, overview: Overview, viewer: Viewer, correlation_id: str) -> web.StreamResponse:
    return _json(
        {
            "aadObjectId": viewer.actor.person.aad_object_id,
            "name": viewer.actor.person.name,
            "isHr": viewer.is_hr,
            "hrFunction": viewer.actor.hr_function.value if viewer.actor.hr_function else None,
            "units": viewer.units,
            "workEnvironmentUnits": sorted(viewer.actor.work_environment_units),
        }
    )


async def _leader(request: web.Request, overview: Overview, viewer: Viewer, correlation_id: str) -> web.StreamResponse:
    page = _page(request, LEADER_PAGES)
    if page is None:
        raise BadQuery(f"page must be a number from 1 to {LEADER_PAGES}")
    found = await overview.led_cases(viewer, page, correlation_id)
    now = overview.now()
    return _json({"cases": [_row(row, now) for row in found.rows], "page": found.page, "more": found.more})


def _flag(request: web.Request, name: str) -> bool:
    value = request.query.get(name, "").lower()
    if value not in ("", "0", "1", "true", "false"):
        raise BadQuery(f"{name} must be true or false")
    return value in ("1", "true")


def _page(request: web.Request, last: int) -> int | None:
    """The page asked for (1 when none is), or None unless it is written in the digits 0-9 and from 1 to `last`."""
    text = request.query.get("page", "1")
    if not (text.isascii() and text.isdigit() and len(text) <= len(str(last))):
        return None
    return int(text) if 1 <= int(text) <= last else None


def _day(request: web.Request, name: str) -> date | None:
    value = request.query.get(name, "")
    if not value:
        return None
    message = f"{name} must be a date (YYYY-MM-DD) from {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}"
    if not DAY.fullmatch(value):
        raise BadQuery(message)
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise BadQuery(message) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise BadQuery(message)
    return day


def register_query(request: web.Request) -> RegisterQuery:
    """The register's filter, sort and page from the query string, or BadQuery."""
    status = request.query.get("status") or None
    if status is not None and status not in {s.value for s in CaseStatus if s is not CaseStatus.DRAFT}:
        raise BadQuery("status must be reported, acknowledged or closed")
    sort = request.query.get("sort", "reported")
    if sort not in SORTS:
        raise BadQuery(f"sort must be one of {', '.join(SORTS)}")
    order = request.query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise BadQuery("order must be asc or desc")
    page = _page(request, REGISTER_PAGES)
    if page is None:
        raise BadQuery(f"page must be a number from 1 to {REGISTER_PAGES}")
    reference = request.query.get("reference", "")
    if len(reference) > 40:
        raise BadQuery("reference is too long")
    unit = request.query.get("unit") or None
    if unit is not None and len(unit) > 200:
        raise BadQuery("unit is too long")
    reported_from, reported_to = _day(request, "from"), _day(request, "to")
    if reported_from is not None and reported_to is not None and reported_from > reported_to:
        raise BadQuery("from must be on or before to")
    return RegisterQuery(
        unit_id=unit,
        status=CaseStatus(status) if status else None,
        overdue_only=_flag(request, "overdue"),
        escalated_only=_flag(request, "escalated"),
        reported_from=reported_from,
        reported_to=reported_to,
        reference=reference,
        sort=sort,  # type: ignore[arg-type]  # checked against SORTS above
        descending=order == "desc",
        page=page,
    )


async def _register(
    request: web.Request, overview: Overview, viewer: Viewer, correlation_id: str
) -> web.StreamResponse:
    query = register_query(request)
    page = await overview.register(viewer, query, correlation_id)
    if isinstance(page, Refusal):
        return _json({"error": "forbidden", "message": "The register is for Organisation og Personale."}, status=403)
    now = overview.now()
    rows: list[dict[str, Any]] = []
    for row in page.rows:
        may_open = hr_may_open(row, viewer.actor) or leads(row, viewer.actor)
        may_break = not may_open and may_break_the_glass(viewer.actor, row.tenant_id, row.status)
        rows.append({**_row(row, now), "mayOpen": may_open, "mayBreakTheGlass": may_break})
    return _json({"cases": rows, "total": page.total, "page": page.page, "pageSize": page.page_size})


def _chat_link(settings: Settings) -> str | None:
    """A Teams deep link to the chat with the bot, where the card's actions are."""
    if not settings.microsoft_app_id:
        return None
    return f"https://teams.microsoft.com/l/chat/0/0?users={quote('28:' + settings.microsoft_app_id)}"


def _case(case: Case, roles: frozenset[str], settings: Settings) -> dict[str, Any]:
    h = case.handling
    incident = case.incident
    return {
        "caseId": case.case_id,
        "reference": case.reference,
        "status": case.status.value,
        "unit": case.unit,
        "reportedAt": _iso(case.created_at),
        "occurredAt": _iso(incident.occurred_at),
        "employee": case.subject.name,
        "leader": case.leader.name if case.leader else None,
        "deputy": case.deputy.name if case.deputy else None,
        "urgent": incident.urgent,
        "kinds": [kind.value for kind in incident.kinds],
        "channel": incident.channel.value if incident.channel else None,
        "description": incident.description,
        "offenderRelation": incident.offender.relation.value,
        "impact": incident.impact.score if incident.impact else None,
        "evidenceCount": len(case.evidence),
        "acknowledgedAt": _iso(h.acknowledged.at) if h.acknowledged else None,
        "escalatedTo": (h.hr_escalation.function.value if h.hr_escalation.function else "intake")
        if h.hr_escalation
        else None,
        "viewerRoles": sorted(roles),
        "chatLink": _chat_link(settings),
        "rectifications": [
            {"at": _iso(note.at), "name": note.by_name, "role": note.role, "text": note.text}
            for note in case.rectifications
        ],
        "workEnvironment": _work_environment_record(case),
    }


def _work_environment_record(case: Case) -> dict[str, Any] | None:
    """Sent to the arbejdsmiljøgruppe (when, by whom) and, once handled, the group's analysis."""
    review = case.handling.work_environment
    if review is None:
        return None
    analysis = review.analysis
    return {
        "sentAt": _iso(review.sent.at),
        "sentBy": review.sent.by_name,
        "handledAt": _iso(analysis.at) if analysis else None,
        "causes": analysis.causes if analysis else None,
        "measures": analysis.measures if analysis else None,
        "planChange": analysis.plan_change if analysis else None,
        "planChangeText": analysis.plan_change_text if analysis else None,
    }


def _access_event(event: AuditEvent) -> dict[str, Any]:
    return {"at": _iso(event.at), "name": event.actor_name, "role": event.role, "action": event.action,
            "detail": event.detail}  # fmt: skip


def _opened(opened: OpenedCase, settings: Settings, viewer: Viewer) -> web.Response:
    roles = frozenset(role.value for role in opened.roles)
    body = _case(opened.case, roles, settings)
    body["mayReassign"] = may_take(opened.case, viewer.actor, Verb.HR_REASSIGN)
    body["glassUntil"] = _iso(opened.glass_until)
    body["accessLog"] = [_access_event(e) for e in opened.access_log] if opened.access_log is not None else None
    return _json({"case": body})


NOT_FOUND = {"error": "not_found", "message": "No case here."}


async def _open(request: web.Request, overview: Overview, viewer: Viewer, correlation_id: str) -> web.StreamResponse:
    opened = await overview.open_case(viewer, request.match_info["case_id"], correlation_id)
    if opened is None:
        return _json(NOT_FOUND, status=404)
    return _opened(opened, request.app[RUNTIME_SETTINGS], viewer)


async def _break_the_glass(
    request: web.Request, overview: Overview, viewer: Viewer, correlation_id: str
) -> web.StreamResponse:
    reason = (await json_object(request, " with the reason")).get("reason")
    opened = await overview.break_the_glass(viewer, request.match_info["case_id"], reason, correlation_id)
    if opened is Refusal.NO_REASON:
        raise BadQuery(f"write why you need to open the case (at least {MIN_REASON_CHARS} characters)")
    if opened is Refusal.OWN_CASE:
        message = "The case is about you or you reported it: open it in Mine sager in your chat with Værn."
        return _json({"error": "own_case", "message": message}, status=403)
    if not isinstance(opened, OpenedCase):
        return _json(NOT_FOUND, status=404)
    return _opened(opened, request.app[RUNTIME_SETTINGS], viewer)


async def json_object(request: web.Request, fields: str = "") -> dict[str, Any]:
    """The request's JSON object body; anything else is a 400 saying what to send (`fields`: " with …"). JSON
    nested past the json module's limit is not a body to read, and text with unpaired surrogates (JSON's \\ud800
    escapes) cannot be stored or shown: both are refused here, before anything is kept."""
    try:
        body: Any = json.loads(await request.read())  # JSON in UTF-8 (or -16, -32); a Content-Type charset is not used
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise BadQuery(f"send a JSON body{fields}") from None
    if not isinstance(body, dict):
        raise BadQuery(f"send a JSON object{fields}")
    try:
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, RecursionError):
        raise BadQuery("the text holds characters that cannot be stored (unpaired surrogates); type it again") from None
    return cast(dict[str, Any], body)


def _text_field(body: dict[str, Any], name: str, limit: int, required: bool = True) -> str:
    value = body.get(name, "")
    if not isinstance(value, str) or len(value) > limit:
        raise BadQuery(f"{name} must be text of at most {limit} characters")
    if required and not value.strip():
        raise BadQuery(f"{name} is missing")
    return value


async def _reassign(
    request: web.Request, overview: Overview, viewer: Viewer, correlation_id: str
) -> web.StreamResponse:
    """HR gives the case to another leader, as with the card's action. A name that means nobody or several people
    gets 422 with the directory's candidates; the answer chosen comes back as leaderAadObjectId with the same name."""
    body = await json_object(request)
    name = _text_field(body, "leaderName", NAME_LIMIT)
    reason = _text_field(body, "reason", HOLD_REASON_LIMIT, required=False)
    chosen = _text_field(body, "leaderAadObjectId", 64, required=False) or None
    done = await request.app[RUNTIME].reassignment.reassign(
        viewer.actor, request.match_info["case_id"], name, reason, chosen, correlation_id
    )
    outcome = done.outcome
    if outcome.result is Result.FORBIDDEN or outcome.case is None:
        if not viewer.is_hr:
            message = "Giving a case to another leader is for Organisation og Personale."
            return _json({"error": "forbidden", "message": message}, status=403)
        return _json(NOT_FOUND, status=404)
    if outcome.result is Result.INVALID and outcome.reason in NEEDS_A_CHOICE:
        candidates = [{"aadObjectId": c.aad_object_id, "name": c.name, "unit": c.unit} for c in done.candidates]
        message = "Choose the leader by aadObjectId." if candidates else "Nobody in the directory has that name."
        return _json({"error": outcome.reason, "message": message, "candidates": candidates}, status=422)
    if outcome.result is Result.INVALID:
        return _json({"error": "bad_request", "reason": outcome.reason, "message": REASSIGN_PROBLEMS.get(
            outcome.reason, "The case cannot be given to that leader.")}, status=400)  # fmt: skip
    if outcome.result is not Result.DONE:
        return _json({"error": "conflict", "message": "The case changed meanwhile. Try again."}, status=409)
    roles = frozenset(role.value for role in outcome.viewer_roles)
    case = {**_case(outcome.case, roles, request.app[RUNTIME_SETTINGS]), "mayReassign": False}
    changes = outcome.case.handling.leader_changes
    previous = bool(changes) and changes[-1].from_leader is not None  # only a leader it had is told it is done
    return _json({"case": case, "previousLeader": previous})


REASSIGN_PROBLEMS = {
    "reassign_reason_required": "Write why the case goes to another leader.",
    "same_leader": "The case already has that leader.",
    "leader_is_employee": "The employee cannot lead their own case.",
    "case_closed": "The case is closed.",
}


def _period(request: web.Request) -> str:
    period = request.query.get("period", "month")
    if period not in ("month", "quarter"):
        raise BadQuery("period must be month or quarter")
    return period


def _table(table: PublishedTable) -> dict[str, Any]:
    return {
        "name": table.name,
        "rows": table.rows,
        "columns": table.columns,
        "cells": [[table.cells[(row, column)] for column in table.columns] for row in table.rows],
        "rowTotals": [table.row_totals[row] for row in table.rows] if table.row_totals is not None else None,
        "columnTotals": [table.column_totals[column] for column in table.columns],
        "total": table.total,
    }


async def _statistics_of(
    request: web.Request, overview: Overview, viewer: Viewer, correlation_id: str
) -> Statistics | web.Response:
    stats = await overview.statistics(viewer, _period(request), correlation_id)  # type: ignore[arg-type]
    if isinstance(stats, Refusal):
        message = "The statistics are for leaders of a unit and for Organisation og Personale."
        return _json({"error": "forbidden", "message": message}, status=403)
    return stats


async def _statistics(
    request: web.Request, overview: Overview, viewer: Viewer, correlation_id: str
) -> web.StreamResponse:
    stats = await _statistics_of(request, overview, viewer, correlation_id)
    if isinstance(stats, web.Response):
        return stats
    medians = [{"unitId": median.unit_id, "hours": median.hours} for median in stats.time_to_acknowledge]
    return _json(
        {
            "k": stats.k,
            "units": stats.units,
            "tables": [_table(t) for t in stats.tables],
            "medianHoursToAcknowledge": medians,
        }
    )


async def _statistics_csv(
    request: web.Request, overview: Overview, viewer: Viewer, correlation_id: str
) -> web.StreamResponse:
    stats = await _statistics_of(request, overview, viewer, correlation_id)
    if isinstance(stats, web.Response):
        return stats
    return web.Response(
        text=statistics_csv(stats),
        content_type="text/csv",
        charset="utf-8",
        headers={**NO_STORE, "Content-Disposition": 'attachment; filename="vaern-statistik.csv"'},
    )


# --- the arbejdsmiljøgruppe (services/work_environment.py) ---------------------------------------------------------


def _group_case(shown: GroupCase) -> dict[str, Any]:
    """A case as the group sees it: the anonymised summary (categories only) and the group's analysis."""
    summary, analysis = shown.summary, shown.analysis
    return {
        "caseId": shown.case_id,
        "reference": shown.reference,
        "unit": shown.unit,
        "sentAt": _iso(shown.sent_at),
        "summary": {
            "month": summary.month,
            "kinds": list(summary.kinds),
            "channel": summary.channel,
            "duringWorkHours": summary.during_work_hours,
            "colleaguesTargeted": summary.colleagues_targeted,
            "done": list(summary.done),
        },
        "analysis": {
            "at": _iso(analysis.at),
            "by": analysis.by_name,
            "causes": analysis.causes,
            "measures": analysis.measures,
            "planChange": analysis.plan_change,
            "planChangeText": analysis.plan_change_text,
        }
        if analysis is not None
        else None,
    }


def _group(request: web.Request) -> WorkEnvironmentGroup:
    group = request.app[RUNTIME].work_environment
    if group is None:
        raise RuntimeError("the overview has no work environment group service")
    return group


async def _work_environment_cases(
    request: web.Request, overview: Overview, viewer: Viewer, correlation_id: str
) -> web.StreamResponse:
    shown = await _group(request).cases(viewer.actor, correlation_id)
    if isinstance(shown, GroupRefusal):
        message = "This view is for the members of a unit's work environment group."
        return _json({"error": "forbidden", "message": message}, status=403)
    return _json({"cases": [_group_case(case) for case in shown]})


ANALYSIS_FIELDS = {"causes": "causes", "measures": "measures", "planChange": "plan_change",
                   "planChangeText": "plan_change_text"}  # fmt: skip


async def _work_environment_analysis(
    request: web.Request, overview: Overview, viewer: Viewer, correlation_id: str
) -> web.StreamResponse:
    fields = await json_object(request, " with causes, measures and planChange")
    unknown = sorted(set(fields) - set(ANALYSIS_FIELDS))
    if unknown:
        raise BadQuery(f"unknown field: {unknown[0][:40]}")
    data = {ANALYSIS_FIELDS[name]: value for name, value in fields.items()}
    outcome = await _group(request).record(viewer.actor, request.match_info["case_id"], data, correlation_id)
    if outcome is GroupRefusal.NO_CASE or isinstance(outcome, GroupRefusal):
        return _json(NOT_FOUND, status=404)
    if isinstance(outcome, InvalidCommand):
        if outcome.reason == "already_handled":
            return _json({"error": "conflict", "message": "The group's analysis is already recorded."}, status=409)
        field = next((name for name, own in ANALYSIS_FIELDS.items() if own == outcome.field), "")
        message = f"{field or 'the form'}: {'required' if outcome.reason == 'required' else 'not valid'}"
        return _json({"error": "bad_request", "message": message, "field": field or None}, status=400)
    return _json({"case": _group_case(outcome)})


RUNTIME_SETTINGS = web.AppKey("overview_settings", Settings)


def add_overview_routes(app: web.Application, settings: Settings) -> None:
    """The API's routes and its token check (the tenants as bot/admission.py allows them)."""
    app[TAB_TOKENS] = TabTokens(
        settings.tab_openid_metadata_url, settings.microsoft_app_id, settings.bot_domain, app[ADMISSION].tenants
    )
    app[RUNTIME_SETTINGS] = settings
    app.router.add_get("/api/overview/me", _signed_in(_me))
    app.router.add_get("/api/overview/leader", _signed_in(_leader))
    app.router.add_get("/api/overview/register", _signed_in(_register))
    app.router.add_get("/api/overview/cases/{case_id}", _signed_in(_open))
    app.router.add_post("/api/overview/cases/{case_id}/break-the-glass", _signed_in(_break_the_glass))
    app.router.add_post("/api/overview/cases/{case_id}/reassign", _signed_in(_reassign))
    app.router.add_get("/api/overview/statistics", _signed_in(_statistics))
    app.router.add_get("/api/overview/statistics.csv", _signed_in(_statistics_csv))
    app.router.add_get("/api/overview/work-environment", _signed_in(_work_environment_cases))
    app.router.add_post("/api/overview/work-environment/{case_id}/analysis", _signed_in(_work_environment_analysis))
