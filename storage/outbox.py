"""A small durable outbox for proactive Teams messages: a notification stays stored until it is sent.

Layout in the DocumentStore:
  outbox/<id>.json       pending notifications (one document each)
  outbox-sent/<id>.json  delivered ones, without their payload (ids of the sent activity, for card updates)
  outbox-dead/<id>.json  given up, with payload and last error: counted and logged for an operator

Retries back off exponentially with jitter up to a cap, and a connector's Retry-After is capped the same way (a
header asking for a day must not park a leader's card for a day). A notification is given up only when its
failures were not worth retrying (`max_attempts` of them) or kept failing for the whole retry budget
(`retry_budget_seconds`, hours, from its first failure). A dead letter marked `keep_trying` (a card that hands
over a case) is tried again later: `revive` puts it back in the outbox for one more attempt.

Several workers (processes) may share one store. A worker *claims* a notification before sending it by
writing a lease (`lease_until`, a random `lease_token`) with `if_match` on the etag it read, so only one of
them wins; every later write (sent, failed) is again guarded by the etag of its own claim. Delivery is
at-least-once: a worker that dies between the send and `mark_sent` leaves a lease that expires, and the
notification is sent again; the activity carries the notification's id (channelData.vaernNotificationId), so a
resend can be told from a new message. Notifications to one recipient are handed out in creation order: one that
waits for a retry holds back the later ones to the same person.

Every notification about a case has an id that starts with the case id (then "-" or "."), so retention finds a
case's records by their names (`forget_case`).
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from domain.case import Person
from storage.ports import Document, DocumentStore, PreconditionFailed

log = logging.getLogger("vaern.outbox")

PENDING = "outbox/"
SENT = "outbox-sent/"
DEAD = "outbox-dead/"
MAX_ERROR_CHARS = 500
SCAN_SLICE = 32  # pending documents read between two chances for other work to run (`Outbox._scan`)

LEADER_CARD = "leader_card"
EMPLOYEE_UPDATE = "employee_update"
HR_CARD = "hr_card"
DEPUTY_CARD = "deputy_card"


class Notification(BaseModel):
    """One proactive message to one person.

    `payload` is a Bot Framework Activity as JSON (camelCase, e.g. {"type": "message", "text": ...} or with
    an Adaptive Card attachment). `bot_id` is the bot's channel account id ("28:<app id>" in Teams); leave it
    None to let the sender use its own (see `bot.proactive.ProactiveSender`). When `update_activity_id` and
    `update_conversation_id` are set, the payload replaces that earlier activity instead of being sent anew.
    """

    id: str = Field(default_factory=lambda: uuid.uuid4().hex, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
    recipient: Person
    tenant_id: str | None = None
    service_url: str
    kind: str
    case_id: str | None = None
    payload: dict[str, Any]
    bot_id: str | None = None
    update_activity_id: str | None = None
    update_conversation_id: str | None = None
    created_at: datetime
    next_attempt_at: datetime | None = None
    attempts: int = 0
    last_error: str | None = None
    failing_since: datetime | None = None  # the first failed attempt: the retry budget counts from here
    keep_trying: bool = False  # a dead letter is tried again (`Outbox.revive`) until it is delivered
    revived_at: datetime | None = None  # put back from the dead letters for one more attempt
    lease_until: datetime | None = None
    lease_token: str | None = None
    sent_at: datetime | None = None
    sent_activity_id: str | None = None
    sent_conversation_id: str | None = None

    _etag: str | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _first_attempt_at_once(self) -> Notification:
        if self.next_attempt_at is None:
            self.next_attempt_at = self.created_at
        return self

    @property
    def recipient_key(self) -> str:
        return _recipient_key(self.recipient)

    @property
    def etag(self) -> str | None:
        """The etag of the stored version this object was read or written as (None if never stored)."""
        return self._etag

    def is_due(self, now: datetime) -> bool:
        return _is_due(self, now)


class _Schedule(BaseModel):
    """What deciding whether a pending notification is due reads of it; the payload (a leader's card: ~16 KB
    of JSON) is skipped, not turned into Python objects. Parsing one: 24 us against 72 us for the whole
    notification."""

    model_config = ConfigDict(extra="ignore")

    id: str
    recipient: Person
    created_at: datetime
    next_attempt_at: datetime | None = None
    lease_until: datetime | None = None
    sent_activity_id: str | None = None

    @property
    def recipient_key(self) -> str:
        return _recipient_key(self.recipient)

    def is_due(self, now: datetime) -> bool:
        return _is_due(self, now)


def _named_for(name: str, case_id: str) -> bool:
    """Whether a record's file name (`<id>.json`) is a notification about the case (`<case_id>-…`, `<case_id>.…`)."""
    return name.startswith(case_id) and name[len(case_id) : len(case_id) + 1] in ("-", ".")


