"""Every card is a valid Adaptive Card 1.5 for Teams, in Danish and English, and carries the crisis line."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

import cards as cards_package
from cards import common as card_common
from cards import report
from cards.common import build_card, heading, paragraph
from cards.memo import clear_card_memos
from cards.privacy import DataProtectionOfficer, privacy_notice_card
from cards.summary import MAX_FACT_LENGTH, submitted_card, summary_card, summary_facts
from cards.validation import TEAMS_MAX_BYTES, teams_card_problems
from cards.welcome import welcome_card
from content import SUPPORTED, Texts, texts_for
from domain.case import Channel, HarassmentKind, Impact, Incident, Offender, OffenderRelation, Person, Witness
from domain.evidence import EvidenceItem, EvidenceSource
from domain.reporting import MAX_LINKS, MAX_WITNESSES, ReportDraft
from domain.responsibility import Holder
from domain.retention import RetentionPolicy
from scripts.card_samples import CRISIS_LINE as SAMPLE_CRISIS_LINE
from scripts.card_samples import samples
from tests.support.teams import card_elements

CRISIS_LINE = "89 70 12 99"
LANGUAGES = list(SUPPORTED)
REPORTER = Person(user_id="29:reporter", name="Anne Jensen", aad_object_id="aad-anne")

Card = dict[str, Any]
Builder = Callable[[Texts], Card]


def _texts(language: str) -> Texts:
    return texts_for(language, CRISIS_LINE)


def _evidence(count: int, *, name_length: int = 0) -> list[EvidenceItem]:
    names = ["screenshot-facebook.png", "trusselsbrev.pdf", "telefonsvarer.m4a"]
    return [
        EvidenceItem(
            evidence_id=f"ev-{n}",
            case_id="case-1",
            sha256=f"{n:02d}" + "ab" * 31,
            size=1024 * (n + 1),
            content_type="image/png",
            original_name=(names[n % len(names)] + "x" * name_length),
            received_at=datetime(2026, 11, 24, 13, 40 + n % 20, tzinfo=UTC),
            uploaded_by=REPORTER.user_id,
            source=EvidenceSource.TEAMS_FILE,
        )
        for n in range(count)
    ]


def _full_draft() -> ReportDraft:
    return ReportDraft(
        case_id="case-1",
        reporter=REPORTER,
        on_behalf_of="Mette Hansen",
        incident=Incident(
            urgent=True,
            kinds=list(HarassmentKind),
            during_work_hours=True,
            colleagues_targeted=True,
            channel=Channel.FACEBOOK,
            occurred_at=datetime(2026, 11, 24, 13, 30, tzinfo=UTC),
            description="En borger skrev i en lokal Facebook-gruppe, at Mette 'skal passe på, når hun går hjem'.",
            offender=Offender(
                name="Ukendt borger", profile="facebook.com/profil.123", relation=OffenderRelation.CITIZEN
            ),
            links=["https://www.facebook.com/groups/lokal/posts/1", "https://www.facebook.com/profil.123"],
            witnesses=[Witness(name="Lars Nielsen", phone="+45 12 34 56 78"), Witness(name="Sofie Berg")],
            impact=Impact(score=4, text="Jeg sover dårligt."),
        ),
        locale="da",
        tenant_id="tenant-1",
    )


def _empty_draft() -> ReportDraft:
    return ReportDraft(case_id="case-2", reporter=REPORTER)


def _long_draft() -> ReportDraft:
    return ReportDraft(
        case_id="case-3",
        reporter=REPORTER,
        on_behalf_of="M" * 200,
        incident=Incident(
            urgent=True,
            kinds=list(HarassmentKind),
            during_work_hours=False,
            colleagues_targeted=True,
            channel=Channel.WEB_PAGE,
            occurred_at=datetime(2026, 7, 1, 8, 0, tzinfo=UTC),
            description="Æøå " * 1000,
            offender=Offender(name="N" * 200, profile="P" * 500, relation=OffenderRelation.RELATIVE),
            links=[f"https://example.com/{n:02d}/".ljust(2000, "a") for n in range(MAX_LINKS)],
            witnesses=[Witness(name="W" * 200, phone="+45 12 34 56 78") for _ in range(MAX_WITNESSES)],
            impact=Impact(score=5, text="x" * 2000),
        ),
    )


BUILDERS: dict[str, Builder] = {
    "safety": report.safety_card,
    "subject": report.subject_card,
    "kinds-none-selected": lambda t: report.kinds_card(t, []),
    "kinds-selected": lambda t: report.kinds_card(t, [HarassmentKind.THREATS.value, HarassmentKind.FAKE_PROFILE.value]),
    "context-empty": lambda t: report.context_card(t, None, None),
    "context-answered": lambda t: report.context_card(t, True, False),
    "channel-empty": lambda t: report.channel_card(t, None),
    "channel-chosen": lambda t: report.channel_card(t, Channel.SMS.value),
    "when": lambda t: report.when_card(t, "2026-11-24"),
    "description-empty": lambda t: report.description_card(t, ""),
    "description-filled": lambda t: report.description_card(t, "Han skrev igen i aftes."),
    "offender-empty": lambda t: report.offender_card(t, "", "", None, ""),
    "offender-filled": lambda t: report.offender_card(t, "Ole", "@ole", OffenderRelation.PARENT.value, ""),
    "offender-on-behalf": lambda t: report.offender_card(t, "", "", None, "Mette Hansen"),
    "subject-choice": lambda t: report.colleague_choice_card(
        t, "Mette", [("aad-1", "Mette Hansen"), ("aad-2", "Mette Holm")]
    ),
    "links-empty": lambda t: report.links_card(t, []),
    "links-filled": lambda t: report.links_card(t, ["https://example.com/a", "https://example.com/b"]),
    "witnesses-empty": lambda t: report.witnesses_card(t, []),
    "witnesses-added": lambda t: report.witnesses_card(t, ["Lars Nielsen", "Sofie Berg"]),
    "impact-empty": lambda t: report.impact_card(t, None),
    "impact-chosen": lambda t: report.impact_card(t, 3),
    "evidence-none": lambda t: report.evidence_card(t, 0),
    "evidence-some": lambda t: report.evidence_card(t, 3),
    "summary-full": lambda t: summary_card(t, _full_draft(), _evidence(3)),
    "summary-empty": lambda t: summary_card(t, _empty_draft(), []),
    "submitted-self": lambda t: submitted_card(t, "VAERN-2026-0042", _empty_draft()),
    "submitted-on-behalf": lambda t: submitted_card(t, "VAERN-2026-0042", _full_draft()),
    "submitted-with-plan": lambda t: submitted_card(t, "VAERN-2026-0042", _empty_draft(), plan=True),
    "welcome": lambda t: welcome_card(t, "Anne"),
    "welcome-no-name": lambda t: welcome_card(t, ""),
    "privacy": lambda t: privacy_notice_card(t, RetentionPolicy(), DataProtectionOfficer("Dorte DPO", "dpo@x.dk", "1")),
    "privacy-no-officer": lambda t: privacy_notice_card(t, RetentionPolicy(), DataProtectionOfficer()),
}
QUESTION_CARDS = [name for name in BUILDERS if not name.startswith(("submitted", "welcome", "privacy"))]
STEP_CARDS = [name for name in QUESTION_CARDS if not name.startswith("summary")]


def _submit_actions(card: Card) -> list[dict[str, Any]]:
    return [element for element in card_elements(card) if element["type"] == "Action.Submit"]


def _size(card: Card) -> int:
    return len(json.dumps(card, ensure_ascii=False).encode("utf-8"))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("builder", BUILDERS.values(), ids=BUILDERS.keys())
def test_every_card_is_valid_for_teams(language: str, builder: Builder) -> None:
    assert teams_card_problems(builder(_texts(language))) == []


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("builder", BUILDERS.values(), ids=BUILDERS.keys())
def test_every_card_shows_the_hr_crisis_line(language: str, builder: Builder) -> None:
    card = builder(_texts(language))
    footer = card["body"][-1]
    assert footer["type"] == "TextBlock"
    assert CRISIS_LINE in footer["text"]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", QUESTION_CARDS)
def test_question_cards_name_their_question_in_every_submit(language: str, name: str) -> None:
    actions = _submit_actions(BUILDERS[name](_texts(language)))
    assert actions
    expected = name.split("-")[0]
    assert all(action["data"]["q"] == expected for action in actions)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", STEP_CARDS)
def test_question_cards_offer_back_and_cancel(language: str, name: str) -> None:
    navigation = {action["data"].get("nav") for action in _submit_actions(BUILDERS[name](_texts(language)))}
    assert navigation >= {"back", "cancel"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_welcome_card_submits_commands(language: str) -> None:
    commands = [action["data"]["command"] for action in _submit_actions(welcome_card(_texts(language), "Anne"))]
    assert commands == ["report", "my_cases", "plan_show", "prevention", "citizen", "removal", "law", "privacy"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_welcome_card_offers_the_plan_and_the_advice_for_working_with_the_citizen(language: str) -> None:
    texts = _texts(language)
    buttons = {action["title"]: action["data"]["command"] for action in _submit_actions(welcome_card(texts, "Anne"))}
    assert buttons[texts("welcome.plan_button")] == "plan_show"
    assert buttons[texts("welcome.citizen_button")] == "citizen"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_receipt_offers_the_plan_only_when_there_is_one(language: str) -> None:
    texts = _texts(language)
    with_plan = submitted_card(texts, "VAERN-2026-0042", _empty_draft(), plan=True)
    assert [action["data"] for action in _submit_actions(with_plan)] == [{"command": "plan_show"}]
    assert texts("submitted.plan") in json.dumps(with_plan, ensure_ascii=False)
    without = submitted_card(texts, "VAERN-2026-0042", _empty_draft())
    assert _submit_actions(without) == []
    assert texts("submitted.plan") not in json.dumps(without, ensure_ascii=False)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_receipt_names_closed_cases_with_the_same_offender_that_the_leader_can_reopen(language: str) -> None:
    texts = _texts(language)
    told = json.dumps(submitted_card(texts, "VK-2026-0042", _empty_draft(), same_offender=["VK-2026-0007"]))
    assert "VK-2026-0007" in told
    for holder in (Holder.HR_INTAKE, Holder.NOBODY):  # no leader sees the hint on a card then: not promised
        kept = submitted_card(texts, "VK-2026-0042", _empty_draft(), holder, same_offender=["VK-2026-0007"])
        assert "VK-2026-0007" not in json.dumps(kept)


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_on_behalf_reporter_is_not_told_the_leader_contacts_them(language: str) -> None:
    texts = _texts(language)
    shown = json.dumps(submitted_card(texts, "VAERN-2026-0042", _full_draft()), ensure_ascii=False)
    assert texts("submitted.next_steps") not in shown
    assert texts("submitted.title", reference="VAERN-2026-0042") not in shown
    assert texts("submitted.on_behalf", name="Mette Hansen") in shown
    own = json.dumps(submitted_card(texts, "VAERN-2026-0042", _empty_draft()), ensure_ascii=False)
    assert texts("submitted.next_steps") in own


@pytest.mark.parametrize("language", LANGUAGES)
def test_full_summary_lists_every_answer(language: str) -> None:
    texts = _texts(language)
    card = summary_card(texts, _full_draft(), _evidence(3))
    facts = {fact["title"]: fact["value"] for element in card_elements(card) for fact in element.get("facts", [])}
    not_given = texts("summary.not_given")
    assert not_given not in facts.values()
    assert facts[texts("summary.reported_for")] == "Mette Hansen"
    assert facts[texts("summary.when")] == "24-11-2026 14:30"  # 13:30 UTC shown in Copenhagen winter time
    assert "Lars Nielsen +45 12 34 56 78" in facts[texts("summary.witnesses")]
    assert all(texts(f"kinds.{kind.value}") in facts[texts("summary.kinds")] for kind in HarassmentKind)
    assert facts[texts("summary.evidence")].count(" · ") == 2


@pytest.mark.parametrize("language", LANGUAGES)
def test_empty_summary_says_not_given_instead_of_leaving_blanks(language: str) -> None:
    texts = _texts(language)
    facts = dict(summary_facts(texts, _empty_draft(), []))
    assert texts("summary.urgent") not in facts
    assert texts("summary.reported_for") not in facts
    for key in ("kinds", "context", "channel", "when", "description", "links", "witnesses", "impact", "evidence"):
        assert facts[texts(f"summary.{key}")] == texts("summary.not_given")
    assert all(value for value in facts.values())


@pytest.mark.parametrize("language", LANGUAGES)
def test_summary_with_very_long_answers_is_truncated_below_the_teams_limit(language: str) -> None:
    texts = _texts(language)
    draft = _long_draft()
    assert len(draft.incident.description) == 4000
    assert sum(len(link) for link in draft.incident.links) == MAX_LINKS * 2000
    card = summary_card(texts, draft, _evidence(50, name_length=200))
    assert teams_card_problems(card) == []
    assert _size(card) < TEAMS_MAX_BYTES
    facts = dict(summary_facts(texts, draft, _evidence(50, name_length=200)))
    for key in ("description", "offender", "links", "witnesses", "evidence"):
        value = facts[texts(f"summary.{key}")]
        assert len(value) == MAX_FACT_LENGTH
        assert value.endswith("…")


def test_a_card_over_28_kb_is_reported() -> None:
    texts = _texts("da")
    card = build_card(texts, [heading("x" * TEAMS_MAX_BYTES)])
    problems = teams_card_problems(card)
    assert problems
    assert any(str(TEAMS_MAX_BYTES) in problem for problem in problems)


def test_an_unknown_element_type_is_reported() -> None:
    card = build_card(_texts("da"), [heading("Titel"), paragraph("Linje")])
    card["body"].append({"type": "Carousel", "pages": []})
    assert teams_card_problems(card) != []


def test_a_text_block_without_text_is_reported() -> None:
    card = build_card(_texts("en"), [heading("Title"), paragraph("Line")])
    card["body"].insert(0, {"type": "TextBlock", "wrap": True})
    assert teams_card_problems(card) != []


def test_the_teams_width_extension_is_kept_but_not_held_against_the_card() -> None:
    card = build_card(_texts("da"), [heading("Titel")])
    assert card["msteams"] == {"width": "Full"}
    assert card["version"] == "1.5"
    assert teams_card_problems(card) == []


def test_card_json_is_what_the_json_text_of_every_sample_card_reads_back_as(monkeypatch: pytest.MonkeyPatch) -> None:
    """cards.common.card_json skips the JSON text; every card Værn builds must come out exactly as through it."""
    clear_card_memos()
    fast = samples()
    clear_card_memos()  # built again, not taken from the memo
    monkeypatch.setattr(card_common, "card_json", lambda card: json.loads(card.to_json()))
    through_text = samples()
    clear_card_memos()

    assert [sample.name for sample in fast] == [sample.name for sample in through_text]
    for ours, expected in zip(fast, through_text, strict=True):
        assert json.dumps(ours.card, ensure_ascii=False) == json.dumps(expected.card, ensure_ascii=False), ours.name


def _card_builders() -> list[Callable[..., Card]]:
    """Every public `*_card` function defined in a module of cards/ (not the frame in cards.common)."""
    builders = []
    for module_info in pkgutil.iter_modules(cards_package.__path__):
        module = importlib.import_module(f"cards.{module_info.name}")
        if module is card_common:
            continue
        builders += [
            function
            for name, function in inspect.getmembers(module, inspect.isfunction)
            if name.endswith("_card") and not name.startswith("_") and function.__module__ == module.__name__
        ]
    return builders


def test_every_card_builder_is_among_the_rendered_samples() -> None:
    """scripts/render_cards.py renders what scripts/card_samples.py builds: a new card needs a sample there."""
    called: set[Any] = set()

    def record(frame: Any, event: str, _: Any) -> None:
        if event == "call":
            called.add(frame.f_code)

    clear_card_memos()  # a memoised card is built, not taken from the memo
    before = sys.getprofile()
    sys.setprofile(record)
    try:
        samples()
    finally:
        sys.setprofile(before)
    builders = _card_builders()
    assert len(builders) > 30
    missing = [
        f"{builder.__module__}.{builder.__name__}"
        for builder in builders
        if inspect.unwrap(builder).__code__ not in called
    ]
    assert missing == []


def test_every_sample_card_ends_with_the_crisis_line() -> None:
    for sample in samples():
        footer = sample.card["body"][-1]
        assert footer["type"] == "TextBlock", sample.name
        assert SAMPLE_CRISIS_LINE in footer["text"], sample.name


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_colleague_reporting_for_someone_is_not_told_the_offender_harasses_them(language: str) -> None:
    texts = _texts(language)
    for card in (summary_card(texts, _full_draft(), []), report.offender_card(texts, "", "", None, "Mette Hansen")):
        seen = json.dumps(card, ensure_ascii=False)
        assert texts("common.leader_handles_offender") not in seen
        assert texts("common.leader_handles_offender_on_behalf", name="Mette Hansen") in seen
    own = json.dumps(summary_card(texts, _empty_draft(), []), ensure_ascii=False)
    assert texts("common.leader_handles_offender") in own


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("told", [(), ("deputy",), ("hr",), ("deputy", "hr")])
def test_an_urgent_receipt_to_a_colleague_who_reported_for_someone_names_not_their_own_leader(
    language: str, told: tuple[str, ...]
) -> None:
    texts = _texts(language)
    own = json.dumps(submitted_card(texts, "VK-1", _empty_draft(), urgent=True, told_at_once=told), ensure_ascii=False)
    for_someone = json.dumps(
        submitted_card(texts, "VK-1", _full_draft(), urgent=True, told_at_once=told), ensure_ascii=False
    )
    your_leader = {"da": "din leder", "en": "your leader"}[language]
    assert your_leader in own.lower()
    assert your_leader not in for_someone.lower()
    urgent = {"da": "akut", "en": "urgent"}[language]
    assert urgent in for_someone.lower()
    assert ("Organisation og Personale (HR)" in for_someone) is ("hr" in told)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_urgent_receipt_does_not_say_the_case_has_arrived_it_is_only_on_its_way(language: str) -> None:
    texts = _texts(language)
    for who in ("leader", "deputy", "hr", "both", "other_leader", "other_deputy", "other_hr", "other_both"):
        text = texts(f"urgent.receipt_{who}")
        assert not any(claim in text for claim in ("har fået", "got it", "received"))
