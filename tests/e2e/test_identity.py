"""Identity and tenant at the edge, over real HTTP: only Teams, only our tenant, every role by the Azure AD object
id alone, the employee's card naming no one else, HR on a need-to-know basis, and every refusal recorded with who
tried. (Real Bot Connector tokens for another channel or tenant: tests/e2e/test_authentication.py.)"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from domain.audit import REFUSED
from storage.audit import AuditLog
from tests.e2e.leader_steps import ReportedCase, report_case
from tests.support.bot_process import RunningBot
from tests.support.stored import all_cases, audit_events, documents_under, with_backend
from tests.support.teams import DEFAULT_TENANT_ID, TeamsUser

SMS = "SMS fra borgeren: jeg ved hvor du bor 4471"
FORBIDDEN = {"error": "forbidden"}


@pytest.fixture
def reported(organisation, new_user, connector) -> ReportedCase:
    return report_case(organisation, new_user, connector, pasted_sms=SMS)


def execute_value(verb: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"action": {"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "manual"}


def card_invoke(user: TeamsUser, verb: str, data: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return user.activity("invoke", name="adaptiveCard/action", value=execute_value(verb, data), **fields)


def without_aad(activity: dict[str, Any]) -> dict[str, Any]:
    activity["from"] = {key: value for key, value in activity["from"].items() if key != "aadObjectId"}
    return activity


def case_of(bot: RunningBot, case_id: str):
    return next(case for case in all_cases(bot) if case.case_id == case_id)


def stored_anywhere(bot: RunningBot, text: str) -> list[str]:
    """Keys of the stored documents that contain `text` (a person's id: every accepted turn stores at least their
    conversation reference)."""
    found = []
    for prefix in ("references/", "state/", "index/", "cases/", "assignments/"):
        found += [key for key, data in documents_under(bot, prefix).items() if text.encode() in data]
    return found


def log_lines(bot: RunningBot, since: int) -> list[dict[str, Any]]:
    text = bot.process.log_text()[since:]
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


# ---- only Teams ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", ["directline", "webchat", "emulator"])
def test_the_leaders_teams_id_from_another_channel_is_refused_at_the_edge(
    bot: RunningBot, reported: ReportedCase, new_user, channel: str
) -> None:
    """Another channel lets the client write `from` itself: the leader's Teams id and the attacker's name."""
    attacker = new_user(user_id=reported.unit.leader.teams_user_id, name="Mallory Angriber")
    data = {"case_id": reported.case_id, "version": reported.version}
    log_start = len(bot.process.log_text())
    for verb in ("evidence", "acknowledge"):
        turn = attacker.send(without_aad(card_invoke(attacker, verb, data, channelId=channel)), check=False)
        assert turn.status == 403 and turn.response.json() == FORBIDDEN, (verb, turn.response.text[:300])
        assert SMS not in turn.response.text and list(turn) == []
    assert case_of(bot, reported.case_id).handling.acknowledged is None
    assert audit_events(bot, reported.case_id) == []  # refused before the bot: nothing on the case
    refused = [line for line in log_lines(bot, log_start) if line["message"] == "activity refused: channel not allowed"]
    assert len(refused) == 2 and {line["channel_id"] for line in refused} == {channel}
    assert {line["from_id"] for line in refused} == {reported.unit.leader.teams_user_id}


def test_the_leaders_teams_id_without_aad_object_id_has_no_role(bot: RunningBot, reported: ReportedCase, new_user):
    """Over Teams too, a matching Teams id counts for nothing: roles come from from.aadObjectId alone."""
    attacker = new_user(user_id=reported.unit.leader.teams_user_id, name="Mallory Angriber")
    data = {"case_id": reported.case_id, "version": reported.version}
    for verb in ("evidence", "acknowledge", "refresh"):
        turn = attacker.send(without_aad(card_invoke(attacker, verb, data)), check=False)
        body = turn.response.json()
        assert turn.status == 200 and body["statusCode"] == 403, (verb, body)
        assert SMS not in turn.response.text and reported.case_id not in turn.response.text
    case = case_of(bot, reported.case_id)
    assert case.handling.acknowledged is None and case.version == reported.version
    events = audit_events(bot, reported.case_id)
    assert [event.action for event in events] == [REFUSED] * 3
    assert {event.actor_name for event in events} == {"Mallory Angriber"}
    assert {event.actor_aad_object_id for event in events} == {None}
    assert [event.detail for event in events] == [
        "evidence: no_aad_object_id",
        "acknowledge: no_aad_object_id",
        "refresh: no_aad_object_id",
    ]
    assert {event.role for event in events} == {"none"}


def test_the_employees_card_names_no_one_else(bot: RunningBot, reported: ReportedCase) -> None:
    employee_id = reported.unit.employee.teams_user_id
    leadership = [reported.unit.leader.teams_user_id, reported.unit.deputy.teams_user_id]
    leadership += [reported.unit.leader.aad_object_id, reported.unit.deputy.aad_object_id]
    body = reported.employee.execute("refresh", {"case_id": reported.case_id, "version": reported.version})[1]
    card = body["value"]
    assert card["refresh"]["userIds"] == [employee_id]
    assert not any(person in json.dumps(card) for person in leadership)
    turn = reported.employee.submit({"command": "case_status", "case_id": reported.case_id})
    [status_card] = [a["content"] for activity in turn for a in activity.get("attachments") or []]
    assert status_card["refresh"]["userIds"] == [employee_id]
    assert not any(person in json.dumps(status_card) for person in leadership)
    # the leader's own card still refreshes for the leader and the deputy
    leader_card = reported.leader.execute("refresh", {"case_id": reported.case_id, "version": reported.version})[1]
    assert set(leader_card["value"]["refresh"]["userIds"]) >= set(leadership[:2])


# ---- one tenant ------------------------------------------------------------------------------------------------


def test_activities_from_another_tenant_are_dropped_before_any_dialog(bot: RunningBot, new_user, connector) -> None:
    outsider = new_user(tenant_id=str(uuid.uuid4()), name="Udefra Bruger")
    log_start = len(bot.process.log_text())
    mark = connector.mark()
    attempts = [
        outsider.activity(text="anmeld"),
        outsider.activity(value={"command": "my_cases"}),
        card_invoke(outsider, "refresh", {"case_id": "0" * 32, "version": 1}),
        outsider.activity("conversationUpdate", membersAdded=[{"id": outsider.bot_id}]),
    ]
    for activity in attempts:
        turn = outsider.send(activity, check=False)
        assert turn.status == 403 and turn.response.json() == FORBIDDEN, turn.response.text[:300]
    assert connector.activities(outsider.conversation_id, since=mark) == []
    assert stored_anywhere(bot, outsider.user_id) == []
    refused = [line for line in log_lines(bot, log_start) if line["message"] == "activity refused: tenant not allowed"]
    assert len(refused) == len(attempts)
    assert {line["tenant_id"] for line in refused} == {outsider.tenant_id}
    assert {line["from_aad_object_id"] for line in refused} == {outsider.aad_object_id}


def test_a_tenant_must_be_named_and_named_the_same_everywhere(bot: RunningBot, new_user) -> None:
    insider = new_user()
    mixed = insider.activity(text="anmeld")
    mixed["conversation"]["tenantId"] = str(uuid.uuid4())  # channelData says ours, the conversation another
    unnamed = insider.activity(text="anmeld", channelData={})
    unnamed["conversation"].pop("tenantId")
    for activity in (mixed, unnamed):
        turn = insider.send(activity, check=False)
        assert turn.status == 403 and list(turn) == []
    assert stored_anywhere(bot, insider.user_id) == []
    assert insider.say("hej").status in (200, 201)  # the same person from our tenant is served
    assert stored_anywhere(bot, insider.user_id) != []  # and the check above would have seen it
    assert insider.tenant_id == DEFAULT_TENANT_ID


# ---- HR need-to-know -------------------------------------------------------------------------------------------


def test_hr_sees_a_case_only_when_it_went_to_their_function(
    bot: RunningBot, reported: ReportedCase, organisation, new_user
) -> None:
    data = {"case_id": reported.case_id, "version": reported.version}
    body = reported.leader.execute("escalate_hr", {**data, "function": "jura", "message": "Hjælp til brevet"})[1]
    assert body["statusCode"] == 200
    data["version"] += 1
    coordinator = new_user(**organisation.hr_coordinator.teams_details())
    for verb, inputs in (("refresh", {}), ("evidence", {}), ("hr_advice", {"text": "Ring til politiet"})):
        status, body = coordinator.execute(verb, {**data, **inputs})
        assert status == 200 and body["statusCode"] == 403, (verb, body)
        assert SMS not in json.dumps(body) and "Hjælp til brevet" not in json.dumps(body)
    jura = new_user(**organisation.hr_jura.teams_details())
    assert jura.execute("refresh", data)[1]["statusCode"] == 200
    evidence = jura.execute("evidence", data)[1]
    assert evidence["statusCode"] == 200 and SMS in json.dumps(evidence, ensure_ascii=False)
    refused = [event for event in audit_events(bot, reported.case_id) if event.action == REFUSED]
    assert [event.detail for event in refused] == ["refresh: no_role", "evidence: no_role", "hr_advice: no_role"]
    assert {event.actor_aad_object_id for event in refused} == {organisation.hr_coordinator.aad_object_id}


# ---- who tried -------------------------------------------------------------------------------------------------


def test_refused_views_and_actions_are_logged_and_audited_with_who_tried(
    bot: RunningBot, reported: ReportedCase, organisation, new_user
) -> None:
    stranger = new_user(**organisation.next_unit().leader.teams_details())
    log_start = len(bot.process.log_text())
    data = {"case_id": reported.case_id, "version": reported.version}
    for verb in ("refresh", "evidence", "acknowledge"):
        assert stranger.execute(verb, data)[1]["statusCode"] == 403
    unknown_id = uuid.uuid4().hex
    assert stranger.execute("refresh", {"case_id": unknown_id, "version": 1})[1]["statusCode"] == 403
    # the employee may see the case but not act on it as the leader: refused too, in their role
    assert reported.employee.execute("close", {**data, "employee_informed": "true"})[1]["statusCode"] == 403
    # "Mine sager" for someone else's case: the same "not found" as before, and recorded
    turn = stranger.submit({"command": "case_status", "case_id": reported.case_id})
    assert reported.case_id not in json.dumps(list(turn)) and SMS not in json.dumps(list(turn))

    events = audit_events(bot, reported.case_id)
    assert [(event.action, event.detail) for event in events] == [
        (REFUSED, "refresh: no_role"),
        (REFUSED, "evidence: no_role"),
        (REFUSED, "acknowledge: no_role"),
        (REFUSED, "close: not_allowed"),
        (REFUSED, "case_status: no_role"),
    ]
    by_stranger, by_employee = [*events[:3], events[4]], events[3]
    assert {(e.actor_id, e.actor_aad_object_id, e.actor_name) for e in by_stranger} == {
        (stranger.user_id, stranger.aad_object_id, stranger.name)
    }
    assert {e.tenant_id for e in events} == {DEFAULT_TENANT_ID}
    assert {e.role for e in by_stranger} == {"none"} and by_employee.role == "reporter,subject"
    assert all(event.correlation_id != "-" for event in events)

    unknown = with_backend(bot, lambda backend: AuditLog(backend.documents).unknown_case_events())
    mine = [event for event in unknown if event.case_id == unknown_id]
    assert len(mine) == 1 and mine[0].actor_aad_object_id == stranger.aad_object_id
    assert mine[0].detail == "refresh: unknown_case" and mine[0].tenant_id == DEFAULT_TENANT_ID

    lines = [line for line in log_lines(bot, log_start) if line["message"] == "refused"]
    assert [(line["what"], line["reason"]) for line in lines] == [
        ("refresh", "no_role"),
        ("evidence", "no_role"),
        ("acknowledge", "no_role"),
        ("refresh", "unknown_case"),
        ("close", "not_allowed"),
        ("case_status", "no_role"),
    ]
    assert {line["actor_aad_object_id"] for line in [*lines[:4], lines[5]]} == {stranger.aad_object_id}
    assert {line["tenant_id"] for line in lines} == {DEFAULT_TENANT_ID}
