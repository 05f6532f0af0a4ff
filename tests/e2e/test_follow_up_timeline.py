"""One case from report to close, over weeks of moved time: every reminder, escalation and check-in arrives
when it is due, and nothing arrives after it stopped applying, after the employee opts out or after close.

The real app runs in this process (its own thread, real HTTP on 127.0.0.1, the connector stub records what
it sends) with a clock the test moves; its follow-up worker and outbox run as in production. Every proactive
message carries its outbox id (`<job id>.<recipient>`) in channelData, which is how the test finds them.
"""

from __future__ import annotations

import time as clock_time
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from domain.case import Case
from domain.follow_ups import FollowUpPolicy, FollowUps, Job, JobKind
from domain.working_time import COPENHAGEN, WorkingCalendar
from tests.e2e.report_walk import answer_from, answer_until
from tests.support.clock import MovableClock
from tests.support.connector_stub import ConnectorStub
from tests.support.in_process_bot import InProcessBot
from tests.support.organisation import Organisation
from tests.support.outbox_ids import outbox_id
from tests.support.stored import all_cases
from tests.support.teams import TeamsUser, card_texts, cards

pytestmark = pytest.mark.slow  # left out of the quick loop: pytest -m "not slow"

WAIT_SECONDS = 10.0
QUIET_SECONDS = 0.6  # several worker rounds (0.05 s each): long enough for anything due to have been sent
CALENDAR = WorkingCalendar()
FOLLOW_UPS = FollowUps(FollowUpPolicy(), CALENDAR)


# Each run starts at 09:00 on a Monday of a full working week, pinned so that every day of the year gives the
# same answer. The EASY deadline, the contact ban and the check-ins then run across days off:
START_DAYS = {
    # First day of absence Thu 17 Dec, EASY deadline Thu 31 Dec: the 7-days-left reminder (24 Dec, juleaftensdag)
    # moves to Wed 23 Dec; the ban ends Sun 27 Dec, its reminder (24 Dec) too; the missed deadline goes to HR on
    # Mon 4 Jan (1 Jan is a holiday).
    "christmas-new-year": date(2026, 12, 14),
    # First day of absence Thu 18 Mar, deadline Thu 1 Apr: the reminder on 25 Mar (skærtorsdag) moves to Wed 24 Mar;
    # the 2-days-left one (Tue 30 Mar) follows Easter Monday.
    "easter": date(2027, 3, 15),
    # No holiday: reminders on their own days, the ban ending on a Sunday.
    "weekends-only": date(2027, 2, 1),
}


@pytest.fixture(params=list(START_DAYS), ids=list(START_DAYS))
def start(request: pytest.FixtureRequest) -> datetime:
    monday: date = START_DAYS[request.param]
    assert monday.weekday() == 0 and all(CALENDAR.is_working_day(monday + timedelta(days=n)) for n in range(5))
    return CALENDAR.local(monday, time(9, 0))


@pytest.fixture
def timeline_bot(tmp_path: Path, organisation: Organisation, start: datetime) -> Iterator[InProcessBot]:
    clock = MovableClock(start)
    bot = InProcessBot(tmp_path / "data", organisation.write(tmp_path / "directory.json"), clock)
    with bot:
        yield bot


def sent(connector: ConnectorStub, activity_id: str) -> list[dict[str, Any]]:
    """Every POST of the message with this outbox id (a resend after a crash would show as a second one)."""
    return [call.body for call in connector.calls if outbox_id(call) == activity_id]


def wait_sent(connector: ConnectorStub, activity_id: str) -> dict[str, Any]:
    try:
        return connector.wait_for(lambda _: (sent(connector, activity_id) or [None])[0], WAIT_SECONDS)
    except TimeoutError as error:
        ids = [outbox_id(call) for call in connector.calls[-30:]]
        raise AssertionError(f"{activity_id} was not sent; ids of the last activities: {ids}") from error


