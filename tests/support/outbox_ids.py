"""Which outbox notification a recorded connector call delivered: the bot puts the outbox id in the activity's
channelData (bot/proactive.py), the same on every resend, so tests can tell a resend from a second message."""

from __future__ import annotations

from bot.proactive import NOTIFICATION_ID_KEY
from tests.support.connector_stub import RecordedCall


def outbox_id(call: RecordedCall) -> str:
    """The outbox id of a POSTed activity, or "" for anything else."""
    body = call.body if call.method == "POST" and isinstance(call.body, dict) else {}
    return str((body.get("channelData") or {}).get(NOTIFICATION_ID_KEY, ""))
