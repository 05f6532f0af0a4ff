"""Who sent an activity, and from which Microsoft 365 tenant (Teams puts it in channelData.tenant.id and in
conversation.tenantId). Roles are decided by the Azure AD object id (`from.aadObjectId`) alone: the Teams user id
and the name are only shown and used to address messages (domain/authorization.py)."""

from __future__ import annotations

from dialogs.turn import Activity
from domain.authorization import Actor
from domain.case import Person
from domain.handling import HrFunction
from services.roles import Directory, actor_in


def person_of(activity: Activity) -> Person:
    sender = activity.from_property
    return Person(
        user_id=(sender.id if sender else "") or "unknown",
        name=(sender.name if sender else "") or "",
        aad_object_id=(getattr(sender, "aad_object_id", None) if sender else None) or None,
    )


def _channel_data_tenant(activity: Activity) -> str | None:
    channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = channel_data.get("tenant")
    if isinstance(tenant, dict) and isinstance(tenant.get("id"), str) and tenant["id"]:
        return tenant["id"]
    return None


def _conversation_tenant(activity: Activity) -> str | None:
    conversation = activity.conversation
    tenant = conversation.tenant_id if conversation is not None else None
    return tenant if isinstance(tenant, str) and tenant else None


def tenant_of(activity: Activity) -> str | None:
    return _channel_data_tenant(activity) or _conversation_tenant(activity)


def tenant_ids_of(activity: Activity) -> frozenset[str]:
    """Every tenant the activity names (lowercase), in channelData and in the conversation."""
    named = (_channel_data_tenant(activity), _conversation_tenant(activity))
    return frozenset(tenant.strip().lower() for tenant in named if tenant)


def actor_of(activity: Activity, directory: Directory, hr_intake: HrFunction) -> Actor:
    """The sender as an actor on cases (services.roles.actor_in): their HR function (from the directory, by Azure AD
    object id), whether that function takes Værn's own escalations (`hr_intake`), and whether they are on call."""
    return actor_in(directory, person_of(activity), tenant_of(activity), hr_intake.value)
