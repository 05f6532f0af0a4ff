"""Case packages through the real bot: the leader's "package" button and the employee's "politipakke" each
end in a file consent card; accepting uploads a ZIP that verifies, shows a file info card and is audited; the
police package holds no leadership notes; an accept from anyone but the requester uploads nothing."""

from __future__ import annotations

import uuid
import zipfile
from datetime import date
from pathlib import Path

import pytest

from tests.e2e.consent_steps import FILE_INFO, accept, consent_cards, decline, pdf_text, uploaded_file
from tests.e2e.leader_steps import ReportedCase, report_case
from tests.support.connector_stub import ConnectorStub
from tests.support.signing import verify
from tests.support.stored import all_cases, audit_events
from tests.support.teams import texts

PRIVATE = "PRIVAT-UDFALD-5150"
SMS = "SMS fra 22 33 44 55: Jeg ved hvor du bor på Ærø. Pas på dig selv."
TODAY = date.today().isoformat()


@pytest.fixture
def reported(organisation, new_user, connector) -> ReportedCase:
    return report_case(organisation, new_user, connector, pasted_sms=SMS)


def summary_text(package: Path) -> str:
    pdf = package.with_suffix(".pdf")
    with zipfile.ZipFile(package) as archive:
        pdf.write_bytes(archive.read("summary.pdf"))
    return pdf_text(pdf)


def test_leader_gets_the_case_package_from_the_card_in_their_chat(
    bot, reported: ReportedCase, connector: ConnectorStub, tmp_path: Path
) -> None:
    data = {"case_id": reported.case_id, "version": reported.version}
    status, body = reported.leader.execute("package", data)
    assert status == 200 and body["statusCode"] == 200
    assert body["type"] == "application/vnd.microsoft.activity.message" and body["value"]
    offered = consent_cards(reported.leader.last_turn or [])
    assert len(offered) == 1
    activity, card = offered[0]
    assert card["name"].startswith("Sagspakke-") and card["content"]["sizeInBytes"] > 0
    assert set(card["content"]["acceptContext"]) == {"package"}

    name = f"Sagspakke-{uuid.uuid4().hex[:8]}.zip"
    status, _ = accept(reported.leader, activity, card, connector, name)
    assert status == 200
    package = uploaded_file(connector, name, tmp_path)
    checked = verify(package, bot.package_public_key())
    assert checked.ok, checked.problems
    assert checked.organisation == "Silkeborg Kommune"
    with zipfile.ZipFile(package) as archive:
        evidence = [n for n in archive.namelist() if n.startswith("evidence/")]
        assert len(evidence) == 1 and archive.read(evidence[0]).decode() == SMS
    after = reported.leader.last_turn or []
    assert any(a.get("contentType") == FILE_INFO for activity in after for a in activity.get("attachments") or [])
    updated = [c for c in connector.calls if c.method == "PUT" and c.path.endswith(f"/activities/{activity['id']}")]
    assert updated, "the consent card is replaced once the package is delivered"
    actions = [(e.action, e.actor_id) for e in audit_events(bot, reported.case_id)]
    leader_id = reported.unit.leader.teams_user_id
    assert ("package_built", leader_id) in actions and ("package_delivered", leader_id) in actions


def test_employee_gets_a_police_package_without_leadership_notes(
    bot, reported: ReportedCase, connector: ConnectorStub, tmp_path: Path
) -> None:
    data = {"case_id": reported.case_id, "version": reported.version}
    reported.leader.execute("acknowledge", data)
    outcome = {"method": "letter", "contacted_on": TODAY, "outcome": f"Brev sendt {PRIVATE}"}
    reported.leader.execute("contact_offender", {**data, "version": reported.version + 1, **outcome})

    turn = reported.employee.say("politipakke")
    offered = consent_cards(turn)
    assert len(offered) == 1, texts(turn)
    activity, card = offered[0]
    assert card["name"].startswith("Politipakke-")
    name = f"Politipakke-{uuid.uuid4().hex[:8]}.zip"
    assert accept(reported.employee, activity, card, connector, name)[0] == 200
    package = uploaded_file(connector, name, tmp_path)
    assert verify(package, bot.package_public_key()).ok
    text = summary_text(package)
    assert PRIVATE not in text
    for letter in ("æ", "ø", "å"):
        assert letter in text
    reference = next(c for c in all_cases(bot) if c.case_id == reported.case_id).reference
    assert reference in text and reference in card["content"]["description"]


def test_an_accept_from_anyone_but_the_requester_uploads_nothing(
    bot, reported: ReportedCase, connector: ConnectorStub, organisation, new_user
) -> None:
    activity, card = consent_cards(reported.employee.say("politipakke"))[0]
    stranger = new_user(**organisation.next_unit().employee.teams_details())
    for intruder in (stranger, reported.leader):
        name = f"forged-{uuid.uuid4().hex[:8]}.zip"
        status, _ = accept(intruder, activity, card, connector, name)
        assert status == 200
        assert connector.uploads(name) == []
    refused = [e for e in audit_events(bot, reported.case_id) if e.action == "package_consent_refused"]
    assert len(refused) == 2


def test_a_stranger_pressing_package_learns_nothing(reported: ReportedCase, organisation, new_user) -> None:
    stranger = new_user(**organisation.next_unit().leader.teams_details())
    status, body = stranger.execute("package", {"case_id": reported.case_id, "version": reported.version})
    assert status == 200 and body["statusCode"] == 403
    assert reported.case_id not in str(body)
    assert consent_cards(stranger.last_turn or []) == []


def test_declining_is_answered_kindly(reported: ReportedCase, connector: ConnectorStub) -> None:
    activity, card = consent_cards(reported.employee.say("politipakke"))[0]
    status, _ = decline(reported.employee, activity, card)
    assert status == 200
    assert any("slettet" in text for text in texts(reported.employee.last_turn or []))
