"""Guidance (prevention, working with the citizen, removal help, the law) and "Mine sager" cards: every platform
is covered in both languages, every card is valid for Teams and fits a phone, every link to a public service is a
well-formed https address from content, and nothing tells the employee to deal with the offender themselves."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest

import content
from cards.guidance import (
    CITIZEN_COMMAND,
    LAW_COMMAND,
    LINKS,
    PLATFORMS,
    REMOVAL_COMMAND,
    citizen_card,
    is_platform,
    law_card,
    platform_for,
    platform_steps,
    prevention_card,
    removal_overview_card,
    removal_platform_card,
)
from cards.leader.employee_view import employee_status_card
from cards.leader.leader_view import leader_card
from cards.my_cases import (
    ADD_EVIDENCE_COMMAND,
    CASE_STATUS_COMMAND,
    MAX_LISTED,
    CaseEntry,
    add_evidence_card,
    case_detail_card,
    is_open,
    my_cases_card,
)
from cards.validation import teams_card_problems
from content import SUPPORTED, Texts, forms, load_table, texts_for
from dialogs.add_evidence import can_add_evidence, finished_key
from domain.authorization import Actor, Role
from domain.case import Case, CaseStatus, Channel, Incident, Offender, Person
from domain.handling import (
    Acknowledgement,
    Closure,
    ContactMethod,
    ContactRestrictions,
    FollowUp,
    Handling,
    HrEscalation,
    OffenderContact,
    PoliceReport,
    Removal,
    RemovalStatus,
    SafetyNetCategory,
    SafetyNetRegistration,
)
from domain.reporting import ReportDraft, to_case
from domain.responsibility import NO_LEADER
from tests.support.teams import actions, card_elements, card_texts
from tests.unit.test_content import SELF_CONTACT_PHRASES

CRISIS_LINE = "89 70 12 99"
LANGUAGES = list(SUPPORTED)
GUIDANCE_SECTIONS = (
    "prevention",
    "citizen",
    "removal_guide",
    "law",
    "my_cases",
    "add_evidence",
    *(f"removal_{platform}" for platform in PLATFORMS),
)
NOT_PLATFORMS = {Channel.EMAIL, Channel.SMS, Channel.PHONE, Channel.OTHER}
# Titles that fit half a phone-wide card (360 px) without being cut.
MAX_TITLE_IN_A_PAIR = 18
LAW_SECTIONS = ("§ 119 a", "§ 119 ", "§ 266", "§ 267", "§ 268", "§ 275", "§ 264 d", "§ 242")
MORE_SELF_CONTACT_PHRASES = (
    "svar personen",
    "skriv til personen",
    "bed selv",
    "kontakt selv",
    "answer them",
    "reply to them",
    "ask them yourself",
    "contact them yourself",
)

EMPLOYEE = Person(user_id="29:employee", name="Mette Hansen", aad_object_id="aad-mette")
COLLEAGUE = Person(user_id="29:colleague", name="Lars Nielsen", aad_object_id="aad-lars")
LEADER = Person(user_id="29:leader", name="Leder Larsen", aad_object_id="aad-leader")
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)

Card = dict[str, Any]


def _texts(language: str) -> Texts:
    return texts_for(language, CRISIS_LINE)


def _case(
    number: int = 1,
    *,
    status: CaseStatus = CaseStatus.REPORTED,
    reporter: Person = EMPLOYEE,
    handling: Handling | None = None,
) -> Case:
    return Case(
        case_id=f"case{number:04d}",
        reference="" if status is CaseStatus.DRAFT else f"VK-2026-{number:04d}",
        status=status,
        subject=EMPLOYEE,
        reporter=reporter,
        incident=Incident(channel=Channel.FACEBOOK, offender=Offender(name="Jens")),
        created_at=NOW - timedelta(days=number),
        leader=LEADER,
        handling=handling or Handling(),
    )


def _everything_done() -> Handling:
    signed = {"by": LEADER.user_id, "by_name": LEADER.name, "at": NOW}
    return Handling(
        acknowledged=Acknowledgement(**signed),
        offender_contacts=[OffenderContact(**signed, method=ContactMethod.PHONE, contacted_on=date(2026, 11, 25))],
        restrictions=ContactRestrictions(**signed, functional_mailbox_only=True),
        removals=[Removal(**signed, link="https://www.facebook.com/x", status=RemovalStatus.REQUESTED)],
        police=PoliceReport(**signed, employee_decided_to_report=True, reported_on=date(2026, 11, 25)),
        safetynet=SafetyNetRegistration(
            **signed, category=SafetyNetCategory.WORK_INJURY, registered_on=date(2026, 11, 25)
        ),
        closure=Closure(**signed, employee_informed=True, follow_up=FollowUp.DONE),
    )


def _many_entries() -> list[CaseEntry]:
    entries = [CaseEntry(_case(n), Role.SUBJECT) for n in range(1, MAX_LISTED + 3)]
    entries.append(CaseEntry(_case(0, status=CaseStatus.DRAFT), Role.SUBJECT, evidence_count=3))  # the newest
    return entries


CARDS: dict[str, Callable[[Texts], Card]] = {
    "prevention": prevention_card,
    "citizen": citizen_card,
    "removal-overview": removal_overview_card,
    **{
        f"removal-{platform}": (lambda texts, platform=platform: removal_platform_card(texts, platform))
        for platform in PLATFORMS
    },
    "law": law_card,
    "my-cases-empty": lambda texts: my_cases_card(texts, []),
    "my-cases-many": lambda texts: my_cases_card(texts, _many_entries()),
    "case-new": lambda texts: case_detail_card(texts, _case(), Role.SUBJECT, ["29:employee"]),
    "case-everything": lambda texts: case_detail_card(
        texts, _case(handling=_everything_done(), status=CaseStatus.CLOSED), Role.SUBJECT
    ),
    "case-reporter": lambda texts: case_detail_card(texts, _case(reporter=COLLEAGUE), Role.REPORTER),
    "case-draft": lambda texts: case_detail_card(texts, _case(status=CaseStatus.DRAFT), Role.SUBJECT, evidence_count=2),
    "add-evidence": lambda texts: add_evidence_card(texts, _case()),
}
GUIDANCE_CARDS = [name for name in CARDS if not name.startswith(("my-cases", "case-", "add-"))]


def _submits(card: Card) -> list[dict[str, Any]]:
    return [action for action in actions([card]) if action.get("type") == "Action.Submit"]


def _seen(card: Card) -> str:
    return "\n".join(card_texts(card))


def _links(card: Card) -> list[dict[str, Any]]:
    return [action for action in actions([card]) if action.get("type") == "Action.OpenUrl"]


def _content_links(language: str) -> dict[str, str]:
    """Every link of the language's content (the `<name>_url` entries of [service_links]), by its key."""
    return {f"{LINKS}.{key}": entry for key, entry in load_table(language)[LINKS].items() if key.endswith("_url")}


