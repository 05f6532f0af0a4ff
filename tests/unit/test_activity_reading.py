"""How /api/messages reads a body into the SDK's activity model: what Teams may send is read, what is not an
activity is refused (None, which the endpoint answers with 400)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.messages_endpoint import _activity_from
from dialogs.identity import person_of


def body(**changes: Any) -> dict[str, Any]:
    activity: dict[str, Any] = {
        "type": "message",
        "id": "1",
        "channelId": "msteams",
        "serviceUrl": "https://smba.trafficmanager.net/emea/",
        "from": {"id": "29:a", "name": "Mette", "aadObjectId": "aad-a"},
        "recipient": {"id": "28:bot"},
        "conversation": {"id": "a:1", "tenantId": "t"},
        "locale": "da-DK",
        "text": "hej",
    }
    activity.update(changes)
    return activity


def test_an_empty_text_where_the_sdk_wants_none_is_read_as_not_given() -> None:
    activity = _activity_from(body(**{"from": {"id": "29:a", "name": "", "aadObjectId": ""}, "locale": ""}))
    assert activity is not None
    person = person_of(activity)
    assert (person.user_id, person.name, person.aad_object_id) == ("29:a", "", None)
    assert activity.locale is None and activity.text == "hej"


@pytest.mark.parametrize(
    "broken",
    [
        {"type": ""},
        {"serviceUrl": ""},
        {"conversation": {"id": ""}},
        {"conversation": None},
        {"from": "29:a"},
        {"attachments": "not a list"},
        {"type": 5},
    ],
    ids=["no type", "no serviceUrl", "no conversation id", "conversation null", "from a string", "attachments", "type"],
)
def test_what_is_not_an_activity_is_refused(broken: dict[str, Any]) -> None:
    assert _activity_from(body(**broken)) is None
