"""The Teams activity handler (the Agents SDK's `ActivityHandler`): routes each message to the running dialog or
to the main menu, Action.Execute invokes to the case actions or the packages, and file consent answers to their
file's owner. Each turn loads the conversation's dialog state once and saves it once, if it changed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from microsoft_agents.activity import (
    AdaptiveCardInvokeResponse,
    AdaptiveCardInvokeValue,
    ChannelAccount,
    InvokeResponse,
)
from microsoft_agents.hosting.core import ActivityHandler, TurnContext

from bot.card_actions import CardActionHandler
from bot.case_packages import CasePackages, is_package_action, package_command
from bot.file_consent import FILE_CONSENT_INVOKE
from bot.plan_files import PlanFiles, is_plan_consent
from bot.teams_turn import TeamsTurn, parties
from bot.universal_actions import ADAPTIVE_CARD_ACTION, invoke_response, typed_invoke_value
from cards.guidance import (
    CITIZEN_COMMAND,
    LAW_COMMAND,
    PREVENTION_COMMAND,
    REMOVAL_COMMAND,
    REPORT_COMMAND,
    citizen_card,
    is_platform,
    law_card,
    prevention_card,
    removal_overview_card,
    removal_platform_card,
)
from cards.my_cases import (
    ADD_EVIDENCE_COMMAND,
    ADD_EVIDENCE_QUESTION,
    CASE_STATUS_COMMAND,
    CONTINUE_DRAFT_COMMAND,
    DELETE_DRAFT_COMMAND,
    MY_CASES_COMMAND,
    NAME_LEADER_COMMAND,
)
from cards.privacy import PRIVACY_COMMAND
from cards.response_plan import PLAN_EDIT_COMMAND, PLAN_EXPORT_COMMAND, PLAN_SHOW_COMMAND
from cards.summary import ASK_REOPEN_COMMAND
from cards.welcome import welcome_card
from content import Texts, command_words, texts_for
from dialogs.add_evidence import ADD_EVIDENCE_DIALOG_ID, FROM_CARD, PASS_ON
from dialogs.choose_leader import CHOOSE_LEADER_DIALOG_ID
from dialogs.engine import Dialog, DialogContext, DialogSet
from dialogs.evidence_placement import place_files
from dialogs.identity import person_of
from dialogs.my_cases import MyCases
from dialogs.replies import Reply, reply_from
from dialogs.report import REPORT_DIALOG_ID, RESUME_DRAFT
from dialogs.response_plan import RESPONSE_PLAN_DIALOG_ID, ResponsePlanViewer
from storage.conversation_refs import ConversationReferenceStore
from storage.conversation_state import ConversationStateStore, conversation_key

PRIVACY_SHOWN = "privacy_notice_shown"  # in the conversation's saved properties: the notice was shown once
# The menu's commands a person may also type (their words are in content's [commands]).
TYPED_COMMANDS = (
    REPORT_COMMAND,
    PREVENTION_COMMAND,
    CITIZEN_COMMAND,
    MY_CASES_COMMAND,
    REMOVAL_COMMAND,
    LAW_COMMAND,
    PRIVACY_COMMAND,
    PLAN_SHOW_COMMAND,
    PLAN_EDIT_COMMAND,
)


class VaernBot(ActivityHandler):
    def __init__(
        self,
        conversation_states: ConversationStateStore,
        dialogs: list[Dialog],
        card_actions: CardActionHandler,
        references: ConversationReferenceStore,
        crisis_line: str,
        my_cases: MyCases,
        packages: CasePackages,
        plans: ResponsePlanViewer,
        plan_files: PlanFiles,
        privacy_notice: Callable[[str | None], dict[str, Any]],
    ) -> None:
        self._states = conversation_states
        self._dialogs = DialogSet(dialogs)
        self._card_actions = card_actions
        self._references = references
        self._crisis_line = crisis_line
        self._my_cases = my_cases
        self._packages = packages
        self._plans = plans
        self._plan_files = plan_files
        self._privacy_notice = privacy_notice

    async def on_turn(self, turn_context: TurnContext) -> None:
        await self._remember_conversation(turn_context)
        await super().on_turn(turn_context)

    async def _remember_conversation(self, turn_context: TurnContext) -> None:
        """Keep each person's 1:1 conversation so the bot can reach them later (notifications)."""
        activity = turn_context.activity
        if activity.conversation is not None and activity.conversation.conversation_type in (None, "personal"):
            await self._references.save(person_of(activity), parties(turn_context))

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse | None:
        name = turn_context.activity.name
        if name == ADAPTIVE_CARD_ACTION:
            # Only a well-formed case action reaches the SDK's typed route; anything else gets the kind 400 card
            # error the case actions give (the SDK would answer a body it cannot serialise: a 500).
            value = turn_context.activity.value
            if is_package_action(value):
                return await self._packages.on_card_action(turn_context)
            if typed_invoke_value(value) is None:
                return invoke_response(self._card_actions.malformed(turn_context))
            return await super().on_invoke_activity(turn_context)  # the SDK's route: on_adaptive_card_invoke
        if name == FILE_CONSENT_INVOKE:  # the SDK has no route for it (it answers 501); the offer reads it defensively
            if is_plan_consent(turn_context.activity.value):  # the plan PDF's card; everything else: packages
                return await self._plan_files.on_file_consent(turn_context)
            return await self._packages.on_file_consent(turn_context)
        return await super().on_invoke_activity(turn_context)

    async def on_adaptive_card_invoke(
        self, turn_context: TurnContext, invoke_value: AdaptiveCardInvokeValue
    ) -> AdaptiveCardInvokeResponse:
        return await self._card_actions.handle(turn_context)

    def _texts(self, turn_context: TurnContext) -> Texts:
        return texts_for(turn_context.activity.locale, self._crisis_line)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        state = await self._states.load(conversation_key(str(activity.channel_id), activity.conversation.id))
        await self._on_message(turn_context, TeamsTurn(turn_context), state.stack, state.properties)
        await self._states.save(state)  # not after a failed turn: the conversation stays where it was

    async def _on_message(self, turn_context: TurnContext, turn: TeamsTurn, stack: list, properties: dict) -> None:
        """The privacy notice goes once at first contact, before anything is asked or stored (GDPR art. 13) and
        before the answer, so the answer stays at the bottom of the chat where the person reads. Someone already in
        the middle of a dialog when the notice came in gets it when the dialog ends, never in the middle."""
        dialog_context = self._dialogs.context(turn, stack, properties)
        first_contact = not properties.get(PRIVACY_SHOWN) and dialog_context.active_dialog is None
        if first_contact and _command(reply_from(turn_context.activity)) != PRIVACY_COMMAND:
            await self._show_privacy_notice(turn, properties)
        await self._route(turn_context, turn, dialog_context)
        if not properties.get(PRIVACY_SHOWN) and dialog_context.active_dialog is None:
            await self._show_privacy_notice(turn, properties)

    async def _show_privacy_notice(self, turn: TeamsTurn, properties: dict) -> None:
        await turn.show(self._privacy_notice(turn.activity.locale))
        properties[PRIVACY_SHOWN] = True

    async def _route(self, turn_context: TurnContext, turn: TeamsTurn, dialog_context: DialogContext) -> None:
        if dialog_context.active_dialog is not None:
            result = await dialog_context.continue_dialog()
            if result.result != PASS_ON:  # the add-evidence dialog hands back a menu click or a message after a pause
                return
        texts = self._texts(turn_context)
        reply = reply_from(turn_context.activity)
        if reply.files:
            await place_files(dialog_context, self._my_cases, reply.files, texts)
            return
        package = package_command(reply.text, reply.value)
        if package is not None:
            await self._packages.on_command(turn_context, package)
            return
        command = _command(reply)
        if not command and reply.value.get("q") == ADD_EVIDENCE_QUESTION:  # its card, after the dialog ended
            await dialog_context.begin_dialog(
                ADD_EVIDENCE_DIALOG_ID, {"case_id": reply.value.get("case_id"), FROM_CARD: True}
            )
        elif command == REPORT_COMMAND:
            await dialog_context.begin_dialog(REPORT_DIALOG_ID)
        elif command == PREVENTION_COMMAND:
            await turn.show(prevention_card(texts))
        elif command == CITIZEN_COMMAND:
            await turn.show(citizen_card(texts))
        elif command == REMOVAL_COMMAND:
            platform = reply.value.get("platform")
            known = platform if isinstance(platform, str) and is_platform(platform) else None
            card = removal_platform_card(texts, known) if known else removal_overview_card(texts)
            await turn.show(card)
        elif command == LAW_COMMAND:
            await turn.show(law_card(texts))
        elif command == PRIVACY_COMMAND:
            await self._show_privacy_notice(turn, dialog_context.properties)
        elif command == MY_CASES_COMMAND:
            await self._my_cases.show_list(turn)
        elif command == CASE_STATUS_COMMAND:
            await self._my_cases.show_case(turn, reply.value.get("case_id"))
        elif command == PLAN_SHOW_COMMAND:
            await self._plans.show(turn)
        elif command == PLAN_EDIT_COMMAND:
            await dialog_context.begin_dialog(RESPONSE_PLAN_DIALOG_ID)
        elif command == PLAN_EXPORT_COMMAND:
            await self._plans.export(turn)
        elif command == NAME_LEADER_COMMAND:
            await dialog_context.begin_dialog(CHOOSE_LEADER_DIALOG_ID, {"case_id": reply.value.get("case_id")})
        elif command == CONTINUE_DRAFT_COMMAND:
            await dialog_context.begin_dialog(REPORT_DIALOG_ID, {RESUME_DRAFT: reply.value.get("case_id")})
        elif command == DELETE_DRAFT_COMMAND:
            await self._my_cases.delete_draft(turn, reply.value)
        elif command == ASK_REOPEN_COMMAND:
            await self._my_cases.ask_reopen(turn, reply.value.get("case_id"))
        elif command == ADD_EVIDENCE_COMMAND:
            await dialog_context.begin_dialog(ADD_EVIDENCE_DIALOG_ID, {"case_id": reply.value.get("case_id")})
        else:
            await self._welcome(turn)

    async def on_members_added_activity(self, members_added: list[ChannelAccount], turn_context: TurnContext) -> None:
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        if any(member.id == bot_id for member in members_added):
            await self._welcome(TeamsTurn(turn_context))

    async def _welcome(self, turn: TeamsTurn) -> None:
        sender = turn.activity.from_property
        first_name = (sender.name or "").split(" ")[0] if sender else ""
        await turn.show(welcome_card(texts_for(turn.activity.locale, self._crisis_line), first_name))


def _command(reply: Reply) -> str:
    """What the person asked for: a card button's command, else the menu command their words mean, else their words
    folded."""
    command = reply.value.get("command")
    if isinstance(command, str):
        return command
    typed = reply.word.rstrip("?")
    return next((command for command in TYPED_COMMANDS if typed in command_words(command)), typed)
