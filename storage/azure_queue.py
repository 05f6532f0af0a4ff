"""Follow-up jobs on Azure Storage Queues (STORAGE_BACKEND=azure): the delivery engine when Værn is scaled out.

One message per job, JSON, in the queue `<prefix>-jobs`:
  * a delay is the message's visibility timeout, at most 7 days (the service's limit, or
    JOB_QUEUE_MAX_DELAY_SECONDS): a job due later comes up early and is re-enqueued with the remaining delay
    (a new message, so its dequeue count starts again), then the old one is deleted;
  * receiving a message hides it for the lease; a worker deletes it only after the job took effect, so a
    crashed worker's job reappears for another;
  * a message handed out more than `max_attempts` times (or unreadable) moves to `<prefix>-jobs-dead`,
    which operators and HR can look at.
Scheduling is made idempotent with the shared markers (`storage.job_queue.ScheduledMarkers`).
"""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.queue import QueueMessage
from azure.storage.queue.aio import QueueClient, QueueServiceClient

from domain.clock import Clock
from domain.follow_ups import Job
from storage.azure_account import AzureAccount, as_account, close_with_credential, service_client
from storage.job_queue import JobLease, ScheduledMarkers
from storage.ports import DocumentStore

log = logging.getLogger("vaern.jobs")

SEVEN_DAYS_SECONDS = 7 * 24 * 3600
NEVER_EXPIRES = -1
MESSAGES_PER_CALL = 32  # the service's maximum for one receive


class AzureJobQueue:
    def __init__(
        self,
        queue: QueueClient,
        dead: QueueClient,
        markers: DocumentStore,
        clock: Clock,
        *,
        lease_seconds: int = 120,
        max_attempts: int = 5,
        max_delay_seconds: int = SEVEN_DAYS_SECONDS,
        close_client: QueueServiceClient | None = None,
    ) -> None:
        self._queue = queue
        self._dead = dead
        self._markers = ScheduledMarkers(markers)
        self._clock = clock
        self._lease = lease_seconds
        self._max_attempts = max_attempts
        self._max_delay = max(1, min(max_delay_seconds, SEVEN_DAYS_SECONDS))
        self._service = close_client

    def _delay(self, job: Job) -> int:
        """Seconds until the job is due, within what one message can wait."""
        remaining = (job.due_at - self._clock.now()).total_seconds()
        return int(min(max(0.0, remaining), self._max_delay))

    async def schedule(self, jobs: list[Job]) -> int:
        missing = await self._markers.unscheduled(jobs)
        for job in missing:
            await self._send(job)
        await self._markers.record(missing)
        return len(missing)

    async def _send(self, job: Job) -> None:
        await self._queue.send_message(
            job.model_dump_json(), visibility_timeout=self._delay(job), time_to_live=NEVER_EXPIRES
        )

    async def receive(self, now: datetime, max_jobs: int) -> list[JobLease]:
        leases: list[JobLease] = []
        messages = self._queue.receive_messages(
            messages_per_page=min(MESSAGES_PER_CALL, max_jobs), max_messages=max_jobs, visibility_timeout=self._lease
        )
        async for message in messages:
            try:
                job = Job.model_validate_json(message.content)
            except ValueError:
                await self._bury(message, "unreadable")
                continue
            if (message.dequeue_count or 0) > self._max_attempts:
                await self._bury(message, f"handed out {message.dequeue_count} times", job)
                continue
            if job.due_at > now:
                await self._send(job)  # not due yet (it waited the longest a message can): wait again
                await self._delete(message)
                continue
            leases.append(JobLease(job=job, attempts=message.dequeue_count or 1, receipt=message))
        return leases

    async def _bury(self, message: QueueMessage, reason: str, job: Job | None = None) -> None:
        fields = {"reason": reason, "job_id": job.id if job else None, "message_id": message.id}
        log.error("job moved to the dead-letter queue", extra={"fields": fields})
        await self._dead.send_message(message.content, time_to_live=NEVER_EXPIRES)
        await self._delete(message)

    async def _delete(self, message: QueueMessage) -> None:
        with contextlib.suppress(ResourceNotFoundError):  # the lease ran out and another worker has it now
            await self._queue.delete_message(message.id, message.pop_receipt)

    async def done(self, lease: JobLease) -> None:
        await self._delete(lease.receipt)

    async def dead_letters(self) -> list[Job]:
        """The first 32 dead letters (a peek: they stay for the operator)."""
        jobs = []
        for message in await self._dead.peek_messages(max_messages=MESSAGES_PER_CALL):
            with contextlib.suppress(ValueError):
                jobs.append(Job.model_validate_json(message.content))
        return jobs

    async def forget(self, owner: str) -> int:
        """The owner's dead letters and marker. Queued messages of its jobs cannot be reached while they wait
        (an invisible message cannot be read or deleted, and receiving the visible ones would count against
        other jobs' attempts): each is dropped when it comes up, as its case is gone."""
        removed, others = 0, []
        async for message in self._dead.receive_messages(messages_per_page=MESSAGES_PER_CALL, visibility_timeout=60):
            try:
                job_id = Job.model_validate_json(message.content).id
            except ValueError:
                job_id = ""
            if job_id.startswith(f"{owner}."):
                with contextlib.suppress(ResourceNotFoundError):
                    await self._dead.delete_message(message.id, message.pop_receipt)
                removed += 1
            else:
                others.append(message)
        for message in others:  # visible again at once, for the operator
            with contextlib.suppress(ResourceNotFoundError):
                await self._dead.update_message(message, visibility_timeout=0)
        await self._markers.forget(owner)
        return removed

    async def close(self) -> None:
        await self._queue.close()
        await self._dead.close()
        if self._service is not None:
            await close_with_credential(self._service)


async def open_azure_job_queue(
    account: AzureAccount | str, prefix: str, markers: DocumentStore, clock: Clock, **options: int
) -> AzureJobQueue:
    """Connect (a connection string, or the account URL with a managed identity) to `<prefix>-jobs` and
    `<prefix>-jobs-dead`, creating them on first use."""
    service: QueueServiceClient = service_client(as_account(account), "queue", QueueServiceClient)
    queue, dead = service.get_queue_client(f"{prefix}-jobs"), service.get_queue_client(f"{prefix}-jobs-dead")
    for client in (queue, dead):
        with contextlib.suppress(ResourceExistsError):
            await client.create_queue()
    return AzureJobQueue(queue, dead, markers, clock, close_client=service, **options)
