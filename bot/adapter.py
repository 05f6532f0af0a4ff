"""The Bot Framework CloudAdapter, configured from our settings, with a kind on_turn_error.

Replies without botbuilder's deep copy (`ReplyTurnContext`): botbuilder 4.17.1's `TurnContext.send_activities`
deep-copies every outgoing activity before it stamps the conversation on it, card and all (~270 `deepcopy`
calls: 39 us for a 1 KB question card, 75 us for a 1.7 KB one, 252 us for the leader's 18 KB card on this
machine). The copy exists so that the caller's activity is not changed and middleware may edit what is
sent. Værn's turn contexts copy only the activity object itself (`copy.copy`) and then do exactly what the
SDK does: stamp the conversation reference, type, input hint and id on the copy, and hand the copies to the
adapter. Stamping assigns attributes of the copy and nothing below it changes them, so the caller's activity
stays as it was and the bytes sent are the same. Only the nested parts (attachments, cards, entities) are
shared with the caller's activity for the duration of the send, as is the SDK's own conversation reference.
When middleware registered `on_send_activities` handlers (which may edit those parts) or the turn buffers
its replies (delivery mode expectReplies), the SDK's own path runs, deep copy included. The outbox's
proactive turns, which must send new messages rather than replies, say so with `send_as_new_messages`
instead of a handler (before: a handler, so the SDK's deep copy of the leader's 18 KB card, 252 us a
send). tests/unit/test_connector_client.py compares what reaches the connector, the responses and the
caller's activity both ways; tests/integration/test_proactive.py runs the outbox on both adapters.

Measured in-process (a turn that answers with one 1.7 KB question card through the pooled connector client,
CPU of all threads, min of 5 x 300 turns, three sessions): 441-462 us per turn before, 374-395 us after.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from copy import copy
from dataclasses import dataclass
from typing import Any

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    CallerIdConstants,
    ChannelAccount,
    ConversationReference,
    DeliveryModes,
    ResourceResponse,
)
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    AuthenticationConstants,
    ClaimsIdentity,
    ConnectorFactory,
    UserTokenClient,
)

from bot.config import Settings
from content import texts_for
from services.logging_setup import correlation_id

log = logging.getLogger("vaern.adapter")

# Exit status when the settings would leave /api/messages open to anyone (2: a usage error, not a crash).
EXIT_UNSAFE_SETTINGS = 2


@dataclass(frozen=True)
class SdkConfiguration:
    """The attribute names botbuilder's configuration classes read.

    Setting TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL (or any of the other TO_*/OAUTH_URL/CALLER_ID names) switches
    botbuilder 4.17.1 from its built-in public-cloud authentication to the "parameterized" one, which uses exactly
    what is given here and nothing else (a value left out is None there: every token refused, or no emulator or
    user-token endpoint). So we always set all of them, at the public cloud's values except the metadata address:
    one code path, the same in production and in the tests that point the metadata at a local server.
    """

    APP_ID: str
    APP_PASSWORD: str
    APP_TYPE: str
    APP_TENANTID: str
    TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL: str
    TO_BOT_FROM_CHANNEL_TOKEN_ISSUER: str = AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER
    TO_CHANNEL_FROM_BOT_OAUTH_SCOPE: str = AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE
    # Only the "https://login.microsoftonline.com/" prefix is read (it picks the public-cloud credentials, whose
    # authority is botframework.com, or the tenant for SingleTenant).
    TO_CHANNEL_FROM_BOT_LOGIN_URL: str = (
        AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX
        + AuthenticationConstants.DEFAULT_CHANNEL_AUTH_TENANT
    )
    TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL: str = AuthenticationConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL
    OAUTH_URL: str = AuthenticationConstants.OAUTH_URL
    CALLER_ID: str = CallerIdConstants.public_azure_channel.value
    VALIDATE_AUTHORITY: bool = True


class ReplyTurnContext(TurnContext):
    """botbuilder's TurnContext whose replies are shallow copies (see the module docstring)."""

    def __init__(self, adapter: Any, request: Activity) -> None:
        super().__init__(adapter, request)
        self._as_new_messages = False
        self._new_message_recipient: ChannelAccount | None = None
        self._reference: ConversationReference | None = None

    def conversation_reference(self) -> ConversationReference:
        """The incoming activity's conversation reference, made once a turn. The SDK makes it again for every
        send (three copied accounts and a new model each time, ~2 % of the bot's CPU at 50 users), and the bot
        once more to remember the conversation. Nothing changes it: a send stamps its parts on the outgoing
        activity, as the SDK's own reference for that send would be, and the reference store only reads it."""
        if self._reference is None:
            self._reference = TurnContext.get_conversation_reference(self.activity)
        return self._reference

    def send_as_new_messages(self, recipient: ChannelAccount | None = None) -> None:
        """Send new messages, not replies (proactive turns): no `replyToId`, and `recipient` as the addressee
        where the conversation reference names none. What an `on_send_activities` handler would do, without
        making every send take the SDK's deep-copying path."""
        self._as_new_messages = True
        self._new_message_recipient = recipient

    async def send_activities(self, activities: list[Activity]) -> list[ResourceResponse]:
        if self._on_send_activities or self.activity.delivery_mode == DeliveryModes.expect_replies:
            return await super().send_activities(activities)
        reference = self.conversation_reference()
        output: list[Activity] = []
        sent_non_trace_activity = False
        for activity in activities:  # TurnContext.send_activities' activity_validator, on a shallow copy
            outgoing = TurnContext.apply_conversation_reference(copy(activity), reference)
            if self._as_new_messages:
                outgoing.reply_to_id = None
                outgoing.recipient = outgoing.recipient or self._new_message_recipient
            if not getattr(outgoing, "type", None):
                outgoing.type = ActivityTypes.message
            if outgoing.type != ActivityTypes.trace:
                sent_non_trace_activity = True
            if not outgoing.input_hint:
                outgoing.input_hint = "acceptingInput"
            outgoing.id = None
            output.append(outgoing)
        responses = await self.adapter.send_activities(self, output)
        if sent_non_trace_activity:
            self.responded = True
        return responses


