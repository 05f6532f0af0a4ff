"""Guidance and "Mine sager" end to end over HTTP, on both storage backends: prevention advice, working with the
citizen, removal help per platform with links to the platforms' forms and the help lines, when it is a crime with
the link to politi.dk; the beredskabsplan from the welcome card and the report's receipt; a person's own cases
with their status; and evidence added to an open case later, stored append-only and announced to the leader."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from urllib.parse import urlsplit

from cards.validation import teams_card_problems
from domain.response_plan import QUESTION_KEYS
from tests.e2e.leader_steps import report_case, wait_for_card
from tests.e2e.plan_steps import press, walk_to_summary
from tests.e2e.report_walk import answer_from, answer_until
from tests.support.evidence_files import png_screenshot
from tests.support.file_server import FileServer
from tests.support.stored import (
    audit_events,
    case_with_reference,
    cases_reported_by,
    documents_under,
    evidence_items,
)
from tests.support.teams import TeamsUser, actions, cards, texts

# Needs the routing in bot/handler.py and the objects in bot/runtime.py (see the wiring notes); remove when wired.

CRISIS_LINE = "89 70 12 99"
REFERENCE = re.compile(r"VK-\d{4}-\d{4}")


def joined(turn: list[dict]) -> str:
    return "\n".join(texts(turn))


def only_valid_cards(turn: list[dict]) -> list[dict]:
    found = cards(turn)
    assert found, joined(turn)
    for card in found:
        assert teams_card_problems(card) == []
    return found


def submitted_data(turn: list[dict], command: str) -> list[dict]:
    return [a["data"] for a in actions(turn) if isinstance(a.get("data"), dict) and a["data"].get("command") == command]


def opened_links(turn: list[dict]) -> dict[str, str]:
    """The Action.OpenUrl buttons of a turn's cards: title → url."""
    return {a["title"]: a["url"] for a in actions(turn) if a.get("type") == "Action.OpenUrl"}


def assert_https(urls: dict[str, str]) -> None:
    assert urls
    for title, url in urls.items():
        parts = urlsplit(url)
        assert parts.scheme == "https" and parts.hostname and "." in parts.hostname, (title, url)


def report_and_send(user: TeamsUser) -> str:
    """Walk the standard report, send it, and return its reference. A user the directory does not know is
    asked for their leader's name next; they stop that question, and the case stays stored."""
    answer_until(user, "summary")
    seen = joined(user.submit({"q": "summary", "answer": "confirm"}))
    reference = REFERENCE.search(seen)
    assert reference, seen
    if "din leders navn" in seen:
        user.say("annuller")
    return reference.group()


def case_id_of(bot, reference: str) -> str:
    return case_with_reference(bot, reference).case_id


# --- guidance -----------------------------------------------------------------------------------------------------


def test_forebyggelse_shows_the_prevention_advice(user: TeamsUser) -> None:
    turn = user.say("forebyggelse")
    only_valid_cards(turn)
    seen = joined(turn)
    assert "tavshedspligt" in seen and "privatmobil" in seen
    assert CRISIS_LINE in seen


def test_prevention_in_english(new_user) -> None:
    user = new_user(locale="en-US")
    seen = joined(user.say("prevention"))
    assert "duty of confidentiality" in seen
    assert CRISIS_LINE in seen


def test_remove_content_secures_evidence_first_then_guides_per_platform(user: TeamsUser) -> None:
    turn = user.say("fjern indhold")
    only_valid_cards(turn)
    seen = joined(turn)
    assert "Gem beviset" in seen and "URL" in seen
    platforms = submitted_data(turn, "removal")
    assert {"command": "removal", "platform": "facebook"} in platforms
    assert {item["platform"] for item in platforms} >= {"google", "trustpilot", "websites", "snapchat"}

    turn = user.submit({"command": "removal", "platform": "facebook"})
    only_valid_cards(turn)
    seen = joined(turn)
    assert "Anmeld på Facebook" in seen
    assert "Konkurrence- og Forbrugerstyrelsen" in seen and "116 006" in seen
    assert "din leders opgave" in seen
    assert submitted_data(turn, "removal") == [{"command": "removal"}]  # back to the other places


def test_the_platform_and_law_cards_link_to_the_real_services(user: TeamsUser) -> None:
    links = opened_links(user.submit({"command": "removal", "platform": "facebook"}))
    assert_https(links)
    assert "facebook.com" in links["Anmeld hos Facebook"]
    assert "digitaltansvar.dk" in links["Digitalt Ansvar"]
    assert "offerraadgivning.dk" in links["Offerrådgivningen"]
    links = opened_links(user.say("strafbart"))
    assert_https(links)
    assert urlsplit(links["Anmeld på politi.dk"]).hostname == "politi.dk"


