"""Name the case's leader, or change it: ask for the name, offer the directory's matches, and send the case to the
leader chosen. With no leader (the directory knows none): started right after filing, or later from "Mine sager";
the choice is remembered for the next case, and until then the case is held by HR's intake (domain.responsibility).
With a leader: from "Mine sager", the case's subject or reporter may give the open case to another leader (the
`choose_leader` action: authorized, signed and audited like any other; the leader before is told). Every text says
who has the case. A button of an earlier card, "hjælp" or "tilbage" is not a name: the question comes again."""

from __future__ import annotations

from typing import Any

from cards.choose_leader import LEADER_CHOICE, choose_leader_card
from cards.leader.messages import action_error_text
from cards.markdown import escape_markdown
from cards.my_cases import is_open
from content import Texts, texts_for
from dialogs.engine import Dialog, DialogContext, DialogTurnResult
from dialogs.identity import person_of, tenant_of
from dialogs.my_cases import viewer_role
from dialogs.replies import reply_from
from domain.authorization import Actor
from domain.case import Case
from domain.leader_actions import Verb, appoints_self
from domain.responsibility import Holder, holder
from services.case_service import CaseActions, Result
from services.logging_setup import correlation_id
from services.notifications import CaseNotifications
from services.roles import Directory
from storage.cases import CaseRepository
from storage.ports import EvidenceStore

CHOOSE_LEADER_DIALOG_ID = "choose_leader"
MAX_MATCHES = 5


