"""Retention from the command line, with the app's settings (services/retention.py does the work):

    python -m bot.retention --dry-run    # what is due now, and what a legal hold keeps; deletes nothing
    python -m bot.retention              # delete what is due now (the follow-up worker's retention jobs do this too)

Each line names the case by reference, unit and status, the rule and the day its period ended; no person. A draft's
notice to its author is queued in the outbox and sent by the running bot. `build_retention` wires the service for
the runtime and for this command alike; `build_immutability` the evidence immutability service (EVIDENCE_IMMUTABILITY,
services/evidence_immutability.py) for the worker.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from typing import TextIO

from bot.config import Settings
from domain.clock import Clock, SystemClock
from domain.follow_ups import FollowUps
from domain.retention import EvidenceImmutability
from services.evidence_immutability import EvidenceImmutabilityService
from services.follow_up_planner import FollowUpPlanner
from services.notifications import CaseNotifications
from services.retention import Retention, ReviewedCase
from services.roles import EmptyDirectory
from storage.audit import AuditLog
from storage.backends import StorageBackend, open_backend, open_job_queue
from storage.case_erasure import CaseErasure
from storage.cases import CaseRepository
from storage.job_queue import JobQueue
from storage.leader_assignments import LeaderAssignments
from storage.outbox import Outbox
from storage.ports import ProtectedEvidenceStore
from storage.private_files import restrict_umask


def build_retention(
    settings: Settings,
    backend: StorageBackend,
    jobs: JobQueue,
    notifications: CaseNotifications,
    clock: Clock,
    outbox: Outbox,
) -> Retention:
    erasure = CaseErasure(
        backend.documents,
        backend.evidence,
        jobs,
        outbox=outbox,
        package_folder=settings.data_dir / "packages",  # where built ZIPs wait (bot.runtime: CasePackages)
        case_table=backend.case_table,
    )
    documents = backend.documents
    return Retention(CaseRepository(documents), erasure, AuditLog(documents), notifications, settings.retention, clock)


def immutability_on(settings: Settings) -> bool:
    return settings.evidence_immutability is not EvidenceImmutability.NONE


def build_immutability(
    settings: Settings, cases: CaseRepository, evidence: ProtectedEvidenceStore
) -> EvidenceImmutabilityService | None:
    """The service that sets each case's evidence expiry and legal hold (None: EVIDENCE_IMMUTABILITY=none)."""
    if not immutability_on(settings):
        return None
    return EvidenceImmutabilityService(cases, evidence, settings.retention, settings.evidence_immutability)


class _QueuedForTheBot:
    """The running bot's outbox worker sends what this command queues."""

    def wake(self) -> None:
        return None


def describe(reviewed: ReviewedCase, outcome: str) -> str:
    """One line about a case whose period ended: no person, no free text."""
    reference = reviewed.reference or f"(draft {reviewed.case_id[:8]})"
    return "\t".join(
        [
            reference,
            reviewed.unit or "-",
            reviewed.status.value,
            reviewed.rule.value,
            f"period ended {reviewed.due_at:%Y-%m-%d}",
            outcome,
        ]
    )


async def run(settings: Settings, *, dry_run: bool, out: TextIO, clock: Clock | None = None) -> int:
    """List (dry run) or delete what is due; returns how many cases are (or were) deleted."""
    clock = clock or SystemClock()
    backend = await open_backend(settings.storage_choice())
    jobs = await open_job_queue(settings.storage_choice(), backend.documents, clock)
    try:
        outbox = Outbox(backend.documents)
        follow_ups = FollowUps(settings.follow_up, *settings.working_calendars())
        planner = FollowUpPlanner(
            follow_ups, jobs, clock, settings.retention, evidence_immutability=immutability_on(settings)
        )
        notifications = CaseNotifications(
            EmptyDirectory(),
            LeaderAssignments(backend.documents),
            outbox,
            _QueuedForTheBot(),
            clock,
            settings.crisis_line,
            planner,
            organisation=settings.organisation_name,
        )
        retention = build_retention(settings, backend, jobs, notifications, clock, outbox)
        reviewed = await retention.review()
        deleted = {tombstone.case_id for tombstone in await retention.run()} if not dry_run else set[str]()
        for case in reviewed:
            out.write(describe(case, _outcome(case, dry_run, deleted)) + "\n")
        count = sum(1 for case in reviewed if not case.held) if dry_run else len(deleted)
        held = sum(1 for case in reviewed if case.held)
        verb = "would be deleted" if dry_run else "deleted"
        out.write(f"{count} case(s) {verb}, {held} kept under legal hold\n")
        return count
    finally:
        await jobs.close()
        await backend.close()


def _outcome(case: ReviewedCase, dry_run: bool, deleted: set[str]) -> str:
    if case.held:
        return "kept: legal hold"
    if dry_run:
        return "would be deleted"
    return "deleted" if case.case_id in deleted else "not deleted: changed meanwhile"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.retention", description="List or delete the cases whose retention period has ended."
    )
    parser.add_argument("--dry-run", action="store_true", help="list what is due and delete nothing")
    arguments = parser.parse_args(argv)
    restrict_umask()
    asyncio.run(run(Settings(), dry_run=arguments.dry_run, out=sys.stdout))
    return 0


if __name__ == "__main__":
    sys.exit(main())
