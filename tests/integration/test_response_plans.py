"""Response plans on both backends (local filesystem and Azure Blob via Azurite): every version kept create-only,
current.json etag-guarded, concurrent saves never lost; and the dialog driven in-process on the Agents SDK's turn
context (a recording channel, the Teams edge's `TeamsTurn`, the conversation state store) with the routing of
bot/handler.py (create, stop and resume, edit to version 2, read, export).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from microsoft_agents.activity import Activity
from microsoft_agents.hosting.core import TurnContext

from bot.file_consent import FILE_CONSENT_CARD
from bot.plan_files import PlanFiles
from bot.teams_turn import TeamsTurn
from cards.response_plan import PLAN_EDIT_COMMAND, PLAN_EXPORT_COMMAND, PLAN_SHOW_COMMAND
from content import command_words, texts_for
from dialogs.add_evidence import PASS_ON
from dialogs.engine import DialogSet
from dialogs.replies import reply_from
from dialogs.response_plan import (
    RESPONSE_PLAN_DIALOG_ID,
    STEPS,
    ResponsePlanDialog,
    ResponsePlanViewer,
)
from domain.response_plan import QUESTION_KEYS, ResponsePlan
from services.roles import DirectoryFile, JsonDirectory
from storage.conversation_state import ConversationStateStore, conversation_key
from storage.package_offers import PlanOffers
from storage.ports import DocumentStore
from storage.response_plans import ResponsePlanRepository
from tests.support.clock import MovableClock
from tests.support.connector_stub import ConnectorStub
from tests.support.teams import card_elements, card_texts
from tests.support.turns import RecordingChannel, message

NOW = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
CRISIS_LINE = "89 70 12 99"
TEXTS = texts_for("da", CRISIS_LINE)


def plan_for(unit_id: str, by: str, answer: str, version: int = 1) -> ResponsePlan:
    return ResponsePlan(
        unit_id=unit_id,
        unit_name="Afdeling Æble",
        answers={"prevention": answer},
        revision_date=date(2027, 3, 14),
        version=version,
        updated_by=by,
        updated_by_id=f"aad-{by}",
        updated_at=NOW,
    )


# --- repository ---------------------------------------------------------------------------------------------------


async def test_each_save_is_a_new_version_and_history_keeps_who_changed_what(documents: DocumentStore) -> None:
    plans = ResponsePlanRepository(documents)
    assert await plans.current("unit-a") is None
    first = await plans.save("unit-a", lambda n, _: plan_for("unit-a", "Leder", "Første svar", n))
    second = await plans.save("unit-a", lambda n, _: plan_for("unit-a", "AMR", "Andet svar", n))
    assert (first.plan.version, second.plan.version) == (1, 2)
    assert not first.superseded and not second.superseded
    current = await plans.current("unit-a")
    assert current is not None and current.plan.version == 2 and current.plan.answer("prevention") == "Andet svar"
    history = await plans.history("unit-a")
    assert [(p.version, p.updated_by) for p in history] == [(1, "Leder"), (2, "AMR")]
    assert "prevention" in history[0].changed and history[1].changed == ["prevention"]
    assert await plans.version_numbers("unit-a") == [1, 2]
    assert sorted(await documents.list_keys("plans/unit-a/")) == [
        "plans/unit-a/current.json",
        "plans/unit-a/v1.json",
        "plans/unit-a/v2.json",
    ]
    assert await plans.current("unit-b") is None  # units never mix


async def test_concurrent_saves_get_distinct_versions_and_none_is_lost(documents: DocumentStore) -> None:
    plans = ResponsePlanRepository(documents)
    saved = await asyncio.gather(
        *(plans.save("unit-c", lambda n, _, i=i: plan_for("unit-c", f"p{i}", f"svar {i}", n)) for i in range(5))
    )
    assert sorted(s.plan.version for s in saved) == [1, 2, 3, 4, 5]
    current = await plans.current("unit-c")
    assert current is not None and current.plan.version == 5
    assert {p.updated_by for p in await plans.history("unit-c")} == {f"p{i}" for i in range(5)}


async def test_current_plans_lists_each_units_newest_version(documents: DocumentStore) -> None:
    plans = ResponsePlanRepository(documents)
    await plans.save("unit-d", lambda n, _: plan_for("unit-d", "Leder", "svar", n))
    await plans.save("unit-d", lambda n, _: plan_for("unit-d", "Leder", "nyt svar", n))
    await plans.save("unit-e", lambda n, _: plan_for("unit-e", "Leder", "svar", n))
    current = sorted((p.unit_id, p.version) for p in await plans.current_plans())
    assert current == [("unit-d", 2), ("unit-e", 1)]


# --- the dialog in-process, routed as proposed for bot/handler.py -------------------------------------------------


def directory(employee_unit: str = "unit-1") -> JsonDirectory:
    people = [
        ("aad-leader", "Leder Lene", "unit-1"),
        ("aad-deputy", "Stedfortræder Søs", "unit-1"),
        ("aad-amr", "AMR Åge", "unit-1"),
        ("aad-employee", "Medarbejder Mette", employee_unit),
        ("aad-other", "Anden Anders", "unit-2"),
        ("aad-leader2", "Leder To", "unit-2"),
        ("aad-chief", "Chef Åse", "unit-1"),  # works in Øst, leads Nord and deputises in Vest
    ]
    return JsonDirectory(
        DirectoryFile.model_validate(
            {
                "units": [
                    {
                        "id": "unit-1",
                        "name": "Afdeling Øst",
                        "leader": "aad-leader",
                        "deputy": "aad-deputy",
                        "safety_representatives": ["aad-amr"],
                    },
                    {"id": "unit-2", "name": "Afdeling Vest", "leader": "aad-leader2", "deputy": "aad-chief"},
                    {"id": "unit-3", "name": "Afdeling Nord", "leader": "aad-chief"},
                ],
                "people": [
                    {"aad_object_id": aad, "upn": f"{aad}@test.dk", "name": name, "unit": unit}
                    for aad, name, unit in people
                ],
            }
        )
    )


def personal_activity(
    aad: str, *, text: str = "", value: dict[str, Any] | None = None, invoke: str | None = None, locale: str = "da-DK"
) -> Activity:
    """An activity from the person `aad` in their own 1:1 chat (a message, or the invoke named `invoke`)."""
    activity = message(
        text,
        value=value,
        user_id=f"29:{aad}",
        name=aad,
        aad_object_id=aad,
        conversation_id=f"conv-{aad}",
        locale=locale,
    )
    if invoke is not None:
        activity.type, activity.name = "invoke", invoke
    return activity


def plan_files(documents: DocumentStore, clock: MovableClock, folder: Path, people: JsonDirectory) -> PlanFiles:
    """The plan PDF's delivery, uploading to the connector stub (127.0.0.1 over http) as in the e2e tests."""
    plans = ResponsePlanRepository(documents)
    return PlanFiles(
        plans,
        people,
        PlanOffers(documents),
        clock,
        folder=folder,
        crisis_line=CRISIS_LINE,
        upload_hosts=["127.0.0.1"],
        upload_allow_http=True,
    )