LINK_IN_TEXT = re.compile(r"https?://[\w-]+\.[\w.-]+", re.IGNORECASE)  # not "https://…", a placeholder


# --- platforms ------------------------------------------------------------------------------------------------


def test_every_channel_that_is_a_platform_has_removal_steps() -> None:
    for channel in Channel:
        platform = platform_for(channel)
        if channel in NOT_PLATFORMS:
            assert platform is None, channel
        else:
            assert platform in PLATFORMS, channel


def test_google_and_other_websites_are_platforms_too() -> None:
    assert {"google", "websites"} <= set(PLATFORMS)
    assert platform_for(Channel.GOOGLE_REVIEW) == "google"
    assert platform_for(Channel.WEB_PAGE) == "websites"
    assert platform_for(None) is None


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_platform_has_a_name_and_at_least_two_steps(language: str, platform: str) -> None:
    texts = _texts(language)
    assert texts(f"removal_{platform}.name").strip()
    steps = platform_steps(texts, platform)
    assert len(steps) >= 2
    assert all(step.strip() for step in steps)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_both_languages_have_the_same_steps(platform: str) -> None:
    assert len(platform_steps(_texts("da"), platform)) == len(platform_steps(_texts("en"), platform))


def test_unknown_platform_is_refused() -> None:
    assert not is_platform("myspace")
    assert not is_platform(None)
    with pytest.raises(KeyError):
        removal_platform_card(_texts("da"), "myspace")


@pytest.mark.parametrize("language", LANGUAGES)
def test_overview_secures_evidence_first_then_offers_every_platform(language: str) -> None:
    texts = _texts(language)
    card = removal_overview_card(texts)
    seen = _seen(card)
    assert seen.index(texts("removal_guide.evidence_title")) < seen.index(texts("removal_guide.choose_platform"))
    for needle in ("URL", "ID", "headers", "SMS"):
        assert needle in seen, needle
    offered = [action["data"] for action in _submits(card)]
    assert offered == [{"command": REMOVAL_COMMAND, "platform": platform} for platform in PLATFORMS]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("platform", PLATFORMS)
