"""The last step: show the whole report for checking, then send it or go back to one part to change it."""

from __future__ import annotations

from cards.summary import EDITABLE_SECTIONS, summary_card
from dialogs.question import Asking, Outcome, Question, Step
from dialogs.replies import Reply

SUBMIT = Step(Outcome.SUBMIT)


class SummaryQuestion(Question):
    key = "summary"

    async def ask(self, asking: Asking) -> None:
        evidence = await asking.services.evidence.list_items(asking.draft.case_id)
        await asking.show(summary_card(asking.texts, asking.draft, evidence))

    async def answer(self, asking: Asking, reply: Reply) -> Step:
        if reply.answer == "confirm" or (not reply.value and (reply.typed("send") or reply.typed("yes"))):
            return SUBMIT
        if reply.answer == "edit":
            section = reply.field("section")
            if section in EDITABLE_SECTIONS:
                return Step(Outcome.EDIT, section)
            await asking.say(asking.texts("summary.edit_missing"))
            return Step(Outcome.STAY)
        await asking.say(asking.texts("common.not_understood"))
        return Step(Outcome.STAY)
