"""The standard answers to every report question, so a test can walk to the step it is about."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.support.teams import TeamsUser, Turn

TWO_DAYS_AGO = (date.today() - timedelta(days=2)).isoformat()

STANDARD_ANSWERS: list[tuple[str, dict[str, Any]]] = [
    ("safety", {"q": "safety", "answer": "no"}),
    ("subject", {"q": "subject", "answer": "me"}),
    ("kinds", {"q": "kinds", "kinds": "threats,mockery"}),
    ("context", {"q": "context", "during_work": "yes", "colleagues_targeted": "no"}),
    ("channel", {"q": "channel", "channel": "facebook"}),
    ("when", {"q": "when", "date": TWO_DAYS_AGO, "time": "14:30"}),
    ("description", {"q": "description", "description": "En borger skrev i en Facebook-gruppe at jeg er inkompetent."}),
    ("offender", {"q": "offender", "offender_name": "Jens Hansen", "offender_relation": "citizen"}),
    ("links", {"q": "links", "links": "https://www.facebook.com/groups/1/posts/2\nhttps://www.facebook.com/jens.h"}),
    ("witnesses", {"q": "witnesses", "answer": "done"}),
    ("impact", {"q": "impact", "impact_score": "3", "impact_text": ""}),
    ("evidence", {"q": "evidence", "answer": "done"}),
]


def start_report(user: TeamsUser) -> Turn:
    return user.submit({"command": "report"})


def answer_from(user: TeamsUser, first: str, stop_before: str = "summary") -> Turn:
    """Answer the questions from `first` up to (not including) `stop_before`, a question key or "summary"."""
    keys = [key for key, _ in STANDARD_ANSWERS]
    end = keys.index(stop_before) if stop_before != "summary" else len(keys)
    turns = [user.submit(answer) for _key, answer in STANDARD_ANSWERS[keys.index(first) : end]]
    return turns[-1]


def answer_until(user: TeamsUser, stop_before: str) -> Turn:
    """Start a report and answer every question before `stop_before` (a question key or "summary")."""
    turn = start_report(user)
    return answer_from(user, "safety", stop_before) if stop_before != "safety" else turn
