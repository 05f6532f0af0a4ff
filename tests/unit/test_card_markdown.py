"""What people write never becomes formatting, a disguised link, HTML or a card date function on anyone's card
or in a message Teams reads as Markdown, and still reads exactly as written.

Each hostile text goes into every field a person writes (the employee, a colleague, the leader, HR, names from
the directory); every card is built in both languages, once with it and once with plain letters of the same
length in its place. The hostile build must have no live Markdown construct the plain one lacks
(tests/support/markdown.py reads the texts as CommonMark does), and the hostile text must show as often as
the plain letters do.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from cards.check_in import check_in_card
from cards.evidence import evidence_card
from cards.leader.employee_view import employee_status_card
from cards.leader.hr_view import hr_escalation_card
from cards.leader.leader_view import leader_card
from cards.markdown import escape_markdown
from cards.my_cases import CaseEntry, case_detail_card, my_cases_card
from cards.report import witnesses_card
from cards.response_plan import contacts_card, plan_card, question_card, roles_card
from cards.response_plan import summary_card as plan_summary_card
from cards.response_plan_text import plan_markdown
from cards.summary import submitted_card, summary_card
from cards.validation import teams_card_problems
from cards.welcome import welcome_card
from cards.work_environment import anonymised_summary_card
from content import SUPPORTED, Texts, texts_for
from domain.authorization import Role
from domain.case import (
    Case,
    CaseStatus,
    Channel,
    HarassmentKind,
    Impact,
    Incident,
    Offender,
    OffenderRelation,
    Person,
    Witness,
)
from domain.evidence import EvidenceItem, EvidenceSource
from domain.handling import (
    Absence,
    Acknowledgement,
    CheckInAnswer,
    Closure,
    ContactMethod,
    ContactRestrictions,
    FirstAid,
    FollowUp,
    Handling,
    HrAdvice,
    HrAssignment,
    HrEscalation,
    HrFunction,
    HrResponse,
    OffenderContact,
    PoliceReport,
    Removal,
    RemovalStatus,
    SafetyNetCategory,
    SafetyNetRegistration,
    Signed,
    WorkEnvironmentAnalysis,
    WorkEnvironmentReview,
)
from domain.reporting import ReportDraft
from domain.response_plan import Contacts, ResponsePlan, RolesWhenItHappens
from tests.support.markdown import live_constructs, markdown_texts, shown, text_runs

LANGUAGES = list(SUPPORTED)
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
DAY = date(2026, 11, 25)
CASE_ID = "0123456789abcdef0123456789abcdef"

HOSTILE = {
    "link": "[Åbn sikker besked](https://phish.example/login)",
    "image": "![sporing](https://phish.example/pixel.png)",
    "reference link": "[Se opslaget][1]\n\n[1]: https://phish.example/login",
    "autolink": "<https://phish.example/login> og https://phish.example/bare",
    "emphasis": "**fed** og *kursiv* og _også kursiv_ og __fed__",
    "headings": "# Overskrift\n## Under\nTekst\n===\nMere\n---",
    "lists": "- punkt\n* punkt\n+ punkt\n1. nummer\n2) nummer",
    "quote and rule": "> citat\n\n***\n\n___",
    "indented": "tekst\n  - indrykket\n\t# tabulator",
    "mention": "<at>Karen Leder</at> ser dette",
    "html": '<a href="https://phish.example">klik</a><script>alert(1)</script><img src=x onerror=alert(1)>',
    "entities": "&lt;b&gt;fed&lt;/b&gt; &#91;x&#93;(https://phish.example) &amp;",
    "card functions": "{{DATE(2026-01-01T00:00:00Z, SHORT)}} kl. {{TIME(2026-01-01T00:00:00+01:00)}} {{{x}}}",
    "backticks": "`kode` og ```blok```",
    "backslashes": "C:\\mapper\\fil \\*ikke fed\\* \\\\ \\[x\\](https://phish.example)",
    "strike and table": "~~væk~~ | a | b |\n|---|---|",
    "line endings": "linje et\r- linje to\r\n# tre\r2. juni",
    "danish": "Søren Æbelø Østergård-Ålund",
    "emoji": "🙂👍🏽 Ærgerligt 💔 #mig",
}


def _plain(text: str) -> str:
    """Letters of the same length: no Markdown, and never found inside any card's own text."""
    return ("Qzxvq" * len(text))[: len(text)]


def _person(key: str, name: str) -> Person:
    return Person(user_id=f"29:{key}", name=name, aad_object_id=f"aad-{key}")


