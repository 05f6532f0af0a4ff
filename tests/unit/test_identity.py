"""Who sent an activity and from where (dialogs/identity.py), and who may reach the bot at all (bot/admission.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from microsoft_agents.activity import Activity
from pydantic import ValidationError

from bot.admission import EXIT_UNSAFE_SETTINGS, admission_from_settings
from bot.config import Settings
from dialogs.identity import actor_of, tenant_ids_of
from domain.handling import HrFunction
from services.roles import JsonDirectory

REPO = Path(__file__).resolve().parents[2]
TENANT = "72f988bf-0000-4000-8000-000000000001"
JURA = "0b1c2d3e-0000-4a00-8000-000000000101"
COORDINATOR = "0b1c2d3e-0000-4a00-8000-000000000102"


def activity(**fields: Any) -> Activity:
    """A Teams message as the SDK reads it from the wire."""
    body: dict[str, Any] = {
        "type": "message",
        "channelId": "msteams",
        "serviceUrl": "https://smba.trafficmanager.net/emea/",
        "from": {"id": "29:someone", "name": "Someone", "aadObjectId": "aad-someone"},
        "conversation": {"id": "a:1", "conversationType": "personal", "tenantId": TENANT},
        "channelData": {"tenant": {"id": TENANT}},
    }
    body.update(fields)
    return Activity.model_validate(body)


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_the_conversations_tenant_as_teams_spells_it_counts() -> None:
    """Teams writes the tenant in channelData.tenant.id and in conversation.tenantId: both count (lowercased)."""
    mixed = activity(conversation={"id": "a:1", "tenantId": "OTHER-tenant"})
    assert tenant_ids_of(mixed) == {TENANT, "other-tenant"}
    assert tenant_ids_of(activity(channelData={}, conversation={"id": "a:1"})) == frozenset()


@pytest.mark.parametrize(
    ("aad", "function", "intake"),
    [(JURA, HrFunction.JURA, False), (COORDINATOR, HrFunction.WORK_ENVIRONMENT_COORDINATOR, True), ("x", None, False)],
)
def test_the_actor_carries_their_hr_function_from_the_directory(aad: str, function, intake: bool) -> None:
    directory = JsonDirectory.from_file(REPO / "directory.example.json")
    sender = {"id": "29:hr", "name": "HR", "aadObjectId": aad}
    actor = actor_of(activity(**{"from": sender}), directory, HrFunction.WORK_ENVIRONMENT_COORDINATOR)
    assert (actor.is_hr, actor.hr_function, actor.hr_intake) == (function is not None, function, intake)
    assert actor.tenant_id == TENANT


def test_an_empty_aad_object_id_is_none() -> None:
    """The SDK's model refuses "" as from.aadObjectId on the wire (the edge answers 400); a model that holds it
    anyway (an assignment is not validated) still gives a person without an Azure AD object id."""
    with pytest.raises(ValidationError):
        activity(**{"from": {"id": "29:x", "aadObjectId": ""}})
    directory = JsonDirectory.from_file(REPO / "directory.example.json")
    incoming = activity(**{"from": {"id": "29:x"}})
    assert incoming.from_property is not None
    incoming.from_property.aad_object_id = ""
    actor = actor_of(incoming, directory, HrFunction.JURA)
    assert actor.person.aad_object_id is None


def test_only_teams_from_the_apps_tenant_is_admitted() -> None:
    admission = admission_from_settings(
        settings(microsoft_app_id="app", microsoft_app_tenant_id=TENANT.upper(), allow_unauthenticated=False)
    )
    assert admission.refusal(activity()) is None
    assert admission.refusal(activity(channelId="webchat")) == "channel"
    assert admission.refusal(activity(channelId="emulator")) == "channel"
    assert admission.refusal(activity(channelData={"tenant": {"id": "another"}})) == "tenant"
    assert admission.refusal(activity(channelData={}, conversation={"id": "a:1"})) == "tenant"


def test_allowed_tenant_ids_replace_the_apps_tenant() -> None:
    admission = admission_from_settings(
        settings(microsoft_app_id="app", microsoft_app_tenant_id=TENANT, allowed_tenant_ids="t-1, T-2")
    )
    assert admission.refusal(activity()) == "tenant"
    both = {"id": "a:1", "tenantId": "t-2"}
    assert admission.refusal(activity(channelData={"tenant": {"id": "T-2"}}, conversation=both)) is None


def test_local_development_admits_any_tenant_and_the_dev_channels_it_names() -> None:
    admission = admission_from_settings(settings(allow_unauthenticated=True, allowed_dev_channels="emulator"))
    assert admission.refusal(activity(channelData={}, conversation={"id": "a:1"})) is None
    assert admission.refusal(activity(channelId="emulator")) is None
    assert admission.refusal(activity(channelId="webchat")) == "channel"
    assert admission.refusal(activity(channelId="directline")) == "channel"


@pytest.mark.parametrize(
    "values",
    [
        {"microsoft_app_id": "app"},
        {"microsoft_app_id": "app", "microsoft_app_tenant_id": TENANT, "allowed_dev_channels": "webchat"},
        {"microsoft_app_id": "app", "allowed_tenant_ids": TENANT},  # SingleTenant without its tenant
        {"allowed_dev_channels": "directline"},
    ],
)
def test_unsafe_settings_refuse_to_start(values: dict[str, Any]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        admission_from_settings(settings(**values))
    assert exit_info.value.code == EXIT_UNSAFE_SETTINGS
