"""The employee's report (UNDER: bevissikring): one question at a time, with back, cancel and edit.

State lives in dialog state (storage), so a restarted bot continues where the user was. Evidence is
stored the moment it arrives, under the case id chosen when the report starts; the case itself is
created when the employee sends the report. A cancelled report that holds evidence is kept as a draft.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from typing import Any

from botbuilder.dialogs import Dialog, DialogContext, DialogTurnResult

from bot.identity import person_of, tenant_of
from bot.together import together
from cards.summary import submitted_card
from content import Texts, language_for
from dialogs.choose_leader import CHOOSE_LEADER_DIALOG_ID
from dialogs.evidence_question import EvidenceQuestion, secure_files
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
from dialogs.report_services import ReportServices
from dialogs.summary_question import SummaryQuestion
from domain.case import Case, CaseStatus
from domain.evidence import EvidenceItem
from domain.reporting import ReportDraft, to_case
from storage.cases import Reservation
from storage.ports import RequiredWriteFailed

REPORT_DIALOG_ID = "report"
SECURE_ATTACHED_FILES = "secure_attached_files"


class ReportDialog(Dialog):
    def __init__(self, services: ReportServices, crisis_line: str) -> None:
        super().__init__(REPORT_DIALOG_ID)
        self._services = services
        self._crisis_line = crisis_line
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
        files = reply_from(activity).files if isinstance(options, dict) and options.get(SECURE_ATTACHED_FILES) else []
        if files:
            await asking.say(await secure_files(asking, files))
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
        if self._is_stale(reply, question) and not reply.files:
            await asking.say(asking.texts("common.stale_card"))
            await question.ask(asking)
            return Dialog.end_of_turn
        if navigation == "back":
            state["index"] = self._previous(state["index"], draft)
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
        elif state.get("editing"):
            state["index"], state["editing"] = self._index_of["summary"], False
        else:
            state["index"] = self._next(state["index"], asking.draft)
        await self._questions[state["index"]].ask(asking)
        return Dialog.end_of_turn

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
        draft, services = asking.draft, self._services
        existing = await services.cases.get(draft.case_id)
        if existing is not None:
            # Sent before, but the bot stopped before it finished: finish it (each step is idempotent).
            case = existing.case
            if case.status is CaseStatus.DRAFT:
                await services.case_index.add(case)
            else:
                evidence = await services.evidence.list_items(case.case_id)
                await together(services.notifications.case_reported(case, evidence), services.case_index.add(case))
            await asking.show(submitted_card(asking.texts, case.reference, draft))
            if case.leader is None:
                return await dialog_context.replace_dialog(CHOOSE_LEADER_DIALOG_ID, {"case_id": case.case_id})
            return await dialog_context.end_dialog(draft.case_id)
        now = services.clock.now()
        evidence = await services.evidence.list_items(draft.case_id)
        case = to_case(draft, reference="", evidence=evidence, now=now, status=CaseStatus.REPORTED)
        case = await services.notifications.assign(case)
        await services.references.use_next(now.year, lambda reservation: self._file(case, evidence, reservation))
        await asking.show(submitted_card(asking.texts, case.reference, draft))
        if case.leader is None:
            return await dialog_context.replace_dialog(CHOOSE_LEADER_DIALOG_ID, {"case_id": case.case_id})
        return await dialog_context.end_dialog(draft.case_id)

    async def _file(self, case: Case, evidence: list[EvidenceItem], reservation: Reservation) -> None:
        """Store the reported case with its reference (the counter's write of its number: `reservation.counted`),
        its follow-ups, its leader's card and its place in the people index. A number another bot process took
        first fails the case and all of it, and `ReferenceCounter.use_next` files it again with the next.

        The follow-ups and the card need the stored case (a follow-up that came due without its case would be
        dropped; the card carries its reference). Where the store keeps the order of writes (the local one, which
        also holds the local job queue's jobs), nothing waits: the case is queued right behind its number and
        stored only if the number is, the follow-ups and the card right behind the case and stored only if it is
        (`storage.ports.put_if_stored`), so all of it is one transaction, or a few in a row, and "confirm" waits
        for one commit. A second confirm of the same report at the same moment stores neither a case (it exists)
        nor a card or jobs (theirs wait for that case's write, which failed); its number stays unused.
        Elsewhere (Azure) the case is stored first, then its follow-ups and card.
        The index holds case ids and its readers pass over one whose case is not there, so it never waits.
        """
        services = self._services
        case.reference = reservation.reference
        stored = services.cases.create(case, if_stored=reservation.counted)
        if not services.cases.keeps_write_order:
            await together(self._report_once_stored(stored, case, evidence), services.case_index.add(case))
            return
        try:
            await together(
                services.notifications.plan_follow_ups(case, if_stored=stored),
                services.notifications.tell_leader(case, evidence, if_stored=stored),
                services.case_index.add(case),
                stored,
            )
        except RequiredWriteFailed:
            await stored  # what kept the case from being stored kept the rest: raise that
            raise

    async def _report_once_stored(self, stored: Awaitable[str], case: Case, evidence: list[EvidenceItem]) -> None:
        await stored
        await self._services.notifications.case_reported(case, evidence)

    async def _cancel(self, dialog_context: DialogContext, asking: Asking) -> DialogTurnResult:
        draft, services = asking.draft, self._services
        evidence = await services.evidence.list_items(draft.case_id)
        if evidence and await services.cases.get(draft.case_id) is None:
            case = to_case(draft, reference="", evidence=evidence, now=services.clock.now(), status=CaseStatus.DRAFT)
            await services.cases.create(case)
            await services.case_index.add(case)
            await asking.say(asking.texts("report.cancelled_with_evidence", count=len(evidence)))
        else:
            await asking.say(asking.texts("report.cancelled"))
        return await dialog_context.end_dialog()

    def _asking(self, dialog_context: DialogContext, draft: ReportDraft) -> Asking:
        texts = Texts(language_for(dialog_context.context.activity.locale), {"crisis_line": self._crisis_line})
        return Asking(dialog_context.context, texts, draft, self._services)
