"""Everything stored about one case, deleted on either backend: what retention removes (services/retention.py).

A case lives in its document (`cases/`), its evidence (the EvidenceStore), its audit log (`audit/<case_id>/`), the
people index (`index/people/`), the outbox (`outbox/`, `outbox-sent/`, `outbox-dead/`), its jobs and their marker
(`JobQueue.forget`), its package offers (`packages/`, and the ZIP that may still wait in the packages folder) and
dialog state (`state/`: a conversation whose state names the case, such as a report dialog left open on a draft,
starts afresh). What is about a person rather than a case stays: conversation references, leaders named by
employees; so do response plans (a unit's). `erase` leaves the case document for last (`CaseRepository.delete`),
so a run a crash stopped finds the case again and finishes.
"""

from __future__ import annotations

from pathlib import Path

from domain.case import Case
from storage.audit import AuditLog
from storage.case_index import CaseIndex
from storage.conversation_state import STATE_FOLDER
from storage.job_queue import JobQueue
from storage.outbox import Outbox
from storage.package_offers import PackageOffers
from storage.ports import CaseTable, DocumentStore, EvidenceStore

DIALOG_STATE = STATE_FOLDER
PACKAGE_SUFFIX = ".zip"  # a package's file in the packages folder: <offer id>.zip (bot.case_packages)


class CaseErasure:
    def __init__(
        self,
        documents: DocumentStore,
        evidence: EvidenceStore,
        jobs: JobQueue,
        *,
        outbox: Outbox | None = None,
        package_folder: Path | None = None,
        case_table: CaseTable | None = None,
    ) -> None:
        self._documents = documents
        self._evidence = evidence
        self._jobs = jobs
        self._audit = AuditLog(documents)
        self._index = CaseIndex(documents)
        self._outbox = outbox or Outbox(documents)
        self._offers = PackageOffers(documents)
        self._package_folder = package_folder
        self._case_table = case_table

    async def erase(self, case: Case) -> dict[str, int]:
        """Delete everything about the case but its document; returns how much of each kind went."""
        case_id = case.case_id
        return {
            "evidence": await self._evidence.delete_case(case_id),
            "packages": await self._forget_packages(case_id),
            "outbox": await self._outbox.forget_case(case_id),
            "jobs": await self._jobs.forget(case_id),
            "dialog_states": await self._forget_dialog_states(case_id),
            "index_entries": await self._index.remove(case),
            "audit_events": await self._audit.delete_case(case_id),
            "overview_rows": await self._case_table.delete(case.tenant_id or "", case_id) if self._case_table else 0,
        }

    async def _forget_packages(self, case_id: str) -> int:
        offers = await self._offers.of_case(case_id)
        for offer in offers:
            if self._package_folder is not None:
                (self._package_folder / f"{offer.offer_id}{PACKAGE_SUFFIX}").unlink(missing_ok=True)
            await self._offers.delete(offer.offer_id)
        return len(offers)

    async def _forget_dialog_states(self, case_id: str) -> int:
        """Conversations whose stored state names the case (a report dialog on it, its draft)."""
        needle, removed = case_id.encode(), 0
        for key in await self._documents.list_keys(DIALOG_STATE):
            document = await self._documents.get(key)
            if document is not None and needle in document.data:
                await self._documents.delete(key)
                removed += 1
        return removed