def test_the_welcome_card_offers_the_plan_and_the_advice_for_working_with_the_citizen(user: TeamsUser) -> None:
    turn = user.say("hjælp")
    only_valid_cards(turn)
    assert submitted_data(turn, "plan_show") == [{"command": "plan_show"}]
    [citizen] = submitted_data(turn, "citizen")

    turn = user.submit(citizen)
    only_valid_cards(turn)
    seen = joined(turn)
    for needle in ("Samarbejdet med borgeren", "afbrydes", "time-out", "funktionspostkasse", "sagsbehandler"):
        assert needle in seen, needle
    assert "beredskabsplan" in seen and CRISIS_LINE in seen
    [plan] = submitted_data(turn, "plan_show")

    seen = joined(user.submit(plan))  # `user` is in no unit of the directory: told so, kindly
    assert "Jeg kan ikke finde din enhed" in seen


def test_borgerkontakt_and_citizen_contact_are_typed_commands(user: TeamsUser, new_user) -> None:
    assert "Samarbejdet med borgeren" in joined(user.say("borgerkontakt"))
    assert "Working with the citizen" in joined(new_user(locale="en-US").say("citizen contact"))


def test_the_plan_button_shows_the_units_plan_and_the_receipt_offers_it(organisation, new_user, connector) -> None:
    unit = organisation.next_unit()
    leader = new_user(**unit.leader.teams_details())
    employee = new_user(**unit.employee.teams_details())

    # No plan yet: the receipt of a report does not offer one.
    mark = connector.mark()
    answer_until(employee, "evidence")
    employee.submit({"q": "evidence", "answer": "done"})
    turn = employee.submit({"q": "summary", "answer": "confirm"})
    assert REFERENCE.search(joined(turn)) and not submitted_data(turn, "plan_show")
    wait_for_card(connector, leader, mark)

    # The leader saves the unit's plan; the welcome card's button shows it to the employee.
    turn = walk_to_summary(leader, leader.say("beredskabsplan"), {key: f"Aftalt: {key}" for key in QUESTION_KEYS})
    assert "version 1" in joined(press(leader, turn, "Gem planen"))
    [plan] = submitted_data(employee.say("hjælp"), "plan_show")
    turn = employee.submit(plan)
    only_valid_cards(turn)
    assert "Aftalt: prevention" in joined(turn) and unit.unit_name in joined(turn)

    # The next report's receipt reminds of the plan, and its button shows it.
    answer_until(employee, "evidence")
    employee.submit({"q": "evidence", "answer": "done"})
    turn = employee.submit({"q": "summary", "answer": "confirm"})
    only_valid_cards(turn)
    seen = joined(turn)
    assert REFERENCE.search(seen) and "Følg altid jeres lokale beredskabsplan" in seen
    [plan] = submitted_data(turn, "plan_show")
    assert "Aftalt: escalation" in joined(employee.submit(plan))


def test_remove_content_in_english(new_user) -> None:
    user = new_user(locale="en-US")
    assert "Secure the evidence" in joined(user.say("remove content"))
    assert "Report it on TikTok" in joined(user.submit({"command": "removal", "platform": "tiktok"}))


def test_an_unknown_platform_falls_back_to_the_overview(user: TeamsUser) -> None:
    seen = joined(user.submit({"command": "removal", "platform": "../../etc"}))
    assert "hvor ligger indholdet?" in seen


def test_strafbart_shows_the_law(user: TeamsUser, new_user) -> None:
    turn = user.say("Er det strafbart?")
    only_valid_cards(turn)
    seen = joined(turn)
    for section in ("§ 119 a", "§ 266", "§ 267", "§ 275", "§ 264 d", "§ 242"):
        assert section in seen, section
    assert "Jura" in seen and "tilhold" in seen
    english = joined(new_user(locale="en-US").say("is it a crime"))
    assert "§ 119 a" in english and "restraining order" in english


# --- my cases -----------------------------------------------------------------------------------------------------


