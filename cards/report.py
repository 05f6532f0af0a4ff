"""Question cards for the employee's report, one builder per question. Action.Submit data carries
`q` (the question key) so a click on an old card can be recognised."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adaptive_cards import card as ac
from adaptive_cards import types as act

from cards.common import build_card, choices, heading, paragraph, submit
from cards.markdown import escape_markdown
from cards.memo import memoise
from content import Texts
from domain.case import Channel, HarassmentKind, OffenderRelation

YES, NO, UNKNOWN = "yes", "no", "unknown"
EVIDENCE_FIRST = "evidence_first"  # the subject card's "send skærmbilleder nu": the evidence question, then back


NONE_OF_THEM = "none"


def _navigation(texts: Texts, question: str) -> list[ac.ActionSubmit]:
    return [
        submit(f"← {texts('common.back')}", {"q": question, "nav": "back"}),
        submit(texts("common.cancel"), {"q": question, "nav": "cancel"}),
    ]


def _question_card(
    texts: Texts, question: str, body: list[Any], actions: list[Any], more: Sequence[Any] = ()
) -> dict[str, Any]:
    """The answers on one row, any other way on (`more`) on its own row, and back/cancel on the last, so no button
    title is cut on a phone."""
    rows = [ac.ActionSet(actions=actions), *more, ac.ActionSet(actions=_navigation(texts, question))]
    return build_card(texts, [*body, *rows])


@memoise()
def safety_card(texts: Texts) -> dict[str, Any]:
    return _question_card(
        texts,
        "safety",
        [heading(texts("safety.question"))],
        [
            submit(texts("common.yes"), {"q": "safety", "answer": YES}),
            submit(texts("common.no"), {"q": "safety", "answer": NO}),
        ],
    )


@memoise()
def subject_card(texts: Texts) -> dict[str, Any]:
    return _question_card(
        texts,
        "subject",
        [
            heading(texts("subject.question")),
            ac.InputText(id="colleague_name", label=texts("subject.colleague_name"), max_length=200),
        ],
        [
            submit(texts("subject.me"), {"q": "subject", "answer": "me"}, primary=True),
            submit(texts("subject.colleague"), {"q": "subject", "answer": "colleague"}),
        ],
        [  # for those who want to secure the evidence first and explain afterwards
            paragraph(texts("subject.evidence_first_hint"), subtle=True),
            ac.ActionSet(actions=[submit(texts("subject.evidence_first"), {"q": "subject", "answer": EVIDENCE_FIRST})]),
        ],
    )


def colleague_choice_card(texts: Texts, name: str, people: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Several people in the directory match the name typed: the reporter chooses one (`people`: id and how they
    are shown), or none, and then the name is kept as typed. Nobody is chosen for them."""
    options = [*people, (NONE_OF_THEM, texts("subject.colleague_none"))]
    return _question_card(
        texts,
        "subject",
        [
            paragraph(texts("subject.colleague_choose", name=escape_markdown(name))),
            ac.InputChoiceSet(
                id="colleague_id",
                label=texts("subject.colleague_pick"),
                choices=choices(options),
                style=act.ChoiceInputStyle.EXPANDED,
                wrap=True,
            ),
        ],
        [
            submit(
                texts("subject.colleague_pick_save"),
                {"q": "subject", "answer": "colleague_pick", "colleague_name": name},
                primary=True,
            )
        ],
    )


@memoise()
def kinds_card(texts: Texts, selected: Sequence[str]) -> dict[str, Any]:
    options = [(kind.value, texts(f"kinds.{kind.value}")) for kind in HarassmentKind]
    return _question_card(
        texts,
        "kinds",
        [
            heading(texts("kinds.question")),
            ac.InputChoiceSet(
                id="kinds",
                choices=choices(options),
                is_multi_select=True,
                style=act.ChoiceInputStyle.EXPANDED,
                value=",".join(selected) or None,
                wrap=True,
            ),
        ],
        [submit(texts("common.next"), {"q": "kinds"}, primary=True)],
    )


def _yes_no_unknown(texts: Texts, input_id: str, label: str, current: bool | None) -> ac.InputChoiceSet:
    value = {True: YES, False: NO}.get(current) if current is not None else None
    return ac.InputChoiceSet(
        id=input_id,
        label=label,
        choices=choices([(YES, texts("common.yes")), (NO, texts("common.no")), (UNKNOWN, texts("common.unknown"))]),
        style=act.ChoiceInputStyle.EXPANDED,
        value=value,
    )


@memoise()
def context_card(texts: Texts, during_work: bool | None, colleagues: bool | None) -> dict[str, Any]:
    return _question_card(
        texts,
        "context",
        [
            heading(texts("context.question")),
            _yes_no_unknown(texts, "during_work", texts("context.during_work"), during_work),
            _yes_no_unknown(texts, "colleagues_targeted", texts("context.colleagues_targeted"), colleagues),
        ],
        [submit(texts("common.next"), {"q": "context"}, primary=True)],
    )