def conversation_reference_of(turn_context: TurnContext) -> ConversationReference:
    """The turn's conversation reference: made once a turn by Værn's turn contexts, anew by any other."""
    if isinstance(turn_context, ReplyTurnContext):
        return turn_context.conversation_reference()
    return TurnContext.get_conversation_reference(turn_context.activity)


class VaernCloudAdapter(CloudAdapter):
    """The SDK's CloudAdapter, with `ReplyTurnContext` as the turn context of every turn it runs."""

    def _create_turn_context(
        self,
        activity: Activity,
        claims_identity: ClaimsIdentity,
        oauth_scope: str,
        connector_client: ConnectorClient,
        user_token_client: UserTokenClient,
        logic: Callable[[TurnContext], Awaitable],
        connector_factory: ConnectorFactory,
    ) -> TurnContext:
        stock = super()._create_turn_context(
            activity, claims_identity, oauth_scope, connector_client, user_token_client, logic, connector_factory
        )
        context = ReplyTurnContext(self, activity)
        context.turn_state.update(stock.turn_state)  # everything the SDK put there (identity, clients, callback)
        return context


def check_authentication_settings(settings: Settings) -> None:
    """Refuse to run open to anyone by accident: exit unless there is an app id or an explicit opt-out.

    With an app id every request is authenticated (ALLOW_UNAUTHENTICATED is then ignored). Without one the SDK
    accepts every request, so that needs ALLOW_UNAUTHENTICATED=true as well, and is logged as a warning.
    """
    if settings.microsoft_app_id:
        if settings.allow_unauthenticated:
            log.warning("ALLOW_UNAUTHENTICATED is ignored: MICROSOFT_APP_ID is set, so every request is authenticated")
        log.info("requests are authenticated against %s", settings.bot_openid_metadata_url)
        return
    if not settings.allow_unauthenticated:
        log.critical(
            "refusing to start: MICROSOFT_APP_ID is empty, so requests to /api/messages could not be authenticated. "
            "Set MICROSOFT_APP_ID (and MICROSOFT_APP_PASSWORD) for Teams, or set ALLOW_UNAUTHENTICATED=true "
            "to run without authentication for local testing only."
        )
        raise SystemExit(EXIT_UNSAFE_SETTINGS)
    log.warning(
        "requests are NOT authenticated (MICROSOFT_APP_ID is empty and ALLOW_UNAUTHENTICATED=true): anyone who can "
        "reach /api/messages can act as any user. Local testing only."
    )


def create_adapter(settings: Settings) -> VaernCloudAdapter:
    configuration = SdkConfiguration(
        APP_ID=settings.microsoft_app_id,
        APP_PASSWORD=settings.microsoft_app_password,
        # Without an app id nothing is authenticated and no token is fetched; botbuilder's SingleTenant and
        # managed-identity credentials would refuse to be built without one, so the plain kind is named then.
        APP_TYPE=settings.microsoft_app_type if settings.microsoft_app_id else "MultiTenant",
        APP_TENANTID=settings.microsoft_app_tenant_id,
        TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL=settings.bot_openid_metadata_url,
    )
    adapter = VaernCloudAdapter(ConfigurationBotFrameworkAuthentication(configuration))

    async def on_turn_error(turn_context: TurnContext, error: Exception) -> None:
        log.error("turn failed", exc_info=error, extra={"fields": {"activity_type": turn_context.activity.type}})
        if turn_context.activity.type != ActivityTypes.message:
            return
        texts = texts_for(turn_context.activity.locale, settings.crisis_line)
        try:
            await turn_context.send_activity(
                MessageFactory.text(texts("common.error", correlation_id=correlation_id.get()))
            )
        except Exception:  # the channel itself may be what failed; the log line above is what counts
            log.warning("could not tell the user about the error")

    adapter.on_turn_error = on_turn_error
    return adapter