def _recipient_key(recipient: Person) -> str:
    return recipient.aad_object_id or recipient.user_id


def _is_due(notification: Notification | _Schedule, now: datetime) -> bool:
    due = notification.next_attempt_at is None or notification.next_attempt_at <= now
    free = notification.lease_until is None or notification.lease_until <= now
    return due and free and notification.sent_activity_id is None


class Outbox:
    """Pending notifications with leases, retries with capped exponential backoff and jitter, and dead letters."""

    def __init__(
        self,
        documents: DocumentStore,
        *,
        base_delay_seconds: float = 2.0,
        max_delay_seconds: float = 300.0,
        retry_budget_seconds: float = 48 * 3600.0,
        rng: random.Random | None = None,
    ) -> None:
        self._documents = documents
        self._base_delay = base_delay_seconds
        self._max_delay = max_delay_seconds
        self._retry_budget = timedelta(seconds=retry_budget_seconds)
        self._rng = rng or random.Random()
        self._schedules: dict[str, tuple[str, _Schedule]] = {}  # pending key -> (etag, its schedule), last scan

    @staticmethod
    def _key(folder: str, notification_id: str) -> str:
        return f"{folder}{notification_id}.json"

    async def enqueue(self, notification: Notification) -> bool:
        """Store a new notification. False (and nothing stored) if one with this id is pending or was sent.

        Give a deterministic id (e.g. f"{case_id}-leader") to make enqueueing idempotent across retries.
        """
        if await self.was_sent(notification.id):
            return False
        data = notification.model_dump_json().encode()
        key = self._key(PENDING, notification.id)
        try:
            notification._etag = await self._documents.put(key, data, create_only=True)
        except PreconditionFailed:
            return False
        return True

    async def get(self, notification_id: str) -> Notification | None:
        document = await self._documents.get(self._key(PENDING, notification_id))
        if document is None:
            return None
        notification = Notification.model_validate_json(document.data)
        notification._etag = document.etag
        return notification

    async def pending(self) -> list[Notification]:
        """Every stored pending notification, oldest first."""
        found = [self._notification(key, document) for key, document, _ in await self._scan()]
        return [notification for notification in found if notification is not None]

    async def due(self, now: datetime, *, per_recipient: int | None = None) -> list[Notification]:
        """Notifications to send now, oldest first; per recipient only those before one that must wait, and at
        most `per_recipient` of them. Only those are read whole: the others' schedules are enough (`_scan`)."""
        held_back: set[str] = set()
        taken: Counter[str] = Counter()
        due = []
        for key, document, schedule in await self._scan():
            recipient = schedule.recipient_key
            if schedule.sent_activity_id is not None:
                stopped = self._notification(key, document)  # a worker stopped between marking it sent and moving it
                if stopped is not None:
                    await self._finish(stopped)
            elif recipient in held_back or (per_recipient is not None and taken[recipient] >= per_recipient):
                continue
            elif not schedule.is_due(now):
                held_back.add(recipient)
            elif (notification := self._notification(key, document)) is not None:
                taken[recipient] += 1
                due.append(notification)
        return due

    async def _scan(self) -> list[tuple[str, Document, _Schedule]]:
        """Every pending document with its schedule, oldest first. A schedule is parsed once per stored version
        (by etag; `_schedules` holds those of the last scan, so no more than there are pending), and the scan
        lets other work run every SCAN_SLICE documents: with a backlog (Teams takes ~7 messages a second in
        one chat, and a leader may get cards faster than that) it used to parse every notification whole in one
        go, ~70 ms of the event loop at 700 pending, on every round of the outbox worker."""
        known, self._schedules = self._schedules, {}
        found = []
        for index, key in enumerate(await self._documents.list_keys(PENDING)):
            if index % SCAN_SLICE == SCAN_SLICE - 1:
                await asyncio.sleep(0)
            document = await self._documents.get(key) if key.endswith(".json") else None
            if document is None:  # sent or dead-lettered meanwhile
                continue
            cached = known.get(key)
            if cached is not None and cached[0] == document.etag:
                schedule = cached[1]
            else:
                try:
                    schedule = _Schedule.model_validate_json(document.data)
                except ValueError:
                    log.error("unreadable outbox document", extra={"fields": {"key": key}})
                    continue
            self._schedules[key] = (document.etag, schedule)
            found.append((key, document, schedule))
        return sorted(found, key=lambda entry: (entry[2].created_at, entry[2].id))

    @staticmethod
    def _notification(key: str, document: Document) -> Notification | None:
        try:
            notification = Notification.model_validate_json(document.data)
        except ValueError:
            log.error("unreadable outbox document", extra={"fields": {"key": key}})
            return None
        notification._etag = document.etag
        return notification

    async def claim(self, notification: Notification, now: datetime, lease_seconds: float = 120.0) -> bool:
        """Take the notification for `lease_seconds`; False if it changed since it was read (someone else has it)."""
        if notification.etag is None or not notification.is_due(now):
            return False
        claimed = notification.model_copy(
            update={"lease_until": now + timedelta(seconds=lease_seconds), "lease_token": uuid.uuid4().hex}
        )
        if not await self._replace(claimed, notification.etag):
            return False
        notification.lease_until, notification.lease_token = claimed.lease_until, claimed.lease_token
        notification._etag = claimed.etag
        return True

    async def mark_sent(
        self, notification: Notification, activity_id: str, conversation_id: str, now: datetime | None = None
    ) -> None:
        """Record the delivery (guarded by our claim), then move the record to outbox-sent/ without its payload."""
        notification.sent_activity_id = activity_id or ""
        notification.sent_conversation_id = conversation_id
        notification.sent_at = now
        notification.lease_until = notification.lease_token = None
        if not await self._replace(notification, notification.etag):
            log.warning(
                "outbox: notification was taken over while it was being sent; it may be sent twice",
                extra={"fields": {"notification_id": notification.id, "kind": notification.kind}},
            )
            return
        await self._finish(notification)

    async def mark_failed(
        self, notification: Notification, error: str, now: datetime, retry_after: float | None = None
    ) -> Notification:
        """Count a failed attempt and schedule the next one (backoff with jitter, at least `retry_after` s).

        Returns the updated notification. Raises PreconditionFailed if someone else changed it meanwhile.
        """
        notification.attempts += 1
        notification.last_error = error[:MAX_ERROR_CHARS]
        notification.failing_since = notification.failing_since or now
        notification.next_attempt_at = now + timedelta(seconds=self.delay(notification.attempts, retry_after))
        notification.lease_until = notification.lease_token = None
        if not await self._replace(notification, notification.etag):
            raise PreconditionFailed(notification.id)
        return notification

    def delay(self, attempts: int, retry_after: float | None = None) -> float:
        """Seconds before the next attempt: base·2^(attempts-1), capped, times a jitter of 0.5–1; at least
        retry_after, which is capped too."""
        exponential = min(self._max_delay, self._base_delay * 2 ** max(0, attempts - 1))
        jittered = exponential * self._rng.uniform(0.5, 1.0)
        return max(jittered, min(retry_after or 0.0, self._max_delay))

    def gives_up(self, notification: Notification, now: datetime, *, retryable: bool, max_attempts: int) -> bool:
        """After a failed attempt (counted by `mark_failed`): whether to stop trying. A revived dead letter had its
        one more attempt; a failure not worth retrying (a 403, say) gets `max_attempts`; one worth retrying
        (throttled, 5xx, network) is retried for the whole retry budget, whatever the number of attempts."""
        if notification.revived_at is not None:
            return True
        if not retryable:
            return notification.attempts >= max_attempts
        started = notification.failing_since or now
        return now >= started + self._retry_budget

    async def dead(self, notification: Notification) -> None:
        """Give up: keep the whole notification (payload, last error) under outbox-dead/."""
        notification.lease_until = notification.lease_token = None
        notification.revived_at = None
        await self._documents.put(self._key(DEAD, notification.id), notification.model_dump_json().encode())
        await self._documents.delete(self._key(PENDING, notification.id))

    async def dead_letter_ids(self) -> list[str]:
        """Ids of the notifications under outbox-dead/ (the keys only: cheap enough to count them often)."""
        keys = await self._documents.list_keys(DEAD)
        return [key[len(DEAD) : -len(".json")] for key in keys if key.endswith(".json")]

    async def revive(self, notification_id: str, now: datetime) -> bool:
        """Put a `keep_trying` dead letter back in the outbox for one more attempt now; True if it was. One that
        was delivered meanwhile (enqueued again) is removed; one already pending again stays as it is."""
        document = await self._documents.get(self._key(DEAD, notification_id))
        if document is None:
            return False
        if await self.was_sent(notification_id):
            await self._documents.delete(self._key(DEAD, notification_id))
            return False
        notification = self._notification(self._key(DEAD, notification_id), document)
        if notification is None or not notification.keep_trying:
            return False
        notification.next_attempt_at = notification.revived_at = now
        notification.lease_until = notification.lease_token = None
        try:
            key = self._key(PENDING, notification_id)
            await self._documents.put(key, notification.model_dump_json().encode(), create_only=True)
        except PreconditionFailed:
            pass  # enqueued again under the same id: that copy is pending already
        await self._documents.delete(self._key(DEAD, notification_id))
        return True

    async def queued_at(self, notification_id: str) -> datetime | None:
        """When a notification that is not delivered yet was queued (pending or dead); None if it is neither."""
        for folder in (PENDING, DEAD):
            document = await self._documents.get(self._key(folder, notification_id))
            if document is not None:
                return _Schedule.model_validate_json(document.data).created_at
        return None

    async def was_sent(self, notification_id: str) -> bool:
        """Whether a notification with this id was delivered before. A worker asks after claiming: a delivery
        writes outbox-sent/ before it removes outbox/, so an id enqueued again after its delivery is caught here
        (the check in `enqueue` alone can miss it in the moment between those two writes)."""
        return await self._documents.get(self._key(SENT, notification_id)) is not None

    async def discard(self, notification: Notification) -> None:
        """Drop a pending copy of a notification that was already delivered."""
        await self._documents.delete(self._key(PENDING, notification.id))

    async def sent(self, notification_id: str) -> Notification | None:
        document = await self._documents.get(self._key(SENT, notification_id))
        return Notification.model_validate_json(document.data) if document is not None else None

    async def dead_letters(self) -> list[Notification]:
        keys = await self._documents.list_keys(DEAD)
        documents = [await self._documents.get(key) for key in keys if key.endswith(".json")]
        return [Notification.model_validate_json(d.data) for d in documents if d is not None]

    async def forget_case(self, case_id: str) -> int:
        """Remove every record about the case, pending, sent or given up (retention only); returns how many. Found by
        name; the pending and given-up ones (few) are also read, for any that names the case only inside."""
        removed = 0
        for folder in (PENDING, SENT, DEAD):
            for key in await self._documents.list_keys(folder):
                if _named_for(key.removeprefix(folder), case_id) or (
                    folder != SENT and await self._names_case(key, case_id)
                ):
                    await self._documents.delete(key)
                    removed += 1
        return removed

    async def _names_case(self, key: str, case_id: str) -> bool:
        document = await self._documents.get(key)
        notification = self._notification(key, document) if document is not None else None
        return notification is not None and notification.case_id == case_id

    async def _replace(self, notification: Notification, etag: str | None) -> bool:
        if etag is None:
            return False
        try:
            notification._etag = await self._documents.put(
                self._key(PENDING, notification.id), notification.model_dump_json().encode(), if_match=etag
            )
        except PreconditionFailed:
            return False
        return True

    async def _finish(self, notification: Notification) -> None:
        record = notification.model_copy(update={"payload": {}})
        await self._documents.put(self._key(SENT, notification.id), record.model_dump_json().encode())
        await self._documents.delete(self._key(PENDING, notification.id))