@memoise()
def channel_card(texts: Texts, current: str | None) -> dict[str, Any]:
    options = [(channel.value, texts(f"channel.{channel.value}")) for channel in Channel]
    return _question_card(
        texts,
        "channel",
        [
            heading(texts("channel.question")),
            ac.InputChoiceSet(
                id="channel", choices=choices(options), style=act.ChoiceInputStyle.EXPANDED, value=current
            ),
        ],
        [submit(texts("common.next"), {"q": "channel"}, primary=True)],
    )


@memoise()
def when_card(texts: Texts, today: str) -> dict[str, Any]:
    return _question_card(
        texts,
        "when",
        [
            heading(texts("when.question")),
            ac.InputDate(id="date", label=texts("when.date"), max=today, value=today),
            ac.InputTime(id="time", label=texts("when.time")),
        ],
        [
            submit(texts("common.next"), {"q": "when"}, primary=True),
            submit(texts("when.now"), {"q": "when", "answer": "now"}),
        ],
    )


@memoise("current")
def description_card(texts: Texts, current: str) -> dict[str, Any]:
    return _question_card(
        texts,
        "description",
        [
            heading(texts("description.question")),
            paragraph(texts("description.reminder"), subtle=True),
            ac.InputText(id="description", is_multiline=True, max_length=4000, value=current or None),
        ],
        [submit(texts("common.next"), {"q": "description"}, primary=True)],
    )


def leader_handles_offender(texts: Texts, colleague: str = "") -> str:
    """That leadership contacts the offender: to the harassed employee, or to a colleague reporting for them."""
    if colleague:
        return texts("common.leader_handles_offender_on_behalf", name=escape_markdown(colleague))
    return texts("common.leader_handles_offender")


@memoise("name", "profile", "colleague")
def offender_card(texts: Texts, name: str, profile: str, relation: str | None, colleague: str) -> dict[str, Any]:
    """`colleague`: whom the report is for, when a colleague reports for them."""
    relations = [(relation.value, texts(f"offender.{relation.value}")) for relation in OffenderRelation]
    return _question_card(
        texts,
        "offender",
        [
            heading(texts("offender.question")),
            paragraph(leader_handles_offender(texts, colleague), subtle=True),
            ac.InputText(id="offender_name", label=texts("offender.name"), max_length=200, value=name or None),
            ac.InputText(id="offender_profile", label=texts("offender.profile"), max_length=500, value=profile or None),
            ac.InputChoiceSet(
                id="offender_relation",
                label=texts("offender.relation"),
                choices=choices(relations),
                style=act.ChoiceInputStyle.COMPACT,
                value=relation or OffenderRelation.UNKNOWN.value,
            ),
        ],
        [
            submit(texts("common.next"), {"q": "offender"}, primary=True),
            submit(texts("offender.not_known"), {"q": "offender", "answer": "unknown"}),
        ],
    )


@memoise("current")
def links_card(texts: Texts, current: Sequence[str]) -> dict[str, Any]:
    return _question_card(
        texts,
        "links",
        [
            heading(texts("links.question")),
            ac.InputText(id="links", label=texts("links.label"), is_multiline=True, value="\n".join(current) or None),
        ],
        [
            submit(texts("common.next"), {"q": "links"}, primary=True),
            submit(texts("links.none"), {"q": "links", "answer": "none"}),
        ],
    )


@memoise("names")
def witnesses_card(texts: Texts, names: Sequence[str]) -> dict[str, Any]:
    body: list[Any] = [heading(texts("witnesses.question"))]
    if names:
        body.append(paragraph("• " + "\n\n• ".join(map(escape_markdown, names)), subtle=True))
    body += [
        ac.InputText(id="witness_name", label=texts("witnesses.name"), max_length=200),
        ac.InputText(id="witness_phone", label=texts("witnesses.phone"), max_length=30, style=act.TextInputStyle.TEL),
    ]
    return _question_card(
        texts,
        "witnesses",
        body,
        [
            submit(texts("witnesses.add"), {"q": "witnesses", "answer": "add"}),
            submit(texts("witnesses.done"), {"q": "witnesses", "answer": "done"}, primary=True),
        ],
    )


@memoise()
def impact_card(texts: Texts, score: int | None) -> dict[str, Any]:
    options = [(str(n), texts(f"impact.scale_{n}")) for n in range(1, 6)]
    return _question_card(
        texts,
        "impact",
        [
            heading(texts("impact.question")),
            ac.InputChoiceSet(
                id="impact_score",
                choices=choices(options),
                style=act.ChoiceInputStyle.EXPANDED,
                value=str(score) if score else None,
            ),
            ac.InputText(id="impact_text", label=texts("impact.text"), is_multiline=True, max_length=2000),
        ],
        [submit(texts("common.next"), {"q": "impact"}, primary=True)],
    )


@memoise()
def evidence_card(texts: Texts, count: int) -> dict[str, Any]:
    status = texts("evidence.summary", count=count) if count else texts("evidence.none_yet")
    return _question_card(
        texts,
        "evidence",
        [
            heading(texts("evidence.question")),
            paragraph(status, subtle=True),
            ac.InputText(id="pasted_text", label=texts("evidence.pasted"), is_multiline=True, max_length=20000),
        ],
        [
            submit(texts("evidence.save_text"), {"q": "evidence", "answer": "text"}),
            submit(texts("evidence.done"), {"q": "evidence", "answer": "done"}, primary=True),
        ],
    )
