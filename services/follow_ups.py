"""What a due follow-up job does: re-read the case, and only if the job still applies, send its reminder,
check-in or escalation through the outbox. A first_card job reads where the leader's first card is in the outbox
and does what `FollowUps.first_card_step` says: hand the case to the deputy and HR, or tell the employee who has it
(or, with nobody to hand it to or none of the cards delivered, that nobody has it, and what they can do).
An on_call job gives an unacknowledged urgent case to the on-call group (recorded on the case first, so its members
may open it) and gives the employee the on-call phone, saying the group has it only when it was queued to someone.
The arbejdsmiljøgruppe's jobs (open or closed case): its members and the leader are reminded of a missing analysis,
and a decided plan change starts the plan's revision (services/plan_reminders.py).

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

from cards.check_in import check_in_card
from cards.markdown import escape_markdown
from domain.audit import SYSTEM_ROLE, AuditEvent
from domain.case import Case, Person
from domain.clock import Clock
from domain.follow_ups import HANDED_OVER, NOBODY_HAS_IT, FollowUps, Job, JobKind, work_injury_suggested
from domain.handling import HrEscalation
from domain.responsibility import SYSTEM_ACTOR, SYSTEM_NAME
from domain.urgency import alert_on_call
from domain.working_time import COPENHAGEN
from services.case_service import change_event_id
from services.evidence_immutability import EvidenceImmutabilityService
from services.notifications import FOLLOW_UP_TEXT, CaseNotifications, card_payload, text_payload
from services.plan_reminders import PlanRevisionReminders
from services.retention import Retention
from storage.audit import AuditLog
from storage.cases import CaseRepository
from storage.job_queue import JobQueue
from storage.outbox import EMPLOYEE_UPDATE
from storage.ports import EvidenceStore

log = logging.getLogger("vaern.follow_ups")

LeaderMessage = Callable[..., Awaitable[None]]
FOLLOW_UP = "follow_up"
CHECK_IN = "check_in"
AUTOMATIC_ESCALATION = {JobKind.ACK_HR: "ack_overdue", JobKind.EASY_MISSED: "easy_deadline_missed"}
LEADER_CARD_UNDELIVERED = "leader_card_undelivered"


def handover_prefix(case: Case) -> str:
    """The outbox ids of a case's handover (deputy, HR, employee) start with this, whichever job did it."""
    changes = len(case.handling.leader_changes)  # each leader's handover has its own ids (sent once each)
    return f"{case.case_id}{f'.c{changes}' if changes else ''}.{JobKind.FIRST_CARD.value}.handover"


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
        retention: Retention | None = None,
        immutability: EvidenceImmutabilityService | None = None,
    ) -> None:
        self._plan_reminders = plan_reminders
        self._retention = retention
        self._immutability = immutability
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
        if job.kind is JobKind.RETENTION:
            if self._retention is None:
                raise RuntimeError("a retention job, and no retention service to carry it out")
            return await self._retention.handle(job)
        if job.kind is JobKind.EVIDENCE_IMMUTABILITY:
            if self._immutability is None:
                raise RuntimeError("an evidence immutability job, and EVIDENCE_IMMUTABILITY is none")
            return await self._immutability.handle(job)
        current = await self._cases.get(job.case_id)
        now = self._clock.now()
        fields: dict[str, object] = {"job_id": job.id, "kind": job.kind.value, "case_id": job.case_id}
        if current is None or not self._follow_ups.still_applies(current.case, job, now):
            log.info("follow-up no longer applies", extra={"fields": fields})
            return False
        case = current.case
        if job.kind is JobKind.FIRST_CARD:
            return await self._first_card(case, job, now, fields)
        if job.kind is JobKind.ON_CALL:
            return await self._on_call(case, job, now, fields)
        if job.kind in AUTOMATIC_ESCALATION:
            case = await self._escalate(case, job, AUTOMATIC_ESCALATION[job.kind])
        await self._send(case, job)
        await self._queue.schedule(self._follow_ups.next_jobs(case, job, now))
        log.info("follow-up sent", extra={"fields": fields})
        return True

    async def _send(self, case: Case, job: Job) -> None:
        texts = await self._notifications.reader_texts(case.leader)
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
                to_hr = await self._to_hr(case, job)
                key = "ack_hr_leader" if to_hr else "ack_hr_leader_no_hr"
                await to_leader(key, hours=f"{policy.ack_hr_working_hours:g}")
            case JobKind.FIRST_AID:
                await to_leader("first_aid")
            case JobKind.DEBRIEF:
                await to_leader("debrief")
            case JobKind.SAFETYNET:
                await to_leader("safetynet_work_injury" if work_injury_suggested(case) else "safetynet")
            case JobKind.EASY_7 | JobKind.EASY_2:
                await self._easy_reminder(case, job, to_leader)
            case JobKind.EASY_MISSED:
                to_hr = await self._to_hr(case, job)
                deadline = self._follow_ups.easy_deadline(case)
                key = "easy_missed_leader" if to_hr else "easy_missed_leader_no_hr"
                await to_leader(key, deadline=_danish_day(deadline) if deadline else "-")
            case JobKind.RESTRICTION_EXPIRY:
                await to_leader("restriction_expiry", ban_until=_danish_day(date.fromisoformat(job.key)))
            case JobKind.POLICE_HINT:
                await self._police_hint(case, job, to_leader)
            case JobKind.CHECK_IN:
                await self._check_in(case, job)
            case JobKind.WORK_ENVIRONMENT_REMINDER:
                await self._notifications.remind_work_environment_group(case, job.id)
            case JobKind.PLAN_CHANGE:
                await self._plan_reminders.revision_decided(case, job)
            case (
                JobKind.PLAN_REVISION
                | JobKind.FIRST_CARD
                | JobKind.RETENTION
                | JobKind.ON_CALL
                | JobKind.EVIDENCE_IMMUTABILITY
            ):  # in `handle`
                pass

    async def _text(self, job: Job, role: str, case: Case, to: Person, text: str) -> None:
        footer = (await self._notifications.reader_texts(to))("follow_up.footer")
        await self._notifications.enqueue(f"{job.id}.{role}", case, to, FOLLOW_UP, text_payload(f"{text}\n\n{footer}"))

    async def _to_deputy(self, case: Case, job: Job) -> None:
        if case.deputy is None:
            return
        texts = await self._notifications.reader_texts(case.deputy)
        hours = f"{self._follow_ups.policy.ack_deputy_working_hours:g}"
        unit = escape_markdown(case.unit or "-")
        intro = texts("follow_up.ack_deputy", reference=case.reference, unit=unit, hours=hours)
        footer = texts("follow_up.footer")
        evidence = await self._evidence.list_items(case.case_id)
        await self._notifications.send_deputy_card(case, evidence, job.id, f"{intro}\n\n{footer}")

    async def _first_card(self, case: Case, job: Job, now: datetime, fields: dict[str, object]) -> bool:
        """The leader's first card is late: hand the case over, or tell the employee who has it, or wait."""
        prefix = handover_prefix(case)
        queued_at, delivered = await self._notifications.leader_card_delivery(case)
        reached: set[str] = await self._notifications.handed_over_to(case, prefix) if job.key == HANDED_OVER else set()
        can_hand_over = case.deputy is not None or self._notifications.hr_intake_can_hold()
        step = self._follow_ups.first_card_step(
            case, job, now, queued_at=queued_at, delivered=delivered, reached=reached, can_hand_over=can_hand_over
        )
        if step.hand_over:
            await self._hand_over(case, job, prefix)
            log.warning(
                "leader's first card not delivered in time: case handed to deputy and HR", extra={"fields": fields}
            )
        if step.tell == (NOBODY_HAS_IT,):
            log.error("leader's first card not delivered and nobody else has the case: the employee is told",
                      extra={"fields": fields | {"deputy": case.deputy is not None}})  # fmt: skip
        if step.tell:
            await self._tell_who_has_it(case, step.tell, prefix)
            log.info("employee told who has the case", extra={"fields": fields | {"who": list(step.tell)}})
        if step.next_job is not None:
            await self._queue.schedule([step.next_job])
        return step.hand_over or bool(step.tell)

    async def _hand_over(self, case: Case, job: Job, prefix: str) -> None:
        """The deputy gets the leadership card, and Organisation og Personale the case (an automatic escalation)."""
        case = await self._escalate(case, job, LEADER_CARD_UNDELIVERED)
        evidence = await self._evidence.list_items(case.case_id)
        texts = await self._notifications.reader_texts(case.deputy)
        minutes = f"{self._follow_ups.first_card_time(case).total_seconds() / 60:g}"
        leader = escape_markdown(case.leader.name) if case.leader is not None and case.leader.name else "-"
        unit = escape_markdown(case.unit or "-")
        intro = texts("first_card.deputy", reference=case.reference, unit=unit, leader=leader, minutes=minutes)
        await self._notifications.send_deputy_card(case, evidence, prefix, f"{intro}\n\n{texts('follow_up.footer')}")
        await self._notifications.send_hr_cards(case, evidence, f"{prefix}.hr")

    async def _on_call(self, case: Case, job: Job, now: datetime, fields: dict[str, object]) -> bool:
        """Nobody acknowledged the urgent case in time: the on-call group gets it, the employee the on-call phone."""
        case = await self._change_once(case, _by_vaern(case, job, now, "on_call"), lambda c: alert_on_call(c, now))
        evidence = await self._evidence.list_items(case.case_id)
        reached = await self._notifications.send_on_call_cards(case, evidence, f"{job.id}.on-call")
        phone = self._notifications.on_call_phone
        texts = self._notifications.texts(case.locale)
        lines = [texts("urgent.on_call_employee" if reached else "urgent.no_answer_employee", reference=case.reference)]
        lines += [texts("urgent.on_call_phone", phone=escape_markdown(phone))] if phone else []
        lines += [texts("urgent.danger"), texts("follow_up.footer")]
        payload = text_payload("\n\n".join(lines))
        await self._notifications.enqueue(f"{job.id}.employee", case, case.subject, EMPLOYEE_UPDATE, payload)
        if case.reported_on_behalf:
            await self._notifications.enqueue(f"{job.id}.reporter", case, case.reporter, EMPLOYEE_UPDATE, payload)
        if case.leader is not None and reached:
            leader_texts = await self._notifications.reader_texts(case.leader)
            told = leader_texts("urgent.on_call_leader", reference=case.reference, minutes=self._on_call_minutes())
            await self._notifications.enqueue(f"{job.id}.leader", case, case.leader, FOLLOW_UP_TEXT, text_payload(told))
        if not reached and not phone:
            log.error("an urgent case went unacknowledged and no on-call group or phone is configured",
                      extra={"fields": fields})  # fmt: skip
        log.warning("urgent case not acknowledged in time: given to the on-call group",
                    extra={"fields": fields | {"on_call_members": reached}})  # fmt: skip
        return True

    def _on_call_minutes(self) -> str:
        return f"{self._follow_ups.policy.on_call_minutes:g}"

    async def _tell_who_has_it(self, case: Case, who: tuple[str, ...], prefix: str) -> None:
        """The one who reported was told the leader would hear: now, plainly, who has the case (or that nobody
        does, and whom to turn to)."""
        texts = self._notifications.texts(case.locale)
        deputy = escape_markdown(case.deputy.name) if case.deputy is not None and case.deputy.name else "-"
        key = "first_card.told_both" if len(who) == 2 else f"first_card.told_{who[0]}"
        text = f"{texts(key, reference=case.reference, deputy=deputy)}\n\n{texts('follow_up.footer')}"
        await self._notifications.enqueue(
            f"{prefix}.employee", case, case.reporter, EMPLOYEE_UPDATE, text_payload(text)
        )

    async def _to_hr(self, case: Case, job: Job) -> int:
        """HR's card of Værn's own escalation; how many HR members it was queued to (the leader is told "sent to
        Organisation og Personale" only when someone there gets it)."""
        evidence = await self._evidence.list_items(case.case_id)
        reached = await self._notifications.send_hr_cards(case, evidence, f"{job.id}.hr")
        if not reached:
            log.error("an automatic HR escalation reached nobody: the directory names nobody in the function",
                      extra={"fields": {"case_id": case.case_id, "job_id": job.id}})  # fmt: skip
        return reached

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

    async def _escalate(self, case: Case, job: Job, reason: str) -> Case:
        """Værn hands the case to Organisation og Personale itself (once), so HR may open it; not while the directory
        names nobody in HR's intake function (nothing is recorded as sent to HR that nobody there gets)."""
        if case.handling.hr_escalation is not None or not self._notifications.hr_intake_can_hold():
            return case
        now = self._clock.now()

        def escalate(stored: Case) -> bool:
            if stored.handling.hr_escalation is not None:
                return False
            stored.handling.hr_escalation = HrEscalation(
                by=SYSTEM_ACTOR, by_name=SYSTEM_NAME, at=now, automatic_reason=reason
            )
            return True

        return await self._change_once(case, _by_vaern(case, job, now, "escalate_hr", reason), escalate)

    async def _change_once(self, case: Case, event: AuditEvent, change: Callable[[Case], bool]) -> Case:
        """Værn's own change to the stored case, made once: `change` says whether it changed anything; if so the
        case gets a new version signed by `event`, and the event is audited once (by that version)."""

        def apply(stored: Case) -> Case:
            if change(stored):
                stored.version += 1
                stored.last_change = event
            return stored

        changed = await self._cases.update(case.case_id, apply)
        if changed.last_change == event:
            await self._audit.append(event, event_id=change_event_id(changed))
        return changed


def _danish_day(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def _by_vaern(case: Case, job: Job, at: datetime, action: str, detail: str = "") -> AuditEvent:
    """An audit event of something Værn did on its own (a job), signed by Værn."""
    return AuditEvent(
        case_id=case.case_id,
        at=at,
        actor_id=SYSTEM_ACTOR,
        actor_name=SYSTEM_NAME,
        role=SYSTEM_ROLE,
        action=action,
        correlation_id=job.id,
        detail=detail,
    )
