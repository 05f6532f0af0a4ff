"""The report an employee is filling in (the draft), the answers' parsing rules, and turning it into a Case.

Pure functions only: the dialog asks, these decide what an answer means.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from domain.case import Case, CaseStatus, Incident, Person
from domain.evidence import EvidenceItem

DEFAULT_TIMEZONE = ZoneInfo("Europe/Copenhagen")
FUTURE_TOLERANCE = timedelta(minutes=5)
MAX_FREE_TEXT = 4000
MAX_LINKS = 20
MAX_WITNESSES = 20

_NOW_WORDS = {"nu", "lige nu", "now", "just now"}
_TODAY_WORDS = {"i dag", "idag", "today"}
_YESTERDAY_WORDS = {"i går", "igår", "i gar", "yesterday"}
_DATE_FORMATS = ("%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y", "%Y-%m-%d", "%d-%m-%y", "%d.%m.%y")
_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ]{3,18}[0-9]$")


class ReportDraft(BaseModel):
    """Everything gathered so far in one report; kept in dialog state between turns."""

    case_id: str
    reporter: Person
    on_behalf_of: str | None = None  # the colleague's name as typed, or as the directory has it once chosen
    on_behalf_person: Person | None = None  # the colleague the reporter confirmed in the directory, if any
    incident: Incident = Field(default_factory=Incident)
    locale: str = "da"
    tenant_id: str | None = None
    service_url: str = ""

    def subject(self) -> Person:
        """Who the case is about: the reporter, the colleague chosen in the directory, or a colleague known only by
        the name typed (`named:`: nobody Værn can reach or link)."""
        if self.on_behalf_person is not None:
            return self.on_behalf_person
        if self.on_behalf_of:
            return Person(user_id=f"named:{self.on_behalf_of}", name=self.on_behalf_of)
        return self.reporter


def to_case(
    draft: ReportDraft, *, reference: str, evidence: list[EvidenceItem], now: datetime, status: CaseStatus
) -> Case:
    return Case(
        case_id=draft.case_id,
        reference=reference,
        status=status,
        subject=draft.subject(),
        reporter=draft.reporter,
        incident=draft.incident,
        evidence=evidence,
        created_at=now,
        locale=draft.locale,
        tenant_id=draft.tenant_id,
        service_url=draft.service_url,
    )


def draft_of(case: Case) -> ReportDraft:
    """A kept draft as the report it was: its answers and its evidence's case id, to go on with."""
    return ReportDraft(
        case_id=case.case_id,
        reporter=case.reporter,
        on_behalf_of=case.subject.name if case.reported_on_behalf else None,
        incident=case.incident.model_copy(deep=True),
        locale=case.locale,
        tenant_id=case.tenant_id,
        service_url=case.service_url,
    )


def resume_at(incident: Incident) -> str:
    """Where a continued draft goes on after the safety question: the first required answer missing, else the
    evidence question (the optional ones, offender, links and witnesses, are on the summary to change)."""
    missing = (
        ("subject", not incident.kinds),  # stopped before the kinds: from who it is about, then on in order
        ("context", incident.during_work_hours is None and incident.colleagues_targeted is None),
        ("channel", incident.channel is None),
        ("when", incident.occurred_at is None),
        ("description", not incident.description),
        ("impact", incident.impact is None),
    )
    return next((key for key, is_missing in missing if is_missing), "evidence")


def parse_when(text: str, now: datetime, zone: ZoneInfo = DEFAULT_TIMEZONE) -> datetime | None:
    """Read 'nu', 'i dag 14:30', 'i går 9.15', '24-11-2026 14:30' or '2026-11-24'; return UTC-aware time."""
    words = " ".join(text.strip().lower().split())
    if words in _NOW_WORDS:
        return now
    local_now = now.astimezone(zone)
    day, clock = _split_day_and_time(words, local_now.date())
    if day is None:
        return None
    return _in_zone(datetime.combine(day, clock or time(12, 0), tzinfo=zone), now.tzinfo)


def parse_date_and_time(day_text: str, time_text: str, zone: ZoneInfo = DEFAULT_TIMEZONE) -> datetime | None:
    """Combine the card's Input.Date (YYYY-MM-DD) and Input.Time (HH:MM) values."""
    try:
        day = date.fromisoformat(day_text.strip())
    except ValueError:
        return None
    clock = _parse_time(time_text.strip()) if time_text.strip() else time(12, 0)
    if clock is None:
        return None
    return _in_zone(datetime.combine(day, clock, tzinfo=zone), UTC)


def _in_zone(moment: datetime, zone: tzinfo | None) -> datetime | None:
    """None for a moment that has no UTC time (before year 1 there, e.g. '01-01-0001 00:30' in Copenhagen)."""
    try:
        return moment.astimezone(zone)
    except OverflowError:
        return None


def is_in_future(moment: datetime, now: datetime) -> bool:
    return moment > now + FUTURE_TOLERANCE


def _split_day_and_time(words: str, today: date) -> tuple[date | None, time | None]:
    for prefix, day in ((_TODAY_WORDS, today), (_YESTERDAY_WORDS, today - timedelta(days=1))):
        for word in prefix:
            if words == word:
                return day, None
            if words.startswith(word + " "):
                clock = _parse_time(words[len(word) + 1 :].removeprefix("kl. ").removeprefix("kl ").removeprefix("at "))
                return (day, clock) if clock else (None, None)
    parts = words.replace(" kl. ", " ").replace(" kl ", " ").split(" ")
    day = _parse_date(parts[0])
    if day is None or len(parts) > 2:
        return None, None
    if len(parts) == 2:
        clock = _parse_time(parts[1])
        return (day, clock) if clock else (None, None)
    return day, None


def _parse_date(text: str) -> date | None:
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _parse_time(text: str) -> time | None:
    match = _TIME.match(text)
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def parse_links(text: str) -> tuple[list[str], list[str]]:
    """Split pasted text into valid http(s) links and the pieces that are not links.

    Links are separated by white space; a comma or semicolon ending a link is a separator, one inside it is not.
    """
    valid: list[str] = []
    invalid: list[str] = []
    for piece in (word.rstrip(",;") for word in text.split()):
        if not piece:
            continue
        (valid if is_web_link(piece) else invalid).append(piece)
    return valid[:MAX_LINKS], invalid


def is_web_link(text: str) -> bool:
    if len(text) > 2048 or any(ch.isspace() or not ch.isprintable() for ch in text):
        return False
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and "." in (parts.hostname or "")


def is_phone_number(text: str) -> bool:
    return bool(_PHONE.match(text.strip()))


def clean_free_text(text: str, limit: int = MAX_FREE_TEXT) -> str:
    """Keep what people wrote, minus control characters, within a sane length."""
    kept = "".join(ch for ch in text if ch.isprintable() or ch in "\n\t")
    return kept.strip()[:limit]