class PlanBot:
    """The routing of VaernBot.on_message_activity (bot/handler.py), cut down to the plan's commands: the
    conversation's state loaded and saved around each turn, the dialogs and the viewer on the edge's `TeamsTurn`
    (the export offers the PDF through bot.plan_files, which needs the SDK's turn context)."""

    def __init__(self, documents: DocumentStore, clock: MovableClock, folder: Path) -> None:
        self.states = ConversationStateStore(documents)
        self.plans = ResponsePlanRepository(documents)
        people = directory()
        self.dialogs = DialogSet([ResponsePlanDialog(self.plans, people, clock, CRISIS_LINE)])
        files = plan_files(documents, clock, folder, people)
        self.viewer = ResponsePlanViewer(self.plans, people, clock, CRISIS_LINE, files)

    async def on_turn(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        state = await self.states.load(conversation_key(str(activity.channel_id), activity.conversation.id))
        await self.on_message(TeamsTurn(turn_context), state.stack, state.properties)
        await self.states.save(state)

    async def on_message(self, turn: TeamsTurn, stack: list[dict[str, Any]], properties: dict[str, Any]) -> None:
        dialog_context = self.dialogs.context(turn, stack, properties)
        if dialog_context.active_dialog is not None:
            result = await dialog_context.continue_dialog()
            if result.result != PASS_ON:
                return
        reply = reply_from(turn.activity)
        command = reply.value.get("command") if isinstance(reply.value.get("command"), str) else reply.word.rstrip("?")
        if command == PLAN_EDIT_COMMAND or command in command_words(PLAN_EDIT_COMMAND):
            await dialog_context.begin_dialog(RESPONSE_PLAN_DIALOG_ID)
        elif command == PLAN_SHOW_COMMAND or command in command_words(PLAN_SHOW_COMMAND):
            await self.viewer.show(turn)
        elif command == PLAN_EXPORT_COMMAND:
            await self.viewer.export(turn)

    async def send(self, aad: str, *, text: str = "", value: dict[str, Any] | None = None) -> list[str]:
        """One turn from the person `aad` in their own 1:1 chat; everything the bot said or prefilled, as strings."""
        channel = RecordingChannel()
        await self.on_turn(TurnContext(channel, personal_activity(aad, text=text, value=value)))
        said = []
        for sent in channel.sent:
            said.append(sent.text or "")
            for attachment in sent.attachments or []:
                said.append("\n".join(card_texts(attachment.content)))
                values = [e.get("value") for e in card_elements(attachment.content) if e["type"].startswith("Input.")]
                said.append("\n".join(str(value) for value in values if value))  # prefilled inputs
        return said


def step_value(step: str, action: str = "next", **inputs: str) -> dict[str, Any]:
    return {"q": "plan", "step": step, "plan_action": action, **inputs}


async def test_a_leader_creates_stops_resumes_and_an_amr_edits_a_second_version(
    documents: DocumentStore, tmp_path: Path
) -> None:
    clock = MovableClock(NOW)
    bot = PlanBot(documents, clock, tmp_path)
    said = "\n".join(await bot.send("aad-leader", text="beredskabsplan"))
    assert "Afdeling Øst" in said and "Spørgsmål 1 af 10" in said
    for key in QUESTION_KEYS[:3]:
        await bot.send("aad-leader", value=step_value(key, plan_answer=f"Leder: {key}"))
    said = "\n".join(await bot.send("aad-leader", value=step_value(QUESTION_KEYS[3], "stop", plan_answer="halvt")))
    assert "kladde" in said
    assert await bot.plans.current("unit-1") is None

    said = "\n".join(await bot.send("aad-leader", text="Beredskabsplan"))
    assert "fortsætter" in said and "Spørgsmål 4 af 10" in said and "halvt" in said
    said = "\n".join(await bot.send("aad-leader", text="tilbage"))
    assert "Spørgsmål 3 af 10" in said and "Leder: protection" in said
    await bot.send("aad-leader", value=step_value(QUESTION_KEYS[2], plan_answer="Leder: protection"))
    for key in QUESTION_KEYS[3:]:
        await bot.send("aad-leader", value=step_value(key, plan_answer=f"Leder: {key}"))
    said = "\n".join(await bot.send("aad-leader", value=step_value("contacts", contact_hr="HR Silkeborg")))
    assert "Leder Lene" in said  # the responsible-leader role is prefilled from the directory
    said = "\n".join(await bot.send("aad-leader", value=step_value("roles")))
    assert "Revisionsdato" in said
    said = "\n".join(await bot.send("aad-leader", value=step_value("revision", revision_date="2026-01-01")))
    assert "efter i dag" in said
    said = "\n".join(await bot.send("aad-leader", value=step_value("revision", revision_date="2026-09-30")))
    assert "gennemse og gem" in said
    said = "\n".join(await bot.send("aad-leader", value=step_value("summary", "save")))
    assert "version 1" in said

    current = await bot.plans.current("unit-1")
    assert current is not None
    first = current.plan
    assert first.version == 1 and first.updated_by_id == "aad-leader"
    assert first.answers == {key: f"Leder: {key}" for key in QUESTION_KEYS}
    assert first.contacts.leader == "Leder Lene" and first.contacts.deputy == "Stedfortræder Søs"
    assert first.contacts.safety_representative == "AMR Åge" and first.contacts.hr == "HR Silkeborg"
    assert first.contacts.crisis_line == CRISIS_LINE
    assert first.revision_date == date(2026, 9, 30)

    # the safety representative edits one answer: version 2, the rest as before
    said = "\n".join(await bot.send("aad-amr", text="beredskabsplan"))
    assert "version 1" in said and "Leder: prevention" in said
    await bot.send("aad-amr", value=step_value("prevention", plan_answer="AMR: ny forebyggelse"))
    for step in STEPS[1:-1]:
        await bot.send("aad-amr", value=step_value(step))
    said = "\n".join(await bot.send("aad-amr", value=step_value("summary", "save")))
    assert "version 2" in said
    history = await bot.plans.history("unit-1")
    assert [p.version for p in history] == [1, 2]
    assert history[1].updated_by_id == "aad-amr"
    assert history[1].changed == ["prevention", "revision_date"]  # the date moves to a year from the review

    # an employee reads the current version and can export it, but cannot edit
    said = "\n".join(await bot.send("aad-employee", text="Hvad er vores beredskabsplan?"))
    assert "AMR: ny forebyggelse" in said and "Version 2" in said
    said = "\n".join(await bot.send("aad-employee", value={"command": PLAN_EXPORT_COMMAND}))
    assert "## Situation" in said and "## Kontakter" in said and "AMR: ny forebyggelse" in said
    said = "\n".join(await bot.send("aad-employee", text="beredskabsplan"))
    assert "Kun lederen, stedfortræderen og arbejdsmiljørepræsentanten" in said
    assert len(await bot.plans.history("unit-1")) == 2


async def test_a_menu_click_during_the_plan_keeps_the_draft_and_is_routed(
    documents: DocumentStore, tmp_path: Path
) -> None:
    bot = PlanBot(documents, MovableClock(NOW), tmp_path)
    await bot.send("aad-leader2", text="beredskabsplan")
    await bot.send("aad-leader2", value=step_value("prevention", plan_answer="Vest forebygger"))
    said = "\n".join(await bot.send("aad-leader2", value={"command": PLAN_SHOW_COMMAND}))
    assert "ingen beredskabsplan endnu" in said
    said = "\n".join(await bot.send("aad-leader2", text="beredskabsplan"))
    assert "Spørgsmål 2 af 10" in said
    said = "\n".join(await bot.send("aad-other", text="hvad er vores beredskabsplan"))
    assert "Afdeling Vest har ingen beredskabsplan endnu" in said


async def test_a_stale_card_is_answered_with_the_current_step(documents: DocumentStore, tmp_path: Path) -> None:
    bot = PlanBot(documents, MovableClock(NOW), tmp_path)
    await bot.send("aad-deputy", text="beredskabsplan")
    await bot.send("aad-deputy", value=step_value("prevention", plan_answer="a"))
    said = "\n".join(await bot.send("aad-deputy", value=step_value("prevention", plan_answer="b")))
    assert "tidligere trin" in said and "Spørgsmål 2 af 10" in said


async def test_someone_with_a_plan_role_in_two_units_is_asked_which_and_edits_that_one(
    documents: DocumentStore, tmp_path: Path
) -> None:
    bot = PlanBot(documents, MovableClock(NOW), tmp_path)
    said = "\n".join(await bot.send("aad-chief", text="beredskabsplan"))
    assert "flere enheder" in said and "Afdeling Nord" in said and "Afdeling Vest" in said
    assert "Afdeling Øst" not in said and "Spørgsmål 1" not in said  # no role in their own unit
    said = "\n".join(await bot.send("aad-chief", value={"command": PLAN_EDIT_COMMAND, "unit_id": "unit-3"}))
    assert "Afdeling Nord" in said and "Spørgsmål 1 af 10" in said
    for key in QUESTION_KEYS:
        await bot.send("aad-chief", value=step_value(key, plan_answer=f"Nord: {key}"))
    for step in ("contacts", "roles", "revision"):
        await bot.send("aad-chief", value=step_value(step))
    said = "\n".join(await bot.send("aad-chief", value=step_value("summary", "save")))
    assert "Afdeling Nord" in said and "version 1" in said
    current = await bot.plans.current("unit-3")
    assert current is not None and current.plan.answer("prevention") == "Nord: prevention"
    assert await bot.plans.current("unit-1") is None and await bot.plans.current("unit-2") is None

    # a card naming a unit they hold no role in is not theirs to edit: they are asked again
    said = "\n".join(await bot.send("aad-chief", value={"command": PLAN_EDIT_COMMAND, "unit_id": "unit-1"}))
    assert "flere enheder" in said and "Spørgsmål 1" not in said

    # reading: their own unit is among the choices too, and the chosen plan comes with its unit on the buttons
    said = "\n".join(await bot.send("aad-chief", text="hvad er vores beredskabsplan"))
    assert all(name in said for name in ("Afdeling Øst", "Afdeling Vest", "Afdeling Nord"))
    said = "\n".join(await bot.send("aad-chief", value={"command": PLAN_SHOW_COMMAND, "unit_id": "unit-3"}))
    assert "Nord: prevention" in said and "Ret planen" in said
    said = "\n".join(await bot.send("aad-chief", value={"command": PLAN_EXPORT_COMMAND, "unit_id": "unit-3"}))
    assert "## Situation" in said and "Nord: prevention" in said


# --- the plan as a PDF through the file consent flow --------------------------------------------------------------


async def test_the_plan_pdf_is_made_again_when_lost_follows_who_may_read_and_expires(
    documents: DocumentStore, tmp_path: Path, connector: ConnectorStub
) -> None:
    clock = MovableClock(NOW)
    saved = await ResponsePlanRepository(documents).save("unit-1", lambda n, _: plan_for("unit-1", "Lene", "Ærø", n))
    files = plan_files(documents, clock, tmp_path, directory())

    async def offer() -> str:
        channel = RecordingChannel()
        await files.offer(TeamsTurn(TurnContext(channel, personal_activity("aad-employee"))), saved.plan, TEXTS)
        [card] = [a for sent in channel.sent for a in sent.attachments or []]
        file_id = card.content["acceptContext"]["plan"]
        assert card.content_type == FILE_CONSENT_CARD and (tmp_path / f"{file_id}.pdf").is_file()
        return file_id

    async def accept(delivery: PlanFiles, file_id: str, name: str) -> list[str]:
        info = {"uploadUrl": connector.upload_url(name), "name": name, "contentUrl": f"https://x/{name}"}
        value = {"action": "accept", "context": {"plan": file_id}, "uploadInfo": info}
        channel = RecordingChannel()
        activity = personal_activity("aad-employee", value=value, invoke="fileConsent/invoke")
        assert (await delivery.on_file_consent(TurnContext(channel, activity))).status == 200
        return [sent.text for sent in channel.sent]

    lost = await offer()
    (tmp_path / f"{lost}.pdf").unlink()  # a restart, or another instance made it
    said = await accept(files, lost, f"lost-{lost}.pdf")
    assert connector.uploads(f"lost-{lost}.pdf")[0].body.startswith(b"%PDF")
    assert said[-1] == TEXTS("plan_file.delivered", name=f"lost-{lost}.pdf")

    moved = plan_files(documents, clock, tmp_path, directory(employee_unit="unit-2"))  # now works in Vest
    gone = await offer()
    assert await accept(moved, gone, f"moved-{gone}.pdf") == [TEXTS("plan_file.not_allowed")]
    assert connector.uploads(f"moved-{gone}.pdf") == [] and not (tmp_path / f"{gone}.pdf").exists()

    late = await offer()
    clock.move_to(NOW + timedelta(days=2))
    assert await accept(files, late, f"late-{late}.pdf") == [TEXTS("plan_file.expired")]
    assert connector.uploads(f"late-{late}.pdf") == [] and not (tmp_path / f"{late}.pdf").exists()
    await files.close()
    await moved.close()
