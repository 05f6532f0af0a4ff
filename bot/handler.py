"""The Teams activity handler: routes each message to the running dialog or to the main menu."""

from __future__ import annotations

from botbuilder.core import ConversationState, InvokeResponse, MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.dialogs import Dialog
from botbuilder.schema import ChannelAccount

from bot.adapter import conversation_reference_of
from bot.card_actions import CardActionHandler
from bot.case_packages import CasePackages, is_package_action, package_command
from bot.dialog_context import LeanDialogSet
from bot.file_consent import FILE_CONSENT_INVOKE
from bot.plan_files import is_plan_consent
from bot.universal_actions import ADAPTIVE_CARD_ACTION
from cards.guidance import (
    LAW_COMMAND,
    PREVENTION_COMMAND,
    REMOVAL_COMMAND,
    is_platform,
    law_card,
    prevention_card,
    removal_overview_card,
    removal_platform_card,
)
from cards.my_cases import ADD_EVIDENCE_COMMAND, CASE_STATUS_COMMAND, MY_CASES_COMMAND
from cards.response_plan import PLAN_EDIT_COMMAND, PLAN_EXPORT_COMMAND, PLAN_SHOW_COMMAND
from cards.welcome import welcome_card
from content import Texts, texts_for
from dialogs.add_evidence import ADD_EVIDENCE_DIALOG_ID, PASS_ON
from dialogs.identity import person_of
from dialogs.my_cases import MyCases
from dialogs.question import card_attachment
from dialogs.replies import reply_from
from dialogs.report import REPORT_DIALOG_ID, SECURE_ATTACHED_FILES
from dialogs.response_plan import PLAN_EDIT_WORDS, PLAN_SHOW_WORDS, RESPONSE_PLAN_DIALOG_ID, ResponsePlanViewer
from storage.conversation_refs import ConversationReferenceStore

REPORT_WORDS = {"anmeld", "anmeldelse", "report", "rapportér", "rapporter"}
PREVENTION_WORDS = {"forebyggelse", "prevention", "gode råd", "tips"}
MY_CASES_WORDS = {"mine sager", "my cases", "sager", "cases"}
REMOVAL_WORDS = {"fjern indhold", "fjern opslag", "fjernelse", "remove content", "removal", "take down"}
LAW_WORDS = {"strafbart", "er det strafbart", "hvornår er det strafbart", "straffeloven", "is it a crime", "law"}


class VaernBot(TeamsActivityHandler):
    def __init__(
        self,
        conversation_state: ConversationState,
        dialogs: list[Dialog],
        card_actions: CardActionHandler,
        references: ConversationReferenceStore,
        crisis_line: str,
        my_cases: MyCases,
        packages: CasePackages,
        plans: ResponsePlanViewer,
    ) -> None:
        self._conversation_state = conversation_state
        self._dialogs = LeanDialogSet(conversation_state.create_property("DialogState"))
        for dialog in dialogs:
            self._dialogs.add(dialog)
        self._card_actions = card_actions
        self._references = references
        self._crisis_line = crisis_line
        self._my_cases = my_cases
        self._packages = packages
        self._plans = plans

    async def on_turn(self, turn_context: TurnContext) -> None:
        await self._remember_conversation(turn_context)
        await super().on_turn(turn_context)
        await self._conversation_state.save_changes(turn_context)

    async def _remember_conversation(self, turn_context: TurnContext) -> None:
        """Keep each person's 1:1 conversation so the bot can reach them later (notifications)."""
        activity = turn_context.activity
        if activity.conversation is not None and activity.conversation.conversation_type in (None, "personal"):
            reference = conversation_reference_of(turn_context)
            await self._references.save(person_of(activity), reference)

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse | None:
        name = turn_context.activity.name
        if name == ADAPTIVE_CARD_ACTION:
            if is_package_action(turn_context.activity.value):
                return await self._packages.on_card_action(turn_context)
            return await self._card_actions.handle(turn_context)
        if name == FILE_CONSENT_INVOKE:  # read defensively here; the SDK's typed path raises on odd values
            if is_plan_consent(turn_context.activity.value):  # the plan PDF's card; everything else: packages
                return await self._plans.on_file_consent(turn_context)
            return await self._packages.on_file_consent(turn_context)
        return await super().on_invoke_activity(turn_context)

    def _texts(self, turn_context: TurnContext) -> Texts:
        return texts_for(turn_context.activity.locale, self._crisis_line)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        dialog_context = await self._dialogs.create_context(turn_context)
        if dialog_context.active_dialog is not None:
            result = await dialog_context.continue_dialog()
            if result.result != PASS_ON:  # the add-evidence dialog hands back a menu click or a message after a pause
                return
        texts = self._texts(turn_context)
        reply = reply_from(turn_context.activity)
        if reply.files:
            await turn_context.send_activity(MessageFactory.text(texts("report.file_received_without_report")))
            await dialog_context.begin_dialog(REPORT_DIALOG_ID, {SECURE_ATTACHED_FILES: True})
            return
        package = package_command(reply.text, reply.value)
        if package is not None:
            await self._packages.on_command(turn_context, package)
            return
        command = reply.value.get("command") if isinstance(reply.value.get("command"), str) else reply.word.rstrip("?")
        if command in ("report", *REPORT_WORDS):
            await dialog_context.begin_dialog(REPORT_DIALOG_ID)
        elif command in (PREVENTION_COMMAND, *PREVENTION_WORDS):
            await self._show(turn_context, prevention_card(texts))
        elif command in (REMOVAL_COMMAND, *REMOVAL_WORDS):
            platform = reply.value.get("platform")
            card = removal_platform_card(texts, platform) if is_platform(platform) else removal_overview_card(texts)
            await self._show(turn_context, card)
        elif command in (LAW_COMMAND, *LAW_WORDS):
            await self._show(turn_context, law_card(texts))
        elif command in (MY_CASES_COMMAND, *MY_CASES_WORDS):
            await self._my_cases.show_list(turn_context)
        elif command == CASE_STATUS_COMMAND:
            await self._my_cases.show_case(turn_context, reply.value.get("case_id"))
        elif command in (PLAN_SHOW_COMMAND, *PLAN_SHOW_WORDS):
            await self._plans.show(turn_context)
        elif command in (PLAN_EDIT_COMMAND, *PLAN_EDIT_WORDS):
            await dialog_context.begin_dialog(RESPONSE_PLAN_DIALOG_ID)
        elif command == PLAN_EXPORT_COMMAND:
            await self._plans.export(turn_context)
        elif command == ADD_EVIDENCE_COMMAND:
            await dialog_context.begin_dialog(ADD_EVIDENCE_DIALOG_ID, {"case_id": reply.value.get("case_id")})
        else:
            await self._welcome(turn_context)

    async def on_teams_members_added(self, teams_members_added: list, team_info, turn_context: TurnContext) -> None:
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        if any(member.id == bot_id for member in teams_members_added):
            await self._welcome(turn_context)

    async def _welcome(self, turn_context: TurnContext) -> None:
        sender: ChannelAccount | None = turn_context.activity.from_property
        first_name = (sender.name or "").split(" ")[0] if sender else ""
        await self._show(turn_context, welcome_card(self._texts(turn_context), first_name))

    @staticmethod
    async def _show(turn_context: TurnContext, card: dict) -> None:
        await turn_context.send_activity(MessageFactory.attachment(card_attachment(card)))
