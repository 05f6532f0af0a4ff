"""The Bot Framework CloudAdapter, configured from our settings, with a kind on_turn_error."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import ActivityTypes

from bot.config import Settings
from bot.logging_setup import correlation_id
from content import Texts, language_for

log = logging.getLogger("vaern.adapter")


@dataclass(frozen=True)
class SdkConfiguration:
    """The attribute names botbuilder's configuration classes read."""

    APP_ID: str
    APP_PASSWORD: str
    APP_TYPE: str
    APP_TENANTID: str


def create_adapter(settings: Settings) -> CloudAdapter:
    configuration = SdkConfiguration(
        APP_ID=settings.microsoft_app_id,
        APP_PASSWORD=settings.microsoft_app_password,
        APP_TYPE=settings.microsoft_app_type,
        APP_TENANTID=settings.microsoft_app_tenant_id,
    )
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(configuration))

    async def on_turn_error(turn_context: TurnContext, error: Exception) -> None:
        log.error("turn failed", exc_info=error, extra={"fields": {"activity_type": turn_context.activity.type}})
        if turn_context.activity.type != ActivityTypes.message:
            return
        texts = Texts(language_for(turn_context.activity.locale), {"crisis_line": settings.crisis_line})
        try:
            await turn_context.send_activity(
                MessageFactory.text(texts("common.error", correlation_id=correlation_id.get()))
            )
        except Exception:  # the channel itself may be what failed; the log line above is what counts
            log.warning("could not tell the user about the error")

    adapter.on_turn_error = on_turn_error
    return adapter
