"""The shape of one report question and what answering it leads to. The report dialog walks a list of these."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import Enum
from typing import Any

from content import Texts
from dialogs.replies import Reply
from dialogs.turn import Turn
from domain.reporting import ReportDraft
from services.reporting import ReportServices


class Outcome(Enum):
    NEXT = "next"
    STAY = "stay"
    SUBMIT = "submit"
    EDIT = "edit"
    DETOUR = "detour"  # to `target` now, then back to this question


@dataclass(frozen=True)
class Step:
    outcome: Outcome
    target: str | None = None


NEXT = Step(Outcome.NEXT)
STAY = Step(Outcome.STAY)


@dataclass
class Asking:
    """What a question needs while it runs: the turn, the user's language, the draft and the services."""

    turn: Turn
    texts: Texts
    draft: ReportDraft
    services: ReportServices

    async def say(self, text: str) -> None:
        await self.turn.say(text)

    async def show(self, card: dict[str, Any]) -> None:
        await self.turn.show(card)


class Question(ABC):
    key: str
    # A choice or a short answer: typed text that is a pasted message is secured as evidence instead
    # (domain.evidence.is_pasted_message); False for the questions that take free text.
    expects_short_answer: bool = True

    def applies(self, draft: ReportDraft) -> bool:
        return True

    @abstractmethod
    async def ask(self, asking: Asking) -> None: ...

    @abstractmethod
    async def answer(self, asking: Asking, reply: Reply) -> Step:
        """Record the answer in the draft and say what comes next; on STAY the question has explained why."""
