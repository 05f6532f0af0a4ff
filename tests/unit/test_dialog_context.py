"""The lean dialog context: the stock context's behaviour, without a DialogStateManager until `.state` is read."""

from __future__ import annotations

from typing import Any

import pytest
from botbuilder.core import ConversationState, MemoryStorage, MessageFactory, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.dialogs import (
    ComponentDialog,
    Dialog,
    DialogContext,
    DialogSet,
    DialogTurnResult,
    DialogTurnStatus,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.dialogs.memory import DialogStateManager
from botbuilder.dialogs.prompts import PromptOptions, TextPrompt

from bot.dialog_context import LeanDialogContext, LeanDialogSet


class CountingDialog(Dialog):
    """A plain dialog like Værn's: its state lives on `active_dialog.state`; ends on "done"."""

    def __init__(self) -> None:
        super().__init__("count")

    async def begin_dialog(self, dialog_context: DialogContext, options: Any = None) -> DialogTurnResult:
        dialog_context.active_dialog.state["count"] = 0
        await dialog_context.context.send_activity("counting")
        return Dialog.end_of_turn

    async def continue_dialog(self, dialog_context: DialogContext) -> DialogTurnResult:
        state = dialog_context.active_dialog.state
        if dialog_context.context.activity.text == "done":
            return await dialog_context.end_dialog(state["count"])
        state["count"] += 1
        await dialog_context.context.send_activity(f"count {state['count']}")
        return Dialog.end_of_turn


class NameDialog(ComponentDialog):
    """A component dialog (its own DialogSet, child contexts) asking two questions; notes each step's parent."""

    def __init__(self) -> None:
        super().__init__("name")
        self.add_dialog(TextPrompt("text"))
        self.add_dialog(WaterfallDialog("steps", [self._first, self._last, self._done]))
        self.initial_dialog_id = "steps"
        self.parents: list[DialogContext] = []

    async def _first(self, step: WaterfallStepContext) -> DialogTurnResult:
        self.parents.append(step.parent)
        return await step.prompt("text", PromptOptions(prompt=MessageFactory.text("first name?")))

    async def _last(self, step: WaterfallStepContext) -> DialogTurnResult:
        self.parents.append(step.parent)
        step.values["first"] = step.result
        return await step.prompt("text", PromptOptions(prompt=MessageFactory.text("last name?")))

    async def _done(self, step: WaterfallStepContext) -> DialogTurnResult:
        self.parents.append(step.parent)
        return await step.end_dialog(f"{step.values['first']} {step.result}")


class Bot:
    """Runs turns the way VaernBot does: continue the active dialog, else begin the one named in the text."""

    def __init__(self, dialog_set_type: type[DialogSet]) -> None:
        self.state = ConversationState(MemoryStorage())
        self.dialogs = dialog_set_type(self.state.create_property("DialogState"))
        self.dialogs.add(CountingDialog())
        self.names = NameDialog()
        self.dialogs.add(self.names)
        self.adapter = TestAdapter(self._turn)
        self.contexts: list[DialogContext] = []

    async def _turn(self, turn_context: TurnContext) -> None:
        dialog_context = await self.dialogs.create_context(turn_context)
        self.contexts.append(dialog_context)
        if dialog_context.active_dialog is not None:
            result = await dialog_context.continue_dialog()
        else:
            result = await dialog_context.begin_dialog(turn_context.activity.text)
        if result.status == DialogTurnStatus.Complete:
            await turn_context.send_activity(f"result {result.result}")
        await self.state.save_changes(turn_context)

    async def say(self, *texts: str) -> list[str]:
        for text in texts:
            await self.adapter.receive_activity(text)
        replies = [activity.text for activity in self.adapter.activity_buffer]
        self.adapter.activity_buffer.clear()
        return replies


def stack_of(dialog_context: DialogContext) -> list[str]:
    return [instance.id for instance in dialog_context.stack]


TURNS = ("count", "go", "go", "done", "name", "Anne", "Berg", "count", "go")


@pytest.fixture
def managed_contexts(monkeypatch: pytest.MonkeyPatch) -> list[DialogContext]:
    """The contexts a DialogStateManager is built for (the stock context builds one for each)."""
    built: list[DialogContext] = []
    original = DialogStateManager.__init__

    def spy(self: DialogStateManager, dialog_context: DialogContext, configuration: Any = None) -> None:
        built.append(dialog_context)
        original(self, dialog_context, configuration)

    monkeypatch.setattr(DialogStateManager, "__init__", spy)
    return built


async def test_lean_context_runs_plain_and_component_dialogs_as_the_stock_one() -> None:
    stock, lean = Bot(DialogSet), Bot(LeanDialogSet)

    replies = await lean.say(*TURNS)

    assert replies == await stock.say(*TURNS)
    counted = ["counting", "count 1", "count 2", "result 2"]
    assert replies == [*counted, "first name?", "last name?", "result Anne Berg", *counted[:2]]
    assert lean.names.parents == lean.contexts[4:7]  # the component's child contexts hang off the lean ones
    assert all(type(context) is LeanDialogContext for context in lean.contexts)
    assert [stack_of(context) for context in lean.contexts] == [stack_of(context) for context in stock.contexts]
    assert lean.contexts[-1].active_dialog.state == {"count": 1}
    assert lean.contexts[-1].services == {} and lean.contexts[-1].parent is None


async def test_no_state_manager_is_built_unless_state_is_read(managed_contexts: list[DialogContext]) -> None:
    bot = Bot(LeanDialogSet)
    await bot.say(*TURNS)
    assert managed_contexts  # the component dialog's own contexts are stock
    assert not any(isinstance(context, LeanDialogContext) for context in managed_contexts)

    context = bot.contexts[-1]
    manager = context.state
    assert isinstance(manager, DialogStateManager)
    assert context.state is manager
    assert [context for context in managed_contexts if isinstance(context, LeanDialogContext)] == [context]


async def test_state_when_read_gives_what_the_stock_state_gives() -> None:
    stock, lean = Bot(DialogSet), Bot(LeanDialogSet)
    await stock.say("count", "go")
    await lean.say("count", "go")
    stock_context, lean_context = stock.contexts[-1], lean.contexts[-1]

    assert (
        lean_context.state.try_get_value("dialog")
        == stock_context.state.try_get_value("dialog")
        == (True, {"count": 1})
    )
    assert lean_context.state.keys == stock_context.state.keys
    for name in ("turn", "dialog", "this"):
        lean_memory = lean_context.state.get_memory_scope(name).get_memory(lean_context)
        assert lean_memory == stock_context.state.get_memory_scope(name).get_memory(stock_context)
