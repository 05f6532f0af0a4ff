"""The response plan as a PDF through the real bot: "Eksportér" on the plan card gives the Markdown in the chat and
a file consent card; accepting uploads a PDF whose text has the unit's name and æøå and shows a file info card; an
accept replayed by anyone else uploads nothing; a declined offer's PDF is deleted."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from domain.response_plan import QUESTION_KEYS
from tests.e2e.consent_steps import FILE_INFO, accept, consent_cards, decline, pdf_text, uploaded_file
from tests.e2e.plan_steps import joined, press, walk_to_summary
from tests.support.connector_stub import ConnectorStub
from tests.support.organisation import Organisation, UnitPeople
from tests.support.teams import TeamsUser

ANSWERS = {key: f"Aftalt i MED om {key}: Søren på Ærø går først – æøå" for key in QUESTION_KEYS}


@pytest.fixture
def people(organisation: Organisation, new_user: Callable[..., TeamsUser]) -> UnitPeople:
    """A fresh unit whose deputy has saved version 1 of the plan."""
    unit = organisation.next_unit()
    deputy = new_user(**unit.deputy.teams_details())
    turn = walk_to_summary(deputy, deputy.say("beredskabsplan"), ANSWERS)
    assert "version 1" in joined(press(deputy, turn, "Gem planen"))
    return unit


def export(person: TeamsUser) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, Any]]:
    """'Eksportér' on the plan card: the turn, and the consent card's activity and attachment."""
    turn = press(person, person.say("Hvad er vores beredskabsplan?"), "Eksportér")
    offered = consent_cards(turn)
    assert len(offered) == 1, joined(turn)
    return turn, *offered[0]


def test_an_employee_gets_the_plan_as_markdown_and_as_a_pdf_in_onedrive(
    bot, people: UnitPeople, new_user: Callable[..., TeamsUser], connector: ConnectorStub, tmp_path: Path
) -> None:
    employee = new_user(**people.employee.teams_details())
    turn, activity, card = export(employee)
    assert "## Kontakter" in joined(turn)  # the Markdown comes first, as before
    assert card["name"].endswith(".pdf") and people.unit_name.replace(" ", "_") in card["name"]
    assert set(card["content"]["acceptContext"]) == {"plan"}
    assert people.unit_name in card["content"]["description"] and card["content"]["sizeInBytes"] > 0

    name = f"Beredskabsplan-{uuid.uuid4().hex[:8]}.pdf"
    status, _ = accept(employee, activity, card, connector, name)
    assert status == 200
    pdf = uploaded_file(connector, name, tmp_path)
    assert pdf.read_bytes().startswith(b"%PDF")
    assert len(pdf.read_bytes()) == card["content"]["sizeInBytes"]
    text = pdf_text(pdf)
    assert people.unit_name in text and "Søren på Ærø" in text
    for letter in ("æ", "ø", "å"):
        assert letter in text
    after = employee.last_turn or []
    assert any(a.get("contentType") == FILE_INFO for item in after for a in item.get("attachments") or [])
    updated = [c for c in connector.calls if c.method == "PUT" and c.path.endswith(f"/activities/{activity['id']}")]
    assert updated, "the consent card is replaced once the PDF is delivered"

    accept(employee, activity, card, connector, name)
    assert len(connector.uploads(name)) == 1  # delivered once, never twice
    assert "allerede" in joined(employee.last_turn or [])


def test_an_accept_replayed_by_anyone_else_uploads_nothing(
    bot, people: UnitPeople, new_user: Callable[..., TeamsUser], connector: ConnectorStub, organisation: Organisation
) -> None:
    employee = new_user(**people.employee.teams_details())
    _, activity, card = export(employee)
    colleague = new_user(**people.colleague.teams_details())  # may read the plan, but did not ask for this PDF
    stranger = new_user(**organisation.next_unit().leader.teams_details())
    for intruder in (colleague, stranger):
        name = f"forged-{uuid.uuid4().hex[:8]}.pdf"
        status, _ = accept(intruder, activity, card, connector, name)
        assert status == 200
        assert connector.uploads(name) == []
        said = joined(intruder.last_turn or [])
        assert "kan jeg ikke finde" in said and people.unit_name not in said

    name = f"Beredskabsplan-{uuid.uuid4().hex[:8]}.pdf"
    assert accept(employee, activity, card, connector, name)[0] == 200  # still there for the one who asked
    assert len(connector.uploads(name)) == 1


def test_a_declined_pdf_is_deleted(
    bot, people: UnitPeople, new_user: Callable[..., TeamsUser], connector: ConnectorStub
) -> None:
    employee = new_user(**people.employee.teams_details())
    _, activity, card = export(employee)
    waiting = Path(bot.data_dir) / "plan-files" / f"{card['content']['acceptContext']['plan']}.pdf"
    assert waiting.is_file()

    status, _ = decline(employee, activity, card)
    assert status == 200
    assert "slettet" in joined(employee.last_turn or [])
    assert not waiting.exists()
    name = f"late-{uuid.uuid4().hex[:8]}.pdf"
    accept(employee, activity, card, connector, name)
    assert connector.uploads(name) == []