def _case(written: str, status: CaseStatus = CaseStatus.ACKNOWLEDGED) -> Case:
    """A case in its EFTER phase with every duty done, each free text and name being `written`."""
    leader = _person("leader", written)
    signed = Signed(by=leader.user_id, by_name=written, at=NOW).model_dump()
    hr = Signed(by="29:hr", by_name=written, at=NOW + timedelta(hours=2)).model_dump()
    incident = Incident(
        kinds=[HarassmentKind.THREATS],
        during_work_hours=True,
        channel=Channel.FACEBOOK,
        occurred_at=NOW - timedelta(hours=2),
        description=written,
        offender=Offender(name=written, profile=written, relation=OffenderRelation.CITIZEN),
        links=[written, written],
        witnesses=[Witness(name=written, phone=written)],
        impact=Impact(score=4, text=written),
    )
    handling = Handling(
        acknowledged=Acknowledgement(**signed),
        first_aid=FirstAid(talked_through_on=DAY, colleagues_informed_on=DAY, debriefing_held=True, recorded=signed),
        offender_contacts=[OffenderContact(**signed, method=ContactMethod.PHONE, contacted_on=DAY, outcome=written)],
        restrictions=ContactRestrictions(**signed, ban_until=date(2027, 1, 31), limited_contact_hours=written),
        removals=[Removal(**signed, link=written, platform=written, status=RemovalStatus.REQUESTED)],
        police=PoliceReport(**signed, employee_decided_to_report=True, reported_on=DAY, journal_number=written),
        safetynet=SafetyNetRegistration(**signed, category=SafetyNetCategory.WORK_INJURY, registered_on=DAY),
        hr_escalation=HrEscalation(**signed, function=HrFunction.JURA, message=written),
        hr_response=HrResponse(
            acknowledged=hr,
            assigned=HrAssignment(**hr, function=HrFunction.JURA),
            advice=[HrAdvice(**hr, text=written)],
        ),
        absence=Absence(**signed, first_day=DAY),
        check_ins=[_answer(written)],
        work_environment=WorkEnvironmentReview(
            sent=signed,
            analysis=WorkEnvironmentAnalysis(
                **signed, causes=written, measures=written, plan_change=True, plan_change_text=written
            ),
        ),
    )
    if status is CaseStatus.CLOSED:
        handling.closure = Closure(**signed, employee_informed=True, follow_up=FollowUp.SKIPPED, reason=written)
    return Case(
        case_id=CASE_ID,
        reference="VK-2026-0042",
        status=status,
        subject=_person("employee", written),
        reporter=_person("colleague", written),
        incident=incident,
        created_at=NOW,
        unit=written,
        unit_id="unit-1",
        leader=leader,
        deputy=_person("deputy", written),
        handling=handling,
        version=7,
    )


def _answer(written: str) -> CheckInAnswer:
    return CheckInAnswer(
        by="29:employee", by_name=written, at=NOW + timedelta(days=3), day=3, score=4, text=written, talk_to_leader=True
    )


def _evidence(written: str) -> list[EvidenceItem]:
    return [
        EvidenceItem(
            evidence_id=f"ev-{n}",
            case_id=CASE_ID,
            sha256=f"{n:04d}" + "ab" * 30,
            size=1024,
            content_type="text/plain",
            original_name=written,
            received_at=NOW,
            uploaded_by="29:employee",
            source=EvidenceSource.PASTED_TEXT,
        )
        for n in range(2)
    ]


def _plan(written: str) -> ResponsePlan:
    contacts = Contacts(**dict.fromkeys(Contacts.model_fields, written))
    roles = RolesWhenItHappens(**dict.fromkeys(RolesWhenItHappens.model_fields, written))
    return ResponsePlan(
        unit_id="unit-1",
        unit_name=written,
        answers={"prevention": written, "digital_media": written},
        contacts=contacts,
        roles_when_it_happens=roles,
        revision_date=date(2027, 3, 1),
        version=2,
        updated_by=written,
        updated_at=NOW,
    )