class ChooseLeaderDialog(Dialog):
    def __init__(
        self,
        cases: CaseRepository,
        evidence: EvidenceStore,
        notifications: CaseNotifications,
        directory: Directory,
        crisis_line: str,
        actions: CaseActions,
    ) -> None:
        super().__init__(CHOOSE_LEADER_DIALOG_ID)
        self._actions = actions
        self._cases = cases
        self._evidence = evidence
        self._notifications = notifications
        self._directory = directory
        self._crisis_line = crisis_line

    def _texts(self, dialog_context: DialogContext) -> Texts:
        return texts_for(dialog_context.context.activity.locale, self._crisis_line)

    async def begin_dialog(self, dialog_context: DialogContext, options: Any = None) -> DialogTurnResult:
        texts = self._texts(dialog_context)
        case_id = options.get("case_id") if isinstance(options, dict) else None
        case = await self._case(case_id)
        actor = Actor(person_of(dialog_context.context.activity), tenant_id=tenant_of(dialog_context.context.activity))
        if case is None or viewer_role(case, actor) is None or not is_open(case):
            await dialog_context.context.say(texts("my_cases.not_found"))
            return await dialog_context.end_dialog()
        state = dialog_context.active_dialog.state
        state.update(case_id=case.case_id, offered=[], hr_has_it=holder(case) is Holder.HR_INTAKE)
        if case.leader is not None:
            state["change"] = True
            await dialog_context.context.say(texts("leader_lookup.ask_change", name=escape_markdown(case.leader.name)))
            return Dialog.end_of_turn
        await dialog_context.context.say(texts(self._key("ask", dialog_context)))
        return Dialog.end_of_turn

    async def _case(self, case_id: object) -> Case | None:
        """The case a button names; None for an id that is not one (a card's value is anyone's to forge)."""
        return await self._cases.named(case_id)

    @staticmethod
    def _key(name: str, dialog_context: DialogContext) -> str:
        """The text for a case whose leader is being changed, one HR's intake holds, or one nobody has yet."""
        state = dialog_context.active_dialog.state
        if state.get("change", False):
            return f"leader_lookup.{name}_change"
        return f"leader_lookup.{name}_hr_has_it" if state.get("hr_has_it", False) else f"leader_lookup.{name}"

    async def continue_dialog(self, dialog_context: DialogContext) -> DialogTurnResult:
        texts = self._texts(dialog_context)
        state = dialog_context.active_dialog.state
        reply = reply_from(dialog_context.context.activity)
        chosen = reply.value.get(LEADER_CHOICE)
        if isinstance(chosen, str) and chosen in state["offered"]:
            if state.get("change", False):
                return await self._change_to(dialog_context, texts, chosen)
            return await self._send_to(dialog_context, texts, chosen)
        if reply.navigation == "cancel":
            await dialog_context.context.say(texts(self._key("cancelled", dialog_context)))
            return await dialog_context.end_dialog()
        if reply.value or reply.navigation in ("help", "back"):  # not a name: a button of an earlier card, or help
            return await self._ask_again(dialog_context, texts, earlier_card=bool(reply.value))
        matches = self._directory.search(reply.text, MAX_MATCHES) if reply.text else []
        if not matches:
            await dialog_context.context.say(texts(self._key("no_match", dialog_context)))
            return Dialog.end_of_turn
        state["offered"] = [person.aad_object_id for person in matches]
        card = choose_leader_card(texts, [(person.aad_object_id, person.name) for person in matches])
        await dialog_context.context.show(card)
        return Dialog.end_of_turn

    async def _ask_again(self, dialog_context: DialogContext, texts: Texts, *, earlier_card: bool) -> DialogTurnResult:
        """The question again, never a search for a name nobody typed; with the crisis line."""
        state = dialog_context.active_dialog.state
        name = ""
        if state.get("change", False):
            current = await self._cases.get(state["case_id"])
            name = current.case.leader.name if current is not None and current.case.leader is not None else ""
        ask = texts(self._key("ask", dialog_context), name=escape_markdown(name))
        said = [texts("leader_lookup.earlier_card")] if earlier_card else []
        said += [ask, f"☎ {texts('common.crisis_line')}"]
        await dialog_context.context.say("\n\n".join(said))
        return Dialog.end_of_turn

    async def _send_to(self, dialog_context: DialogContext, texts: Texts, leader_aad: str) -> DialogTurnResult:
        case_id = dialog_context.active_dialog.state["case_id"]
        current = await self._cases.get(case_id)
        if current is None:
            return await dialog_context.end_dialog()
        activity = dialog_context.context.activity
        actor = Actor(person_of(activity), tenant_id=tenant_of(activity))
        named = self._notifications.led_by(leader_aad)
        deputy = named.deputy.as_person() if named is not None and named.deputy else None
        if named is not None and appoints_self(current.case, actor, named.leader.as_person(), deputy):
            await dialog_context.context.say(action_error_text(texts, "leader_is_self"))
            return await dialog_context.end_dialog()
        case = await self._notifications.record_named_leader(current.case, leader_aad)
        await self._cases.update(case_id, lambda stored: _with_leadership(stored, case))
        await self._notifications.case_reported(case, await self._evidence.list_items(case_id))
        await self._notifications.leader_named(case)
        leader_name = case.leader.name if case.leader else ""
        await dialog_context.context.say(texts("leader_lookup.sent", name=escape_markdown(leader_name)))
        return await dialog_context.end_dialog()

    async def _change_to(self, dialog_context: DialogContext, texts: Texts, leader_aad: str) -> DialogTurnResult:
        """Give the case to the leader chosen, as the `choose_leader` action (the service tells the people)."""
        activity = dialog_context.context.activity
        actor = Actor(person_of(activity), tenant_id=tenant_of(activity))
        case_id = dialog_context.active_dialog.state["case_id"]
        current = await self._cases.get(case_id)
        if current is None:
            return await dialog_context.end_dialog()
        outcome = await self._actions.perform(
            actor,
            Verb.CHOOSE_LEADER.value,
            case_id,
            {"leader_aad_object_id": leader_aad},
            current.case.version,
            correlation_id.get(),
        )
        if outcome.result is Result.DONE and outcome.case is not None and outcome.case.leader is not None:
            evidence = await self._evidence.list_items(case_id)
            await self._notifications.after_action(outcome.case, Verb.CHOOSE_LEADER.value, evidence)
            name = escape_markdown(outcome.case.leader.name)
            await dialog_context.context.say(texts("leader_lookup.changed", name=name))
        elif outcome.result is Result.INVALID:
            await dialog_context.context.say(action_error_text(texts, outcome.reason))
        else:
            await dialog_context.context.say(texts("my_cases.not_found"))
        return await dialog_context.end_dialog()


def _with_leadership(stored: Case, assigned: Case) -> Case:
    stored.unit, stored.unit_id = assigned.unit, assigned.unit_id
    stored.leader, stored.deputy = assigned.leader, assigned.deputy
    return stored