def follow_up_ids(connector: ConnectorStub, case_id: str, since: int = 0) -> list[str]:
    """Ids of every follow-up message of the case sent after connector mark `since`."""
    return [outbox_id(call) for call in connector.calls[since:] if outbox_id(call).startswith(f"{case_id}.")]


def text_of(activity: dict[str, Any]) -> str:
    return activity.get("text") or " ".join(text for card in cards([activity]) for text in card_texts(card))


class Timeline:
    def __init__(self, bot: InProcessBot, connector: ConnectorStub, case_id: str) -> None:
        self.bot, self.connector, self.case_id = bot, connector, case_id

    @property
    def case(self) -> Case:
        (case,) = [c for c in all_cases(self.bot.storage) if c.case_id == self.case_id]
        return case

    def job(self, kind: JobKind, sequence: int = 1) -> Job:
        return next(j for j in FOLLOW_UPS.planned_jobs(self.case) if j.kind is kind and j.sequence == sequence)

    def move_to(self, job: Job) -> None:
        self.bot.clock.move_to(job.due_at + timedelta(seconds=1))

    def move_on(self, **delta: float) -> None:
        self.bot.clock.advance(**delta)

    def quiet(self) -> None:
        clock_time.sleep(QUIET_SECONDS)


def card_data(activity: dict[str, Any]) -> dict[str, Any]:
    (card,) = cards([activity])
    for node in card["body"] + card.get("actions", []):
        for action in node.get("actions", [node]):
            if action.get("type") == "Action.Execute" and action.get("verb") == "check_in":
                return dict(action["data"])
    raise AssertionError("no check_in action on the card")


def today_in_copenhagen(clock: MovableClock) -> date:
    return clock.now().astimezone(COPENHAGEN).date()