def test_my_cases_lists_the_case_the_user_reported(bot, user: TeamsUser) -> None:
    reference = report_and_send(user)
    turn = user.say("mine sager")
    only_valid_cards(turn)
    seen = joined(turn)
    assert reference in seen
    assert "Hos Organisation og Personale – venter på en leder" in seen  # `user` is in no unit: HR's intake has it

    [status_data] = submitted_data(turn, "case_status")
    assert status_data["case_id"] == case_id_of(bot, reference)
    turn = user.submit(status_data)
    only_valid_cards(turn)
    seen = joined(turn)
    assert f"Din sag {reference}" in seen
    assert "Tilføj bevis eller note" in seen and "Skriv din leders navn" in seen
    assert CRISIS_LINE in seen


def test_a_stranger_does_not_see_someone_elses_case(bot, user: TeamsUser, new_user) -> None:
    reference = report_and_send(user)
    stranger = new_user(name="Sune Fremmed")
    seen = joined(stranger.say("mine sager"))
    assert reference not in seen
    assert "ingen sager" in seen
    case_id = case_id_of(bot, reference)
    seen = joined(stranger.submit({"command": "case_status", "case_id": case_id}))
    assert reference not in seen and "kan ikke finde" in seen
    before = len(evidence_items(bot, case_id))
    seen = joined(stranger.submit({"command": "add_evidence", "case_id": case_id}))
    assert reference not in seen
    stranger.say("Det her er ikke min sag")
    assert len(evidence_items(bot, case_id)) == before


def test_a_cancelled_report_with_evidence_shows_as_a_draft(user: TeamsUser) -> None:
    answer_until(user, "evidence")
    user.submit({"q": "evidence", "answer": "text", "pasted_text": "SMS: Jeg ved hvor du bor."})
    user.say("annuller")
    seen = joined(user.say("mine sager"))
    assert "Kladde" in seen and "1 bevis gemt" in seen


def test_evidence_and_a_note_added_later_are_stored_and_the_leader_is_told(
    bot, organisation, new_user, connector, file_server: FileServer
) -> None:
    reported = report_case(organisation, new_user, connector)
    employee, case_id = reported.employee, reported.case_id
    before = {item.evidence_id for item in evidence_items(bot, case_id)}

    turn = employee.say("mine sager")
    [status_data] = submitted_data(turn, "case_status")
    [add_data] = submitted_data(employee.submit(status_data), "add_evidence")
    turn = employee.submit(add_data)
    only_valid_cards(turn)
    assert "Tilføj til sag" in joined(turn)

    screenshot = png_screenshot(shade=33)
    url = file_server.add(f"/personal/{uuid.uuid4().hex}/ny-kommentar.png", screenshot, "image/png")
    seen = joined(employee.send_files([("ny-kommentar.png", url)]))
    assert hashlib.sha256(screenshot).hexdigest()[:12] in seen
    note = "I aftes kom der en ny kommentar under opslaget."
    seen = joined(employee.submit({"q": "add_evidence", "case_id": case_id, "answer": "note", "note": note}))
    assert hashlib.sha256(note.encode()).hexdigest()[:12] in seen

    leader_mark = connector.mark()
    seen = joined(employee.say("færdig"))
    assert "2 nye beviser eller noter" in seen

    added = [item for item in evidence_items(bot, case_id) if item.evidence_id not in before]
    assert {item.sha256 for item in added} == {
        hashlib.sha256(screenshot).hexdigest(),
        hashlib.sha256(note.encode()).hexdigest(),
    }
    assert {item.uploaded_by for item in added} == {employee.user_id}
    assert any(event.action == "evidence_added" for event in audit_events(bot, case_id))
    notices = connector.wait_for_activities(reported.leader.conversation_id, 1, since=leader_mark)
    assert "nye beviser eller noter" in joined(notices)

    # The dialog is over: the next message is the menu again, not a note.
    employee.say("hej")
    assert len(evidence_items(bot, case_id)) == len(before) + 2


def test_pressing_a_menu_button_ends_adding_without_storing_it(bot, user: TeamsUser) -> None:
    reference = report_and_send(user)
    case_id = case_id_of(bot, reference)
    before = len(evidence_items(bot, case_id))
    user.submit({"command": "add_evidence", "case_id": case_id})
    turn = user.submit({"command": "law"})
    assert "§ 119 a" in joined(turn)
    assert len(evidence_items(bot, case_id)) == before


