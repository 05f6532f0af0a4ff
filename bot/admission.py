"""Who may talk to the bot at all: Teams users of our own Microsoft 365 tenant(s), nothing else.

A Bot Connector token says which bot an activity is for, not who sent it nor from which tenant: over Direct Line
or Web Chat the client writes `from` and `channelData` itself. Only the Teams channel fills them from the signed-in
user, so every activity whose channelId is not `msteams` is refused, and so is every activity from a tenant not in
ALLOWED_TENANT_IDS (default MICROSOFT_APP_TENANT_ID), before any dialog runs: a log line, HTTP 403, no reply.

Local development (no app id, ALLOW_UNAUTHENTICATED=true) may add the Bot Framework Emulator's and Web Chat's
channels (ALLOWED_DEV_CHANNELS) and may leave the tenants open (then any tenant is accepted, with a warning at
start). With an app id neither is allowed: the bot refuses to start instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiohttp import web
from microsoft_agents.activity import Activity

from bot.adapter import EXIT_UNSAFE_SETTINGS
from bot.config import Settings
from dialogs.identity import tenant_ids_of

log = logging.getLogger("vaern.admission")

TEAMS_CHANNEL = "msteams"
DEV_CHANNELS = frozenset({"emulator", "webchat"})


@dataclass(frozen=True)
class Admission:
    channels: frozenset[str]
    tenants: frozenset[str] | None  # None: any tenant (local development without an app id only)

    def refusal(self, activity: Activity) -> str | None:
        """Why this activity may not reach the bot, or None when it may."""
        if activity.channel_id not in self.channels:
            return "channel"
        if self.tenants is None:
            return None
        tenants = tenant_ids_of(activity)
        if not tenants or not tenants <= self.tenants:  # every tenant the activity names must be ours
            return "tenant"
        return None


ADMISSION = web.AppKey("admission", Admission)


def _refuse_to_start(message: str) -> None:
    log.critical("refusing to start: %s", message)
    raise SystemExit(EXIT_UNSAFE_SETTINGS)


def admission_from_settings(settings: Settings) -> Admission:
    """The admission rules of these settings; exits (status 2, a CRITICAL log line) when they are unsafe."""
    dev_channels = frozenset(settings.allowed_dev_channels)
    unknown = sorted(dev_channels - DEV_CHANNELS)
    if unknown:
        _refuse_to_start(
            f"ALLOWED_DEV_CHANNELS may only name {', '.join(sorted(DEV_CHANNELS))}, not {', '.join(unknown)}."
        )
    tenants = frozenset(settings.allowed_tenant_ids) or frozenset(
        [settings.microsoft_app_tenant_id.strip().lower()] if settings.microsoft_app_tenant_id.strip() else []
    )
    if settings.microsoft_app_id:
        if dev_channels:
            _refuse_to_start(
                "ALLOWED_DEV_CHANNELS is for local development without an app id; with MICROSOFT_APP_ID set only "
                "Teams (msteams) may reach the bot. Leave ALLOWED_DEV_CHANNELS empty."
            )
        if not tenants:
            _refuse_to_start(
                "MICROSOFT_APP_ID is set but no tenant is: set ALLOWED_TENANT_IDS (comma-separated Microsoft 365 "
                "tenant ids) or MICROSOFT_APP_TENANT_ID, so that only your organisation's Teams users are served."
            )
        if settings.microsoft_app_type == "SingleTenant" and not settings.microsoft_app_tenant_id.strip():
            _refuse_to_start("MICROSOFT_APP_TYPE=SingleTenant needs MICROSOFT_APP_TENANT_ID (the bot's own tenant).")
    if dev_channels:
        log.warning("local development: channels %s are accepted besides Teams", ", ".join(sorted(dev_channels)))
    if not tenants:
        log.warning(
            "activities from ANY tenant are accepted (no MICROSOFT_APP_ID, no ALLOWED_TENANT_IDS or "
            "MICROSOFT_APP_TENANT_ID). Local testing only."
        )
        return Admission(channels=frozenset({TEAMS_CHANNEL}) | dev_channels, tenants=None)
    log.info("activities are accepted from Teams in tenant(s) %s", ", ".join(sorted(tenants)))
    return Admission(channels=frozenset({TEAMS_CHANNEL}) | dev_channels, tenants=tenants)
