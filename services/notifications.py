"""Who must hear about a case and what they get: the leader's action card when a case is reported, the
employee's short update after each action, HR's card on escalation, the leader's alert after a hard
check-in or HR's advice. Everything goes through the outbox, so no notification is lost when Teams is slow
or down; and after every change the case's follow-ups are planned (services.follow_up_planner). The cards that hand
a case to someone (the leader's first card, a deputy's, HR's) are `keep_trying`: the outbox tries them again
after it gave them up, until they are delivered. Teams reads a message's text as Markdown: what people wrote
goes into it escaped (`cards.markdown.escape_markdown`). Each recipient reads in their own Teams language
(`reader_texts`), and a case without a leader goes to HR's intake (domain.responsibility). An urgent case
(domain.urgency) goes to its leader, deputy and HR's intake at once, in the same write as the case. A case sent to the
arbejdsmiljøgruppe reaches the members of its unit's group (never the employee) as an anonymised summary; its
analysis (services/work_environment.py) reaches the leader."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol, cast

from cards.common import ATTACHMENT_CONTENT_TYPE
from cards.leader.hr_view import hr_escalation_card
from cards.leader.leader_view import leader_card
from cards.leader.messages import employee_update_text
from cards.markdown import escape_markdown
from cards.work_environment import anonymised_summary_card
from content import DEFAULT_ORGANISATION, Texts, texts_for
from domain.access_log import SHOWN_ON_HR_CARD, AccessEntry, case_reads, newest
from domain.case import Case, Person
from domain.clock import Clock
from domain.evidence import EvidenceItem
from domain.handling import HrFunction
from domain.leader_actions import LEADER_CHANGES, Verb
from domain.responsibility import NO_LEADER, holder, waits_for_a_leader
from domain.urgency import URGENT, is_urgent
from domain.work_environment import ANALYSIS_ACTION
from services.follow_up_planner import FollowUpPlanner
from services.roles import Directory, HrMember, OnCallMember, Responsibles, led_by, people_named
from services.together import together
from storage.audit import AuditLog
from storage.conversation_refs import ConversationReferenceStore
from storage.leader_assignments import LeaderAssignments
from storage.outbox import DEPUTY_CARD, EMPLOYEE_UPDATE, HR_CARD, LEADER_CARD, Notification, Outbox

FOLLOW_UP_TEXT = "follow_up"
WORK_ENVIRONMENT_CARD = "work_environment_card"
EVIDENCE_ADDED = "evidence_added"
CHECK_IN_ALERT = "check_in_alert"
HR_ADVICE = "hr_advice"
GLASS_BROKEN = "glass_broken"

LEADERSHIP_LANGUAGE = "da"
MAX_NAMED = 5  # people offered for a name that matches several
ON_BEHALF_SUBJECT = "on_behalf_subject"
ON_CALL_CARD = "on_call_card"
# New cards of these kinds are `keep_trying`.
HANDOVER_KINDS = frozenset({LEADER_CARD, DEPUTY_CARD, HR_CARD, ON_CALL_CARD})


class Sender(Protocol):
    """What sends the outbox (the Teams edge's outbox worker): woken when a message is waiting."""

    def wake(self) -> None: ...


def card_payload(card: dict[str, Any]) -> dict[str, Any]:
    return {"type": "message", "attachments": [{"contentType": ATTACHMENT_CONTENT_TYPE, "content": card}]}


def text_payload(text: str) -> dict[str, Any]:
    return {"type": "message", "text": text}


def refresh_user_ids(case: Case) -> list[str]:
    """Teams user ids of everyone who gets their own view of a leadership card (leader's, HR's) when it
    refreshes. Never on a card the employee gets: that carries `own_refresh_user_ids` only."""
    people = [case.leader, case.deputy, case.subject, case.reporter]
    return list(dict.fromkeys(p.user_id for p in people if p is not None and p.user_id.startswith("29:")))


def own_refresh_user_ids(viewer: Person) -> list[str]:
    """The employee's (or reporting colleague's) own card refreshes for them alone: no one else's ids on it."""
    return [viewer.user_id] if viewer.user_id.startswith("29:") else []


def _leader_card_id(case: Case) -> str:
    """The id of the current leader's card: the first leader's, or the card of the leader HR gave it to last."""
    changes = len(case.handling.leader_changes)
    return f"{case.case_id}-reported-{changes}" if changes else f"{case.case_id}-reported"


def _hr_person(member: HrMember) -> Person:
    """An HR member as a recipient: reached by their Entra ID object id (HR never needs to have written first)."""
    return Person(user_id=f"aad:{member.aad_object_id}", name=member.name, aad_object_id=member.aad_object_id)


def _is_named_only(person: Person) -> bool:
    """A colleague named in an on-behalf report whom the directory could not identify: not reachable."""
    return person.user_id.startswith("named:")


class CaseNotifications:
    def __init__(
        self,
        directory: Directory,
        assignments: LeaderAssignments,
        outbox: Outbox,
        worker: Sender,
        clock: Clock,
        crisis_line: str,
        planner: FollowUpPlanner,
        hr_intake: HrFunction = HrFunction.WORK_ENVIRONMENT_COORDINATOR,
        organisation: str = DEFAULT_ORGANISATION,
        references: ConversationReferenceStore | None = None,
        on_call_phone: str = "",
        audit: AuditLog | None = None,
    ) -> None:
        self.on_call_phone = on_call_phone
        self._audit = audit
        self._directory = directory
        self._references = references
        self._organisation = organisation
        self.hr_intake = hr_intake
        self.planner = planner
        self._assignments = assignments
        self._outbox = outbox
        self._worker = worker
        self._clock = clock
        self._crisis_line = crisis_line

    def texts(self, language: str | None) -> Texts:
        """Texts in a language ("da", "en") or a Teams locale, naming the crisis line and the organisation."""
        return texts_for(language, self._crisis_line, self._organisation)

    async def leader_named(self, case: Case) -> None:
        """A case HR's intake held for want of a leader has one now: the intake's members hear who."""
        escalation = case.handling.hr_escalation
        if case.leader is None or escalation is None or escalation.automatic_reason != NO_LEADER:
            return
        reference, name = case.reference or case.case_id[:8], escape_markdown(case.leader.name)
        for member in self._directory.hr_members(self.hr_intake.value):
            person = _hr_person(member)
            texts = await self.reader_texts(person)
            text = text_payload(texts("hr.leader_named", reference=reference, name=name))
            await self.enqueue(
                f"{case.case_id}-leader-named-{member.aad_object_id}", case, person, FOLLOW_UP_TEXT, text
            )

    def hr_intake_can_hold(self) -> bool:
        """Whether the directory names anyone in HR's intake function, who hold a case that has no leader."""
        return bool(self._directory.hr_members(self.hr_intake.value))

    async def viewers(self, case: Case) -> list[str]:
        """`refresh_user_ids`, with the Teams id of a leader or deputy the directory knows only by Entra ID object
        id, learned when they wrote to the bot or were sent a card (their conversation reference)."""
        known = refresh_user_ids(case)
        for person in (case.leader, case.deputy):
            teams_id = await self._teams_id(person) if person is not None else None
            if teams_id is not None and teams_id not in known:
                known.append(teams_id)
        return known

    async def reader_texts(self, person: Person | None) -> Texts:
        """Texts in the recipient's own Teams language (the locale of their stored conversation reference, i.e.
        their last message or card), Danish while Værn has not heard from them."""
        reference = await self._reference_of(person) if person is not None else None
        locale = reference.get("locale") if reference else None
        return self.texts(locale if isinstance(locale, str) and locale else LEADERSHIP_LANGUAGE)

    async def _reference_of(self, person: Person) -> dict[str, Any] | None:
        if self._references is None or not (person.aad_object_id or person.user_id.startswith("29:")):
            return None
        return await self._references.get(person)

    async def _teams_id(self, person: Person) -> str | None:
        """The person's Teams user id: on the person, else from their stored conversation reference."""
        if person.user_id.startswith("29:"):
            return person.user_id
        if not person.aad_object_id:
            return None
        reference = await self._reference_of(person)
        user = reference.get("user") if reference else None
        teams_id = cast(dict[str, Any], user).get("id") if isinstance(user, dict) else None
        return teams_id if isinstance(teams_id, str) and teams_id.startswith("29:") else None

    def leader_card(
        self,
        case: Case,
        evidence: list[EvidenceItem],
        viewers: list[str] | None = None,
        texts: Texts | None = None,
    ) -> dict[str, Any]:
        """The leadership card as it is now (with the EASY deadline as configured), in Danish unless `texts`."""
        viewers = refresh_user_ids(case) if viewers is None else viewers
        texts = texts or self.texts(LEADERSHIP_LANGUAGE)
        return leader_card(texts, case, evidence, viewers, easy_deadline=self.planner.easy_deadline(case))

    async def responsibles_for(self, person: Person) -> Responsibles | None:
        """From the directory, or else the leader the person named themselves earlier."""
        known = self._directory.find(person.aad_object_id)
        responsibles = self._directory.responsibles_for(known) if known else None
        if responsibles is None:
            named = await self._assignments.leader_of(person)
            responsibles = self.led_by(named) if named else None
        return responsibles

    def led_by(self, leader_aad_object_id: str) -> Responsibles | None:
        """The leader as responsible, with the unit's deputy when they lead that unit."""
        return led_by(self._directory, leader_aad_object_id)

    async def record_named_leader(self, case: Case, leader_aad_object_id: str) -> Case:
        """The employee named their leader: remember it for next time and put it on the case."""
        await self._assignments.record(case.subject, leader_aad_object_id)
        return await self.assign(case)

    def people_named(self, name: str) -> list[Person]:
        """Who in the directory a typed name may mean (`services.roles.people_named`); several are for the person
        who typed it to choose from."""
        return [person.as_person() for person in people_named(self._directory, name, MAX_NAMED)]

    async def assign(self, case: Case) -> Case:
        """Set the case's unit, leader and deputy from the directory (the subject's, else the reporter's). A colleague
        named in an on-behalf report counts only as the reporter chose them in the report; a name alone is never
        linked to anyone (it may mean someone else)."""
        responsibles = await self.responsibles_for(case.subject) or await self.responsibles_for(case.reporter)
        if responsibles is None:
            return case
        case.unit = responsibles.unit.name
        case.unit_id = responsibles.unit.id
        case.leader = responsibles.leader.as_person()
        case.deputy = responsibles.deputy.as_person() if responsibles.deputy else None
        return case

    async def case_reported(self, case: Case, evidence: list[EvidenceItem]) -> None:
        """A case was reported and is stored: the employee's message when a colleague reported for them, its
        follow-ups and its leader's card (all idempotent)."""
        await together(
            self.tell_subject_reported_for_them(case), self.plan_follow_ups(case), self.tell_leader(case, evidence)
        )

    async def tell_subject_reported_for_them(self, case: Case) -> None:
        """A colleague reported on the employee's behalf: the employee hears it at once, before anything else about
        the case: who reported, what happens now (who has the case, domain.responsibility), the crisis line, and
        that they can see the case and add to it. Nobody is told about a colleague known only by a typed name."""
        if not case.reported_on_behalf or _is_named_only(case.subject):
            return
        texts = await self.reader_texts(case.subject)
        leader = escape_markdown(case.leader.name) if case.leader is not None and case.leader.name else ""
        next_step = texts(f"on_behalf_subject.next_{holder(case).value}", leader=leader)
        text = texts(
            "on_behalf_subject.message",
            reporter=escape_markdown(case.reporter.name or "-"),
            reference=case.reference or case.case_id[:8],
            next=next_step,
        )
        await self.enqueue(
            f"{case.case_id}-on-behalf-subject",
            case,
            case.subject,
            ON_BEHALF_SUBJECT,
            text_payload(text),
        )

    async def tell_leader(self, case: Case, evidence: list[EvidenceItem]) -> None:
        """Queue the card of a reported case for whoever holds it (domain.responsibility) once the case is stored:
        its leader's card, the card's reference their way into it; while it has no leader, HR's card to the intake
        function (naming a leader later reports it again)."""
        if case.leader is not None:
            texts = await self.reader_texts(case.leader)
            card = self.leader_card(case, evidence, await self.viewers(case), texts)
            await self.enqueue(_leader_card_id(case), case, case.leader, LEADER_CARD, card_payload(card))
            if is_urgent(case.incident):
                await self._urgent_to_deputy_and_hr(case, evidence)
        elif waits_for_a_leader(case):
            await self.send_hr_cards(case, evidence, f"{case.case_id}-no-leader-hr")

    async def _urgent_to_deputy_and_hr(self, case: Case, evidence: list[EvidenceItem]) -> None:
        """An urgent case: the deputy gets the leadership card and HR's intake its card, with the leader's."""
        if case.deputy is not None:
            texts = await self.reader_texts(case.deputy)
            leader = escape_markdown(case.leader.name) if case.leader is not None and case.leader.name else "-"
            unit = escape_markdown(case.unit or "-")
            intro = texts("urgent.deputy", reference=case.reference, unit=unit, leader=leader)
            intro = f"{intro}\n\n{texts('follow_up.footer')}"
            await self.send_deputy_card(case, evidence, f"{case.case_id}.urgent", intro)
        escalation = case.handling.hr_escalation
        if escalation is not None and escalation.automatic_reason == URGENT:
            await self.send_hr_cards(case, evidence, f"{case.case_id}.urgent.hr")

    def told_at_once(self, case: Case) -> tuple[str, ...]:
        """Who besides the leader has an urgent case from the moment it was filed ("deputy", "hr"): the ones
        `tell_leader` queued it to."""
        if case.leader is None or not is_urgent(case.incident):
            return ()
        escalation = case.handling.hr_escalation
        to_hr = escalation is not None and escalation.automatic_reason == URGENT and self.hr_intake_can_hold()
        return (("deputy",) if case.deputy is not None else ()) + (("hr",) if to_hr else ())

    def on_call_members(self) -> list[OnCallMember]:
        return self._directory.on_call_members()

    async def leader_card_delivery(self, case: Case) -> tuple[datetime | None, bool]:
        """Where the leader's first card is: when it was queued (None if it is not waiting), and whether it was
        delivered."""
        card_id = _leader_card_id(case)
        if await self._outbox.was_sent(card_id):
            return None, True
        return await self._outbox.queued_at(card_id), False

    async def handed_over_to(self, case: Case, id_prefix: str) -> set[str]:
        """Who of the deputy ("deputy") and HR ("hr") has received the card sent with `id_prefix`
        (`send_deputy_card`, `send_hr_cards`)."""
        reached: set[str] = set()
        if case.deputy is not None and await self._outbox.was_sent(f"{id_prefix}.deputy-card"):
            reached.add("deputy")
        for member in self._directory.hr_members():
            if await self._outbox.was_sent(f"{id_prefix}.hr-{member.aad_object_id}"):
                reached.add("hr")
                break
        return reached

    async def send_deputy_card(self, case: Case, evidence: list[EvidenceItem], id_prefix: str, intro: str) -> None:
        """The deputy gets the leadership card (they can act on it) after a short text saying why."""
        deputy = case.deputy
        if deputy is None:
            return
        await self.enqueue(f"{id_prefix}.deputy", case, deputy, FOLLOW_UP_TEXT, text_payload(intro))
        teams_id = await self._teams_id(deputy)
        texts = await self.reader_texts(deputy)
        card = card_payload(self.leader_card(case, evidence, [teams_id] if teams_id else [], texts))
        await self.enqueue(f"{id_prefix}.deputy-card", case, deputy, DEPUTY_CARD, card)

    async def send_on_call_cards(self, case: Case, evidence: list[EvidenceItem], id_prefix: str) -> int:
        """Each member of the on-call group gets a short text saying why (in their language), then the leadership
        card to act on; returns how many members it was queued to."""
        members = self._directory.on_call_members()
        minutes = f"{self.planner.follow_ups.policy.on_call_minutes:g}"
        for member in members:
            person = member.as_person()
            texts = await self.reader_texts(person)
            intro = texts("urgent.on_call", reference=case.reference, unit=escape_markdown(case.unit or "-"),
                          minutes=minutes)  # fmt: skip
            teams_id = await self._teams_id(person)
            card = card_payload(self.leader_card(case, evidence, [teams_id] if teams_id else [], texts))
            text = text_payload(f"{intro}\n\n{texts('follow_up.footer')}")
            await self.enqueue(f"{id_prefix}-{member.aad_object_id}", case, person, FOLLOW_UP_TEXT, text)
            await self.enqueue(f"{id_prefix}-{member.aad_object_id}-card", case, person, ON_CALL_CARD, card)
        return len(members)

    async def plan_follow_ups(self, case: Case) -> None:
        """Queue a reported case's follow-up jobs and their marker once the case is stored (a job that came due
        without its case would find none and be dropped). Nothing until it has a leader."""
        if case.leader is not None:
            await self.planner.plan(case)
        elif is_urgent(case.incident):  # HR's intake holds it, in working hours: the on-call step goes on
            await self.planner.plan_on_call(case)

    async def _update_leader_card(self, case: Case, evidence: list[EvidenceItem]) -> None:
        """Bring the leader's copy of the card up to date in place (whoever acted, from wherever)."""
        sent = await self._outbox.sent(_leader_card_id(case))
        if case.leader is None or sent is None or not sent.sent_activity_id or not sent.sent_conversation_id:
            return
        card = self.leader_card(case, evidence, await self.viewers(case), await self.reader_texts(case.leader))
        await self.enqueue(
            f"{case.case_id}-v{case.version}-leader-card",
            case,
            case.leader,
            LEADER_CARD,
            card_payload(card),
            update=(sent.sent_conversation_id, sent.sent_activity_id),
        )

    async def after_action(self, case: Case, verb: str, evidence: list[EvidenceItem]) -> None:
        """Update the leader's card, tell the employee in plain words, alert the leader when an answer or HR's
        advice needs them, give HR its card on escalation, and plan the follow-ups the change calls for."""
        await self._update_leader_card(case, evidence)
        prefix = f"{case.case_id}-v{case.version}"
        employee_texts = self.texts(case.locale)
        if employee_texts.has(f"employee_update.{verb}"):
            payload = text_payload(employee_update_text(employee_texts, verb))
            await self.enqueue(f"{prefix}-employee", case, case.subject, EMPLOYEE_UPDATE, payload)
        if verb == Verb.WORK_ENVIRONMENT:
            await self._hand_to_work_environment_group(case, f"{prefix}-amg-none")
        if verb == ANALYSIS_ACTION:
            await self._work_environment_handled(case, f"{prefix}-amg-handled")
        if verb == Verb.ESCALATE_HR:
            await self.send_hr_cards(case, evidence, f"{prefix}-hr")
        if verb == Verb.CHECK_IN:
            await self._check_in_alert(case, f"{prefix}-check-in-alert")
        if verb == Verb.HR_ADVICE:
            await self._hr_advice_to_leader(case, f"{prefix}-hr-advice")
        if verb in LEADER_CHANGES:
            await self._leader_changed(case, evidence, prefix, by_hr=verb == Verb.HR_REASSIGN)
        if verb == Verb.ASK_REOPEN:
            await self._reopen_asked(case, evidence, f"{prefix}-reopen-asked")
        await self.planner.plan(case)

    async def send_hr_cards(self, case: Case, evidence: list[EvidenceItem], id_prefix: str) -> int:
        """HR's escalation card (with what is overdue and who opened the case) to the members of the function the case
        was given to, or of the intake function when none was named (Værn's own escalation): need-to-know, as
        domain/authorization.py lets them see it. Returns how many members it was queued to (0: the directory names
        nobody in that function, so nobody may be told HR has it)."""
        escalation = case.handling.hr_escalation
        if escalation is None:
            return 0
        overdue, deadline = self.planner.overdue(case), self.planner.easy_deadline(case)
        opened_by = await self.hr_access_log(case)
        function = (escalation.function or self.hr_intake).value
        members = self._directory.hr_members(function)
        for member in members:
            person = _hr_person(member)
            texts = await self.reader_texts(person)
            card = hr_escalation_card(
                texts, case, evidence, overdue=overdue, easy_deadline=deadline, opened_by=opened_by
            )
            payload = card_payload(card)
            await self.enqueue(f"{id_prefix}-{member.aad_object_id}", case, person, HR_CARD, payload)
        return len(members)

    async def hr_access_log(self, case: Case) -> tuple[list[AccessEntry], int] | None:
        """Who opened the case, for HR's card: the newest reads by anyone and how many more (None without a log)."""
        if self._audit is None:
            return None
        return newest(case_reads(await self._audit.events(case.case_id)), SHOWN_ON_HR_CARD)

    async def _check_in_alert(self, case: Case, notification_id: str) -> None:
        """A hard time, or a wish to talk or for professional help: the leader hears at once."""
        answers = sorted(case.handling.check_ins, key=lambda answer: answer.at)
        answer = answers[-1] if answers else None
        if answer is None or not answer.needs_leader or case.leader is None:
            return
        texts = await self.reader_texts(case.leader)
        wishes = texts("follow_up.check_in_wish_talk") if answer.talk_to_leader else ""
        wishes += texts("follow_up.check_in_wish_help") if answer.professional_help else ""
        wishes += texts("follow_up.check_in_alert_work_injury") if answer.suggests_work_injury else ""
        text = texts(
            "follow_up.check_in_alert",
            reference=case.reference or case.case_id[:8],
            day=answer.day,
            score_text=texts(f"impact.scale_{answer.score}"),
            wishes=wishes,
        )
        await self.enqueue(notification_id, case, case.leader, CHECK_IN_ALERT, text_payload(text))

    async def _leader_changed(self, case: Case, evidence: list[EvidenceItem], prefix: str, *, by_hr: bool) -> None:
        """The case went to another leader (HR gave it, or the employee chose): the new one gets the case's card,
        the one before is told they are done with it, and the employee who has it (unless they chose)."""
        change = case.handling.leader_changes[-1]
        reference, new_name = case.reference or case.case_id[:8], escape_markdown(change.to_leader.name)
        await self.tell_leader(case, evidence)
        if change.from_leader is not None:
            texts = await self.reader_texts(change.from_leader)
            key = "hr.leader_changed_before" if by_hr else "hr.leader_chosen_before"
            text = text_payload(texts(key, reference=reference, name=new_name))
            await self.enqueue(f"{prefix}-leader-before", case, change.from_leader, FOLLOW_UP_TEXT, text)
        if change.by != case.subject.user_id:
            employee_texts = self.texts(case.locale)
            text = text_payload(employee_texts("hr.new_leader_to_employee", name=new_name))
            await self.enqueue(f"{prefix}-employee", case, case.subject, EMPLOYEE_UPDATE, text)

    async def _reopen_asked(self, case: Case, evidence: list[EvidenceItem], prefix: str) -> None:
        """The employee asks for their closed case to be reopened: whoever holds it (domain.responsibility) gets a
        message saying so and the case's card, which reopens it (its leader the leadership card, HR's intake its
        own)."""
        reference, name = case.reference or case.case_id[:8], escape_markdown(case.subject.name or "-")
        if case.leader is not None:
            texts = await self.reader_texts(case.leader)
            text = text_payload(texts("reopen_request.to_holder", name=name, reference=reference))
            await self.enqueue(prefix, case, case.leader, FOLLOW_UP_TEXT, text)
            card = card_payload(self.leader_card(case, evidence, await self.viewers(case), texts))
            await self.enqueue(f"{prefix}-card", case, case.leader, LEADER_CARD, card)
        elif waits_for_a_leader(case):
            for member in self._directory.hr_members(self.hr_intake.value):
                person = _hr_person(member)
                texts = await self.reader_texts(person)
                text = text_payload(texts("reopen_request.to_holder", name=name, reference=reference))
                await self.enqueue(f"{prefix}-{member.aad_object_id}", case, person, FOLLOW_UP_TEXT, text)
            await self.send_hr_cards(case, evidence, f"{prefix}-hr")

    async def _hr_advice_to_leader(self, case: Case, notification_id: str) -> None:
        advice = case.handling.hr_response.advice
        if not advice or case.leader is None:
            return
        texts = await self.reader_texts(case.leader)
        latest = advice[-1]
        reference = case.reference or case.case_id[:8]
        by, advice = escape_markdown(latest.by_name or latest.by), escape_markdown(latest.text)
        text = texts("follow_up.hr_advice", reference=reference, by=by, advice=advice)
        await self.enqueue(notification_id, case, case.leader, HR_ADVICE, text_payload(text))

    async def glass_broken(self, case: Case, reader: Person, reason: str, at: datetime) -> None:
        """HR broke the glass on the case (Overblik): its leader, else its deputy, hears who opened it and why, in
        their own language (once per break)."""
        to = case.leader or case.deputy
        if to is None:
            return
        texts = await self.reader_texts(to)
        text = texts(
            "access.glass_broken_to_leader",
            reference=case.reference or case.case_id[:8],
            name=escape_markdown(reader.name or texts("access.someone")),
            reason=escape_markdown(reason),
        )
        notification_id = f"{case.case_id}-glass-{reader.aad_object_id}-{at.strftime('%Y%m%dT%H%M%S%f')}"
        await self.enqueue(notification_id, case, to, GLASS_BROKEN, text_payload(text))

    async def evidence_added(self, case: Case, added: int, evidence: list[EvidenceItem]) -> None:
        """The employee or the reporting colleague added evidence or notes to an open case: the leader gets a
        short message, and the leader's card (which counts the evidence) is brought up to date in place. While HR's
        intake holds the case (no leader), its members get the message."""
        if added <= 0:
            return
        reference = case.reference or case.case_id[:8]
        notice_id = f"{case.case_id}-evidence-{len(evidence)}"
        if case.leader is None:
            if waits_for_a_leader(case):
                for member in self._directory.hr_members(self.hr_intake.value):
                    person = _hr_person(member)
                    texts = await self.reader_texts(person)
                    notice = text_payload(texts("add_evidence.leader_notice", count=added, reference=reference))
                    await self.enqueue(f"{notice_id}-{member.aad_object_id}", case, person, EVIDENCE_ADDED, notice)
            return
        texts = await self.reader_texts(case.leader)
        notice = text_payload(texts("add_evidence.leader_notice", count=added, reference=reference))
        await self.enqueue(notice_id, case, case.leader, EVIDENCE_ADDED, notice)
        sent = await self._outbox.sent(_leader_card_id(case))
        if sent is None or not sent.sent_activity_id or not sent.sent_conversation_id:
            return
        card = self.leader_card(case, evidence, await self.viewers(case), texts)
        await self.enqueue(
            f"{case.case_id}-evidence-{len(evidence)}-leader-card",
            case,
            case.leader,
            LEADER_CARD,
            card_payload(card),
            update=(sent.sent_conversation_id, sent.sent_activity_id),
        )

    def work_environment_group(self, case: Case) -> list[Person]:
        """The members of the arbejdsmiljøgruppe of the case's unit, from the directory; never the employee."""
        unit = self._directory.unit(case.unit_id) if case.unit_id else None
        members = [self._directory.person(aad) for aad in unit.work_environment_group] if unit else []
        return [
            member.as_person()
            for member in members
            if member is not None and member.aad_object_id != case.subject.aad_object_id
        ]

    async def _hand_to_work_environment_group(self, case: Case, no_group_id: str) -> None:
        """The unit's arbejdsmiljøgruppe gets an anonymised summary to analyse (once per member). A unit whose group
        the directory does not name: the leader is told to take the case to the group themselves."""
        members = self.work_environment_group(case)
        for person in members:
            card = card_payload(anonymised_summary_card(await self.reader_texts(person), case))
            await self.enqueue(f"{case.case_id}-amg-{person.aad_object_id}", case, person, WORK_ENVIRONMENT_CARD, card)
        leader = case.leader
        if not members and case.handling.work_environment is not None and leader is not None:
            texts = await self.reader_texts(leader)
            reference, unit = case.reference or case.case_id[:8], escape_markdown(case.unit or "-")
            text = texts("amg.no_group", reference=reference, unit=unit)
            await self.enqueue(no_group_id, case, leader, FOLLOW_UP_TEXT, text_payload(text))

    async def _work_environment_handled(self, case: Case, notification_id: str) -> None:
        """The group recorded its analysis: the leader hears it (the card says "behandlet" and shows it)."""
        review = case.handling.work_environment
        if case.leader is None or review is None or review.analysis is None:
            return
        texts = await self.reader_texts(case.leader)
        key = "amg.handled_plan_change" if review.analysis.plan_change else "amg.handled"
        text = texts(key, reference=case.reference or case.case_id[:8])
        await self.enqueue(notification_id, case, case.leader, FOLLOW_UP_TEXT, text_payload(text))

    async def remind_work_environment_group(self, case: Case, id_prefix: str) -> int:
        """The group has not recorded its analysis in time: each member and the leader are reminded, in their own
        language (once: the ids are the job's), with the days the case has really waited (the reminder moves to a
        working day). A unit whose group the directory does not name: only the leader, told that nobody else was
        reminded. Returns how many were reminded."""
        review = case.handling.work_environment
        if review is None:  # never sent: nothing to remind of
            return 0
        zone = self.planner.follow_ups.calendar_of(case.unit_id).zone
        days = max(1, (self._clock.now().astimezone(zone).date() - review.sent.at.astimezone(zone).date()).days)
        reference, unit = case.reference or case.case_id[:8], escape_markdown(case.unit or "-")
        members = self.work_environment_group(case)
        recipients = [("amg.reminder_group", person) for person in members]
        leader_key = "amg.reminder_leader" if members else "amg.reminder_leader_no_group"
        recipients += [(leader_key, case.leader)] if case.leader is not None else []
        for key, person in recipients:
            texts = await self.reader_texts(person)
            text = f"{texts(key, reference=reference, unit=unit, days=days)}\n\n{texts('follow_up.footer')}"
            notification_id = f"{id_prefix}.{person.aad_object_id or person.user_id}"
            await self.enqueue(notification_id, case, person, FOLLOW_UP_TEXT, text_payload(text))
        return len(recipients)

    async def enqueue(
        self,
        notification_id: str,
        case: Case,
        to: Person,
        kind: str,
        payload: dict[str, Any],
        update: tuple[str, str] | None = None,
    ) -> None:
        """Store the notification for the worker; `update` = (conversation id, activity id) to edit in place. Its id
        starts with the case's id (prefixed when the caller's does not), which is how erasure finds a sent copy."""
        if not notification_id.startswith(case.case_id):
            notification_id = f"{case.case_id}.{notification_id}"
        if _is_named_only(to):
            return
        await self.notify(
            notification_id,
            to,
            kind,
            payload,
            tenant_id=case.tenant_id,
            service_url=case.service_url,
            case_id=case.case_id,
            update=update,
        )

    async def notify(
        self,
        notification_id: str,
        to: Person,
        kind: str,
        payload: dict[str, Any],
        *,
        tenant_id: str | None,
        service_url: str,
        case_id: str | None = None,
        update: tuple[str, str] | None = None,
    ) -> None:
        """Any proactive message through the outbox (idempotent by `notification_id`), sent as soon as possible."""
        notification = Notification(
            id=notification_id,
            recipient=to,
            tenant_id=tenant_id,
            service_url=service_url,
            kind=kind,
            case_id=case_id,
            payload=payload,
            created_at=self._clock.now(),
            update_conversation_id=update[0] if update else None,
            update_activity_id=update[1] if update else None,
            keep_trying=kind in HANDOVER_KINDS and update is None,
        )
        await self._outbox.enqueue(notification)
        self._worker.wake()
