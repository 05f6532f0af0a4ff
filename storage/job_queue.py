"""Due follow-up jobs: the queue port, its idempotent scheduling, and the local implementation on the documents.

A `JobQueue` hands out jobs whose due time has come, each under a lease: a worker that dies before
calling `done` loses the lease and the job is handed out again (at-least-once). After `max_attempts`
hand-outs without `done` a job is moved to the dead letters, where an operator (or HR) can see it.
What a job *does* is made idempotent elsewhere (deterministic outbox ids); scheduling is idempotent here:
`schedule` first reads the owner's marker `job-markers/<owner>.json` (the ids of every job queued for one case,
or one unit's plan; a job id starts with its owner), so planning a case again costs one read and never queues
the same job twice. The marker is written after the jobs are queued: a crash between the two can queue a job
twice, never lose it. (One marker per owner rather than per job: planning a new case is one read and one write
instead of ten of each.) The jobs are written all at once (the local store commits them in one batch), and the
marker once they are all stored.

`LocalJobQueue` (STORAGE_BACKEND=local, one instance) keeps one document per job in the DocumentStore,
named by due time so a round reads only the due ones:
  jobs/<due, UTC yyyymmddTHHMMSS>-<job id>.json   {"job", "attempts", "visible_at"}
  jobs-dead/<job id>.json                         given up, with the last attempt count
A lease is written with the document's etag (`if_match`), so two workers never both take a job.
The scaled setup uses Azure Storage Queues instead (`storage.azure_queue`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from pydantic import BaseModel

from domain.follow_ups import Job
from storage.ports import Document, DocumentStore, PreconditionFailed

log = logging.getLogger("vaern.jobs")

MARKERS = "job-markers/"
JOBS = "jobs/"
DEAD = "jobs-dead/"
KEY_TIME = "%Y%m%dT%H%M%S"
MAX_MARKER_RETRIES = 10


@dataclass
class JobLease:
    """A job handed to one worker until `done` (or until the lease runs out). `receipt` is the queue's own."""

    job: Job
    attempts: int
    receipt: Any


class JobQueue(Protocol):
    async def schedule(self, jobs: list[Job]) -> int:
        """Queue each job unless it was queued before; returns how many were queued now. Schedule a case's jobs
        only once the case is stored (a job that came due without its case would be dropped)."""
        ...

    async def receive(self, now: datetime, max_jobs: int) -> list[JobLease]:
        """Up to `max_jobs` jobs due at `now`, each leased to the caller."""
        ...

    async def done(self, lease: JobLease) -> None:
        """The job took effect: remove it."""
        ...

    async def dead_letters(self) -> list[Job]: ...

    async def forget(self, owner: str) -> int:
        """Remove the owner's jobs (a case's, when retention deletes it) wherever they can be reached, and its
        marker; returns how many jobs. A job that cannot be reached yet (a delayed Azure message) is dropped
        when it comes up, as its case is gone."""
        ...

    async def close(self) -> None: ...


class ScheduledMarkers:
    """`job-markers/<owner>.json` {"ids": [...]}: the jobs queued for one owner (kept, so a finished job is not
    queued again). Updated with the document's etag, so two instances planning at once both get recorded."""

    def __init__(self, documents: DocumentStore) -> None:
        self._documents = documents

    @staticmethod
    def _key(owner: str) -> str:
        return f"{MARKERS}{owner}.json"

    @staticmethod
    def _by_owner(jobs: list[Job]) -> dict[str, list[Job]]:
        owners: dict[str, list[Job]] = {}
        for job in jobs:
            owners.setdefault(job.id.split(".", 1)[0], []).append(job)
        return owners

    async def unscheduled(self, jobs: list[Job]) -> list[Job]:
        """The jobs among `jobs` that were never queued."""
        missing, _ = await self.unscheduled_and_markers(jobs)
        return missing

    async def unscheduled_and_markers(self, jobs: list[Job]) -> tuple[list[Job], dict[str, Document | None]]:
        """The jobs never queued, and each owner's marker as read (for `record`'s first attempt)."""
        missing: list[Job] = []
        markers: dict[str, Document | None] = {}
        for owner, owned in self._by_owner(jobs).items():
            document = markers[owner] = await self._documents.get(self._key(owner))
            known = set(json.loads(document.data)["ids"]) if document is not None else set()
            missing += [job for job in owned if job.id not in known]
        return missing, markers

    async def forget(self, owner: str) -> None:
        await self._documents.delete(self._key(owner))

    async def record(self, jobs: list[Job], markers_read: Mapping[str, Document | None] | None = None) -> None:
        """Add the jobs to their owners' markers. With `markers_read` (from `unscheduled_and_markers`) the first
        attempt writes without reading again; a conflict reads the marker again."""
        for owner, owned in self._by_owner(jobs).items():
            for attempt in range(MAX_MARKER_RETRIES):
                if attempt == 0 and markers_read is not None and owner in markers_read:
                    document = markers_read[owner]
                else:
                    document = await self._documents.get(self._key(owner))
                ids = set(json.loads(document.data)["ids"]) if document is not None else set()
                data = json.dumps({"ids": sorted(ids | {job.id for job in owned})}).encode()
                key, etag = self._key(owner), document.etag if document is not None else None
                try:
                    await self._documents.put(key, data, if_match=etag, create_only=etag is None)
                    break
                except PreconditionFailed:
                    continue  # another instance recorded jobs of the same owner meanwhile: merge again