def test_the_employee_sees_in_my_cases_who_opened_their_case_and_its_evidence(
    bot, organisation, new_user, connector
) -> None:
    reported = report_case(organisation, new_user, connector, pasted_sms="SMS 22 33 44 55: Jeg ved hvor du bor")
    status = {"command": "case_status", "case_id": reported.case_id}
    assert "Ingen andre har åbnet din sag endnu." in joined(reported.employee.submit(status))
    data = {"case_id": reported.case_id, "version": reported.version}
    for _ in range(2):
        reported.leader.execute("refresh", data)  # Teams refreshing the card: not an opening
    reported.leader.execute("evidence", data)
    reported.deputy.execute("evidence", data)

    turn = reported.employee.submit(status)
    only_valid_cards(turn)
    seen = joined(turn)
    assert "Hvem har åbnet din sag" in seen
    assert f"{reported.unit.leader.name} (leder) åbnede beviserne" in seen
    assert f"{reported.unit.deputy.name} (stedfortræder) åbnede beviserne" in seen
    assert seen.count("åbnede") == 2  # the refreshes and the employee's own views are not listed
    for member in (reported.unit.leader, reported.unit.deputy):
        assert member.aad_object_id not in seen and member.teams_user_id not in seen


def test_a_file_sent_after_filing_lands_in_the_open_case_and_the_leader_is_told(
    bot, organisation, new_user, connector, file_server: FileServer
) -> None:
    reported = report_case(organisation, new_user, connector)
    employee, case_id = reported.employee, reported.case_id
    before = {item.evidence_id for item in evidence_items(bot, case_id)}
    screenshot = png_screenshot(shade=61)
    url = file_server.add(f"/personal/{uuid.uuid4().hex}/ny-besked.png", screenshot, "image/png")

    leader_mark = connector.mark()
    seen = joined(employee.send_files([("ny-besked.png", url)]))
    digest = hashlib.sha256(screenshot).hexdigest()
    assert digest[:12] in seen and "1 nyt bevis eller note er gemt i sag" in seen
    assert "akut fare" not in seen and "Jeg har modtaget din fil" not in seen  # no new report

    [added] = [item for item in evidence_items(bot, case_id) if item.evidence_id not in before]
    assert added.sha256 == digest and added.uploaded_by == employee.user_id
    assert any(event.action == "evidence_added" for event in audit_events(bot, case_id))
    notices = connector.wait_for_activities(reported.leader.conversation_id, 1, since=leader_mark)
    assert "nyt bevis eller note" in joined(notices)
    assert "akut fare" not in joined(employee.say("hej"))  # nothing is left running


def test_with_two_open_cases_a_file_sent_later_asks_which_case(
    bot, organisation, new_user, connector, file_server: FileServer
) -> None:
    first = report_case(organisation, new_user, connector)
    employee = first.employee
    answer_until(employee, "summary")
    employee.submit({"q": "summary", "answer": "confirm"})
    second_id = next(
        entry
        for entry in submitted_data(employee.say("mine sager"), "case_status")
        if entry["case_id"] != first.case_id
    )["case_id"]
    screenshot = png_screenshot(shade=77)
    url = file_server.add(f"/personal/{uuid.uuid4().hex}/svar.png", screenshot, "image/png")

    turn = employee.send_files([("svar.png", url)])
    only_valid_cards(turn)
    assert "Hvilken sag hører det til?" in joined(turn)
    choices = [a["data"] for a in actions(turn) if a.get("data", {}).get("q") == "which_case"]
    assert {choice["case_id"] for choice in choices} == {first.case_id, second_id}
    assert hashlib.sha256(screenshot).hexdigest() not in {item.sha256 for item in evidence_items(bot, second_id)}

    assert "Vælg sagen på kortet" in joined(employee.say("hmm"))
    seen = joined(employee.submit(next(choice for choice in choices if choice["case_id"] == second_id)))
    assert hashlib.sha256(screenshot).hexdigest()[:12] in seen
    assert hashlib.sha256(screenshot).hexdigest() in {item.sha256 for item in evidence_items(bot, second_id)}
    assert hashlib.sha256(screenshot).hexdigest() not in {item.sha256 for item in evidence_items(bot, first.case_id)}


