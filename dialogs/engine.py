"""Værn's own small dialog engine: which dialog a conversation is in, and that dialog's state, as plain JSON.

Rules: a conversation runs at most one dialog at a time (`begin` while one runs replaces it; dialogs do not
nest); a dialog's state is a JSON object it owns (`active_dialog.state`); `end` can hand a result back to the
caller (the handler routes a PASS_ON result as a new message); a stack naming an unknown dialog is dropped, so
a release that removes a dialog never strands a conversation. The conversation's other saved values (a
response-plan draft) live beside the stack in `properties`. Loading and saving is storage/conversation_state.py.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import Enum
from typing import Any, ClassVar

from dialogs.turn import Turn


class DialogTurnStatus(Enum):
    EMPTY = "empty"  # no dialog ran
    WAITING = "waiting"  # the dialog asked something and waits for the next message
    COMPLETE = "complete"  # the dialog ended this turn


@dataclass(frozen=True)
class DialogTurnResult:
    status: DialogTurnStatus
    result: Any = None


class DialogInstance:
    """The running dialog: its id and its own JSON state (a view on the stored stack entry)."""

    def __init__(self, entry: dict[str, Any]) -> None:
        self._entry = entry

    @property
    def id(self) -> str:
        return str(self._entry["id"])

    @property
    def state(self) -> dict[str, Any]:
        return self._entry["state"]


class Dialog(ABC):
    end_of_turn: ClassVar[DialogTurnResult] = DialogTurnResult(DialogTurnStatus.WAITING)

    def __init__(self, dialog_id: str) -> None:
        self.id = dialog_id

    @abstractmethod
    async def begin_dialog(self, dialog_context: DialogContext, options: Any = None) -> DialogTurnResult: ...

    @abstractmethod
    async def continue_dialog(self, dialog_context: DialogContext) -> DialogTurnResult: ...


class DialogContext:
    """One turn of a conversation's dialogs: the turn, the stack (stored as JSON) and the saved properties."""

    def __init__(
        self, dialogs: dict[str, Dialog], turn: Turn, stack: list[dict[str, Any]], properties: dict[str, Any]
    ) -> None:
        self._dialogs = dialogs
        self.context = turn
        self._stack = stack
        self.properties = properties

    @property
    def active_dialog(self) -> DialogInstance | None:
        return DialogInstance(self._stack[-1]) if self._stack else None

    async def begin_dialog(self, dialog_id: str, options: Any = None) -> DialogTurnResult:
        dialog = self._dialogs[dialog_id]
        self._stack.clear()
        self._stack.append({"id": dialog_id, "state": {}})
        return await dialog.begin_dialog(self, options)

    async def continue_dialog(self) -> DialogTurnResult:
        active = self.active_dialog
        if active is None:
            return DialogTurnResult(DialogTurnStatus.EMPTY)
        dialog = self._dialogs.get(active.id)
        if dialog is None:
            self._stack.clear()
            return DialogTurnResult(DialogTurnStatus.EMPTY)
        return await dialog.continue_dialog(self)

    async def end_dialog(self, result: Any = None) -> DialogTurnResult:
        self._stack.clear()
        return DialogTurnResult(DialogTurnStatus.COMPLETE, result)

    async def replace_dialog(self, dialog_id: str, options: Any = None) -> DialogTurnResult:
        return await self.begin_dialog(dialog_id, options)


class DialogSet:
    def __init__(self, dialogs: list[Dialog]) -> None:
        self._dialogs = {dialog.id: dialog for dialog in dialogs}

    def context(self, turn: Turn, stack: list[dict[str, Any]], properties: dict[str, Any]) -> DialogContext:
        return DialogContext(self._dialogs, turn, stack, properties)
