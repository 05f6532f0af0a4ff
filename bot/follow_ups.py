"""What a due follow-up job does: re-read the case, and only if the job still applies, send its reminder,
check-in or escalation through the outbox.

Every message gets the id `<job id>.<recipient>`, and the outbox never sends an id twice, so a job that is
handed out again (a worker crashed before deleting it) has no second effect. The automatic HR escalation
is written to the case only if the case has none yet, with the case's etag. A job that fails with an
exception is not marked done: it comes back after its lease, up to the queue's attempt limit. The unit's name
goes into the messages escaped (`cards.markdown`), since Teams reads them as Markdown.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta

from bot.case_notifications import LEADERSHIP_LANGUAGE, CaseNotifications, card_payload, text_payload
from bot.case_service import change_event_id
from bot.plan_reminders import PlanRevisionReminders
from cards.check_in import check_in_card
from cards.markdown import escape_markdown
from domain.audit import SYSTEM_ROLE, AuditEvent
from domain.case import Case, Person
from domain.clock import Clock
from domain.follow_ups import FollowUps, Job, JobKind, work_injury_suggested
from domain.handling import HrEscalation
from domain.working_time import COPENHAGEN
from storage.audit import AuditLog
from storage.cases import CaseRepository
from storage.job_queue import JobQueue
from storage.ports import EvidenceStore

log = logging.getLogger("vaern.follow_ups")

LeaderMessage = Callable[..., Awaitable[None]]
SYSTEM_ACTOR = "vaern"
SYSTEM_NAME = "Værn"
FOLLOW_UP = "follow_up"
CHECK_IN = "check_in"
AUTOMATIC_ESCALATION = {JobKind.ACK_HR: "ack_overdue", JobKind.EASY_MISSED: "easy_deadline_missed"}


def _local_time(moment: datetime) -> str:
    return moment.astimezone(COPENHAGEN).strftime("%d.%m.%Y kl. %H:%M")


class FollowUpHandler:
    def __init__(
        self,
        cases: CaseRepository,
        evidence: EvidenceStore,
        audit: AuditLog,
        follow_ups: FollowUps,
        notifications: CaseNotifications,
        queue: JobQueue,
        clock: Clock,
        plan_reminders: PlanRevisionReminders,
    ) -> None:
        self._plan_reminders = plan_reminders
        self._cases = cases
        self._evidence = evidence
        self._audit = audit
        self._follow_ups = follow_ups
        self._notifications = notifications
        self._queue = queue
        self._clock = clock

    async def handle(self, job: Job) -> bool:
        """Carry out the job if it still applies; True if it took effect."""
        if job.kind is JobKind.PLAN_REVISION:
            return await self._plan_reminders.handle(job)
        current = await self._cases.get(job.case_id)
        now = self._clock.now()
        fields = {"job_id": job.id, "kind": job.kind.value, "case_id": job.case_id}
        if current is None or not self._follow_ups.still_applies(current.case, job, now):
            log.info("follow-up no longer applies", extra={"fields": fields})
            return False
        case = current.case
        if job.kind in AUTOMATIC_ESCALATION:
            case = await self._escalate(case, job)
        await self._send(case, job)
        await self._queue.schedule(self._follow_ups.next_jobs(case, job, now))
        log.info("follow-up sent", extra={"fields": fields})
        return True

    async def _send(self, case: Case, job: Job) -> None:
        texts = self._notifications.texts(LEADERSHIP_LANGUAGE)
        reference = case.reference or case.case_id[:8]
        policy, leader = self._follow_ups.policy, case.leader

        async def to_leader(key: str, **values: object) -> None:
            if leader is not None:
                text = texts(f"follow_up.{key}", reference=reference, **values)
                await self._text(job, "leader", case, leader, text)

        match job.kind:
            case JobKind.ACK_REMINDER:
                await to_leader("ack_reminder", unit=escape_markdown(case.unit or "-"))
            case JobKind.ACK_DEPUTY:
                await self._to_deputy(case, job)
            case JobKind.ACK_HR:
                await self._to_hr(case, job)
                await to_leader("ack_hr_leader", hours=f"{policy.ack_hr_working_hours:g}")
            case JobKind.FIRST_AID:
                await to_leader("first_aid")
            case JobKind.DEBRIEF:
                await to_leader("debrief")
            case JobKind.SAFETYNET:
                await to_leader("safetynet_work_injury" if work_injury_suggested(case) else "safetynet")
            case JobKind.EASY_7 | JobKind.EASY_2:
                await self._easy_reminder(case, job, to_leader)
            case JobKind.EASY_MISSED:
                await self._to_hr(case, job)
                deadline = self._follow_ups.easy_deadline(case)
                await to_leader("easy_missed_leader", deadline=_danish_day(deadline) if deadline else "-")
            case JobKind.RESTRICTION_EXPIRY:
                await to_leader("restriction_expiry", ban_until=_danish_day(date.fromisoformat(job.key)))
            case JobKind.POLICE_HINT:
                await self._police_hint(case, job, to_leader)
            case JobKind.CHECK_IN:
                await self._check_in(case, job)

    async def _text(self, job: Job, role: str, case: Case, to: Person, text: str) -> None:
        footer = self._notifications.texts(LEADERSHIP_LANGUAGE)("follow_up.footer")
        await self._notifications.enqueue(f"{job.id}.{role}", case, to, FOLLOW_UP, text_payload(f"{text}\n\n{footer}"))

    async def _to_deputy(self, case: Case, job: Job) -> None:
        deputy = case.deputy
        if deputy is None:
            return
        texts = self._notifications.texts(LEADERSHIP_LANGUAGE)
        hours = f"{self._follow_ups.policy.ack_deputy_working_hours:g}"
        unit = escape_markdown(case.unit or "-")
        intro = texts("follow_up.ack_deputy", reference=case.reference, unit=unit, hours=hours)
        await self._text(job, "deputy", case, deputy, intro)
        evidence = await self._evidence.list_items(case.case_id)
        viewers = [deputy.user_id] if deputy.user_id.startswith("29:") else []
        card = self._notifications.leader_card(case, evidence, viewers)
        await self._notifications.enqueue(f"{job.id}.deputy-card", case, deputy, FOLLOW_UP, card_payload(card))

    async def _to_hr(self, case: Case, job: Job) -> None:
        evidence = await self._evidence.list_items(case.case_id)
        await self._notifications.send_hr_cards(case, evidence, f"{job.id}.hr")

    async def _easy_reminder(self, case: Case, job: Job, to_leader: LeaderMessage) -> None:
        deadline, absence = self._follow_ups.easy_deadline(case), case.handling.absence
        if deadline is None or absence is None:
            return
        days_left = (deadline - self._clock.now().astimezone(COPENHAGEN).date()).days
        await to_leader(
            "easy_reminder",
            deadline=_danish_day(deadline),
            days=max(0, days_left),
            first_day=_danish_day(absence.first_day),
        )

    async def _police_hint(self, case: Case, job: Job, to_leader: LeaderMessage) -> None:
        window = self._follow_ups.incident_time(case) + timedelta(hours=self._follow_ups.policy.police_window_hours)
        employee_texts = self._notifications.texts(case.locale)
        text = employee_texts("follow_up.police_employee", reference=case.reference, deadline=_local_time(window))
        footer = employee_texts("follow_up.footer")
        payload = text_payload(f"{text}\n\n{footer}")
        await self._notifications.enqueue(f"{job.id}.employee", case, case.subject, FOLLOW_UP, payload)
        await to_leader("police_leader", deadline=_local_time(window))

    async def _check_in(self, case: Case, job: Job) -> None:
        card = check_in_card(self._notifications.texts(case.locale), case, job.sequence)
        await self._notifications.enqueue(f"{job.id}.employee", case, case.subject, CHECK_IN, card_payload(card))

    async def _escalate(self, case: Case, job: Job) -> Case:
        """Værn hands the case to Organisation og Personale itself (once), so HR may open it."""
        if case.handling.hr_escalation is not None:
            return case
        now, reason = self._clock.now(), AUTOMATIC_ESCALATION[job.kind]
        event = AuditEvent(
            case_id=case.case_id,
            at=now,
            actor_id=SYSTEM_ACTOR,
            actor_name=SYSTEM_NAME,
            role=SYSTEM_ROLE,
            action="escalate_hr",
            correlation_id=job.id,
            detail=reason,
        )

        def escalate(stored: Case) -> Case:
            if stored.handling.hr_escalation is None:
                stored.handling.hr_escalation = HrEscalation(
                    by=SYSTEM_ACTOR, by_name=SYSTEM_NAME, at=now, automatic_reason=reason
                )
                stored.version += 1
                stored.last_change = event
            return stored

        escalated = await self._cases.update(case.case_id, escalate)
        if escalated.last_change == event:
            await self._audit.append(event, event_id=change_event_id(escalated))
        return escalated


def _danish_day(day: date) -> str:
    return day.strftime("%d.%m.%Y")