class StoredJob(BaseModel):
    job: Job
    attempts: int = 0
    visible_at: datetime


class LocalJobQueue:
    """Jobs as documents with etag leases (see the module docstring)."""

    def __init__(self, documents: DocumentStore, *, lease_seconds: float = 120.0, max_attempts: int = 5) -> None:
        self._documents = documents
        self._markers = ScheduledMarkers(documents)
        self._lease = timedelta(seconds=lease_seconds)
        self._max_attempts = max_attempts

    @staticmethod
    def _key(job: Job) -> str:
        return f"{JOBS}{job.due_at.strftime(KEY_TIME)}-{job.id}.json"

    async def schedule(self, jobs: list[Job]) -> int:
        missing, markers = await self._markers.unscheduled_and_markers(jobs)
        # All at once; a job that exists already was queued by an attempt that stopped before the marker.
        writes = [
            self._documents.put(
                self._key(job), StoredJob(job=job, visible_at=job.due_at).model_dump_json().encode(), create_only=True
            )
            for job in missing
        ]
        results = await asyncio.gather(*writes, return_exceptions=True)
        failures = [result for result in results if isinstance(result, BaseException)]
        failures = [failure for failure in failures if not isinstance(failure, PreconditionFailed)]
        if failures:
            raise failures[0]  # no marker: planning again queues what is missing
        await self._markers.record(missing, markers)  # never durable without its jobs
        return len(missing)

    async def receive(self, now: datetime, max_jobs: int) -> list[JobLease]:
        leases: list[JobLease] = []
        due_by_name = now.strftime(KEY_TIME)
        for key in sorted(await self._documents.list_keys(JOBS)):
            if len(leases) >= max_jobs or key.removeprefix(JOBS)[: len(due_by_name)] > due_by_name:
                break
            lease = await self._take(key, now)
            if lease is not None:
                leases.append(lease)
        return leases

    async def _take(self, key: str, now: datetime) -> JobLease | None:
        document = await self._documents.get(key)
        if document is None:
            return None  # finished by another worker meanwhile
        try:
            stored = StoredJob.model_validate_json(document.data)
        except ValueError:
            log.error("unreadable job document, moved to the dead letters", extra={"fields": {"key": key}})
            await self._documents.put(f"{DEAD}{key.removeprefix(JOBS)}", document.data)
            await self._documents.delete(key)
            return None
        if stored.visible_at > now:
            return None  # leased by a worker that is still within its lease
        if stored.attempts >= self._max_attempts:
            await self._bury(key, stored)
            return None
        stored.attempts += 1
        stored.visible_at = now + self._lease
        try:
            await self._documents.put(key, stored.model_dump_json().encode(), if_match=document.etag)
        except PreconditionFailed:
            return None  # another worker took it first
        return JobLease(job=stored.job, attempts=stored.attempts, receipt=key)

    async def _bury(self, key: str, stored: StoredJob) -> None:
        log.error(
            "job failed too often, moved to the dead letters",
            extra={"fields": {"job_id": stored.job.id, "kind": stored.job.kind.value, "attempts": stored.attempts}},
        )
        await self._documents.put(f"{DEAD}{stored.job.id}.json", stored.model_dump_json().encode())
        await self._documents.delete(key)

    async def done(self, lease: JobLease) -> None:
        await self._documents.delete(lease.receipt)

    async def dead_letters(self) -> list[Job]:
        jobs = []
        for key in await self._documents.list_keys(DEAD):
            document = await self._documents.get(key)
            if document is not None:
                jobs.append(StoredJob.model_validate_json(document.data).job)
        return jobs

    async def forget(self, owner: str) -> int:
        removed = 0
        for folder in (JOBS, DEAD):
            for key in await self._documents.list_keys(folder):
                name = key.removeprefix(folder)
                # `<due>-<job id>.json` when queued (or unreadable and buried), `<job id>.json` when buried
                if _owned_by(name, owner) or _owned_by(name.partition("-")[2], owner):
                    await self._documents.delete(key)
                    removed += 1
        await self._markers.forget(owner)
        return removed

    async def close(self) -> None:
        return None


def _owned_by(name: str, owner: str) -> bool:
    """Whether a job document's name (`<job id>.json`) is a job of the owner (`<owner>.<kind>…`)."""
    return name.startswith(f"{owner}.")