Build = Callable[[Texts, str], dict[str, Any]]
CARDS: dict[str, Build] = {
    "summary": lambda t, w: summary_card(
        t,
        ReportDraft(case_id=CASE_ID, reporter=_person("colleague", w), on_behalf_of=w, incident=_case(w).incident),
        _evidence(w),
    ),
    "submitted": lambda t, w: submitted_card(
        t, "VK-2026-0042", ReportDraft(case_id=CASE_ID, reporter=_person("colleague", w), on_behalf_of=w)
    ),
    "leader": lambda t, w: leader_card(t, _case(w), _evidence(w), ["29:leader"]),
    "leader, new case": lambda t, w: leader_card(
        t, _case(w).model_copy(update={"handling": Handling(), "status": CaseStatus.REPORTED}), _evidence(w), []
    ),
    "leader, closed": lambda t, w: leader_card(t, _case(w, CaseStatus.CLOSED), _evidence(w), ["29:leader"]),
    "deputy": lambda t, w: leader_card(t, _case(w), _evidence(w), ["29:deputy"]),
    "hr": lambda t, w: hr_escalation_card(t, _case(w), _evidence(w), ["29:hr"]),
    "status, employee": lambda t, w: employee_status_card(t, _case(w), ["29:employee"], next_check_in=DAY),
    "status, reporter": lambda t, w: employee_status_card(t, _case(w), ["29:colleague"], viewer=Role.REPORTER),
    "my cases": lambda t, w: my_cases_card(t, [CaseEntry(_case(w), Role.REPORTER)]),
    "my case": lambda t, w: case_detail_card(t, _case(w), Role.REPORTER),
    "evidence": lambda t, w: evidence_card(t, _case(w), _evidence(w), {"ev-0": w}),
    "check-in answered": lambda t, w: check_in_card(t, _case(w), 3, _answer(w)),
    "check-in stopped": lambda t, w: check_in_card(t, _case(w), 3, stopped=True),
    "welcome": lambda t, w: welcome_card(t, w),
    "witnesses": lambda t, w: witnesses_card(t, [w, w]),
    "work environment": lambda t, w: anonymised_summary_card(t, _case(w)),
    "plan question": lambda t, w: question_card(t, w, "prevention", w),
    "plan contacts": lambda t, w: contacts_card(t, w, _plan(w).contacts),
    "plan roles": lambda t, w: roles_card(t, w, _plan(w).roles_when_it_happens),
    "plan summary": lambda t, w: plan_summary_card(t, _plan(w)),
    "plan": lambda t, w: plan_card(t, _plan(w), today=DAY, can_edit=True, saved_on=DAY),
}


def _texts(language: str) -> Texts:
    return texts_for(language, "89 70 12 99")


def _compare(hostile: list[str], plain: list[str], written: str) -> None:
    """The hostile texts add no live construct to the plain ones, and show `written` wherever the plain ones
    show their letters."""
    assert sum(map(live_constructs, hostile), Counter()) == sum(map(live_constructs, plain), Counter())
    seen = "\n\n".join(map(shown, hostile))
    assert seen.count(written) == "\n\n".join(map(shown, plain)).count(_plain(written))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("card", list(CARDS))
@pytest.mark.parametrize("written", list(HOSTILE.values()), ids=list(HOSTILE))
def test_written_text_shows_as_written_and_never_as_markdown(card: str, written: str, language: str) -> None:
    texts = _texts(language)
    hostile, plain = CARDS[card](texts, written), CARDS[card](texts, _plain(written))
    _compare(list(markdown_texts(hostile)), list(markdown_texts(plain)), written)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("card", list(CARDS))
def test_cards_with_hostile_text_are_valid_for_teams(card: str, language: str) -> None:
    """The escaped texts keep each card valid (a few hostile texts at once, so every field is long but the
    leader's card stays under Teams' size limit)."""
    written = " ".join(HOSTILE[key] for key in ("link", "mention", "card functions", "line endings"))
    assert teams_card_problems(CARDS[card](_texts(language), written)) == []


@pytest.mark.parametrize("card", ["leader", "hr", "summary", "evidence", "status, reporter", "plan", "welcome"])
def test_the_written_text_is_on_the_card(card: str) -> None:
    """The comparison above is not empty: each of these cards shows what was written."""
    written = HOSTILE["link"]
    assert any(written in shown(text) for text in markdown_texts(CARDS[card](_texts("da"), written)))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("written", list(HOSTILE.values()), ids=list(HOSTILE))
def test_the_printable_plan_in_the_chat_shows_answers_as_written(written: str, language: str) -> None:
    texts = _texts(language)
    hostile, plain = plan_markdown(texts, _plan(written)), plan_markdown(texts, _plan(_plain(written)))
    # The plan keeps each line break of an answer as a Markdown hard break (two spaces before it).
    lines = written.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "  \n")
    in_title = shown(hostile).count(written) if lines != written else 0  # the unit's name, who saved it
    assert shown(hostile).count(lines) + in_title == shown(plain).count(_plain(written)) > 0
    assert live_constructs(hostile) == live_constructs(plain)


def test_pasted_evidence_is_shown_exactly_in_a_text_run() -> None:
    written = HOSTILE["link"]
    assert written in text_runs(evidence_card(_texts("da"), _case(written), _evidence(written), {"ev-0": written}))


def test_the_letter_on_the_leaders_card_has_no_disguised_link_but_the_address_as_written() -> None:
    written = HOSTILE["link"]
    texts = [text for text in markdown_texts(leader_card(_texts("da"), _case(written), [], [])) if "Kære" in text]
    assert texts == [f"Kære {escape_markdown(written)}"]
    assert shown(texts[0]) == f"Kære {written}"
    assert live_constructs(texts[0]) == Counter()
