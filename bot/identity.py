"""Who sent an activity, and from which Microsoft 365 tenant (Teams puts it in channelData.tenant.id)."""

from __future__ import annotations

from botbuilder.schema import Activity

from domain.case import Person


def person_of(activity: Activity) -> Person:
    sender = activity.from_property
    return Person(
        user_id=(sender.id if sender else "") or "unknown",
        name=(sender.name if sender else "") or "",
        aad_object_id=getattr(sender, "aad_object_id", None) if sender else None,
    )


def tenant_of(activity: Activity) -> str | None:
    channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = channel_data.get("tenant")
    if isinstance(tenant, dict) and isinstance(tenant.get("id"), str):
        return tenant["id"]
    conversation_tenant = getattr(activity.conversation, "tenant_id", None) if activity.conversation else None
    return conversation_tenant or None
