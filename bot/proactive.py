"""Proactive Teams messages: reach a person who is not talking to the bot right now, and keep trying.

`ProactiveSender` delivers one outbox `Notification` through the Agents SDK's CloudAdapter:
  * a stored conversation reference for the recipient → `adapter.continue_conversation` and send in it;
  * none → create the 1:1 chat (as Microsoft's teams-conversation-bot sample does) with
    `adapter.create_conversation`, send in it, and store its reference for next time;
  * Teams refuses that (403) for a person who does not have Værn → with an installer (Microsoft Graph), install
    Værn for them, send in the chat Graph names, and store its reference.
A new chat's reference carries the person's Teams id ("29:…"), asked of the Bot Connector by their Entra ID object
id, so cards can refresh for them (`refresh.userIds`) before they have ever written.
HTTP errors from the Bot Connector come out as `SendFailed(status, retry_after)`; the SDK's connector client makes
one call per send and never retries on its own, so the outbox is the only place that retries.

The bot's own Teams account (`bot` in the create-conversation call) is, in this order: the notification's
`bot_id`; the sender's `bot_account` argument; "28:" + app id when the app id is set; the bot account of the
newest stored conversation reference (with an empty app id, the id the channel gave the bot). If none is
known the send fails (retryably) and the notification waits in the outbox.

`OutboxWorker` drains the durable outbox (`storage.outbox`) in the background: claim → send → mark sent,
or count the failure and retry later (capped backoff, capped Retry-After) until the outbox gives it up. A round
stops sending after `max_failures_per_round` failures (an outage costs a few quick calls a round, not one per
pending message). Every `dead_letter_retry_seconds` it counts the dead letters (`dead_letters`, for /readyz),
logs them at ERROR and tries the `keep_trying` ones (cards that hand over a case) once more. At shutdown it
claims nothing more and cancels a send still in flight after STOP_GRACE_SECONDS; undelivered notifications stay
stored (a cancelled one is sent again once its lease has run out).

A proactive turn sends new messages, not replies to the made-up id of its continuation event (`replyToId` is
cleared by an `on_send_activities` handler). Errors raised inside the turn callback never reach
`continue_conversation`'s caller (the adapter gives them to `on_turn_error`), so the callback catches them and
they are re-raised here.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

import aiohttp
from microsoft_agents.activity import (
    Activity,
    ChannelAccount,
    ConversationParameters,
    ConversationReference,
    ResourceResponse,
)
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import TurnContext
from microsoft_agents.hosting.core.connector import ConnectorClientBase
from pydantic import ValidationError

from bot.pacing import SendPacer
from directory.graph_client import GraphError, GraphUnavailable
from domain.case import Person
from domain.clock import Clock
from services.periodic import PeriodicWorker
from services.retry_after import parse_retry_after
from storage.conversation_refs import ConversationReferenceStore
from storage.outbox import SCAN_SLICE, Notification, Outbox

log = logging.getLogger("vaern.proactive")

TEAMS_CHANNEL = "msteams"
BOT_CONNECTOR_AUDIENCE = "https://api.botframework.com"  # the audience of the bot's tokens for the Bot Connector
NOTIFICATION_ID_KEY = "vaernNotificationId"  # in channelData: the outbox id, the same on every resend
RETRYABLE_STATUSES = frozenset({408, 409, 412, 429})
APP_NOT_INSTALLED = 403  # Teams will not start a chat between the bot and a person who does not have the app
# At shutdown a send in flight gets this long before it is cancelled: the runtime closes within the second or so
# that gunicorn's graceful_timeout leaves after the requests in flight (95 % of it), and `python app.py` as promptly.
STOP_GRACE_SECONDS = 1.0


class SendFailed(Exception):
    """The Bot Connector refused or could not be reached. `status` is None for network errors."""

    def __init__(self, status: int | None, retry_after: float | None = None, message: str = "") -> None:
        self.status = status
        self.retry_after = retry_after
        self.message = message
        super().__init__(f"{status or 'network'}: {message}" if message else str(status or "network error"))

    @property
    def retryable(self) -> bool:
        """Worth trying again soon (throttled, conflict, server or network trouble)."""
        return self.status is None or self.status in RETRYABLE_STATUSES or self.status >= 500


def as_send_failed(error: BaseException) -> SendFailed | None:
    """The SendFailed for a connector error (an HTTP status from the connector, or the network)."""
    if isinstance(error, SendFailed):
        return error
    if isinstance(error, aiohttp.ClientResponseError):
        headers = error.headers or {}
        return SendFailed(error.status, parse_retry_after(headers.get("Retry-After")), str(error.message)[:500])
    if isinstance(error, aiohttp.ClientError | ConnectionError | asyncio.TimeoutError):
        return SendFailed(None, None, f"{type(error).__name__}: {error}")
    return None


def _raise_as_send_failed(error: BaseException) -> None:
    failure = as_send_failed(error)
    if failure is not None:
        raise failure from error
    raise error


def _activity(payload: dict[str, Any]) -> Activity:
    activity = Activity.model_validate({"type": "message", **payload} if not payload.get("type") else payload)
    return activity


def _member_id(person: Person) -> str:
    """Teams accepts its own "29:" user id or the Azure AD object id as the member of a new 1:1 chat."""
    if person.user_id.startswith("29:") or not person.aad_object_id:
        return person.user_id
    return person.aad_object_id


def _prepare(turn_context: TurnContext, recipient: ChannelAccount | None = None) -> None:
    """Send new messages rather than replies to a made-up id. `recipient` fills in the addressee where the SDK
    leaves it empty (the turn of a new conversation)."""

    async def not_a_reply(_: TurnContext, activities: list[Activity], next_send: Callable[[], Awaitable[Any]]) -> Any:
        for activity in activities:
            activity.reply_to_id = None  # pyright: ignore[reportAttributeAccessIssue]  # the SDK types it str
            activity.recipient = activity.recipient or recipient
        return await next_send()

    async def update_not_a_reply(_: TurnContext, activity: Activity, next_update: Callable[[], Awaitable[Any]]) -> Any:
        activity.reply_to_id = None  # pyright: ignore[reportAttributeAccessIssue]
        return await next_update()

    turn_context.on_send_activities(not_a_reply)
    turn_context.on_update_activity(update_not_a_reply)


class PersonalChats(Protocol):
    """Installs Værn for a person and names their chat with it (directory.teams_app_installation)."""

    async def personal_chat(self, aad_object_id: str) -> str: ...


class ProactiveSender:
    """Sends (and updates) proactive messages through the CloudAdapter; see the module docstring."""

    def __init__(
        self,
        adapter: CloudAdapter,
        app_id: str,
        references: ConversationReferenceStore,
        *,
        bot_account: ChannelAccount | None = None,
        channel_id: str = TEAMS_CHANNEL,
        installer: PersonalChats | None = None,
    ) -> None:
        self._adapter = adapter
        self._installer = installer
        self._app_id = app_id or ""
        self._references = references
        self._bot_account = bot_account
        self._channel_id = channel_id

    async def send(self, notification: Notification) -> tuple[str, str]:
        """Deliver the payload; returns (activity id, conversation id). Raises SendFailed on connector errors."""
        activity = _activity(notification.payload)
        # A resend after a crash carries the same key (the adapter clears `id` on every outgoing activity).
        channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
        activity.channel_data = {**channel_data, NOTIFICATION_ID_KEY: notification.id}
        stored = await self._references.get(notification.recipient)
        reference = _reference(stored) if stored is not None else None
        if reference is None:
            try:
                return await self._create_and_send(notification, activity)
            except SendFailed as failure:
                if failure.status != APP_NOT_INSTALLED or self._installer is None:
                    raise
                if not notification.recipient.aad_object_id:
                    raise
                return await self._install_and_send(notification, activity)
        activity_id = await self._in_conversation(reference, lambda turn: turn.send_activity(activity))
        return activity_id, reference.conversation.id

    async def update(
        self,
        conversation_id: str,
        activity_id: str,
        payload: dict[str, Any],
        *,
        service_url: str,
        tenant_id: str | None = None,
        bot_id: str | None = None,
    ) -> str:
        """Replace an activity sent earlier (e.g. a card after an action); returns its id."""
        bot = await self._bot(bot_id)
        reference = ConversationReference.model_validate(
            {
                "channelId": self._channel_id,
                "serviceUrl": service_url,
                "conversation": {"id": conversation_id, "tenantId": tenant_id},
                "bot": bot.model_dump(by_alias=True, exclude_none=True),
            }
        )
        activity = _activity(payload)
        activity.id = activity_id
        updated = await self._in_conversation(reference, lambda turn: turn.update_activity(activity))
        return updated or activity_id

    async def _in_conversation(
        self, reference: ConversationReference, action: Callable[[TurnContext], Awaitable[ResourceResponse | None]]
    ) -> str:
        outcome: dict[str, Any] = {}

        async def callback(turn_context: TurnContext) -> None:
            try:
                _prepare(turn_context)
                response = await action(turn_context)
                outcome["id"] = (response.id if response else None) or ""
            except Exception as error:  # the adapter would hand it to on_turn_error and swallow it
                outcome["error"] = error

        try:
            await self._adapter.continue_conversation(self._app_id, reference.get_continuation_activity(), callback)
        except Exception as error:
            _raise_as_send_failed(error)
        if "error" in outcome:
            _raise_as_send_failed(outcome["error"])
        if "id" not in outcome:
            raise RuntimeError("the adapter did not run the proactive turn")
        return outcome["id"]

    async def service_url_for(self, notification: Notification) -> str:
        """Where the recipient's own chat lives (their stored reference), which is where their card is;
        the notification's service URL (the case's) only when the bot has no reference for them."""
        stored = await self._references.get(notification.recipient)
        service_url = stored.get("serviceUrl") if stored is not None else None
        return service_url if isinstance(service_url, str) and service_url else notification.service_url

    async def _create_and_send(self, notification: Notification, activity: Activity) -> tuple[str, str]:
        person = notification.recipient
        bot = await self._bot(notification.bot_id)
        member = _account(id=_member_id(person), name=person.name, aadObjectId=person.aad_object_id)
        tenant = notification.tenant_id
        parameters = ConversationParameters.model_validate(
            {
                "isGroup": False,
                "bot": bot,
                "members": [member],
                "tenantId": tenant,
                "channelData": {"tenant": {"id": tenant}} if tenant else None,
            }
        )
        outcome: dict[str, Any] = {}

        async def callback(turn_context: TurnContext) -> None:
            outcome["conversation_id"] = turn_context.activity.conversation.id
            outcome["member"] = None
            try:
                outcome["member"] = await _teams_account(turn_context, outcome["conversation_id"], person)
                _prepare(turn_context, member)
                response = await turn_context.send_activity(activity)
                outcome["id"] = (response.id if response else None) or ""
            except Exception as error:  # see _in_conversation
                outcome["error"] = error

        try:
            await self._adapter.create_conversation(
                self._app_id,
                self._channel_id,
                notification.service_url,
                BOT_CONNECTOR_AUDIENCE,
                parameters,
                callback,
            )
        except Exception as error:
            _raise_as_send_failed(error)
        if "conversation_id" not in outcome:
            raise RuntimeError("the adapter did not run the create-conversation turn")
        conversation_id: str = outcome["conversation_id"]
        reference = {
            "channelId": self._channel_id,
            "serviceUrl": notification.service_url,
            "conversation": {"id": conversation_id, "conversationType": "personal", "isGroup": False}
            | ({"tenantId": tenant} if tenant else {}),
            "bot": bot.model_dump(by_alias=True, exclude_none=True),
            "user": (outcome["member"] or member).model_dump(by_alias=True, exclude_none=True),
        }
        reference = {key: value for key, value in reference.items() if value is not None}
        await self._references.save(person, reference)  # the chat exists even if the send below failed
        if "error" in outcome:
            _raise_as_send_failed(outcome["error"])
        return outcome["id"], conversation_id

    async def _install_and_send(self, notification: Notification, activity: Activity) -> tuple[str, str]:
        """Install Værn for the recipient through Graph, then send in their chat with it (see the module docstring)."""
        person, tenant = notification.recipient, notification.tenant_id
        assert self._installer is not None and person.aad_object_id
        try:
            chat_id = await self._installer.personal_chat(person.aad_object_id)
        except GraphUnavailable as error:
            raise SendFailed(None, None, f"installing Værn through Graph: {error}") from error
        except GraphError as error:  # e.g. 403: the permission to install Værn is not granted
            raise SendFailed(error.status, None, f"installing Værn through Graph: {error}") from error
        log.info("Værn installed for a person to reach them", extra={"fields": {"notification_id": notification.id}})
        bot = await self._bot(notification.bot_id)
        stored: dict[str, Any] = {
            "channelId": self._channel_id,
            "serviceUrl": notification.service_url,
            "conversation": {"id": chat_id, "conversationType": "personal", "isGroup": False}
            | ({"tenantId": tenant} if tenant else {}),
            "bot": bot.model_dump(by_alias=True, exclude_none=True),
            "user": _account(id=person.aad_object_id, name=person.name, aadObjectId=person.aad_object_id).model_dump(
                by_alias=True, exclude_none=True
            ),
        }
        reference = ConversationReference.model_validate(stored)
        learned: dict[str, ChannelAccount | None] = {}

        async def learn_and_send(turn: TurnContext) -> ResourceResponse | None:
            learned["member"] = await _teams_account(turn, chat_id, person)
            return await turn.send_activity(activity)

        try:
            activity_id = await self._in_conversation(reference, learn_and_send)
        finally:
            member = learned.get("member")
            if member is not None:
                stored["user"] = member.model_dump(by_alias=True, exclude_none=True)
            await self._references.save(person, stored)  # the chat exists even if the send failed
        return activity_id, chat_id

    async def _bot(self, bot_id: str | None) -> ChannelAccount:
        if bot_id:
            return ChannelAccount.model_validate({"id": bot_id})
        if self._bot_account is not None:
            return self._bot_account
        if self._app_id:
            return ChannelAccount.model_validate({"id": f"28:{self._app_id}"})
        stored = await self._references.last_bot()
        if stored is not None and isinstance(stored.get("id"), str):
            return _account(id=stored["id"], name=stored.get("name"))
        raise SendFailed(None, None, "the bot's own Teams account is unknown (no app id, no stored reference)")


async def _teams_account(turn_context: TurnContext, conversation_id: str, person: Person) -> ChannelAccount | None:
    """The person as a member of a 1:1 chat, with their Teams id, asked of the Bot Connector by their Entra ID object
    id; None when it cannot say (the message is sent all the same)."""
    client = turn_context.services.get(ConnectorClientBase)
    if client is None or not person.aad_object_id:
        return None
    try:
        account = await client.conversations.get_conversation_member(conversation_id, person.aad_object_id)
    except (TimeoutError, aiohttp.ClientError, ValueError) as error:
        log.info("the Bot Connector did not name a chat's member: %s", type(error).__name__)
        return None
    return account if account.id and account.id.startswith("29:") else None


def _account(**fields: Any) -> ChannelAccount:
    """A Teams account; a field that is empty is left out (the SDK's model takes no None or "" for them)."""
    return ChannelAccount.model_validate({name: value for name, value in fields.items() if value})


def _reference(stored: dict[str, Any]) -> ConversationReference | None:
    """A stored reference as the SDK's model; None (so the chat is made anew) if it cannot be read."""
    try:
        reference = ConversationReference.model_validate(stored)
    except ValidationError:
        log.warning("a stored conversation reference could not be read; the chat is created again")
        return None
    return reference if reference.conversation is not None and reference.service_url else None


class OutboxWorker(PeriodicWorker):
    """Delivers due outbox notifications; `start()` runs it every `interval_seconds` (or at once on `wake()`)."""

    name = "outbox-worker"

    def __init__(
        self,
        outbox: Outbox,
        sender: ProactiveSender,
        clock: Clock,
        interval_seconds: float = 1.0,
        *,
        max_attempts: int = 8,
        lease_seconds: float = 120.0,
        concurrency: int = 4,
        pacer: SendPacer | None = None,
        max_failures_per_round: int = 16,
        dead_letter_retry_seconds: float = 3600.0,
    ) -> None:
        super().__init__(interval_seconds)
        self._outbox = outbox
        self._sender = sender
        self._clock = clock
        self._max_attempts = max_attempts
        self._max_failures = max(1, max_failures_per_round)
        self._failures = 0  # in the current round
        self._dead_letter_retry = timedelta(seconds=dead_letter_retry_seconds)
        self._next_dead_letter_pass: datetime | None = None  # None: at the first round
        self._dead_ids: set[str] = set()  # dead letters at the last pass, and those given up since
        self._lease_seconds = lease_seconds
        self._concurrency = max(1, concurrency)
        self._pacer = pacer or SendPacer()
        # A round sends one person no more than the pacer lets through in about a second; the rest of a backlog
        # is not even read whole (`Outbox.due`), and the next round follows at once.
        self._per_recipient = max(1, math.ceil(self._pacer.per_conversation))

    async def stop(self, timeout: float = STOP_GRACE_SECONDS) -> None:
        """Stop sending: nothing more is claimed from now on, and a send in flight gets `timeout` seconds before it
        is cancelled. Whatever was not delivered stays in the outbox for the next worker (a cancelled send's
        notification once its lease has run out)."""
        await super().stop(timeout)

    @property
    def dead_letters(self) -> int:
        """Notifications given up and not delivered since, as of this worker's last look at the dead letters (at
        most `dead_letter_retry_seconds` old) and its own deliveries and give-ups since."""
        return len(self._dead_ids)

    async def run_once(self) -> int:
        """Deliver what is due now; returns how many were sent. Per recipient in order, recipients in parallel."""
        await self._dead_letter_pass()
        self._failures = 0
        groups: OrderedDict[str, list[Notification]] = OrderedDict()
        for notification in await self._outbox.due(self._clock.now(), per_recipient=self._per_recipient):
            groups.setdefault(notification.recipient_key, []).append(notification)
        if any(len(group) == self._per_recipient for group in groups.values()):
            self.wake()  # maybe more behind them
        limit = asyncio.Semaphore(self._concurrency)

        async def deliver_in_order(notifications: list[Notification]) -> int:
            delivered = 0
            async with limit:
                for notification in notifications:
                    if not await self._deliver(notification):
                        break  # a later message must not overtake one that has to wait
                    delivered += 1
            return delivered

        return sum(await asyncio.gather(*(deliver_in_order(group) for group in groups.values())))

    async def _dead_letter_pass(self) -> None:
        """Now and then: count the dead letters, log them at ERROR, and put the `keep_trying` ones back in the
        outbox for one more attempt each (they go back to the dead letters if it fails)."""
        now = self._clock.now()
        if self._next_dead_letter_pass is not None and now < self._next_dead_letter_pass:
            return
        self._next_dead_letter_pass = now + self._dead_letter_retry
        try:
            ids = await self._outbox.dead_letter_ids()
            self._dead_ids = set(ids)
            if not ids:
                return
            revived = 0
            for index, notification_id in enumerate(ids):
                if index % SCAN_SLICE == SCAN_SLICE - 1:
                    await asyncio.sleep(0)
                revived += await self._outbox.revive(notification_id, now)
        except Exception:
            log.exception("outbox: could not look at the dead letters")
            return
        fields = {"dead_letters": len(self._dead_ids), "tried_again": revived}
        log.error("outbox: notifications given up and not delivered", extra={"fields": fields})

    async def _deliver(self, notification: Notification) -> bool:
        fields: dict[str, Any] = {"notification_id": notification.id, "kind": notification.kind}
        fields["case_id"] = notification.case_id
        if self._stopping:  # shutdown began: leave it pending for the next worker
            return False
        if self._failures >= self._max_failures:
            return False  # enough failed calls this round: the connector is in trouble; the next round goes on
        try:
            if not await self._outbox.claim(notification, self._clock.now(), self._lease_seconds):
                return False
            if await self._outbox.was_sent(notification.id):
                await self._outbox.discard(notification)  # enqueued again after it was sent: never twice
                return True
        except Exception:
            log.exception("outbox: claim failed", extra={"fields": fields})
            return False
        try:
            await self._pacer.wait(notification.tenant_id, notification.recipient_key)
            if notification.update_activity_id and notification.update_conversation_id:
                conversation_id = notification.update_conversation_id
                activity_id = await self._sender.update(
                    conversation_id,
                    notification.update_activity_id,
                    notification.payload,
                    service_url=await self._sender.service_url_for(notification),
                    tenant_id=notification.tenant_id,
                    bot_id=notification.bot_id,
                )
            else:
                activity_id, conversation_id = await self._sender.send(notification)
        except SendFailed as failure:
            status = {"status": failure.status}
            await self._failed(notification, str(failure), failure.retry_after, fields | status, failure.retryable)
            return False
        except Exception as error:
            log.exception("outbox: unexpected error while sending", extra={"fields": fields})
            await self._failed(notification, f"{type(error).__name__}: {error}", None, fields, retryable=False)
            return False
        self._dead_ids.discard(notification.id)
        try:
            await self._outbox.mark_sent(notification, activity_id, conversation_id, self._clock.now())
        except Exception:
            log.exception("outbox: sent, but could not record it; it may be sent again", extra={"fields": fields})
            return True
        log.info("proactive message sent", extra={"fields": fields | {"attempts": notification.attempts + 1}})
        return True

    async def _failed(
        self, notification: Notification, error: str, retry_after: float | None, fields: dict, retryable: bool
    ) -> None:
        self._failures += 1
        try:
            now = self._clock.now()
            updated = await self._outbox.mark_failed(notification, error, now, retry_after)
            if self._outbox.gives_up(updated, now, retryable=retryable, max_attempts=self._max_attempts):
                await self._outbox.dead(updated)
                self._dead_ids.add(updated.id)
                given_up = {"attempts": updated.attempts, "failing_since": str(updated.failing_since), "error": error}
                log.error("outbox: gave up, dead-lettered", extra={"fields": fields | given_up})
            else:
                retry = {"attempts": updated.attempts, "next_attempt_at": str(updated.next_attempt_at)}
                log.warning("outbox: send failed, will retry", extra={"fields": fields | retry | {"error": error}})
        except Exception:
            log.exception("outbox: could not record a failed attempt", extra={"fields": fields})