def test_a_draft_is_continued_from_my_cases_and_filed_with_its_evidence(
    bot, user: TeamsUser, file_server: FileServer
) -> None:
    screenshot = png_screenshot(shade=101)
    url = file_server.add(f"/personal/{uuid.uuid4().hex}/opslag.png", screenshot, "image/png")
    answer_until(user, "kinds")
    user.send_files([("opslag.png", url)])  # secured at the kinds question
    user.submit({"q": "kinds", "kinds": "threats,mockery"})
    assert "Det bevis, du sendte" in joined(user.say("annuller")) and "Kladde" in joined(user.say("mine sager"))
    [draft_id] = [case.case_id for case in cases_reported_by(bot, user.user_id)]

    [open_draft] = submitted_data(user.say("mine sager"), "case_status")
    turn = user.submit(open_draft)
    only_valid_cards(turn)
    assert "Fortsæt og send" in joined(turn) and "Slet kladden" in joined(turn)
    [go_on] = submitted_data(turn, "continue_draft")
    seen = joined(user.submit(go_on))
    assert "fortsætter med din kladde" in seen and "akut fare" in seen  # the safety question first, again
    turn = user.submit({"q": "safety", "answer": "no"})
    assert "arbejdstid" in joined(turn) or any(action.get("data", {}).get("q") == "context" for action in actions(turn))
    answer_from(user, "context")
    seen = joined(user.submit({"q": "summary", "answer": "confirm"}))
    reference = REFERENCE.search(seen)
    assert reference, seen

    case = case_with_reference(bot, reference.group())
    assert case.case_id == draft_id and case.status == "reported"
    assert [kind.value for kind in case.incident.kinds] == ["threats", "mockery"]  # kept from the draft
    assert [item.sha256 for item in case.evidence] == [hashlib.sha256(screenshot).hexdigest()]
    if "din leders navn" in seen:
        user.say("annuller")
    assert "Kladde" not in joined(user.say("mine sager"))


def test_continue_on_a_draft_without_a_case_id_starts_no_new_report(bot, user: TeamsUser) -> None:
    """A "Fortsæt" whose case id is missing or not text (a card's values are anyone's to forge) is a draft not
    found, never a fresh report in its place."""
    for value in ({"command": "continue_draft"}, {"command": "continue_draft", "case_id": ["x"]}):
        seen = joined(user.submit(value))
        assert "kan ikke finde den kladde" in seen and "Lad os registrere" not in seen
        assert "akut fare" not in joined(user.say("1"))  # no report runs: "1" is not an answer to anything
    assert cases_reported_by(bot, user.user_id) == []


def test_a_draft_is_deleted_with_its_evidence_after_asking_and_the_deletion_is_recorded(
    bot, user: TeamsUser, new_user
) -> None:
    answer_until(user, "evidence")
    user.submit({"q": "evidence", "answer": "text", "pasted_text": "SMS: Du skal passe på."})
    user.say("annuller")
    [draft_id] = [case.case_id for case in cases_reported_by(bot, user.user_id)]
    stranger = new_user(name="Sune Fremmed")
    assert "kan ikke finde den kladde" in joined(stranger.submit({"command": "delete_draft", "case_id": draft_id}))
    assert "kan ikke finde den kladde" in joined(
        stranger.submit({"command": "delete_draft", "case_id": draft_id, "confirmed": True})
    )
    assert evidence_items(bot, draft_id)

    [open_draft] = submitted_data(user.say("mine sager"), "case_status")
    [delete] = submitted_data(user.submit(open_draft), "delete_draft")
    turn = user.submit(delete)
    only_valid_cards(turn)
    assert "Slet kladden?" in joined(turn) and evidence_items(bot, draft_id)  # nothing deleted before yes
    [confirm] = [data for data in submitted_data(turn, "delete_draft") if data.get("confirmed")]
    assert "er slettet" in joined(user.submit(confirm))

    assert evidence_items(bot, draft_id) == []
    assert cases_reported_by(bot, user.user_id) == []
    [tombstone] = [
        json.loads(data) for key, data in documents_under(bot, "audit-deleted-cases/").items() if draft_id in key
    ]
    assert tombstone["rule"] == "draft_deleted_by_author" and user.user_id not in json.dumps(tombstone)
    assert "ingen sager" in joined(user.say("mine sager"))


def test_a_note_saved_from_the_add_evidence_card_after_adding_ended_is_stored(bot, user: TeamsUser) -> None:
    """The add-evidence card stays in the chat after "færdig": a note written in it and saved later is stored in
    the case (the dialog begins again with it), never dropped for the welcome card."""
    reference = report_and_send(user)
    case_id = case_id_of(bot, reference)
    before = len(evidence_items(bot, case_id))
    user.submit({"command": "add_evidence", "case_id": case_id})
    user.say("færdig")
    note = "Han skrev igen i nat."
    seen = joined(user.submit({"q": "add_evidence", "case_id": case_id, "answer": "note", "note": note}))
    assert hashlib.sha256(note.encode()).hexdigest()[:12] in seen and "Anmeld en krænkelse" not in seen
    assert len(evidence_items(bot, case_id)) == before + 1
    assert "1 nyt bevis eller note" in joined(user.say("færdig"))
