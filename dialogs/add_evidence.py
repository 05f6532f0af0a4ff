"""Add evidence or a note to an open case, append-only: files are secured exactly as in the report (sniffed,
streamed with SHA-256, never overwritten) and a note is stored as text evidence, until the person says
"færdig". Only the case's subject or reporter may add, and only while the case is sent and not closed.
When they finish, whoever holds the case hears how many new items arrived (the person is told who, truthfully),
and the addition is audited.

Files sent outside any dialog go to the person's open case (`place_files`): with one open case they are secured there
at once and the leader is told; with several, the person chooses the case first (`WhichCaseDialog`); with none, a
report starts with them. Evidence sent after filing never starts a second report about the same case.

The dialog also ends when the person presses a button of another card (a `command`) or comes back after a
long pause; it then ends with PASS_ON so the handler deals with that message as a new one, and nothing the
person meant for the menu is stored as a note. A click on the add-evidence card itself is never lost: when the dialog
has ended (or ends for the pause), the click begins it again and is taken there (`FROM_CARD`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from cards.my_cases import ADD_EVIDENCE_QUESTION, add_evidence_card, is_open
from content import Texts, texts_for
from dialogs.attachments import files_from_state
from dialogs.engine import Dialog, DialogContext, DialogTurnResult
from dialogs.evidence_question import secure_files, secure_text, together_in_one_message
from dialogs.identity import person_of, tenant_of
from dialogs.question import Asking
from dialogs.replies import Reply, reply_from
from domain.audit import AuditEvent
from domain.authorization import Actor, Role, roles_on
from domain.case import Case
from domain.reporting import ReportDraft
from domain.responsibility import Holder, holder
from services.logging_setup import correlation_id
from services.reporting import ReportServices
from storage.audit import AuditLog

ADD_EVIDENCE_DIALOG_ID = "add_evidence"
PASS_ON = "pass_on"  # the dialog ended without using this message: the handler should route it
FROM_CARD = "from_card"  # the option that begins the dialog with a click on its card (the note in it is kept)
IDLE_LIMIT = timedelta(minutes=30)
AUDIT_ACTION = "evidence_added"


def adding_role(case: Case, actor: Actor) -> Role | None:
    """The role in which the actor may add to the case: its subject or its reporter, while it is open."""
    roles = roles_on(case, actor)
    if not is_open(case):
        return None
    if Role.SUBJECT in roles:
        return Role.SUBJECT
    return Role.REPORTER if Role.REPORTER in roles else None


def can_add_evidence(case: Case, actor: Actor) -> bool:
    return adding_role(case, actor) is not None


def finished_key(case: Case | None, actor: Actor) -> str:
    """The thanks for added evidence, naming who hears of it (`CaseNotifications.evidence_added`): whoever holds the
    case (domain.responsibility), "your leader" only to its employee; nobody while nobody holds it."""
    who = holder(case) if case is not None else Holder.NOBODY
    if who is Holder.LEADER:
        return "add_evidence.finished" if Role.SUBJECT in roles_on(case, actor) else "add_evidence.finished_other"
    return f"add_evidence.finished_{who.value}"


class AddEvidenceDialog(Dialog):
    def __init__(self, services: ReportServices, audit: AuditLog, crisis_line: str) -> None:
        super().__init__(ADD_EVIDENCE_DIALOG_ID)
        self._services = services
        self._audit = audit
        self._crisis_line = crisis_line

    async def begin_dialog(self, dialog_context: DialogContext, options: Any = None) -> DialogTurnResult:
        texts = self._texts(dialog_context)
        case_id = options.get("case_id") if isinstance(options, dict) else None
        case = await self._case(case_id)
        actor = _actor(dialog_context)
        if case is None or not roles_on(case, actor) & {Role.SUBJECT, Role.REPORTER}:
            await _say(dialog_context, texts("add_evidence.not_found"))
            return await dialog_context.end_dialog()
        if not can_add_evidence(case, actor):
            key = "add_evidence.not_found" if case.reference == "" else "add_evidence.closed"
            await _say(dialog_context, texts(key, reference=case.reference))
            return await dialog_context.end_dialog()
        before = len(await self._services.evidence.list_items(case.case_id))
        dialog_context.active_dialog.state.update(
            case_id=case.case_id, reference=_reference(case), before=before, last_at=self._now().isoformat()
        )
        files = files_from_state(options.get("files")) if isinstance(options, dict) else []
        if files:  # sent without asking: secured in the case at once, and the leader is told
            await _say(dialog_context, await secure_files(self._asking(dialog_context, texts, case), files))
            return await self._finish(dialog_context, texts)
        if isinstance(options, dict) and options.get(FROM_CARD):  # its card, clicked after the dialog ended
            reply = reply_from(dialog_context.context.activity)
            if reply.answer == "done":
                return await self._finish(dialog_context, texts)
            return await self._add(dialog_context, texts, case, reply)
        await _show(dialog_context, add_evidence_card(texts, case))
        return Dialog.end_of_turn

    async def continue_dialog(self, dialog_context: DialogContext) -> DialogTurnResult:
        texts = self._texts(dialog_context)
        state = dialog_context.active_dialog.state
        reply = reply_from(dialog_context.context.activity)
        idle = self._now() - datetime.fromisoformat(state["last_at"]) > IDLE_LIMIT
        state["last_at"] = self._now().isoformat()
        if idle or isinstance(reply.value.get("command"), str):
            return await self._finish(dialog_context, texts, result=PASS_ON)
        if self._is_stale(reply, state):
            await _say(dialog_context, texts("add_evidence.stale", reference=state["reference"]))
            return Dialog.end_of_turn
        if reply.navigation == "cancel" or reply.answer == "done" or reply.typed("done"):
            return await self._finish(dialog_context, texts)
        case = await self._case(state["case_id"])
        if case is None or not can_add_evidence(case, _actor(dialog_context)):
            await _say(dialog_context, texts("add_evidence.closed", reference=state["reference"]))
            return await self._finish(dialog_context, texts, quietly=True)
        return await self._add(dialog_context, texts, case, reply)

    async def _add(self, dialog_context: DialogContext, texts: Texts, case: Case, reply: Reply) -> DialogTurnResult:
        if reply.navigation in ("help", "back") and not reply.files:
            await _show(dialog_context, add_evidence_card(texts, case))
            return Dialog.end_of_turn
        note = reply.field("note") if reply.value else reply.text
        if reply.answer == "note" and not note and not reply.files:
            await _say(dialog_context, texts("add_evidence.empty_note"))
            return Dialog.end_of_turn
        asking = self._asking(dialog_context, texts, case)
        files_outcome = await secure_files(asking, reply.files) if reply.files else ""
        note_outcome = await secure_text(asking, note) if note else ""
        await asking.say(together_in_one_message(files_outcome, note_outcome, texts("add_evidence.more")))
        return Dialog.end_of_turn

    async def _finish(
        self, dialog_context: DialogContext, texts: Texts, *, result: str | None = None, quietly: bool = False
    ) -> DialogTurnResult:
        """Tell the leader and audit when anything was added; tell the person what was stored."""
        state = dialog_context.active_dialog.state
        evidence = await self._services.evidence.list_items(state["case_id"])
        added = len(evidence) - int(state["before"])
        case = await self._case(state["case_id"])
        if added > 0 and case is not None:
            await self._services.notifications.evidence_added(case, added, evidence)
            await self._record(dialog_context, case, added)
        if not quietly:
            key = finished_key(case, _actor(dialog_context)) if added > 0 else "add_evidence.finished_none"
            await _say(dialog_context, texts(key, count=added, reference=state["reference"]))
        return await dialog_context.end_dialog(result)

    async def _record(self, dialog_context: DialogContext, case: Case, added: int) -> None:
        actor = _actor(dialog_context)
        role = roles_on(case, actor) & {Role.SUBJECT, Role.REPORTER}
        event = AuditEvent.by(
            actor.person,
            actor.tenant_id,
            case_id=case.case_id,
            at=self._now(),
            role=(Role.SUBJECT if Role.SUBJECT in role else Role.REPORTER).value,
            action=AUDIT_ACTION,
            correlation_id=correlation_id.get(),
            detail=str(added),
        )
        await self._audit.append(event)

    @staticmethod
    def _is_stale(reply: Reply, state: dict[str, Any]) -> bool:
        """A click on an add-evidence card of another case (Teams keeps old cards clickable)."""
        return reply.value.get("q") == ADD_EVIDENCE_QUESTION and reply.value.get("case_id") != state["case_id"]

    async def _case(self, case_id: object) -> Case | None:
        return await self._services.cases.named(case_id)

    def _asking(self, dialog_context: DialogContext, texts: Texts, case: Case) -> Asking:
        """What secure_files/secure_text need: the case id to store under and the uploader (this person)."""
        draft = ReportDraft(case_id=case.case_id, reporter=person_of(dialog_context.context.activity))
        return Asking(dialog_context.context, texts, draft, self._services)

    def _now(self) -> datetime:
        return self._services.clock.now()

    def _texts(self, dialog_context: DialogContext) -> Texts:
        return texts_for(dialog_context.context.activity.locale, self._crisis_line)


def _reference(case: Case) -> str:
    return case.reference or case.case_id[:8]


def _actor(dialog_context: DialogContext) -> Actor:
    activity = dialog_context.context.activity
    return Actor(person_of(activity), tenant_id=tenant_of(activity))


async def _say(dialog_context: DialogContext, text: str) -> None:
    await dialog_context.context.say(text)


async def _show(dialog_context: DialogContext, card: dict[str, Any]) -> None:
    await dialog_context.context.show(card)