def test_platform_card_has_the_steps_the_dsa_and_the_help_lines(language: str, platform: str) -> None:
    texts = _texts(language)
    seen = _seen(removal_platform_card(texts, platform))
    for step in platform_steps(texts, platform):
        assert step in seen
    for needle in ("DSA", "16", "Konkurrence- og Forbrugerstyrelsen", "Digitalt Ansvar", "116 006"):
        assert needle in seen, needle


@pytest.mark.parametrize("language", LANGUAGES)
def test_other_websites_have_a_heading_that_reads_as_a_sentence(language: str) -> None:
    texts = _texts(language)
    heading = removal_platform_card(texts, "websites")["body"][0]["text"]
    assert heading == texts("removal_websites.title")
    assert texts("removal_websites.name") not in heading  # not "Anmeld på Andre hjemmesider"
    facebook = removal_platform_card(texts, "facebook")["body"][0]["text"]
    assert facebook == texts("removal_guide.platform_title", platform="Facebook")


@pytest.mark.parametrize("language", LANGUAGES)
def test_only_the_leader_asks_the_author_to_remove_it(language: str) -> None:
    text = _texts(language)("removal_guide.leader_first").lower()
    assert {"da": "leder", "en": "leader"}[language] in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_guidance_names_no_made_up_web_addresses(language: str) -> None:
    table = load_table(language)
    for section in GUIDANCE_SECTIONS:
        for key, entry in table[section].items():
            assert all("http" not in text and "www." not in text for text in forms(entry)), f"{section}.{key}"


# --- links to public services ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_link_in_content_is_https_and_well_formed(language: str) -> None:
    links = _content_links(language)
    assert len(links) >= 3
    for key, url in links.items():
        assert isinstance(url, str), key
        parts = urlsplit(url)
        assert parts.scheme == "https", f"{key}: {url}"
        assert parts.hostname and "." in parts.hostname and not parts.hostname.endswith("."), f"{key}: {url}"
        assert not parts.username and not parts.password and parts.port is None, f"{key}: {url}"
        assert url == url.strip() and not re.search(r"\s|[<>\"{}]", url), f"{key}: {url!r}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_web_addresses_are_only_in_link_entries(language: str) -> None:
    """A link written into a text would escape the check above: links live in [service_links] only."""
    for section, entries in load_table(language).items():
        for key, entry in entries.items():
            if section == LINKS and key.endswith("_url"):
                continue
            for text in forms(entry):
                assert not LINK_IN_TEXT.search(text), f"{section}.{key}: {text}"


def test_both_languages_link_the_same_places() -> None:
    assert _content_links("da") == _content_links("en")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", list(CARDS))
def test_every_link_on_a_card_is_https_from_content(language: str, name: str) -> None:
    known = set(_content_links(language).values())
    for action in _links(CARDS[name](_texts(language))):
        assert action["url"] in known, action
        assert action["url"].startswith("https://")
        assert action["title"].strip()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_platform_with_a_report_form_links_to_it_and_every_platform_to_the_help_lines(
    language: str, platform: str
) -> None:
    texts = _texts(language)
    urls = [action["url"] for action in _links(removal_platform_card(texts, platform))]
    own = f"{LINKS}.{platform}_url"
    expected = [texts(own)] if texts.has(own) else []
    expected += [texts(f"{LINKS}.digitalt_ansvar_url"), texts(f"{LINKS}.offerraadgivning_url")]
    assert urls == expected


def test_the_main_platforms_have_a_report_form_link() -> None:
    texts = _texts("da")
    for platform in ("facebook", "instagram", "x", "tiktok", "youtube", "linkedin", "snapchat", "google"):
        assert texts.has(f"{LINKS}.{platform}_url"), platform


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_law_card_links_to_the_police_report(language: str) -> None:
    texts = _texts(language)
    links = _links(law_card(texts))
    assert [action["url"] for action in links] == [texts(f"{LINKS}.politi_url")]
    assert "politi.dk" in links[0]["url"] and "politi.dk" in links[0]["title"]


