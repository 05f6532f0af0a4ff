"""The adaptiveCard/action invoke: who is acting, what they asked, and the card (or error) they get back.

Everyone gets a view fitted to their role (leader/deputy/HR: the action card, HR's with the newest reads of the case's
access log; the employee: a status card); a stranger or a forged invoke gets a 403 error and learns nothing about the
case. Roles come from `from.aadObjectId` alone (dialogs/identity.py); the employee's card names no one else in
`refresh.userIds`.
"""

from __future__ import annotations

from microsoft_agents.activity import AdaptiveCardInvokeResponse
from microsoft_agents.hosting.core import TurnContext

from bot.universal_actions import CardAction, MalformedAction, card_response, error_response, read_card_action
from cards.check_in import check_in_card
from cards.evidence import evidence_card
from cards.leader.hr_view import hr_escalation_card
from cards.leader.leader_view import leader_card
from cards.leader.messages import action_error_text
from cards.my_cases import case_detail_card
from content import Texts
from dialogs.identity import actor_of
from domain.authorization import Actor, Role
from domain.leader_actions import EMPLOYEE_VERBS, Verb, check_in_day
from services.case_service import ActionOutcome, CaseActions, Result
from services.logging_setup import correlation_id
from services.notifications import CaseNotifications, own_refresh_user_ids
from services.roles import Directory
from storage.ports import EvidenceStore

LEADERSHIP_VIEW = frozenset({Role.LEADER, Role.DEPUTY, Role.ON_CALL})  # who gets the action card as their view


class CardActionHandler:
    def __init__(
        self,
        actions: CaseActions,
        notifications: CaseNotifications,
        directory: Directory,
        evidence: EvidenceStore,
        crisis_line: str,
    ) -> None:
        self._actions = actions
        self._notifications = notifications
        self._directory = directory
        self._evidence = evidence
        self._crisis_line = crisis_line

    def malformed(self, turn_context: TurnContext) -> AdaptiveCardInvokeResponse:
        """The answer to an invoke that is not a well-formed Action.Execute for a case."""
        texts = self._notifications.texts(turn_context.activity.locale)
        return error_response(400, "BadRequest", action_error_text(texts, "invalid_input"))

    async def handle(self, turn_context: TurnContext) -> AdaptiveCardInvokeResponse:
        activity = turn_context.activity
        texts = self._notifications.texts(activity.locale)
        try:
            action = read_card_action(activity.value)
        except MalformedAction:
            return error_response(400, "BadRequest", action_error_text(texts, "invalid_input"))
        actor = actor_of(activity, self._directory, self._notifications.hr_intake)
        outcome = await self._actions.perform(
            actor, action.verb, action.case_id, action.data, action.card_version, correlation_id.get()
        )
        if outcome.result is Result.INVALID:
            return error_response(400, "BadRequest", action_error_text(texts, outcome.reason))
        if outcome.result is Result.FORBIDDEN or outcome.case is None:
            return error_response(403, "Forbidden", action_error_text(texts, "not_allowed"))
        if outcome.result is Result.EVIDENCE:
            return card_response(evidence_card(texts, outcome.case, list(outcome.evidence), outcome.texts))
        if outcome.result is Result.DONE:
            evidence = await self._evidence.list_items(outcome.case.case_id)
            await self._notifications.after_action(outcome.case, action.verb, evidence)
        if action.verb in EMPLOYEE_VERBS:
            return card_response(self._check_in_card(texts, outcome, action))
        return card_response(await self._card_for(texts, outcome, actor))

    @staticmethod
    def _check_in_card(texts: Texts, outcome: ActionOutcome, action: CardAction) -> dict:
        """The check-in card the employee answered, now saying thank you (or that check-ins stopped)."""
        case = outcome.case
        assert case is not None
        day = check_in_day(action.data)  # valid: the command was checked before it was applied
        stopped = action.verb == Verb.STOP_CHECK_INS
        return check_in_card(texts, case, day, answer=case.handling.check_in(day), stopped=stopped)

    async def _card_for(self, texts: Texts, outcome: ActionOutcome, actor: Actor) -> dict:
        """Each person's own view: leader/deputy/on-call the action card, HR its card, the employee the status."""
        case = outcome.case
        assert case is not None
        viewers = await self._notifications.viewers(case)
        roles = outcome.viewer_roles
        if roles & LEADERSHIP_VIEW and actor.person.user_id.startswith("29:"):
            viewers = list(dict.fromkeys([*viewers, actor.person.user_id]))  # the one looking at it now
        planner = self._notifications.planner
        if roles & LEADERSHIP_VIEW:
            evidence = await self._evidence.list_items(case.case_id)
            return leader_card(texts, case, evidence, viewers, easy_deadline=planner.easy_deadline(case))
        if Role.HR in roles:
            evidence = await self._evidence.list_items(case.case_id)
            overdue, deadline = planner.overdue(case), planner.easy_deadline(case)
            opened_by = await self._notifications.hr_access_log(case)
            return hr_escalation_card(
                texts, case, evidence, viewers, overdue=overdue, easy_deadline=deadline, opened_by=opened_by
            )
        viewer = Role.SUBJECT if Role.SUBJECT in roles else Role.REPORTER
        next_check_in = planner.next_check_in(case) if viewer is Role.SUBJECT else None
        # keeps "add evidence or a note" on refresh
        own = own_refresh_user_ids(actor.person)
        return case_detail_card(texts, case, viewer, own, next_check_in=next_check_in)
