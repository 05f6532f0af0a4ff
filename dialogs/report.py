"""The employee's report (UNDER: bevissikring): one question at a time, with back, cancel and edit.

State lives in dialog state (storage), so a restarted bot continues where the user was. Evidence is
stored the moment it arrives, at any question, under the case id chosen when the report starts; the question is then
asked again, and the evidence question still comes in its place. So is a message pasted at a question that expects a
choice or a short answer (domain.evidence.is_pasted_message: several lines, or long); at the description it is the
description. A button of a card outside the report (a `command`: the menu, "Mine sager") is never an answer: the
person hears they are in a report, and the question is asked again. The first question after the safety question
offers the evidence question at once ("send skærmbilleder nu"), then comes back: secure first, explain afterwards.
The case itself is created when the employee sends the report. A cancelled report that holds evidence is kept as a
draft; its author may continue it from "Mine sager" (the safety question again, then on from the first answer
missing) and send it.

The receipt reminds the reporter to follow the local beredskabsplan and offers it when their unit has one
(`has_plan`, the plan viewer's); a failed look-up costs the button, never the receipt of a filed case.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from cards.summary import submitted_card
from content import language_for, texts_for
from dialogs.choose_leader import CHOOSE_LEADER_DIALOG_ID
from dialogs.engine import Dialog, DialogContext, DialogTurnResult
from dialogs.evidence_question import EvidenceQuestion, secure_files, secure_text, together_in_one_message
from dialogs.identity import person_of, tenant_of
from dialogs.question import Asking, Outcome, Question, Step
from dialogs.replies import Reply, reply_from
from dialogs.report_questions import (
    ChannelQuestion,
    ContextQuestion,
    DescriptionQuestion,
    ImpactQuestion,
    KindsQuestion,
    LinksQuestion,
    OffenderQuestion,
    SafetyQuestion,
    SubjectQuestion,
    WhenQuestion,
    WitnessesQuestion,
)
from dialogs.summary_question import SummaryQuestion
from domain.authorization import Actor
from domain.evidence import is_pasted_message
from domain.reporting import ReportDraft, resume_at
from domain.responsibility import holder
from domain.urgency import is_urgent
from services.reporting import ReportServices

log = logging.getLogger("vaern.report")

REPORT_DIALOG_ID = "report"
SECURE_ATTACHED_FILES = "secure_attached_files"
RESUME_DRAFT = "resume_draft"  # the option that continues a kept draft (its case id)
HasPlan = Callable[[str | None], Awaitable[bool]]  # a person's aad object id → their unit has a beredskabsplan


class ReportDialog(Dialog):
    def __init__(self, services: ReportServices, crisis_line: str, has_plan: HasPlan | None = None) -> None:
        super().__init__(REPORT_DIALOG_ID)
        self._services = services
        self._crisis_line = crisis_line
        self._has_plan = has_plan
        self._questions: list[Question] = [
            SafetyQuestion(),
            SubjectQuestion(),
            KindsQuestion(),
            ContextQuestion(),
            ChannelQuestion(),
            WhenQuestion(),
            DescriptionQuestion(),
            OffenderQuestion(),
            LinksQuestion(),
            WitnessesQuestion(),
            ImpactQuestion(),
            EvidenceQuestion(),
            SummaryQuestion(),
        ]
        self._index_of = {question.key: index for index, question in enumerate(self._questions)}

    async def begin_dialog(self, dialog_context: DialogContext, options: Any = None) -> DialogTurnResult:
        activity = dialog_context.context.activity
        values = options if isinstance(options, dict) else {}
        if RESUME_DRAFT in values:  # "Fortsæt" on a draft: never a new report, not even for an id that is none
            return await self._resume(dialog_context, values[RESUME_DRAFT])
        draft = ReportDraft(
            case_id=uuid.uuid4().hex,
            reporter=person_of(activity),
            locale=language_for(activity.locale),
            tenant_id=tenant_of(activity),
            service_url=activity.service_url or "",
        )
        state = dialog_context.active_dialog.state
        state.update(draft=draft.model_dump(mode="json"), index=0, editing=False)
        asking = self._asking(dialog_context, draft)
        await asking.say(f"{asking.texts('report.started')} {asking.texts('common.nav_hint')}")
        files = reply_from(activity).files if values.get(SECURE_ATTACHED_FILES) else []
        if files:
            await asking.say(await secure_files(asking, files))
        await self._questions[0].ask(asking)
        return Dialog.end_of_turn

    async def _resume(self, dialog_context: DialogContext, case_id: object) -> DialogTurnResult:
        """Go on with a kept draft: the safety question first (time has passed), then the first answer missing."""
        activity = dialog_context.context.activity
        actor = Actor(person_of(activity), tenant_id=tenant_of(activity))
        draft = await self._services.resume_draft(actor, case_id) if isinstance(case_id, str) else None
        texts = texts_for(activity.locale, self._crisis_line)
        if draft is None:
            await dialog_context.context.say(texts("my_cases.draft_not_found"))
            return await dialog_context.end_dialog()
        state = dialog_context.active_dialog.state
        state.update(draft=draft.model_dump(mode="json"), index=0, editing=False, resume_at=resume_at(draft.incident))
        asking = self._asking(dialog_context, draft)
        await asking.say(f"{asking.texts('report.resumed')} {asking.texts('common.nav_hint')}")
        await self._questions[0].ask(asking)
        return Dialog.end_of_turn

    async def continue_dialog(self, dialog_context: DialogContext) -> DialogTurnResult:
        state = dialog_context.active_dialog.state
        draft = ReportDraft.model_validate(state["draft"])
        asking = self._asking(dialog_context, draft)
        reply = reply_from(dialog_context.context.activity)
        question = self._questions[state["index"]]
        navigation = reply.navigation
        if navigation == "cancel":
            return await self._cancel(dialog_context, asking)
        if navigation == "help":
            await asking.say(f"{asking.texts('common.nav_hint')}\n\n☎ {asking.texts('common.crisis_line')}")
            await question.ask(asking)
            return Dialog.end_of_turn
        if reply.files and question.key != EvidenceQuestion.key:
            await self._secure_on_the_way(asking, reply)
            await question.ask(asking)
            return Dialog.end_of_turn
        if not reply.value and is_pasted_message(reply.text, expects_short_answer=question.expects_short_answer):
            await self._secure_pasted_on_the_way(asking, reply.text)
            await question.ask(asking)
            return Dialog.end_of_turn
        if self._is_stale(reply, question):
            await asking.say(asking.texts("common.stale_card"))
            await question.ask(asking)
            return Dialog.end_of_turn
        if _is_other_card(reply):
            await asking.say(asking.texts("report.other_card"))
            await question.ask(asking)
            return Dialog.end_of_turn
        if navigation == "back":
            back_from_detour = state.pop("return_to", None)
            state["index"] = back_from_detour if back_from_detour is not None else self._previous(state["index"], draft)
            state["editing"] = False
            await self._questions[state["index"]].ask(asking)
            return Dialog.end_of_turn
        step = await question.answer(asking, reply)
        state["draft"] = draft.model_dump(mode="json")
        return await self._follow(dialog_context, asking, step)

    async def _follow(self, dialog_context: DialogContext, asking: Asking, step: Step) -> DialogTurnResult:
        state = dialog_context.active_dialog.state
        if step.outcome is Outcome.STAY:
            return Dialog.end_of_turn
        if step.outcome is Outcome.SUBMIT:
            return await self._submit(dialog_context, asking)
        if step.outcome is Outcome.EDIT and step.target in self._index_of:
            state["index"], state["editing"] = self._index_of[step.target], True
        elif step.outcome is Outcome.DETOUR and step.target in self._index_of:
            state["return_to"], state["index"] = state["index"], self._index_of[step.target]
        elif "return_to" in state:  # back from a detour to the question it left
            state["index"] = state.pop("return_to")
        elif state.get("editing"):
            state["index"], state["editing"] = self._index_of["summary"], False
        elif state.get("resume_at") in self._index_of:  # a continued draft: on from the first answer missing
            state["index"] = self._index_of[state.pop("resume_at")]
        else:
            state["index"] = self._next(state["index"], asking.draft)
        await self._questions[state["index"]].ask(asking)
        return Dialog.end_of_turn

    @staticmethod
    async def _secure_on_the_way(asking: Asking, reply: Reply) -> None:
        """Files sent at any question are secured at once and belong to the report; the question is asked again."""
        outcome = await secure_files(asking, reply.files)
        count = len(await asking.services.evidence.list_items(asking.draft.case_id))
        await asking.say(together_in_one_message(outcome, asking.texts("report.secured_on_the_way", count=count)))

    @staticmethod
    async def _secure_pasted_on_the_way(asking: Asking, text: str) -> None:
        """A message pasted at a question that expects a short answer is secured as evidence, not taken as the
        answer; the question is asked again."""
        outcome = await secure_text(asking, text)
        count = len(await asking.services.evidence.list_items(asking.draft.case_id))
        said = (asking.texts("report.pasted_on_the_way"), asking.texts("report.secured_on_the_way", count=count))
        await asking.say(together_in_one_message(outcome, *said))

    def _is_stale(self, reply: Reply, question: Question) -> bool:
        """A click on a card from an earlier question (Teams keeps old cards clickable)."""
        return "q" in reply.value and reply.value.get("q") != question.key

    def _next(self, index: int, draft: ReportDraft) -> int:
        for candidate in range(index + 1, len(self._questions)):
            if self._questions[candidate].applies(draft):
                return candidate
        return len(self._questions) - 1

    def _previous(self, index: int, draft: ReportDraft) -> int:
        for candidate in range(index - 1, -1, -1):
            if self._questions[candidate].applies(draft):
                return candidate
        return 0

    async def _submit(self, dialog_context: DialogContext, asking: Asking) -> DialogTurnResult:
        draft = asking.draft
        case = await self._services.file_report(draft)
        plan = case.leader is not None and await self._offers_plan(draft)
        notifications = self._services.notifications
        receipt = submitted_card(
            asking.texts,
            case.reference,
            draft,
            holder(case),
            plan=plan,
            urgent=is_urgent(case.incident),
            told_at_once=notifications.told_at_once(case),
            on_call_phone=notifications.on_call_phone,
            same_offender=case.same_offender_closed,
            same_offender_ids=case.same_offender_closed_ids,
        )
        await asking.show(receipt)
        if case.leader is None:
            return await dialog_context.replace_dialog(CHOOSE_LEADER_DIALOG_ID, {"case_id": case.case_id})
        return await dialog_context.end_dialog(draft.case_id)

    async def _offers_plan(self, draft: ReportDraft) -> bool:
        """Whether the receipt offers the reporter's beredskabsplan: only when it exists and could be looked up."""
        if self._has_plan is None:
            return False
        try:
            return await self._has_plan(draft.reporter.aad_object_id)
        except Exception:  # the case is filed: the receipt goes out without the button rather than not at all
            log.exception(
                "could not look up the reporter's response plan", extra={"fields": {"case_id": draft.case_id}}
            )
            return False

    async def _cancel(self, dialog_context: DialogContext, asking: Asking) -> DialogTurnResult:
        """The last word of a stopped report: no card follows it, so it carries the crisis line itself."""
        kept = await self._services.cancel_report(asking.draft)
        said = asking.texts("report.cancelled_with_evidence", count=kept) if kept else asking.texts("report.cancelled")
        await asking.say(f"{said}\n\n☎ {asking.texts('common.crisis_line')}")
        return await dialog_context.end_dialog()

    def _asking(self, dialog_context: DialogContext, draft: ReportDraft) -> Asking:
        texts = texts_for(dialog_context.context.activity.locale, self._crisis_line)
        return Asking(dialog_context.context, texts, draft, self._services)


def _is_other_card(reply: Reply) -> bool:
    """A button of a card outside the report (the menu, "Mine sager", a guide): never taken as an answer."""
    return isinstance(reply.value.get("command"), str) and "q" not in reply.value and "nav" not in reply.value