# --- working with the citizen -------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_citizen_card_has_the_guidelines_advice_for_working_with_the_citizen(language: str) -> None:
    seen = _seen(citizen_card(_texts(language)))
    needles = {
        "da": ("afbrydes", "time-out", "leder eller en kollega", "nyt møde", "sagsbehandler", "funktionspostkasse"),
        "en": ("ended", "time-out", "leader or a colleague", "new meeting", "caseworker", "function mailbox"),
    }
    for needle in (*needles[language], "beredskabsplan", "klage" if language == "da" else "complain"):
        assert needle in seen, needle


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_citizen_card_offers_the_plan_first_then_a_report(language: str) -> None:
    data = [action["data"] for action in _submits(citizen_card(_texts(language)))]
    assert data == [{"command": "plan_show"}, {"command": "report"}]


@pytest.mark.parametrize("language", LANGUAGES)
def test_prevention_leads_on_to_working_with_the_citizen(language: str) -> None:
    commands = [action["data"]["command"] for action in _submits(prevention_card(_texts(language)))]
    assert CITIZEN_COMMAND in commands


# --- prevention and the law ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_prevention_has_the_guidelines_six_pieces_of_advice(language: str) -> None:
    texts = _texts(language)
    seen = _seen(prevention_card(texts))
    for number in range(1, 7):
        assert texts(f"prevention.tip_{number}_title") in seen
        assert texts(f"prevention.tip_{number}_text") in seen
    words = {"da": ("tavshedspligt", "professionel profil", "privatmobil"), "en": ("confidentiality", "professional")}
    for word in words[language]:
        assert word in seen, word


@pytest.mark.parametrize("language", LANGUAGES)
def test_law_card_names_the_sections_of_the_criminal_code(language: str) -> None:
    seen = _seen(law_card(_texts(language)))
    for section in LAW_SECTIONS:
        assert section in seen, section


@pytest.mark.parametrize("language", LANGUAGES)
def test_law_card_sends_to_jura_and_tells_tilhold_from_kontaktforbud(language: str) -> None:
    seen = _seen(law_card(_texts(language)))
    for needle in ("Jura", "tilhold", "kontaktforbud", "72", "114", "112", "politi.dk"):
        assert needle in seen, needle


# --- every card ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", list(CARDS))
def test_every_card_is_valid_for_teams(language: str, name: str) -> None:
    card = CARDS[name](_texts(language))
    assert teams_card_problems(card) == []


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", list(CARDS))
def test_every_card_ends_with_the_crisis_line(language: str, name: str) -> None:
    card = CARDS[name](_texts(language))
    assert CRISIS_LINE in card["body"][-1]["text"]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", list(CARDS))
def test_buttons_come_at_most_two_to_a_row_and_fit_a_phone(language: str, name: str) -> None:
    card = CARDS[name](_texts(language))
    assert not card.get("actions"), "buttons belong in ActionSets in the body"
    for element in card_elements(card):
        if element["type"] == "ActionSet":
            assert len(element["actions"]) <= 2
            if len(element["actions"]) == 2:
                for action in element["actions"]:
                    assert len(action["title"]) <= MAX_TITLE_IN_A_PAIR, action["title"]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", GUIDANCE_CARDS)
def test_every_guidance_button_carries_a_command(language: str, name: str) -> None:
    submits = _submits(CARDS[name](_texts(language)))
    assert submits
    assert all(isinstance(action["data"].get("command"), str) for action in submits)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_guidance_text_tells_the_employee_to_deal_with_the_offender(language: str) -> None:
    table = load_table(language)
    texts = [
        (f"{section}.{key}", text)
        for section in GUIDANCE_SECTIONS
        for key, entry in table[section].items()
        for text in forms(entry)
    ]
    texts += [(name, _seen(CARDS[name](_texts(language)))) for name in CARDS]
    for where, text in texts:
        lowered = text.lower()
        for phrase in (*SELF_CONTACT_PHRASES, *MORE_SELF_CONTACT_PHRASES):
            assert phrase not in lowered, f"{language} {where}: {phrase!r}"


