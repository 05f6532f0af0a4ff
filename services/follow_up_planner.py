"""Put a case's follow-ups on the job queue: after it is reported, after every action, and for every case when
the worker starts (services/case_sweep.py; that heals a crash between saving a case and planning its jobs), with the
arbejdsmiljøgruppe's reminder and plan revision (open or closed case: `FollowUps.work_environment_jobs`). With a
retention policy, the job that deletes a closed case or a draft when its period ends goes with them
(domain/retention.py; carried out by services/retention.py), and with evidence immutability on, the job that sets
the case's evidence expiry and legal hold (services/evidence_immutability.py)."""

from __future__ import annotations

from datetime import date

from domain.case import Case
from domain.clock import Clock
from domain.follow_ups import FollowUps, JobKind
from domain.retention import RetentionPolicy, immutability_job, retention_job
from storage.job_queue import JobQueue


class FollowUpPlanner:
    def __init__(
        self,
        follow_ups: FollowUps,
        queue: JobQueue,
        clock: Clock,
        retention: RetentionPolicy | None = None,
        *,
        evidence_immutability: bool = False,
    ) -> None:
        self.follow_ups = follow_ups
        self._queue = queue
        self._clock = clock
        self._retention = retention
        self._protection = retention if evidence_immutability else None  # the policy evidence expiries follow

    async def plan(self, case: Case) -> int:
        """Queue every job the case needs now that is not queued yet; returns how many were queued."""
        jobs = self.follow_ups.planned_jobs(case) + self.follow_ups.work_environment_jobs(case)
        deletion = retention_job(case, self._retention) if self._retention is not None else None
        if deletion is not None:
            jobs.append(deletion)
        protection = immutability_job(case, self._protection) if self._protection is not None else None
        if protection is not None:
            jobs.append(protection)
        return await self._queue.schedule(jobs) if jobs else 0

    async def plan_on_call(self, case: Case) -> int:
        """Queue only the on-call step of an urgent case (one that has no leader yet: HR's intake holds it)."""
        return await self._queue.schedule([self.follow_ups.on_call_job(case)])

    def overdue(self, case: Case) -> list[JobKind]:
        return self.follow_ups.overdue(case, self._clock.now())

    def easy_deadline(self, case: Case) -> date | None:
        return self.follow_ups.easy_deadline(case)

    def next_check_in(self, case: Case) -> date | None:
        """The local day of the employee's next check-in, for their status card."""
        moment = self.follow_ups.next_check_in(case, self._clock.now())
        return moment.astimezone(self.follow_ups.calendar_of(case.unit_id).zone).date() if moment else None
