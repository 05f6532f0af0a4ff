"""The beredskabsplan's revision reminder (Bilag 1): when a unit's plan reaches its revision date, the unit's leader
and whoever saved the plan last (often the arbejdsmiljørepræsentant) are asked to go through it.

Planned when a plan is saved and in the worker's start-up sweep, carried out by the follow-up worker like every
other job: the current plan is re-read when the job comes due, and a plan saved meanwhile with a new revision
date has its own reminder, so the old one does nothing. The reminder reaches people in the chat they already have
with Værn (their stored conversation reference): they made or read the plan there.

A revision also starts when the unit's arbejdsmiljøgruppe decides, in its analysis of a case, that the plan must
change (the `plan_change` job of that case): the same people are asked to revise it now, with what the group decided
(the leader to make one, when the unit has no plan yet). Those messages go with the case (its tenant and Teams
service), so they reach people who never wrote to Værn too.
"""

from __future__ import annotations

import logging

from cards.markdown import escape_markdown
from domain.case import Case, Person
from domain.follow_ups import FollowUps, Job
from domain.response_plan import ResponsePlan
from services.notifications import CaseNotifications, text_payload
from services.roles import Directory
from storage.conversation_refs import ConversationReferenceStore, service_url_of, tenant_of
from storage.job_queue import JobQueue
from storage.response_plans import ResponsePlanRepository

log = logging.getLogger("vaern.plans")

PLAN_REVISION = "plan_revision"


class PlanRevisionReminders:
    def __init__(
        self,
        plans: ResponsePlanRepository,
        directory: Directory,
        references: ConversationReferenceStore,
        notifications: CaseNotifications,
        follow_ups: FollowUps,
        queue: JobQueue,
    ) -> None:
        self._plans = plans
        self._directory = directory
        self._references = references
        self._notifications = notifications
        self._follow_ups = follow_ups
        self._queue = queue

    async def plan(self, plan: ResponsePlan) -> int:
        """Queue the reminder for this plan's revision date (once); 1 if it was new."""
        return await self._queue.schedule([self._follow_ups.plan_revision(plan)])

    async def sweep(self) -> int:
        """Queue the reminder of every unit's current plan; returns how many were new."""
        return sum([await self.plan(plan) for plan in await self._plans.current_plans()])

    async def handle(self, job: Job) -> bool:
        """Remind the leader and the last editor if the plan still has this revision date; True if sent."""
        current = await self._plans.current(job.unit_id)
        plan = current.plan if current is not None else None
        if plan is None or not self._follow_ups.plan_needs_revision(plan, job):
            return False
        sent = False
        for role, person in self._recipients(plan.unit_id, plan.updated_by_id):
            reference = await self._references.get(person)
            if reference is None or not service_url_of(reference):
                log.warning("plan reminder: no chat with this person yet", extra={"fields": {"unit_id": plan.unit_id}})
                continue
            texts = await self._notifications.reader_texts(person)
            reminder = texts(
                "plan_dialog.revision_reminder",
                unit=escape_markdown(plan.unit_name),
                date=plan.revision_date.strftime("%d.%m.%Y"),
            )
            text = f"{reminder}\n\n{texts('follow_up.footer')}"  # the crisis line, as on every other message
            await self._notifications.notify(
                f"{job.id}.{role}",
                person,
                PLAN_REVISION,
                text_payload(text),
                tenant_id=tenant_of(reference),
                service_url=service_url_of(reference),
            )
            sent = True
        return sent

    async def revision_decided(self, case: Case, job: Job) -> bool:
        """The group decided the case's unit's plan must change: its leader and last editor are asked to revise it
        (once: the ids are the job's); True if anyone was asked."""
        review = case.handling.work_environment
        analysis = review.analysis if review is not None else None
        if analysis is None or not analysis.plan_change or not case.unit_id:
            return False
        current = await self._plans.current(case.unit_id)
        plan = current.plan if current is not None else None
        recipients = self._recipients(case.unit_id, plan.updated_by_id if plan is not None else "")
        for role, person in recipients:
            texts = await self._notifications.reader_texts(person)
            text = texts(
                "amg.plan_change" if plan is not None else "amg.plan_missing",
                reference=case.reference or case.case_id[:8],
                unit=escape_markdown(plan.unit_name if plan is not None else case.unit or "-"),
                what=escape_markdown(analysis.plan_change_text),
            )
            payload = text_payload(f"{text}\n\n{texts('follow_up.footer')}")
            await self._notifications.enqueue(f"{job.id}.{role}", case, person, PLAN_REVISION, payload)
        fields = {"unit_id": case.unit_id, "case_id": case.case_id, "asked": len(recipients)}
        log.info("plan revision started by the work environment group", extra={"fields": fields})
        return bool(recipients)

    def _recipients(self, unit_id: str, editor_id: str) -> list[tuple[str, Person]]:
        unit = self._directory.unit(unit_id)
        ids = {"leader": unit.leader if unit else "", "editor": editor_id}
        found: list[tuple[str, Person]] = []
        for role, aad_object_id in ids.items():
            person = self._directory.person(aad_object_id) if aad_object_id else None
            if person is not None and all(aad_object_id != p.aad_object_id for _, p in found):
                found.append((role, person.as_person()))
        return found
