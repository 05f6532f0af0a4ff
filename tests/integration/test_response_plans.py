"""Response plans on both backends (local filesystem and Azure Blob via Azurite): every version kept create-only,
current.json etag-guarded, concurrent saves never lost; and the dialog driven in-process through botbuilder's
TestAdapter with the routing proposed for bot/handler.py (create, stop and resume, edit to version 2, read, export).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.dialogs import DialogSet
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount

from bot.roles import DirectoryFile, JsonDirectory
from cards.response_plan import PLAN_EDIT_COMMAND, PLAN_EXPORT_COMMAND, PLAN_SHOW_COMMAND
from dialogs.add_evidence import PASS_ON
from dialogs.replies import reply_from
from dialogs.response_plan import (
    DRAFT_PROPERTY,
    PLAN_EDIT_WORDS,
    PLAN_SHOW_WORDS,
    RESPONSE_PLAN_DIALOG_ID,
    STEPS,
    ResponsePlanDialog,
    ResponsePlanViewer,
)
from domain.response_plan import QUESTION_KEYS, ResponsePlan
from storage.dialog_state import DocumentDialogStateStorage, EncodedConversationState
from storage.ports import DocumentStore
from storage.response_plans import ResponsePlanRepository
from tests.support.teams import card_elements, card_texts

NOW = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
CRISIS_LINE = "89 70 12 99"


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


class FixedClock:
    def __init__(self) -> None:
        self.at = NOW

    def now(self) -> datetime:
        return self.at


def directory() -> JsonDirectory:
    people = [
        ("aad-leader", "Leder Lene", "unit-1"),
        ("aad-deputy", "Stedfortræder Søs", "unit-1"),
        ("aad-amr", "AMR Åge", "unit-1"),
        ("aad-employee", "Medarbejder Mette", "unit-1"),
        ("aad-other", "Anden Anders", "unit-2"),
        ("aad-leader2", "Leder To", "unit-2"),
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
                    {"id": "unit-2", "name": "Afdeling Vest", "leader": "aad-leader2"},
                ],
                "people": [
                    {"aad_object_id": aad, "upn": f"{aad}@test.dk", "name": name, "unit": unit}
                    for aad, name, unit in people
                ],
            }
        )
    )


class PlanBot:
    """The routing proposed for VaernBot.on_message_activity, cut down to the plan's commands."""

    def __init__(self, documents: DocumentStore, clock: FixedClock) -> None:
        self.state = EncodedConversationState(DocumentDialogStateStorage(documents))
        self.dialogs = DialogSet(self.state.create_property("DialogState"))
        self.plans = ResponsePlanRepository(documents)
        people = directory()
        drafts = self.state.create_property(DRAFT_PROPERTY)
        self.dialogs.add(ResponsePlanDialog(self.plans, people, clock, CRISIS_LINE, drafts))
        self.viewer = ResponsePlanViewer(self.plans, people, clock, CRISIS_LINE)
        self.adapter = TestAdapter(self.on_turn)

    async def on_turn(self, turn_context: TurnContext) -> None:
        await self.on_message(turn_context)
        await self.state.save_changes(turn_context)

    async def on_message(self, turn_context: TurnContext) -> None:
        dialog_context = await self.dialogs.create_context(turn_context)
        if dialog_context.active_dialog is not None:
            result = await dialog_context.continue_dialog()
            if result.result != PASS_ON:
                return
        reply = reply_from(turn_context.activity)
        command = reply.value.get("command") if isinstance(reply.value.get("command"), str) else reply.word.rstrip("?")
        if command in (PLAN_EDIT_COMMAND, *PLAN_EDIT_WORDS):
            await dialog_context.begin_dialog(RESPONSE_PLAN_DIALOG_ID)
        elif command in (PLAN_SHOW_COMMAND, *PLAN_SHOW_WORDS):
            await self.viewer.show(turn_context)
        elif command == PLAN_EXPORT_COMMAND:
            await self.viewer.export(turn_context)

    async def send(self, aad: str, *, text: str = "", value: dict[str, Any] | None = None) -> list[str]:
        """One turn from the person `aad` in their own 1:1 chat; everything the bot said or prefilled, as strings."""
        mark = len(self.adapter.activity_buffer)
        activity = Activity(
            type="message",
            text=text or None,
            value=value,
            locale="da-DK",
            from_property=ChannelAccount(id=f"29:{aad}", name=aad, aad_object_id=aad),
            conversation=ConversationAccount(id=f"conv-{aad}", conversation_type="personal"),
        )
        await self.adapter.receive_activity(activity)
        said = []
        for sent in self.adapter.activity_buffer[mark:]:
            said.append(sent.text or "")
            for attachment in sent.attachments or []:
                said.append("\n".join(card_texts(attachment.content)))
                values = [e.get("value") for e in card_elements(attachment.content) if e["type"].startswith("Input.")]
                said.append("\n".join(str(value) for value in values if value))  # prefilled inputs
        return said


def step_value(step: str, action: str = "next", **inputs: str) -> dict[str, Any]:
    return {"q": "plan", "step": step, "plan_action": action, **inputs}


async def test_a_leader_creates_stops_resumes_and_an_amr_edits_a_second_version(documents: DocumentStore) -> None:
    clock = FixedClock()
    bot = PlanBot(documents, clock)
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


async def test_a_menu_click_during_the_plan_keeps_the_draft_and_is_routed(documents: DocumentStore) -> None:
    bot = PlanBot(documents, FixedClock())
    await bot.send("aad-leader2", text="beredskabsplan")
    await bot.send("aad-leader2", value=step_value("prevention", plan_answer="Vest forebygger"))
    said = "\n".join(await bot.send("aad-leader2", value={"command": PLAN_SHOW_COMMAND}))
    assert "ingen beredskabsplan endnu" in said
    said = "\n".join(await bot.send("aad-leader2", text="beredskabsplan"))
    assert "Spørgsmål 2 af 10" in said
    said = "\n".join(await bot.send("aad-other", text="hvad er vores beredskabsplan"))
    assert "Afdeling Vest har ingen beredskabsplan endnu" in said


async def test_a_stale_card_is_answered_with_the_current_step(documents: DocumentStore) -> None:
    bot = PlanBot(documents, FixedClock())
    await bot.send("aad-deputy", text="beredskabsplan")
    await bot.send("aad-deputy", value=step_value("prevention", plan_answer="a"))
    said = "\n".join(await bot.send("aad-deputy", value=step_value("prevention", plan_answer="b")))
    assert "tidligere trin" in said and "Spørgsmål 2 af 10" in said
