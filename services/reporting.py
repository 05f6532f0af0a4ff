"""File a report (UNDER: bevissikring): the employee's sent report becomes a case with its reference, its place in
the people index, its follow-ups and its leader's card, and when a colleague reported it, the employee's own message
first; a report naming the offender of one of the employee's closed cases points leadership at it (they may reopen
it, and the employee may ask them to: services/reopen_requests.py); a cancelled report that holds evidence is kept
as a draft, which its author may continue and send later (`resume_draft`).
Every step is idempotent, so sending again (or the start-up sweep) finishes a report the bot stopped in the middle
of. `ReportServices` also carries what the report dialog's questions need (evidence intake, the safe downloader).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from domain.authorization import Actor, owns_draft
from domain.case import Case, CaseStatus
from domain.clock import Clock
from domain.closing import closed_cases_with_offender
from domain.evidence import EvidenceItem
from domain.reporting import ReportDraft, draft_of, to_case
from domain.responsibility import hand_leaderless_case_to_hr
from domain.urgency import hand_urgent_case_to_hr
from services.notifications import CaseNotifications
from services.together import together
from storage.case_index import CaseIndex
from storage.cases import CaseRepository, ReferenceCounter
from storage.evidence_download import SafeDownloader
from storage.evidence_intake import EvidenceIntake
from storage.ports import EvidenceStore, InvalidKey

log = logging.getLogger("vaern.reporting")
MAX_EARLIER_CASES_READ = 50  # the subject's latest cases looked at for the same offender
MAX_SAME_OFFENDER_SHOWN = 3


@dataclass
class ReportServices:
    cases: CaseRepository
    references: ReferenceCounter
    evidence: EvidenceStore
    intake: EvidenceIntake
    downloader: SafeDownloader
    clock: Clock
    max_evidence_mb: int
    notifications: CaseNotifications
    case_index: CaseIndex

    async def file_report(self, draft: ReportDraft) -> Case:
        """The sent report as a filed case. Without a leader (the employee may still name one) it is held by HR's
        intake function from the start (domain.responsibility); an urgent one goes to HR's intake too, beside its
        leader and deputy (domain.urgency), when the directory names someone there."""
        existing = await self.cases.get(draft.case_id)
        replacing: str | None = None
        if existing is not None and existing.case.status is CaseStatus.DRAFT:
            # A kept draft, continued and sent now: the filed case takes the draft's place under the same id, in
            # one write guarded by the draft's etag (its evidence is stored under that id already). A crash before
            # that write leaves the draft as it was; after it, sending again finishes the filed case below.
            replacing, existing = existing.etag, None
        if existing is not None:
            # Sent before, but the bot stopped before it finished: finish it (each step is idempotent).
            case = existing.case
            evidence = await self.evidence.list_items(case.case_id)
            await together(self.notifications.case_reported(case, evidence), self.case_index.add(case))
            await self.cases.saved(case)
            return case
        now = self.clock.now()
        evidence = await self.evidence.list_items(draft.case_id)
        case = to_case(draft, reference="", evidence=evidence, now=now, status=CaseStatus.REPORTED)
        case = await self.notifications.assign(case)
        same_offender = await self._closed_with_same_offender(case)
        case.same_offender_closed = [other.reference for other in same_offender]
        case.same_offender_closed_ids = [other.case_id for other in same_offender]
        if case.leader is None and self.notifications.hr_intake_can_hold():
            hand_leaderless_case_to_hr(case, now)
        elif case.leader is None:
            log.error("a case has no leader and the directory names nobody in HR's intake function to hold it",
                      extra={"fields": {"case_id": case.case_id}})  # fmt: skip
        if case.leader is not None and self.notifications.hr_intake_can_hold():
            hand_urgent_case_to_hr(case, now)  # urgent: HR's intake has it at once, beside leader and deputy
        case.reference = await self.references.next_reference(now.year)
        await self._file(case, evidence, replacing=replacing)
        return case

    async def _closed_with_same_offender(self, case: Case) -> list[Case]:
        """The subject's closed cases naming this case's offender (the newest few), so leadership sees them."""
        if not case.incident.offender.is_known:
            return []
        ids = (await self.case_index.case_ids_for(case.subject))[-MAX_EARLIER_CASES_READ:]
        found = [current.case for case_id in ids if (current := await self.cases.get(case_id)) is not None]
        return closed_cases_with_offender(case, found)[:MAX_SAME_OFFENDER_SHOWN]

    async def cancel_report(self, draft: ReportDraft) -> int:
        """Keep a cancelled report's evidence as a draft case; returns how many evidence items were kept. A draft
        that was continued and stopped again keeps the answers given since."""
        evidence = await self.evidence.list_items(draft.case_id)
        existing = await self.cases.get(draft.case_id)
        if existing is not None and existing.case.status is CaseStatus.DRAFT:
            kept = await self.cases.update(draft.case_id, lambda case: _with_answers(case, draft, evidence))
            await self.case_index.add(kept)
            return len(evidence)
        if not evidence or existing is not None:
            return 0
        case = to_case(draft, reference="", evidence=evidence, now=self.clock.now(), status=CaseStatus.DRAFT)
        await self.cases.create(case)
        await self.case_index.add(case)
        await self.notifications.planner.plan(case)  # its deletion when the draft period ends (services/retention.py)
        return len(evidence)

    async def resume_draft(self, actor: Actor, case_id: str) -> ReportDraft | None:
        """The person's own kept draft as the report to go on with (None: no such draft of theirs)."""
        try:
            kept = await self.cases.get(case_id)
        except InvalidKey:
            return None
        if kept is None or not owns_draft(kept.case, actor):
            return None
        return draft_of(kept.case)

    async def _file(self, case: Case, evidence: list[EvidenceItem], *, replacing: str | None = None) -> None:
        """Store the reported case (its reference's number is stored already); once it is stored, its follow-ups,
        its leader's card, the employee's message and its overview row (`CaseRepository.saved`).
        Nothing of it is queued before the case is stored: a follow-up that came due without its case would be
        dropped. A second confirm of the same report at the same moment fails on the existing case and stores
        nothing of its own; its number stays unused. A continued draft (`replacing`: its etag) is replaced by the
        filed case in that one write, never deleted first. The people index holds case ids and its readers pass
        over one whose case is not there, so it is written beside the case, without waiting for it."""
        await together(self._report_once_stored(case, evidence, replacing), self.case_index.add(case))

    async def _report_once_stored(self, case: Case, evidence: list[EvidenceItem], replacing: str | None) -> None:
        await self.cases.create(case, replacing=replacing)
        await together(self.notifications.case_reported(case, evidence), self.cases.saved(case))


def _with_answers(kept: Case, draft: ReportDraft, evidence: list[EvidenceItem]) -> Case:
    """A kept draft with the answers of the report continued from it (its dates stay the draft's)."""
    answers = to_case(draft, reference="", evidence=evidence, now=kept.created_at, status=CaseStatus.DRAFT)
    return kept.model_copy(update={"incident": answers.incident, "subject": answers.subject, "evidence": evidence})
