"""The Agents SDK's CloudAdapter, configured from our settings, replying through the pooled clients, with a kind
on_turn_error.

Rules: the adapter's service connection is the one `sdk_configuration` maps from Værn's documented settings
(bot/authentication.py); replies go through `ReplyClients` (one connection pool per process); a turn that fails
is logged with its correlation id and the person hears a short kind message with that id, never a traceback (the
SDK's default sends the exception text); the failure of that message itself is only logged.
"""

from __future__ import annotations

import logging

from microsoft_agents.activity import ActivityTypes
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import MessageFactory, TurnContext

from bot.authentication import sdk_configuration
from bot.config import Settings
from bot.reply_clients import ReplyClients
from content import texts_for
from services.logging_setup import correlation_id

log = logging.getLogger("vaern.adapter")

# Exit status when the settings would leave /api/messages open to anyone (2: a usage error, not a crash).
EXIT_UNSAFE_SETTINGS = 2


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


def create_adapter(settings: Settings) -> tuple[CloudAdapter, ReplyClients]:
    """The adapter and its reply clients (closed by the runtime at shutdown)."""
    clients = ReplyClients(
        MsalConnectionManager(**sdk_configuration(settings)), anonymous=not settings.microsoft_app_id
    )
    adapter = CloudAdapter(channel_service_client_factory=clients)

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
    return adapter, clients