# --- my cases -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_my_cases_lists_at_most_ten_newest_first_each_with_a_button_to_open_it(language: str) -> None:
    card = my_cases_card(_texts(language), _many_entries())
    seen = _seen(card)
    references = [line.split("**")[1] for line in card_texts(card) if line.startswith("**VK-")]
    assert len(references) == MAX_LISTED - 1  # the newest is a draft, without a reference
    assert references == sorted(references)  # case 1 is the newest
    texts = _texts(language)
    assert texts("my_cases.draft") in seen
    assert texts("my_cases.draft_line", count=3) in seen  # a draft shows its evidence count
    data = [action["data"] for action in _submits(card)]
    assert all(item["command"] == CASE_STATUS_COMMAND for item in data)
    assert len(data) == MAX_LISTED  # the draft too: opened, it can be continued or deleted
    assert texts("my_cases.open_draft_button") in [action["title"] for action in _submits(card)]


def test_my_cases_names_whom_a_colleague_reported_for() -> None:
    card = my_cases_card(_texts("da"), [CaseEntry(_case(reporter=COLLEAGUE), Role.REPORTER)])
    assert "Anmeldt for Mette Hansen" in _seen(card)


def test_an_empty_list_says_how_to_report() -> None:
    assert "anmeld" in _seen(my_cases_card(_texts("da"), [])).lower()


@pytest.mark.parametrize("status", list(CaseStatus))
def test_only_sent_open_cases_offer_to_add_evidence(status: CaseStatus) -> None:
    card = case_detail_card(_texts("da"), _case(status=status), Role.SUBJECT)
    commands = [action["data"]["command"] for action in _submits(card)]
    assert (ADD_EVIDENCE_COMMAND in commands) is (status in (CaseStatus.REPORTED, CaseStatus.ACKNOWLEDGED))
    assert is_open(_case(status=status)) is (ADD_EVIDENCE_COMMAND in commands)


def test_case_status_shows_every_step_in_plain_words() -> None:
    texts = _texts("da")
    seen = _seen(case_detail_card(texts, _case(handling=_everything_done(), status=CaseStatus.CLOSED), Role.SUBJECT))
    for key in ("step_acknowledged", "step_offender", "step_closed"):
        assert texts(f"employee_status.{key}") in seen
    for needle in ("funktionspostkasse", "Bedt om fjernelse", "Politianmeldelse", "SafetyNet"):
        assert needle in seen, needle


def test_a_reporting_colleague_does_not_see_the_police_or_safetynet_steps() -> None:
    case = _case(reporter=COLLEAGUE, handling=_everything_done())
    seen = _seen(case_detail_card(_texts("da"), case, Role.REPORTER))
    assert "SafetyNet" not in seen and "Politianmeldelse" not in seen


def test_add_evidence_buttons_name_the_case() -> None:
    case = _case()
    data = [action["data"] for action in _submits(add_evidence_card(_texts("da"), case))]
    assert {item["answer"] for item in data} == {"note", "done"}
    assert all(item["case_id"] == case.case_id for item in data)


def test_commands_are_distinct() -> None:
    assert len({LAW_COMMAND, REMOVAL_COMMAND, CASE_STATUS_COMMAND, ADD_EVIDENCE_COMMAND, "prevention"}) == 5


@pytest.mark.parametrize("status", list(CaseStatus))
def test_only_the_subject_or_reporter_of_an_open_case_may_add_evidence(status: CaseStatus) -> None:
    case = _case(status=status, reporter=COLLEAGUE)
    is_open_case = status in (CaseStatus.REPORTED, CaseStatus.ACKNOWLEDGED)
    assert can_add_evidence(case, Actor(EMPLOYEE)) is is_open_case
    assert can_add_evidence(case, Actor(COLLEAGUE)) is is_open_case
    assert not can_add_evidence(case, Actor(LEADER))
    assert not can_add_evidence(case, Actor(Person(user_id="29:stranger", aad_object_id="aad-stranger")))


# --- SafetyNet: the municipality's own system, linked only when its address is filled in ------------------------


def _with_safetynet(monkeypatch: pytest.MonkeyPatch, language: str, url: str | None) -> Texts:
    """The language's texts with content's `safetynet_url` set to `url` (None: left out, as shipped)."""
    table = copy.deepcopy(load_table(language))
    if url is None:
        table[LINKS].pop("safetynet_url", None)
    else:
        table[LINKS]["safetynet_url"] = url
    monkeypatch.setattr(content, "load_table", lambda _language: table)
    defaults = {"crisis_line": f"89 70 12 99 {language} {url}", "organisation": "Silkeborg Kommune"}
    return Texts(language, defaults)  # defaults of its own: its own memo of cards