def test_a_case_from_report_to_close(
    timeline_bot: InProcessBot, connector: ConnectorStub, organisation: Organisation
) -> None:
    unit = organisation.next_unit()
    people = {
        role: TeamsUser(timeline_bot.url, connector, **getattr(unit, role).teams_details())
        for role in ("leader", "deputy", "employee")
    }
    leader, deputy, employee = people["leader"], people["deputy"], people["employee"]
    hr = TeamsUser(timeline_bot.url, connector, **organisation.hr_coordinator.teams_details())

    # Monday 09:00: the employee reports what happened on Sunday afternoon; the leader's card arrives.
    answer_until(employee, "when")
    sunday = today_in_copenhagen(timeline_bot.clock) - timedelta(days=1)
    employee.submit({"q": "when", "date": sunday.isoformat(), "time": "14:30"})
    answer_from(employee, "description", stop_before="evidence")
    employee.submit({"q": "evidence", "answer": "done"})
    employee.submit({"q": "summary", "answer": "confirm"})
    leader_card = connector.wait_for(lambda _: (cards(leader.replies()) or [None])[-1], WAIT_SECONDS)
    case_id = leader_card["refresh"]["action"]["data"]["case_id"]
    t = Timeline(timeline_bot, connector, case_id)
    reference = t.case.reference

    def version() -> dict[str, Any]:
        return {"case_id": case_id, "version": t.case.version}

    # Nothing is due at once.
    t.quiet()
    assert follow_up_ids(connector, case_id) == []

    # Monday 13:00, 4 working hours without acknowledgement: the leader is reminded.
    reminder, to_deputy, to_hr = t.job(JobKind.ACK_REMINDER), t.job(JobKind.ACK_DEPUTY), t.job(JobKind.ACK_HR)
    t.move_to(reminder)
    assert reference in text_of(wait_sent(connector, f"{reminder.id}.leader"))

    # Tuesday 09:00, 8 working hours: the deputy gets the card; a day has passed without first aid recorded.
    first_aid_job, debrief = t.job(JobKind.FIRST_AID), t.job(JobKind.DEBRIEF)
    t.move_to(to_deputy)
    assert reference in text_of(wait_sent(connector, f"{to_deputy.id}.deputy"))
    deputy_card = wait_sent(connector, f"{to_deputy.id}.deputy-card")
    assert cards([deputy_card]) and deputy.conversation_id == deputy_card["conversation"]["id"]
    t.move_to(first_aid_job)
    assert "førstehjælp" in text_of(wait_sent(connector, f"{first_aid_job.id}.leader"))

    # The leader acknowledges (HR will not get the acknowledgement escalation) and records first aid with the
    # colleagues informed (the debriefing reminder will not come); the employee will report to the police.
    assert leader.execute("acknowledge", version())[0] == 200
    today = today_in_copenhagen(t.bot.clock).isoformat()
    first_aid = version() | {"talked_through_on": today, "colleagues_informed_on": today, "debriefing_held": "false"}
    assert leader.execute("first_aid", first_aid)[0] == 200
    assert leader.execute("police", version() | {"employee_decided_to_report": "true"})[0] == 200

    # Tuesday 10:00, day-1 check-in: the employee feels very bad and wants professional help → the leader
    # hears at once, with the advice to consider a work injury.
    day1 = t.job(JobKind.CHECK_IN, 1)
    t.move_to(day1)
    check_in = wait_sent(connector, f"{day1.id}.employee")
    assert "89 70 12 99" in text_of(check_in)
    mark = connector.mark()
    answer = card_data(check_in) | {"score": "5", "text": "", "talk_to_leader": "false", "professional_help": "true"}
    status, body = employee.execute("check_in", answer)
    assert status == 200 and body["statusCode"] == 200, body
    alert = connector.wait_for(
        lambda _: next((a for a in leader.replies(since=mark) if "dag 1" in (a.get("text") or "")), None),
        WAIT_SECONDS,
    )
    assert "arbejdsskade" in alert["text"] and "professionel" in alert["text"]

    # Tuesday 14:30, 48 hours after the incident: the police report is still not made → both are reminded.
    police = t.job(JobKind.POLICE_HINT)
    t.move_to(police)
    assert "politi.dk" in text_of(wait_sent(connector, f"{police.id}.employee"))
    assert reference in text_of(wait_sent(connector, f"{police.id}.leader"))

    # Thursday 09:00, past 24 working hours and the first SafetyNet reminder: that reminder arrives and
    # suggests a work injury (the check-in said so); the acknowledgement escalation and debriefing do not.
    safetynet = t.job(JobKind.SAFETYNET, 1)
    t.move_to(max(to_hr, safetynet, debrief, key=lambda job: job.due_at))
    assert "arbejdsskade" in text_of(wait_sent(connector, f"{safetynet.id}.leader"))
    t.quiet()
    for cancelled in (to_hr, debrief):
        assert not [i for i in follow_up_ids(connector, case_id) if i.startswith(cancelled.id)], cancelled.kind

    # SafetyNet repeats until registered; the absence starts the EASY deadline; a ban ends in 10 days.
    second = t.job(JobKind.SAFETYNET, 1)  # planned again: same job, already queued
    assert second.id == safetynet.id
    first_day = today_in_copenhagen(t.bot.clock)
    assert leader.execute("absence", version() | {"first_day": first_day.isoformat()})[0] == 200
    ban_until = first_day + timedelta(days=10)
    restrictions = version() | {"ban_until": ban_until.isoformat(), "no_personal_or_phone_contact": "true"}
    assert leader.execute("restrictions", restrictions)[0] == 200
    registered = version() | {"category": "minor_violence_threats_harassment", "registered_on": first_day.isoformat()}
    assert leader.execute("safetynet", registered)[0] == 200  # not as a work injury: EASY still runs

    # Day 3 check-in arrives; the employee stops check-ins → day 7 and 21 never come.
    day3, day7, day21 = (t.job(JobKind.CHECK_IN, day) for day in (3, 7, 21))
    t.move_to(day3)
    wait_sent(connector, f"{day3.id}.employee")
    status, body = employee.execute("stop_check_ins", card_data(wait_sent(connector, f"{day3.id}.employee")))
    assert status == 200 and body["statusCode"] == 200

    # The restriction ends soon: the leader is reminded to extend or lift it (before the ban ends, on a working day).
    expiry = t.job(JobKind.RESTRICTION_EXPIRY)
    expiry_day = expiry.due_at.astimezone(COPENHAGEN).date()
    assert CALENDAR.is_working_day(expiry_day) and expiry_day <= ban_until - timedelta(days=3)
    t.move_to(expiry)
    assert ban_until.strftime("%d.%m.%Y") in text_of(wait_sent(connector, f"{expiry.id}.leader"))

    # EASY: reminders at 7 and 2 days left (earlier when that day is off, never later), then the missed deadline
    # goes to HR (Værn escalates itself).
    easy_7, easy_2, missed = t.job(JobKind.EASY_7), t.job(JobKind.EASY_2), t.job(JobKind.EASY_MISSED)
    deadline = first_day + timedelta(days=14)
    for reminder, days in ((easy_7, 7), (easy_2, 2)):
        due_day = reminder.due_at.astimezone(COPENHAGEN).date()
        assert CALENDAR.is_working_day(due_day) and due_day == CALENDAR.last_working_day(deadline - timedelta(days))
        t.move_to(reminder)
        text = text_of(wait_sent(connector, f"{reminder.id}.leader"))
        assert f"({(deadline - due_day).days} dage tilbage)" in text and deadline.strftime("%d.%m.%Y") in text
    t.move_to(missed)
    hr_card = wait_sent(connector, f"{missed.id}.hr-{organisation.hr_coordinator.aad_object_id}")
    assert reference in text_of(hr_card)
    wait_sent(connector, f"{missed.id}.leader")
    assert t.case.handling.hr_escalation is not None
    assert t.case.handling.hr_escalation.automatic_reason == "easy_deadline_missed"

    # HR gives advice; the leader sees it.
    mark = connector.mark()
    assert hr.execute("hr_advice", version() | {"text": "Anmeld arbejdsskaden i dag."})[0] == 200
    connector.wait_for(
        lambda _: next(
            (a for a in leader.replies(since=mark) if "Anmeld arbejdsskaden i dag." in (a.get("text") or "")), None
        ),
        WAIT_SECONDS,
    )

    # Close: nothing more, however long we wait (check-ins stopped, every duty cancelled).
    reasons = {f"{duty}_reason": "Gjort uden for Værn" for duty in ("safetynet", "first_aid", "colleagues", "hr")}
    reasons["work_environment_reason"] = "Tages på næste AMG-møde"
    close = version() | {"employee_informed": "true", "follow_up": "done", "reason": "", **reasons}
    assert leader.execute("close", close)[0] == 200
    after_close = connector.mark()
    for _ in range(4):
        t.move_on(days=10)
        t.quiet()
    assert follow_up_ids(connector, case_id, since=after_close) == []
    assert not [i for i in follow_up_ids(connector, case_id) if i.startswith((day7.id, day21.id))]
    # Exactly once: no follow-up message was sent twice.
    ids = follow_up_ids(connector, case_id)
    assert len(ids) == len(set(ids)), sorted(ids)

    # Reopened: planned again from that day, but nothing already sent comes twice (the EASY deadline, the police
    # hint keep their ids), the stopped check-ins stay stopped, and every duty here is recorded.
    assert leader.execute("reopen", version() | {"reopen_reason": "Nye opslag"})[0] == 200
    assert t.case.status == "acknowledged"
    after_reopen = connector.mark()
    t.move_on(days=10)
    t.quiet()
    assert follow_up_ids(connector, case_id, since=after_reopen) == []
