"""The unit's response plan (beredskabsplan, the guideline's Bilag 1).

`ResponsePlanDialog` ("beredskabsplan"): the unit's leader, deputy or safety representative walks the guideline's
ten questions one card at a time (prefilled with the saved plan), then contacts (prefilled from the directory and
the HR crisis line), who does what when it happens, and the revision date, and saves the plan as a new version.
"Gem og stop" keeps the draft in the conversation state (the `drafts` property), and the next "beredskabsplan"
resumes at that step. Like the add-evidence dialog it ends with PASS_ON when another card's `command` arrives or
after a long pause, saving the draft first, so the handler routes that message.

`ResponsePlanViewer` ("hvad er vores beredskabsplan?", the welcome card's and the report receipt's button): any
employee of the unit sees the current version, read-only, and can export it: as Markdown in the chat and, in their
own chat, as a PDF to print, offered with a Teams file consent card (bot.plan_files).

Someone who is leader, deputy or safety representative of more than one unit is first asked which one
(`pick_unit`, a small choice card); for reading, the unit they work in counts too. The choice card's buttons, and
the plan card's, carry the `unit_id`; a unit id the person has no plan role in (or may not read) is never taken.

Revision reminders: each saved plan is handed to `on_saved`, which plans a follow-up job for its revision date
(services/plan_reminders.py); the plan card also shows an overdue date.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from cards.markdown import escape_markdown
from cards.response_plan import (
    ANSWER_INPUT,
    PLAN_EDIT_COMMAND,
    PLAN_EXPORT_COMMAND,
    PLAN_QUESTION,
    PLAN_SHOW_COMMAND,
    REVISION_INPUT,
    choose_unit_card,
    contacts_card,
    plan_card,
    question_card,
    revision_card,
    roles_card,
    summary_card,
)
from cards.response_plan_text import plan_markdown
from content import Texts, texts_for
from dialogs.add_evidence import PASS_ON
from dialogs.engine import Dialog, DialogContext, DialogTurnResult
from dialogs.identity import person_of
from dialogs.replies import Reply, reply_from
from dialogs.turn import Turn
from domain.clock import Clock
from domain.reporting import DEFAULT_TIMEZONE, clean_free_text
from domain.response_plan import (
    CONTACT_KEYS,
    MAX_ANSWER,
    MAX_CONTACT,
    MAX_ROLE,
    QUESTION_KEYS,
    ROLE_KEYS,
    Contacts,
    PlanError,
    ResponsePlan,
    RolesWhenItHappens,
    check_revision_date,
    default_revision_date,
    may_read,
    who_may_edit,
)
from services.roles import Directory, Unit
from storage.response_plans import ResponsePlanRepository

log = logging.getLogger("vaern.plans")

RESPONSE_PLAN_DIALOG_ID = "response_plan"
STEPS: tuple[str, ...] = (*QUESTION_KEYS, "contacts", "roles", "revision", "summary")
IDLE_LIMIT = timedelta(minutes=30)
MESSAGE_LIMIT = 20_000  # characters per Markdown message; Teams stops at about 28 KB
DRAFT_PROPERTY = "ResponsePlanDraft"


def _texts(context: Turn, crisis_line: str) -> Texts:
    return texts_for(context.activity.locale, crisis_line)


async def _say(context: Turn, text: str) -> None:
    await context.say(text)


async def _show(context: Turn, card: dict[str, Any]) -> None:
    await context.show(card)


async def pick_unit(context: Turn, texts: Texts, units: list[Unit], command: str) -> Unit | None:
    """The unit this turn is about: the one the card named if it is among `units`, else the only one. With several
    and none named, a card asks which (each button sends `command` again with its unit) and the answer is None."""
    wanted = reply_from(context.activity).value.get("unit_id")
    for unit in units:
        if unit.id == wanted:
            return unit
    if len(units) == 1:
        return units[0]
    if units:
        await _show(context, choose_unit_card(texts, [(unit.id, unit.name) for unit in units], command))
    return None


def markdown_messages(markdown: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """The Markdown in as few messages as fit, cut between sections (## ...) where it must be cut."""
    parts = markdown.split("\n## ")
    messages, current = [], parts[0]
    for part in parts[1:]:
        if len(current) + len(part) + 4 > limit:
            messages.append(current)
            current = "## " + part
        else:
            current += "\n## " + part
    messages.append(current)
    return [piece[i : i + limit] for piece in messages for i in range(0, len(piece), limit)]


async def send_markdown(context: Turn, texts: Texts, markdown: str) -> None:
    await _say(context, texts("plan_dialog.export_intro"))
    for message in markdown_messages(markdown):
        await context.say(message, markdown=True)


def _saved_on(plan: ResponsePlan) -> date:
    return plan.updated_at.astimezone(DEFAULT_TIMEZONE).date()


class PlanFiles(Protocol):
    """Offers a plan as a PDF in the chat (the Teams edge's bot.plan_files, with a file consent card)."""

    async def offer(self, turn: Turn, plan: ResponsePlan, texts: Texts) -> None: ...


class ResponsePlanViewer:
    """'hvad er vores beredskabsplan?' and 'Eksportér' for anyone of the unit: one turn each, no dialog state."""

    def __init__(
        self, plans: ResponsePlanRepository, directory: Directory, clock: Clock, crisis_line: str, files: PlanFiles
    ) -> None:
        self._plans = plans
        self._directory = directory
        self._clock = clock
        self._crisis_line = crisis_line
        self._files = files

    def _readable_units(self, aad_object_id: str | None) -> list[Unit]:
        """The units whose plan the person may read: their own first, then those where they have a plan role."""
        person = self._directory.find(aad_object_id)
        own_id = person.unit if person is not None else None
        own = self._directory.unit(own_id) if own_id else None
        units = [own] if own is not None else []
        units += [unit for unit in self._directory.units_with_role(aad_object_id) if unit.id != own_id]
        return [unit for unit in units if may_read(unit, aad_object_id, own_id)]

    async def _readable(self, context: Turn, texts: Texts, command: str) -> tuple[ResponsePlan | None, Unit | None]:
        units = self._readable_units(person_of(context.activity).aad_object_id)
        if not units:
            await _say(context, texts("plan_dialog.not_in_unit"))
            return None, None
        unit = await pick_unit(context, texts, units, command)
        if unit is None:
            return None, None
        current = await self._plans.current(unit.id)
        if current is None:
            await _say(context, texts("plan_dialog.no_plan", unit=escape_markdown(unit.name)))
            return None, unit
        return current.plan, unit

    async def has_plan(self, aad_object_id: str | None) -> bool:
        """Whether a unit whose plan the person may read has one (the report's receipt then offers it)."""
        for unit in self._readable_units(aad_object_id):
            if await self._plans.current(unit.id) is not None:
                return True
        return False

    async def show(self, context: Turn) -> None:
        texts = _texts(context, self._crisis_line)
        plan, unit = await self._readable(context, texts, PLAN_SHOW_COMMAND)
        if plan is None or unit is None:
            return
        today = self._clock.now().astimezone(DEFAULT_TIMEZONE).date()
        editor = who_may_edit(unit, person_of(context.activity).aad_object_id)
        await _show(context, plan_card(texts, plan, today=today, can_edit=editor, saved_on=_saved_on(plan)))

    async def export(self, context: Turn) -> None:
        """The plan as Markdown in the chat, then as a PDF offered with a file consent card (bot.plan_files)."""
        texts = _texts(context, self._crisis_line)
        plan, _ = await self._readable(context, texts, PLAN_EXPORT_COMMAND)
        if plan is None:
            return
        await send_markdown(context, texts, plan_markdown(texts, plan))
        fields = {"unit_id": plan.unit_id, "version": plan.version, "user_id": person_of(context.activity).user_id}
        log.info("plan exported as markdown", extra={"fields": fields})
        await self._files.offer(context, plan, texts)


class ResponsePlanDialog(Dialog):
    def __init__(
        self,
        plans: ResponsePlanRepository,
        directory: Directory,
        clock: Clock,
        crisis_line: str,
        on_saved: Callable[[ResponsePlan], Awaitable[object]] | None = None,
    ) -> None:
        super().__init__(RESPONSE_PLAN_DIALOG_ID)
        self._on_saved = on_saved
        self._plans = plans
        self._directory = directory
        self._clock = clock
        self._crisis_line = crisis_line

    # --- start -------------------------------------------------------------------------------------------

    async def begin_dialog(self, dialog_context: DialogContext, options: Any = None) -> DialogTurnResult:
        context = dialog_context.context
        texts = _texts(context, self._crisis_line)
        aad_object_id = person_of(context.activity).aad_object_id
        units = self._directory.units_with_role(aad_object_id)
        if not units:
            known = self._directory.find(aad_object_id) is not None
            await _say(context, texts("plan_dialog.not_editor" if known else "plan_dialog.unknown_unit"))
            return await dialog_context.end_dialog()
        unit = await pick_unit(context, texts, units, PLAN_EDIT_COMMAND)
        if unit is None:  # asked which unit; the answer starts the dialog again
            return await dialog_context.end_dialog()
        saved = dialog_context.properties.get(DRAFT_PROPERTY)
        if isinstance(saved, dict) and saved.get("unit_id") == unit.id and saved.get("step") in STEPS:
            draft = saved
            await _say(context, texts("plan_dialog.resumed", unit=escape_markdown(unit.name)))
        else:
            current = await self._plans.current(unit.id)
            draft = self._new_draft(texts, unit, current.plan if current else None)
            if current is None:
                await _say(context, texts("plan_dialog.started", unit=escape_markdown(unit.name)))
            else:
                await _say(
                    context, texts("plan_dialog.editing", unit=escape_markdown(unit.name), version=current.plan.version)
                )
        dialog_context.active_dialog.state.update(draft=draft, last_at=self._clock.now().isoformat())
        await self._ask(context, texts, draft)
        return Dialog.end_of_turn

    def _new_draft(self, texts: Texts, unit: Unit, plan: ResponsePlan | None) -> dict[str, Any]:
        if plan is not None:
            answers = dict(plan.answers)
            contacts, roles = plan.contacts.model_dump(), plan.roles_when_it_happens.model_dump()
            revision = max(plan.revision_date, default_revision_date(self._today()))
        else:
            answers, revision = {}, default_revision_date(self._today())
            contacts, roles = self._directory_contacts(texts, unit), self._default_roles(texts, unit)
        return {
            "unit_id": unit.id,
            "unit_name": unit.name,
            "step": STEPS[0],
            "answers": answers,
            "contacts": contacts,
            "roles": roles,
            "revision_date": revision.isoformat(),
            "base_version": plan.version if plan else 0,
        }

    def _name(self, aad_object_id: str | None) -> str:
        person = self._directory.person(aad_object_id) if aad_object_id else None
        return person.name if person is not None else ""

    def _directory_contacts(self, texts: Texts, unit: Unit) -> dict[str, str]:
        representatives = ", ".join(filter(None, (self._name(aad) for aad in unit.safety_representatives)))
        return {
            "leader": self._name(unit.leader),
            "deputy": self._name(unit.deputy),
            "safety_representative": representatives,
            "hr": texts("plan_card.hr_default"),
            "crisis_line": self._crisis_line,
        }

    def _default_roles(self, texts: Texts, unit: Unit) -> dict[str, str]:
        leader, deputy = self._name(unit.leader) or "–", self._name(unit.deputy) or "–"
        return {
            "alarm": texts("plan_card.role_alarm_default"),
            "responsible_leader": texts("plan_card.role_responsible_leader_default", leader=leader, deputy=deputy),
            "staffing": texts("plan_card.role_staffing_default"),
            "communication": texts("plan_card.role_communication_default"),
        }

    # --- each turn ---------------------------------------------------------------------------------------

    async def continue_dialog(self, dialog_context: DialogContext) -> DialogTurnResult:
        context = dialog_context.context
        texts = _texts(context, self._crisis_line)
        state = dialog_context.active_dialog.state
        draft: dict[str, Any] = state["draft"]
        reply = reply_from(context.activity)
        idle = self._clock.now() - datetime.fromisoformat(state["last_at"]) > IDLE_LIMIT
        state["last_at"] = self._clock.now().isoformat()
        if idle or isinstance(reply.value.get("command"), str):
            dialog_context.properties[DRAFT_PROPERTY] = draft
            return await dialog_context.end_dialog(PASS_ON)
        step = draft["step"]
        if reply.value.get("q") == PLAN_QUESTION and reply.value.get("step") != step:
            await _say(context, texts("plan_dialog.stale"))
            await self._ask(context, texts, draft)
            return Dialog.end_of_turn
        action = self._action(reply, step)
        problem = self._take_inputs(texts, draft, step, reply, strict=action == "next")
        if problem:
            await _say(context, problem)
            await self._ask(context, texts, draft)
            return Dialog.end_of_turn
        index = STEPS.index(step)
        if action == "next":
            draft["step"] = STEPS[min(index + 1, len(STEPS) - 1)]
        elif action == "back":
            draft["step"] = STEPS[max(index - 1, 0)]
        elif action == "stop":
            dialog_context.properties[DRAFT_PROPERTY] = draft
            await _say(context, texts("plan_dialog.stopped", step=index + 1, total=len(STEPS)))
            return await dialog_context.end_dialog()
        elif action == "save":
            return await self._save(dialog_context, texts, draft)
        elif action == "export":
            await send_markdown(context, texts, plan_markdown(texts, self._plan_of(context, draft), draft=True))
            return Dialog.end_of_turn
        await self._ask(context, texts, draft)
        return Dialog.end_of_turn

    @staticmethod
    def _action(reply: Reply, step: str) -> str:
        pressed = reply.value.get("plan_action")
        if isinstance(pressed, str):
            return pressed
        if reply.navigation == "back":
            return "back"
        if reply.navigation == "cancel":
            return "stop"
        if step in QUESTION_KEYS and reply.text:
            return "next"  # a typed answer to a question
        if step == "revision" and reply.text:
            return "next"  # a typed date
        if step == "summary" and reply.typed("plan_save"):
            return "save"
        return "show"

    def _take_inputs(self, texts: Texts, draft: dict[str, Any], step: str, reply: Reply, *, strict: bool) -> str:
        """Copy what the card (or the typed text) holds into the draft; a problem text when it cannot be used."""
        value = reply.value
        if not value and reply.navigation is not None:
            return ""  # a typed 'tilbage' or 'annuller' is no answer
        if step in QUESTION_KEYS:
            raw = value.get(ANSWER_INPUT) if reply.value.get("q") == PLAN_QUESTION else reply.text
            if isinstance(raw, str):
                text = clean_free_text(raw, MAX_ANSWER + 1)
                if len(text) > MAX_ANSWER:
                    return texts("plan_dialog.too_long", limit=MAX_ANSWER)
                draft["answers"][step] = text
        elif step == "contacts" and value.get("q") == PLAN_QUESTION:
            for key in CONTACT_KEYS:
                if isinstance(value.get(f"contact_{key}"), str):
                    draft["contacts"][key] = clean_free_text(value[f"contact_{key}"], MAX_CONTACT)
        elif step == "roles" and value.get("q") == PLAN_QUESTION:
            for key in ROLE_KEYS:
                if isinstance(value.get(f"role_{key}"), str):
                    draft["roles"][key] = clean_free_text(value[f"role_{key}"], MAX_ROLE)
        elif step == "revision":
            raw = value.get(REVISION_INPUT) if value.get("q") == PLAN_QUESTION else reply.text
            return self._take_date(texts, draft, raw, strict=strict)
        return ""

    def _take_date(self, texts: Texts, draft: dict[str, Any], raw: object, *, strict: bool) -> str:
        example = default_revision_date(self._today()).isoformat()
        if raw is None or raw == "":
            raw = draft["revision_date"]  # the card's prefilled date, unchanged
        try:
            chosen = date.fromisoformat(raw.strip()) if isinstance(raw, str) else None
        except ValueError:
            chosen = None
        if chosen is None:
            return texts("plan_dialog.date_invalid", example=example) if strict else ""
        try:
            check_revision_date(chosen, self._today())
        except PlanError as error:
            if not strict:
                return ""
            key = "date_not_future" if str(error) == "revision_date_not_future" else "date_too_far"
            return texts(f"plan_dialog.{key}")
        draft["revision_date"] = chosen.isoformat()
        return ""

    async def _ask(self, context: Turn, texts: Texts, draft: dict[str, Any]) -> None:
        step, unit_name = draft["step"], draft["unit_name"]
        if step in QUESTION_KEYS:
            card = question_card(texts, unit_name, step, draft["answers"].get(step, ""))
        elif step == "contacts":
            card = contacts_card(texts, unit_name, Contacts(**draft["contacts"]))
        elif step == "roles":
            card = roles_card(texts, unit_name, RolesWhenItHappens(**draft["roles"]))
        elif step == "revision":
            card = revision_card(texts, unit_name, date.fromisoformat(draft["revision_date"]), self._today())
        else:
            card = summary_card(texts, self._plan_of(context, draft))
        await _show(context, card)

    # --- saving ------------------------------------------------------------------------------------------

    def _plan_of(self, context: Turn, draft: dict[str, Any], version: int | None = None) -> ResponsePlan:
        sender = person_of(context.activity)
        return ResponsePlan(
            unit_id=draft["unit_id"],
            unit_name=draft["unit_name"],
            answers=draft["answers"],
            contacts=Contacts(**draft["contacts"]),
            roles_when_it_happens=RolesWhenItHappens(**draft["roles"]),
            revision_date=date.fromisoformat(draft["revision_date"]),
            version=version or int(draft["base_version"]) + 1,
            updated_by=(sender.name or "")[:MAX_CONTACT],
            updated_by_id=sender.aad_object_id or "",
            updated_at=self._clock.now(),
        )

    async def _save(self, dialog_context: DialogContext, texts: Texts, draft: dict[str, Any]) -> DialogTurnResult:
        context = dialog_context.context
        unit = self._directory.unit(draft["unit_id"])
        if unit is None or not who_may_edit(unit, person_of(context.activity).aad_object_id):
            await _say(context, texts("plan_dialog.not_editor"))
            return await dialog_context.end_dialog()
        try:
            check_revision_date(date.fromisoformat(draft["revision_date"]), self._today())
        except PlanError:
            draft["step"] = "revision"
            await _say(context, texts("plan_dialog.date_not_future"))
            await self._ask(context, texts, draft)
            return Dialog.end_of_turn
        saved = await self._plans.save(unit.id, lambda number, _current: self._plan_of(context, draft, number))
        dialog_context.properties.pop(DRAFT_PROPERTY, None)
        plan = saved.plan
        if self._on_saved is not None and not saved.superseded:
            await self._on_saved(plan)
        await _say(context, texts("plan_dialog.saved", unit=escape_markdown(plan.unit_name), version=plan.version))
        if saved.superseded:
            newest = await self._plans.current(unit.id)
            name = newest.plan.updated_by if newest is not None else ""
            await _say(context, texts("plan_dialog.superseded", version=plan.version, name=escape_markdown(name)))
        card = plan_card(texts, plan, today=self._today(), can_edit=True, saved_on=_saved_on(plan))
        await _show(context, card)
        return await dialog_context.end_dialog()

    def _today(self) -> date:
        return self._clock.now().astimezone(DEFAULT_TIMEZONE).date()
