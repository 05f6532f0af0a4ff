"""Where files sent outside any dialog go (the guideline: secure evidence at once, whenever it comes).

With one open case they are secured in it at once and its leader is told (the add-evidence dialog); with several the
person first chooses the case (this module's `WhichCaseDialog`, which keeps the files meanwhile); with none, a report
starts with them. Files sent after a report was filed never start a second report about the same case. Files that
are not secured (the person cancels or presses another button) are never dropped without a word.
"""

from __future__ import annotations

from typing import Any

from cards.my_cases import WHICH_CASE_QUESTION, which_case_card
from content import Texts, texts_for
from dialogs.add_evidence import ADD_EVIDENCE_DIALOG_ID, PASS_ON
from dialogs.attachments import IncomingFile, files_from_state, files_to_state
from dialogs.engine import Dialog, DialogContext, DialogTurnResult
from dialogs.my_cases import MyCases
from dialogs.replies import reply_from
from dialogs.report import REPORT_DIALOG_ID, SECURE_ATTACHED_FILES
from domain.case import Case
from storage.cases import CaseRepository

WHICH_CASE_DIALOG_ID = "which_case"


async def place_files(
    dialog_context: DialogContext, my_cases: MyCases, files: list[IncomingFile], texts: Texts
) -> None:
    """Secure files sent outside any dialog in the person's open case, or ask which one, or start a report."""
    open_cases = await my_cases.open_cases(dialog_context.context)
    kept = files_to_state(files)
    if not open_cases:
        await dialog_context.context.say(texts("report.file_received_without_report"))
        await dialog_context.begin_dialog(REPORT_DIALOG_ID, {SECURE_ATTACHED_FILES: True})
    elif len(open_cases) == 1:
        await dialog_context.begin_dialog(ADD_EVIDENCE_DIALOG_ID, {"case_id": open_cases[0].case_id, "files": kept})
    else:
        await dialog_context.begin_dialog(
            WHICH_CASE_DIALOG_ID, {"case_ids": [c.case_id for c in open_cases], "files": kept}
        )


class WhichCaseDialog(Dialog):
    """Keep the files while the person chooses their case, then hand them to the add-evidence dialog."""

    def __init__(self, cases: CaseRepository, crisis_line: str) -> None:
        super().__init__(WHICH_CASE_DIALOG_ID)
        self._cases = cases
        self._crisis_line = crisis_line

    async def begin_dialog(self, dialog_context: DialogContext, options: Any = None) -> DialogTurnResult:
        values = options if isinstance(options, dict) else {}
        case_ids = [case_id for case_id in values.get("case_ids", []) if isinstance(case_id, str)]
        _state(dialog_context).update(case_ids=case_ids, files=values.get("files", []))
        await self._ask(dialog_context)
        return Dialog.end_of_turn

    async def continue_dialog(self, dialog_context: DialogContext) -> DialogTurnResult:
        texts = self._texts(dialog_context)
        state = _state(dialog_context)
        reply = reply_from(dialog_context.context.activity)
        chosen = reply.value.get("case_id")
        if reply.value.get("q") == WHICH_CASE_QUESTION and chosen in state["case_ids"]:
            files = state["files"]
            return await dialog_context.replace_dialog(ADD_EVIDENCE_DIALOG_ID, {"case_id": chosen, "files": files})
        if reply.files:  # more files before choosing: they go to the same case
            state["files"] = state["files"] + files_to_state(reply.files)
            await self._ask(dialog_context)
            return Dialog.end_of_turn
        count = len(files_from_state(state["files"]))
        if reply.navigation == "cancel":
            await dialog_context.context.say(texts("add_evidence.which_case_dropped", count=count))
            return await dialog_context.end_dialog()
        if isinstance(reply.value.get("command"), str):  # another card's button: say what was not kept, then do it
            await dialog_context.context.say(texts("add_evidence.which_case_dropped", count=count))
            return await dialog_context.end_dialog(PASS_ON)
        await dialog_context.context.say(texts("add_evidence.which_case_again"))
        await self._ask(dialog_context)
        return Dialog.end_of_turn

    async def _ask(self, dialog_context: DialogContext) -> None:
        state = _state(dialog_context)
        cases = [case for case in [await self._case(case_id) for case_id in state["case_ids"]] if case is not None]
        card = which_case_card(self._texts(dialog_context), cases, len(files_from_state(state["files"])))
        await dialog_context.context.show(card)

    async def _case(self, case_id: str) -> Case | None:
        return await self._cases.named(case_id)

    def _texts(self, dialog_context: DialogContext) -> Texts:
        return texts_for(dialog_context.context.activity.locale, self._crisis_line)


def _state(dialog_context: DialogContext) -> dict[str, Any]:
    active = dialog_context.active_dialog
    if active is None:  # only called from this dialog's own turns, when it is on the stack
        raise RuntimeError("which-case dialog without an active dialog")
    return active.state