SAFETYNET_EMPLOYEE = Person(user_id="29:mette", name="Mette Hansen", aad_object_id="aad-mette")


def _safetynet_case(reporter: Person = SAFETYNET_EMPLOYEE) -> Case:
    draft = ReportDraft(case_id="5" * 32, reporter=reporter)
    draft.on_behalf_of = None if reporter is SAFETYNET_EMPLOYEE else "Mette Hansen"
    now = datetime(2026, 11, 20, tzinfo=UTC)
    case = to_case(draft, reference="VK-2026-0101", evidence=[], now=now, status=CaseStatus.REPORTED)
    case.leader = Person(user_id="29:leader", name="Karen", aad_object_id="aad-karen")
    return case


def _open_urls(card: Card) -> list[str]:
    return [action["url"] for action in _links(card)]


@pytest.mark.parametrize("language", LANGUAGES)
def test_safetynet_shows_as_a_button_on_the_leaders_form_and_the_employees_status_when_its_address_is_set(
    monkeypatch: pytest.MonkeyPatch, language: str
) -> None:
    url = "https://safetynet.silkeborg.dk/"
    texts = _with_safetynet(monkeypatch, language, url)
    case = _safetynet_case()

    leader = leader_card(texts, case, [], ["29:leader"])
    shown = [a["card"] for a in actions([leader]) if a.get("type") == "Action.ShowCard"]
    [form] = [card for card in shown if any(a.get("verb") == "safetynet" for a in actions([card]))]
    assert _open_urls(form) == [url]
    assert [a["title"] for a in _links(form)] == [texts(f"{LINKS}.safetynet_title")]
    assert teams_card_problems(leader) == []
    employee = employee_status_card(texts, case)
    assert _open_urls(employee) == [url] and teams_card_problems(employee) == []

    category = SafetyNetCategory.MINOR_VIOLENCE_THREATS_HARASSMENT
    at = datetime(2026, 11, 21, tzinfo=UTC)
    case.handling.safetynet = SafetyNetRegistration(by="29:leader", at=at, category=category, registered_on=at.date())
    assert _open_urls(employee_status_card(texts, case)) == []  # registered: nothing left to do there
    reporter = _safetynet_case(Person(user_id="29:ole", name="Ole", aad_object_id="aad-ole"))
    assert _open_urls(employee_status_card(texts, reporter, viewer=Role.REPORTER)) == []  # not the colleague's


@pytest.mark.parametrize("url", [None, "", "   "])
@pytest.mark.parametrize("language", LANGUAGES)
def test_without_safetynets_address_there_is_no_button_anywhere(
    monkeypatch: pytest.MonkeyPatch, language: str, url: str | None
) -> None:
    texts = _with_safetynet(monkeypatch, language, url)
    case = _safetynet_case()
    leader = leader_card(texts, case, [], ["29:leader"])
    assert _open_urls(leader) == [] and _open_urls(employee_status_card(texts, case)) == []
    assert texts(f"{LINKS}.safetynet_title") not in json.dumps(leader, ensure_ascii=False)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_thanks_for_added_evidence_names_who_is_told_and_no_one_who_is_not(language: str) -> None:
    texts = _texts(language)
    own = _case()
    reported_for = _case(reporter=COLLEAGUE)
    held_by_hr = _case(handling=Handling(hr_escalation=HrEscalation(by="vaern", at=NOW, automatic_reason=NO_LEADER)))
    held_by_hr.leader = None
    held_by_nobody = _case()
    held_by_nobody.leader = None

    def thanks(case: Case, actor: Person) -> str:
        return texts(finished_key(case, Actor(actor)), count=2, reference=case.reference)

    assert thanks(own, EMPLOYEE) == texts("add_evidence.finished", count=2, reference=own.reference)
    leader_word = {"da": "din leder", "en": "your leader"}[language]
    assert leader_word in thanks(own, EMPLOYEE).lower()
    assert leader_word not in thanks(reported_for, COLLEAGUE).lower()  # the colleague's leader, not the reporter's
    assert "Organisation og Personale" in thanks(held_by_hr, EMPLOYEE)
    assert leader_word not in thanks(held_by_hr, EMPLOYEE).lower()
    nobody = thanks(held_by_nobody, EMPLOYEE)
    assert {"da": "ikke sendt til nogen", "en": "not been sent to anyone"}[language] in nobody
    assert leader_word not in nobody.lower() and "Organisation og Personale" not in nobody
