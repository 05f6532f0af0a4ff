"""The leader learns of a case at once, acts from the card, the employee sees progress, HR gets escalations.
Every action is authorized by role, refused when stale, and audited."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from datetime import date, timedelta

import pytest
import requests

from cards.validation import teams_card_problems
from storage.job_queue import MARKERS
from tests.e2e.leader_steps import LEADER_CARD_TIMEOUT, ReportedCase, execute_data, report_case, wait_for_card
from tests.e2e.report_walk import answer_from, answer_until
from tests.support.integrity import read_case
from tests.support.outbox_ids import outbox_id
from tests.support.stored import all_cases, audit_events, documents_under
from tests.support.teams import actions, card_elements, card_texts, cards, texts

TODAY = date.today().isoformat()
IN_A_MONTH = (date.today() + timedelta(days=30)).isoformat()
PRIVATE = "PRIVAT-LEDERNOTE-7731"

ACTIONS: list[tuple[str, dict[str, str]]] = [
    ("acknowledge", {}),
    ("first_aid", {"talked_through_on": TODAY, "colleagues_informed_on": TODAY, "debriefing_held": "true"}),
    ("contact_offender", {"method": "letter", "contacted_on": TODAY, "outcome": f"Brev sendt {PRIVATE}"}),
    ("restrictions", {"ban_until": IN_A_MONTH, "no_replies_to_mail_or_letters": "true", "limited_contact_hours": ""}),
    ("removal", {"link": "https://www.facebook.com/groups/1/posts/2", "platform": "Facebook", "status": "requested"}),
    (
        "police",
        {
            "employee_decided_to_report": "true",
            "reported_on": TODAY,
            "journal_number": "4100-1",
            "joint_report": "false",
        },
    ),
    ("safetynet", {"category": "minor_violence_threats_harassment", "registered_on": TODAY, "doctor_advised": "true"}),
    ("escalate_hr", {"function": "jura", "message": f"Hjælp til brevet {PRIVATE}"}),
    ("work_environment", {}),  # sent to the unit's arbejdsmiljøgruppe: the group records its analysis in the tab
    ("close", {"employee_informed": "true", "follow_up": "done", "reason": ""}),
]


@pytest.fixture
def reported(organisation, new_user, connector) -> ReportedCase:
    return report_case(organisation, new_user, connector)


def card_of(body: dict) -> dict:
    assert body["statusCode"] == 200, body
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    return body["value"]


def test_leader_gets_the_card_in_a_new_chat_at_once(reported: ReportedCase, connector) -> None:
    created = [c for c in connector.calls if c.method == "POST" and c.path.rstrip("/") == "/v3/conversations"]
    members = [m["id"] for call in created for m in call.body.get("members", [])]
    assert reported.unit.leader.teams_user_id in members
    seen = "\n".join(card_texts(reported.leader_card))
    assert "89 70 12 99" in seen
    assert "Kvittér" in seen
    assert teams_card_problems(reported.leader_card) == []
    refresh = reported.leader_card["refresh"]
    assert set(refresh["userIds"]) >= {reported.unit.leader.teams_user_id, reported.unit.employee.teams_user_id}


def test_every_leader_action_updates_the_card_tells_the_employee_and_is_audited(
    bot, reported: ReportedCase, connector, organisation, new_user
) -> None:
    version = reported.version
    employee_mark = connector.mark()
    for verb, inputs in ACTIONS:
        status, body = reported.leader.execute(verb, {"case_id": reported.case_id, "version": version, **inputs})
        assert status == 200
        card = card_of(body)
        assert teams_card_problems(card) == [], verb
        assert int(execute_data(card)["version"]) == version + 1, verb
        version += 1
    updates = connector.wait_for_activities(reported.employee.conversation_id, len(ACTIONS), since=employee_mark)
    employee_saw = "\n".join(texts(updates))
    assert PRIVATE not in employee_saw
    assert "Brev" not in employee_saw or "brev" in employee_saw.lower()

    case = next(c for c in all_cases(bot) if c.case_id == reported.case_id)
    assert case.status == "closed" and case.version == version
    handling = case.handling
    assert handling.acknowledged and handling.acknowledged.by == reported.unit.leader.teams_user_id
    assert handling.first_aid.debriefing_held
    assert handling.offender_contacts[0].method == "letter"
    assert handling.restrictions and handling.restrictions.no_replies_to_mail_or_letters
    assert handling.removals[0].status == "requested"
    assert handling.police and handling.police.journal_number == "4100-1"
    assert handling.safetynet and handling.safetynet.doctor_advised
    assert handling.hr_escalation and handling.hr_escalation.function == "jura"
    assert handling.closure and handling.closure.employee_informed

    events = audit_events(bot, reported.case_id)
    assert [event.action for event in events] == [verb for verb, _ in ACTIONS]
    assert {event.actor_id for event in events} == {reported.unit.leader.teams_user_id}
    assert {event.role for event in events} == {"leader"}
    assert all(event.correlation_id != "-" for event in events)


def test_hr_gets_a_card_on_escalation_and_may_then_act(
    reported: ReportedCase, organisation, connector, new_user
) -> None:
    hr = organisation.hr_jura
    hr_user = new_user(**hr.teams_details())
    data = {"case_id": reported.case_id, "version": reported.version}
    assert hr_user.execute("refresh", data)[1]["statusCode"] == 403  # not escalated yet: HR sees nothing
    mark = connector.mark()
    _status, body = reported.leader.execute("escalate_hr", {**data, "function": "jura", "message": "Hjælp til brev"})
    assert card_of(body)

    def hr_card_sent(_calls: list) -> list[dict]:
        sent = connector.activities(since=mark)
        to_hr = [
            a
            for a in sent
            if (a.get("recipient") or {}).get("aadObjectId") == hr.aad_object_id
            or (a.get("recipient") or {}).get("id") in (hr.aad_object_id, hr.teams_user_id)
        ]
        return [a for a in to_hr if reported.case_id in str(a)]

    assert connector.wait_for(hr_card_sent)
    _status, body = hr_user.execute("refresh", {**data, "version": reported.version + 1})
    hr_card = card_of(body)
    assert "Hjælp til brev" in "\n".join(card_texts(hr_card))
    _status, body = hr_user.execute("work_environment", {**data, "version": reported.version + 1})
    assert card_of(body)


def test_employee_sees_status_but_cannot_act(reported: ReportedCase) -> None:
    data = {"case_id": reported.case_id, "version": reported.version}
    status, body = reported.employee.execute("acknowledge", data)
    assert status == 200 and body["statusCode"] == 403
    assert body["type"] == "application/vnd.microsoft.error"
    status, body = reported.employee.execute("refresh", data)
    seen = "\n".join(card_texts(card_of(body)))
    assert "Kvittér" not in seen and "89 70 12 99" in seen


def test_stranger_learns_nothing_and_changes_nothing(bot, reported: ReportedCase, organisation, new_user) -> None:
    other = organisation.next_unit()
    stranger = new_user(**other.leader.teams_details())
    for verb in ("refresh", "acknowledge", "close"):
        status, body = stranger.execute(verb, {"case_id": reported.case_id, "version": reported.version})
        assert status == 200 and body["statusCode"] == 403, verb
        assert reported.case_id not in str(body)
    unknown = stranger.execute("refresh", {"case_id": "0" * 32, "version": 1})[1]
    assert unknown["statusCode"] == 403 and unknown["value"]["message"] == body["value"]["message"]
    # nothing changed: the case's audit log holds only the three refusals (who tried: tests/e2e/test_identity.py)
    assert [event.action for event in audit_events(bot, reported.case_id)] == ["refused"] * 3


def test_forged_and_malformed_invokes_are_refused(reported: ReportedCase) -> None:
    for data in (
        {"case_id": "../../etc/passwd", "version": 1},
        {"case_id": reported.case_id},
        {"case_id": reported.case_id, "version": "abc"},
        {"case_id": 42, "version": 1},
    ):
        status, body = reported.leader.execute("acknowledge", data)
        assert status == 200 and body["statusCode"] == 400, data
    status, body = reported.leader.invoke("adaptiveCard/action", {"action": "not a dict"})
    assert body["statusCode"] == 400
    status, body = reported.leader.execute("delete_everything", {"case_id": reported.case_id, "version": 1})
    assert body["statusCode"] == 400


def test_invalid_input_gets_a_clear_message_and_changes_nothing(bot, reported: ReportedCase) -> None:
    data = {"case_id": reported.case_id, "version": reported.version}
    _status, body = reported.leader.execute("close", {**data, "employee_informed": "false", "follow_up": "done"})
    assert body["statusCode"] == 400 and body["value"]["message"]
    assert audit_events(bot, reported.case_id) == []


def test_stop_check_ins_with_a_bad_day_is_refused_before_anything_is_stored(bot, reported: ReportedCase) -> None:
    """`day` comes from the check-in card; a forged one ("²" is a digit to str.isdigit, not to int) is a 400."""
    data = {"case_id": reported.case_id, "version": reported.version}
    for day in ("²", "9" * 5000, "0", "367", -3, True, [3], " 3", "٣", 2.5):
        status, body = reported.employee.execute("stop_check_ins", {**data, "day": day})
        assert status == 200 and body["statusCode"] == 400, repr(day)[:20]
        assert body["value"]["message"], repr(day)[:20]
    stored = read_case(bot, reported.case_id)
    assert stored.handling.check_ins_stopped is None and stored.version == reported.version
    assert audit_events(bot, reported.case_id) == []
    status, body = reported.employee.execute("stop_check_ins", {**data, "day": 3})
    assert status == 200 and card_of(body)
    assert read_case(bot, reported.case_id).handling.check_ins_stopped is not None


def test_a_stale_card_is_refreshed_not_applied(bot, reported: ReportedCase) -> None:
    data = {"case_id": reported.case_id, "version": reported.version}
    assert card_of(reported.leader.execute("acknowledge", data)[1])
    _status, body = reported.leader.execute("first_aid", {**data, "talked_through_on": TODAY})
    fresh = card_of(body)
    assert int(execute_data(fresh)["version"]) == reported.version + 1
    assert [event.action for event in audit_events(bot, reported.case_id)] == ["acknowledge"]


def test_leader_and_deputy_acting_at_once_lose_no_update(bot, reported: ReportedCase) -> None:
    data = {"case_id": reported.case_id, "version": reported.version}
    results: dict[str, dict] = {}

    def act(name: str, person, verb: str, inputs: dict) -> None:
        results[name] = person.execute(verb, {**data, **inputs})[1]

    threads = [
        threading.Thread(target=act, args=("leader", reported.leader, "acknowledge", {})),
        threading.Thread(target=act, args=("deputy", reported.deputy, "first_aid", {"talked_through_on": TODAY})),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    versions = {name: int(execute_data(card_of(body))["version"]) for name, body in results.items()}
    assert set(versions.values()) == {reported.version + 1}
    events = audit_events(bot, reported.case_id)
    assert len(events) == 1
    case = next(c for c in all_cases(bot) if c.case_id == reported.case_id)
    assert case.version == reported.version + 1


def test_deputy_can_act_on_the_case(bot, reported: ReportedCase) -> None:
    data = {"case_id": reported.case_id, "version": reported.version}
    assert card_of(reported.deputy.execute("acknowledge", data)[1])
    assert [event.role for event in audit_events(bot, reported.case_id)] == ["deputy"]


def test_two_confirms_of_one_report_at_once_make_one_case_and_one_leader_card_with_its_reference(
    bot, organisation, new_user, connector
) -> None:
    """A stressed double tap that reaches the bot as two turns at the same moment: the case is stored once, and
    the leader's one card carries the stored case's reference. (The order that guarantees it, the card only
    after the stored case, is pinned by tests/unit/test_report_submit.py; this race is rarely that close.)"""
    unit = organisation.next_unit()
    leader = new_user(**unit.leader.teams_details())
    employee = new_user(**unit.employee.teams_details())
    mark = connector.mark()
    answer_until(employee, "evidence")
    employee.submit({"q": "evidence", "answer": "done"})
    confirm = json.dumps(employee.activity(value={"q": "summary", "answer": "confirm"})).encode()
    statuses: list[int] = []
    barrier = threading.Barrier(2)

    def tap() -> None:
        barrier.wait(5)
        statuses.append(
            requests.post(
                employee.messages_url, data=confirm, headers={"Content-Type": "application/json"}, timeout=30
            ).status_code
        )

    taps = [threading.Thread(target=tap) for _ in range(2)]
    for thread in taps:
        thread.start()
    for thread in taps:
        thread.join(timeout=30)

    assert len(statuses) == 2 and all(200 <= status < 300 for status in statuses)
    card = wait_for_card(connector, leader, mark)
    stored = [case for case in all_cases(bot) if case.subject.user_id == employee.user_id]
    assert len(stored) == 1
    assert stored[0].reference in "\n".join(card_texts(card))
    time.sleep(1.0)  # a second card would be delivered by now
    assert len(cards(connector.activities(leader.conversation_id, since=mark))) == 1


def _delivered(connector, notification_id: str) -> dict:
    def found(calls: list) -> dict | None:
        hits = [c for c in calls if c.succeeded and outbox_id(c) == notification_id]
        return hits[0].body if hits else None

    return connector.wait_for(found, LEADER_CARD_TIMEOUT)


def test_unknown_leader_hr_holds_the_case_until_the_employee_names_one(bot, organisation, new_user, connector) -> None:
    """No leader in the directory: HR's intake gets the case at once and the employee is told so (not that their
    leader was told); after "annuller" it stays with HR; from "Mine sager" the employee names the leader, who gets
    the card, and HR hears who has it."""
    unit = organisation.next_unit()
    leader = new_user(**unit.leader.teams_details())
    outsider = new_user(name=organisation.unlisted.name)
    intake, not_intake = organisation.hr_coordinator, organisation.hr_jura  # HR_INTAKE_FUNCTION: the coordinator
    mark = connector.mark()
    answer_until(outsider, "summary")
    seen = "\n".join(texts(outsider.submit({"q": "summary", "answer": "confirm"})))
    assert "Organisation og Personale" in seen and "din leder får besked" not in seen
    assert "Kender du din leders navn" in seen
    case = next(c for c in all_cases(bot) if c.subject.user_id == outsider.user_id)
    hr_card = _delivered(connector, f"{case.case_id}-no-leader-hr-{intake.aad_object_id}")
    hr_text = "\n".join(card_texts(hr_card["attachments"][0]["content"]))
    assert case.reference in hr_text and "ingen leder" in hr_text
    assert not [c for c in connector.calls[mark:] if outbox_id(c).endswith(not_intake.aad_object_id)]

    assert "fandt ingen" in "\n".join(texts(outsider.say("Xyzzy Ukendt")))
    assert "ligger hos Organisation og Personale" in "\n".join(texts(outsider.say("annuller")))

    status = outsider.submit({"command": "case_status", "case_id": case.case_id})
    assert "Organisation og Personale" in "\n".join(texts(status))
    [name_it] = [a for a in actions(status) if a.get("data", {}).get("command") == "name_leader"]
    assert "Kender du din leders navn" in "\n".join(texts(outsider.submit(name_it["data"])))
    offered = actions(outsider.say(unit.leader.name))
    chosen = next(action for action in offered if action["title"] == unit.leader.name)
    assert unit.leader.name in "\n".join(texts(outsider.submit(chosen["data"])))
    card = wait_for_card(connector, leader, mark)
    assert "Kvittér" in "\n".join(card_texts(card))
    told = _delivered(connector, f"{case.case_id}-leader-named-{intake.aad_object_id}")
    assert unit.leader.name in told["text"] and case.reference in told["text"]
    again = outsider.submit(name_it["data"])  # an old button: the case has a leader now, so it offers a change
    assert f"Din sag er hos {unit.leader.name}" in "\n".join(texts(again))
    assert "bliver hos din leder" in "\n".join(texts(outsider.say("annuller")))
    stored = next(c for c in all_cases(bot) if c.case_id == case.case_id)
    assert stored.leader is not None and stored.unit_id == unit.unit_id  # the overview files it under the unit
    for forged in ("../../etc", "x" * 300, case.case_id[::-1]):  # not a case of theirs, or not an id at all
        refused = outsider.submit({"command": "name_leader", "case_id": forged})
        assert "kan ikke finde den sag" in "\n".join(texts(refused))


def test_the_leaders_copy_of_the_card_is_updated_in_place_when_the_deputy_acts(
    reported: ReportedCase, connector
) -> None:
    mark = connector.mark()
    data = {"case_id": reported.case_id, "version": reported.version}
    assert card_of(reported.deputy.execute("acknowledge", data)[1])

    def leader_card_updated(calls: list) -> list:
        return [c for c in calls[mark:] if c.method == "PUT" and reported.leader.conversation_id in c.path]

    update = connector.wait_for(leader_card_updated)[0]
    card = update.body["attachments"][0]["content"]
    assert int(execute_data(card)["version"]) == reported.version + 1


def test_leader_opens_the_evidence_through_the_bot_and_every_read_is_audited(
    bot, organisation, new_user, connector
) -> None:
    sms = "SMS 22 33 44 55: Jeg ved hvor du bor"
    reported = report_case(organisation, new_user, connector, pasted_sms=sms)
    data = {"case_id": reported.case_id, "version": reported.version}
    assert any(a.get("verb") == "evidence" for a in actions([reported.leader_card]))
    opened = "\n".join(card_texts(card_of(reported.leader.execute("evidence", data)[1])))
    assert sms in opened
    assert hashlib.sha256(sms.encode()).hexdigest() in opened
    reads = [e for e in audit_events(bot, reported.case_id) if e.action == "evidence_read"]
    assert len(reads) == 1 and reads[0].actor_id == reported.unit.leader.teams_user_id and reads[0].detail
    assert reported.employee.execute("evidence", data)[1]["statusCode"] == 403
    stranger = new_user(**organisation.next_unit().employee.teams_details())
    assert stranger.execute("evidence", data)[1]["statusCode"] == 403
    assert len([e for e in audit_events(bot, reported.case_id) if e.action == "evidence_read"]) == 1


def test_work_environment_group_gets_an_anonymised_summary(reported: ReportedCase, connector, new_user) -> None:
    amr = new_user(**reported.unit.colleague.teams_details())
    mark = connector.mark()
    data = {"case_id": reported.case_id, "version": reported.version}
    assert card_of(reported.leader.execute("work_environment", data)[1])
    card = wait_for_card(connector, amr, mark)
    seen = "\n".join(card_texts(card))
    assert "arbejdsmiljøgruppen" in seen and "anonymiserede" in seen
    for private in ("Jens Hansen", "inkompetent", "facebook.com", reported.unit.employee.name):
        assert private not in seen


def test_an_english_speaking_leader_gets_the_card_in_english_and_the_employee_stays_danish(
    organisation, new_user, connector
) -> None:
    """Cards follow the reader's own Teams language (their last message), not the employee's."""
    unit = organisation.next_unit()
    leader = new_user(**unit.leader.teams_details(), locale="en-GB")
    leader.say("hello")  # Værn now knows the leader's language
    employee = new_user(**unit.employee.teams_details())
    mark = connector.mark()
    answer_until(employee, "evidence")
    employee.submit({"q": "evidence", "answer": "done"})
    receipt = "\n".join(texts(employee.submit({"q": "summary", "answer": "confirm"})))
    assert "Din sag er oprettet" in receipt
    shown = "\n".join(card_texts(wait_for_card(connector, leader, mark)))
    assert "An employee has been harassed online" in shown and "En medarbejder er blevet krænket" not in shown


def test_hr_gives_a_leaderless_case_to_a_leader_and_later_to_another(bot, organisation, new_user, connector) -> None:
    """HR's intake holds a case with no leader; from its card it gives the case to a leader by name (an unknown or
    ambiguous name is refused kindly), who gets the case card; the employee hears who has it. Given on to another
    leader, the first is told they are done, and only the new one may act."""
    first_unit, second_unit = organisation.next_unit(), organisation.next_unit()
    first, second = new_user(**first_unit.leader.teams_details()), new_user(**second_unit.leader.teams_details())
    employee = new_user(name=organisation.unlisted.name)
    hr = new_user(**organisation.hr_coordinator.teams_details())
    mark = connector.mark()
    answer_until(employee, "summary")
    employee.submit({"q": "summary", "answer": "confirm"})
    case = next(c for c in all_cases(bot) if c.subject.user_id == employee.user_id and c.leader is None)
    hr_card = _delivered(connector, f"{case.case_id}-no-leader-hr-{hr.aad_object_id}")["attachments"][0]["content"]
    assert any(a.get("title") == "Giv sagen til en anden leder" for a in actions([hr_card]))
    data = {"case_id": case.case_id, "version": execute_data(hr_card)["version"]}
    reason = {"reassign_reason": "Medarbejderen arbejder i Afdeling"}

    for name, told in (("Leder", "Flere i organisationen"), ("Xyzzy Ukendt", "ingen leder med det navn")):
        status, body = hr.execute("hr_reassign", {**data, **reason, "leader_name": name})
        assert status == 200 and body["statusCode"] == 400 and told in body["value"]["message"]
    assert (
        employee.execute("hr_reassign", {**data, **reason, "leader_name": first_unit.leader.name})[1]["statusCode"]
        == 403
    ), "only HR gives a case to a leader"

    status, body = hr.execute("hr_reassign", {**data, **reason, "leader_name": first_unit.leader.name})
    assert status == 200 and body["statusCode"] == 200
    assert first_unit.leader.name in "\n".join(card_texts(card_of(body)))
    card = wait_for_card(connector, first, mark)
    assert "Kvittér" in "\n".join(card_texts(card))
    told = _delivered(connector, f"{case.case_id}-v{int(data['version']) + 1}-employee")
    assert first_unit.leader.name in told["text"] and "ny leder" in told["text"]

    mark = connector.mark()
    version = int(data["version"]) + 1
    data = {"case_id": case.case_id, "version": version, "leader_name": second_unit.leader.name}
    assert hr.execute("hr_reassign", {**data, **reason})[1]["statusCode"] == 200
    wait_for_card(connector, second, mark)
    before = _delivered(connector, f"{case.case_id}-v{version + 1}-leader-before")
    assert second_unit.leader.name in before["text"] and "ikke gøre mere" in before["text"]
    assert first.execute("acknowledge", {"case_id": case.case_id, "version": version + 1})[1]["statusCode"] == 403
    assert second.execute("acknowledge", {"case_id": case.case_id, "version": version + 1})[1]["statusCode"] == 200
    stored = next(c for c in all_cases(bot) if c.case_id == case.case_id)
    assert stored.leader is not None and stored.leader.aad_object_id == second_unit.leader.aad_object_id
    assert stored.unit_id == second_unit.unit_id and len(stored.handling.leader_changes) == 2
    assert [e.action for e in audit_events(bot, case.case_id)].count("hr_reassign") == 2


def test_the_employee_gives_the_case_to_another_leader_from_mine_sager(bot, organisation, new_user, connector) -> None:
    """From "Mine sager" the employee changes the leader: the new leader gets the case card, the one before is
    told they are done and may no longer act; the change is signed by the employee and audited."""
    reported = report_case(organisation, new_user, connector)
    other_unit = organisation.next_unit()
    other = new_user(**other_unit.leader.teams_details())
    employee, case_id = reported.employee, reported.case_id
    status = employee.submit({"command": "case_status", "case_id": case_id})
    [change] = [a for a in actions(status) if a.get("title") == "Skift leder"]
    assert reported.unit.leader.name in "\n".join(texts(employee.submit(change["data"])))
    offered = actions(employee.say(other_unit.leader.name))
    chosen = next(action for action in offered if action["title"] == other_unit.leader.name)
    mark = connector.mark()
    assert "din tidligere leder får besked" in "\n".join(texts(employee.submit(chosen["data"])))

    card = wait_for_card(connector, other, mark)
    assert "Kvittér" in "\n".join(card_texts(card))
    version = reported.version + 1
    before = _delivered(connector, f"{case_id}-v{version}-leader-before")
    assert other_unit.leader.name in before["text"] and "medarbejderen har bedt om" in before["text"]
    assert reported.leader.execute("acknowledge", {"case_id": case_id, "version": version})[1]["statusCode"] == 403
    stored = next(c for c in all_cases(bot) if c.case_id == case_id)
    [change_record] = stored.handling.leader_changes
    assert (
        change_record.by == employee.user_id
        and change_record.to_leader.aad_object_id == other_unit.leader.aad_object_id
    )
    [event] = [e for e in audit_events(bot, case_id) if e.action == "choose_leader"]
    assert event.role == "subject"


def _close_form_fields(card: dict) -> set[str]:
    """The inputs of the close form (its Action.ShowCard) on a leadership card."""
    for action in actions([card]):
        if action.get("type") != "Action.ShowCard":
            continue
        inner = action["card"]
        if any(a.get("verb") == "close" for a in actions([inner])):
            return {element["id"] for element in card_elements(inner) if element["type"].startswith("Input.")}
    raise AssertionError("no close form on the card")


def test_closing_with_duties_undone_asks_for_reasons_and_the_leader_can_reopen(
    bot, reported: ReportedCase, connector
) -> None:
    duties = {"safetynet_reason", "first_aid_reason", "colleagues_reason", "work_environment_reason"}
    assert duties <= _close_form_fields(reported.leader_card)
    data = {"case_id": reported.case_id, "version": reported.version}
    close = {**data, "employee_informed": "true", "follow_up": "done"}

    _status, body = reported.leader.execute("close", close)
    assert (body["statusCode"] == 400 and "SafetyNet" in body["value"]["message"]) or body["value"]["message"]
    assert read_case(bot, reported.case_id).status == "reported" and audit_events(bot, reported.case_id) == []

    reasons = {field: f"Ikke gjort: {field} {PRIVATE}" for field in duties}
    card = card_of(reported.leader.execute("close", {**close, **reasons})[1])
    closed = read_case(bot, reported.case_id)
    assert closed.status == "closed" and closed.handling.closure is not None
    assert {r.duty.value for r in closed.handling.closure.duty_reasons} == {f.removesuffix("_reason") for f in duties}
    assert [a.get("verb") for a in actions([card]) if a.get("type") == "Action.Execute"][-1] == "reopen"

    mark = connector.mark()
    reopen = {**data, "version": closed.version, "reopen_reason": f"Nye opslag {PRIVATE}"}
    card = card_of(reported.leader.execute("reopen", reopen)[1])
    reopened = read_case(bot, reported.case_id)
    assert reopened.status == "reported" and reopened.handling.closure is None
    [reopening] = reopened.handling.reopenings
    assert reopening.closure is not None and len(reopening.closure.duty_reasons) == len(duties)
    assert duties <= _close_form_fields(card)  # open again: the duties and the close form are back
    assert [event.action for event in audit_events(bot, reported.case_id)] == ["close", "reopen"]
    # the employee hears it (never the leader's reasons), and the follow-ups of the new round are planned
    told = connector.wait_for_activities(reported.employee.conversation_id, 1, since=mark)
    seen = "\n".join(texts(told))
    assert "åbnet igen" in seen and PRIVATE not in seen
    planned = b"".join(documents_under(bot, MARKERS).values())  # the queue's record of every job it took
    assert f"{reported.case_id}.r1.check_in.1".encode() in planned


def test_a_new_report_about_the_same_offender_lets_the_employee_ask_the_leader_to_reopen_the_closed_case(
    bot, reported: ReportedCase, connector
) -> None:
    duties = ("safetynet_reason", "first_aid_reason", "colleagues_reason", "work_environment_reason")
    close = {"case_id": reported.case_id, "version": reported.version, "employee_informed": "true"}
    card_of(
        reported.leader.execute("close", {**close, "follow_up": "done", **dict.fromkeys(duties, "Ikke relevant")})[1]
    )
    employee = reported.employee
    answer_until(employee, "evidence")
    employee.submit({"q": "evidence", "answer": "done"})
    receipt = employee.submit({"q": "summary", "answer": "confirm"})
    [ask] = [a for a in actions(receipt) if (a.get("data") or {}).get("command") == "ask_reopen"]
    assert ask["type"] == "Action.Submit" and ask["title"] == "Bed om at genåbne sagen"
    assert ask["data"]["case_id"] == reported.case_id

    mark = connector.mark()
    answer = "\n".join(texts(employee.submit(ask["data"])))
    assert "Din leder" in answer and "får besked" in answer
    told = connector.wait_for_activities(reported.leader.conversation_id, 2, since=mark)
    assert "beder om" in "\n".join(texts(told))
    [card] = [c for c in cards(told) if execute_data(c)["case_id"] == reported.case_id]
    assert teams_card_problems(card) == []
    assert [a.get("verb") for a in actions([card]) if a.get("type") == "Action.Execute"][-1] == "reopen"

    again = "\n".join(texts(employee.submit(ask["data"])))  # asked twice: told so, nothing sent again
    assert "Du bad om" in again
    assert [event.action for event in audit_events(bot, reported.case_id)] == ["close", "ask_reopen"]

    reopen = {"case_id": reported.case_id, "version": execute_data(card)["version"], "reopen_reason": "Igen"}
    card_of(reported.leader.execute("reopen", reopen)[1])
    assert read_case(bot, reported.case_id).status == "reported"
    time.sleep(0.5)
    after = connector.activities(reported.leader.conversation_id, since=mark)
    assert len([text for text in texts(after) if "beder om, at sag" in text]) == 1


def test_a_colleague_who_reported_cannot_choose_themselves_as_the_cases_leader(
    bot, organisation, new_user, connector
) -> None:
    """A colleague who reported on someone's behalf reads only what they uploaded: choosing a leader (the
    `choose_leader` action, forged with their own object id) must not make them the case's leader, with all its
    evidence. They are told kindly, and the case keeps its leader."""
    unit = organisation.next_unit()
    leader = new_user(**unit.leader.teams_details())
    colleague = new_user(**unit.colleague.teams_details())
    mark = connector.mark()
    colleague.submit({"command": "report"})
    colleague.submit({"q": "safety", "answer": "no"})
    colleague.submit({"q": "subject", "answer": "colleague", "colleague_name": "Anna Sagsbehandler"})
    answer_from(colleague, "kinds")
    colleague.submit({"q": "summary", "answer": "confirm"})
    card = wait_for_card(connector, leader, mark)
    data = execute_data(card)
    case_id = data["case_id"]
    forged = {"case_id": case_id, "version": data["version"], "leader_aad_object_id": colleague.aad_object_id}
    _activity, answer = colleague.execute("choose_leader", forged)
    assert answer["statusCode"] == 400
    assert "selv" in answer["value"]["message"]
    stored = next(c for c in all_cases(bot) if c.case_id == case_id)
    assert stored.leader is not None and stored.leader.aad_object_id == unit.leader.aad_object_id
    assert stored.handling.leader_changes == []
    assert colleague.execute("evidence", {"case_id": case_id, "version": data["version"]})[1]["statusCode"] == 403
