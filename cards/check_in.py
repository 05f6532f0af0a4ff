"""The employee's check-in in the days after a report (guideline EFTER: psykisk førstehjælp, reactions may
come late): "Hvordan har du det nu?" on the report's own 1–5 scale, with a few words if they like and two
wishes (talk to my leader, professional help), then a thank-you; or a confirmation that Værn stops asking.

The answer is an Action.Execute `check_in` carrying `case_id`, `version` and the check-in's `day`; Teams
merges the inputs (`score`, `text`, `talk_to_leader`, `professional_help`, the field names of
`domain.leader_actions.CheckInCommand`) into its data. "Stop med at spørge mig" sends no inputs, so it works
without a score. Every state shows the HR crisis line and the advice to see one's own doctor; the card
never asks the employee to deal with the offender.
"""

from __future__ import annotations

from typing import Any

from adaptive_cards import card as ac
from adaptive_cards import types as act

from cards.common import build_card, choices, heading, paragraph
from cards.leader.forms import field_max_length
from cards.leader.parts import check_in_wishes
from cards.markdown import escape_markdown
from content import Texts
from domain.case import Case
from domain.handling import CheckInAnswer
from domain.leader_actions import Verb
from domain.reporting import DEFAULT_TIMEZONE

SCORES = range(1, 6)
WORDS_SHOWN = 600  # of the employee's own words, repeated back on the thank-you card

Card = dict[str, Any]


def _reference(case: Case) -> str:
    return case.reference or case.case_id[:8]


def _data(case: Case, day: int) -> dict[str, Any]:
    return {"case_id": case.case_id, "version": case.version, "day": day}


def _stop_button(texts: Texts, case: Case, day: int) -> ac.ActionSet:
    stop = ac.ActionExecute(
        title=texts("check_in.stop"),
        verb=Verb.STOP_CHECK_INS.value,
        data=_data(case, day),
        associated_inputs=act.AssociatedInputs.NONE,
    )
    return ac.ActionSet(actions=[stop])


def _toggle(texts: Texts, field: str) -> ac.InputToggle:
    return ac.InputToggle(
        id=field, title=texts(f"check_in.{field}"), value="false", value_on="true", value_off="false", wrap=True
    )


def _question(texts: Texts, case: Case, day: int) -> tuple[list[Any], list[ac.ActionSet]]:
    reported = case.created_at.astimezone(DEFAULT_TIMEZONE).strftime("%d-%m-%Y")
    scale = [(str(score), texts(f"impact.scale_{score}")) for score in SCORES]
    send = ac.ActionExecute(
        title=texts("check_in.send"), verb=Verb.CHECK_IN.value, data=_data(case, day), style=act.ActionStyle.POSITIVE
    )
    body = [
        heading(texts("check_in.title")),
        paragraph(texts("check_in.intro", reference=_reference(case), date=reported), subtle=True),
        ac.InputChoiceSet(
            id="score",
            label=texts("check_in.score"),
            choices=choices(scale),
            style=act.ChoiceInputStyle.EXPANDED,
            wrap=True,
            is_required=True,
            error_message=texts("impact.missing"),
        ),
        ac.InputText(
            id="text",
            label=texts("impact.text"),
            is_multiline=True,
            max_length=field_max_length(Verb.CHECK_IN, "text"),
        ),
        _toggle(texts, "talk_to_leader"),
        _toggle(texts, "professional_help"),
        paragraph(texts("check_in.who_sees"), subtle=True),
    ]
    return body, [ac.ActionSet(actions=[send]), _stop_button(texts, case, day)]


def _thanks(texts: Texts, case: Case, answer: CheckInAnswer) -> tuple[list[Any], list[ac.ActionSet]]:
    facts = [(texts("check_in.your_answer"), texts(f"impact.scale_{answer.score}"))]
    wishes = check_in_wishes(texts, answer, prefix="check_in")
    if wishes:
        facts.append((texts("check_in.your_wishes"), wishes))
    if answer.text:
        words = answer.text if len(answer.text) <= WORDS_SHOWN else answer.text[: WORDS_SHOWN - 1] + "…"
        facts.append((texts("check_in.your_words"), escape_markdown(words)))
    body: list[Any] = [
        heading(texts("check_in.thanks_title")),
        ac.FactSet(facts=[ac.Fact(title=title, value=value) for title, value in facts]),
    ]
    if answer.needs_leader:
        body.append(paragraph(texts("check_in.leader_informed"), color=act.Colors.GOOD))
        if answer.suggests_work_injury:
            body.append(paragraph(texts("check_in.work_injury")))
    else:
        body.append(paragraph(texts("check_in.doing_fine")))
    if answer.professional_help:
        body.append(paragraph(texts("check_in.call_now")))
    return body, [_stop_button(texts, case, answer.day)]


def _stopped(texts: Texts, case: Case) -> tuple[list[Any], list[ac.ActionSet]]:
    leader = escape_markdown(case.leader.name) if case.leader else ""
    contact = texts("check_in.stopped_contact_named", name=leader) if leader else texts("check_in.stopped_contact")
    body = [
        heading(texts("check_in.stopped_title")),
        paragraph(texts("check_in.stopped", reference=_reference(case))),
        paragraph(contact),
    ]
    return body, []


def check_in_card(
    texts: Texts, case: Case, day: int, answer: CheckInAnswer | None = None, stopped: bool = False
) -> Card:
    """The check-in for `day` (days after the report): the question; with `answer`, the thank-you showing
    what they answered and what happens next (and still the way to stop); with `stopped`, the confirmation
    that no more check-ins come. The advice to see one's own doctor comes before the buttons, the crisis
    line closes the card."""
    if stopped:
        body, buttons = _stopped(texts, case)
    elif answer is not None:
        body, buttons = _thanks(texts, case, answer)
    else:
        body, buttons = _question(texts, case, day)
    return build_card(texts, [*body, paragraph(texts("employee_status.doctor")), *buttons])
