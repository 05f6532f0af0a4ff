"""bot/inbound_activity.py reads every activity exactly as msrest's `Activity().deserialize` does.

"Exactly": the same model classes, attribute by attribute, with the same types (datetimes with the same tzinfo
class and offset, NaN where msrest has NaN), the same additional properties; and an error wherever msrest
raises one. Concrete Teams shapes first, then generated bodies with any JSON in any field.
"""

from __future__ import annotations

import copy
import json
import math
from datetime import datetime
from typing import Any

import pytest
from botbuilder.schema import Activity
from hypothesis import given, settings
from hypothesis import strategies as st
from msrest.serialization import Model

from bot.inbound_activity import read_activity
from tests.unit.test_fuzz_parsers import activities, json_values, texts

SERVICE_URL = "https://smba.trafficmanager.net/emea/"
TENANT = "72f988bf-0000-4000-8000-000000000001"
ACCOUNT = {"id": "29:1employee", "name": "Mette Testesen", "aadObjectId": "0b1c2d3e-0000-4a00-8000-000000000001"}
BASE: dict[str, Any] = {
    "type": "message",
    "id": "1700000000000",
    "timestamp": "2026-11-20T10:00:00.1234567Z",
    "localTimestamp": "2026-11-20T11:00:00.123+01:00",
    "localTimezone": "Europe/Copenhagen",
    "serviceUrl": SERVICE_URL,
    "channelId": "msteams",
    "from": ACCOUNT,
    "conversation": {"id": "a:1conv", "conversationType": "personal", "tenantId": TENANT},
    "recipient": {"id": "28:bot", "name": "Værn"},
    "locale": "da-DK",
    "textFormat": "plain",
    "entities": [{"type": "clientInfo", "locale": "da-DK", "country": "DK", "platform": "Web"}],
    "channelData": {"tenant": {"id": TENANT}},
}

SHAPES: dict[str, dict[str, Any]] = {
    "text": {**BASE, "text": "anmeld"},
    "card answer": {**BASE, "value": {"q": "offender", "answer": "unknown", "offender_relation": "colleague"}},
    "shared file": {
        **BASE,
        "text": "",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.teams.file.download.info",
                "contentUrl": "https://contoso.sharepoint.com/personal/x/skaermbillede.png",
                "name": "skaermbillede.png",
                "content": {"downloadUrl": "https://contoso.sharepoint.com/d", "uniqueId": "u", "fileType": "png"},
            },
            {"contentType": "text/html", "content": "<div>hej</div>"},
        ],
    },
    "universal action": {
        **BASE,
        "type": "invoke",
        "name": "adaptiveCard/action",
        "value": {
            "action": {"type": "Action.Execute", "verb": "acknowledge", "data": {"version": 3}},
            "trigger": "manual",
        },
    },
    "file consent": {
        **BASE,
        "type": "invoke",
        "name": "fileConsent/invoke",
        "value": {"type": "fileUpload", "action": "accept", "uploadInfo": {"name": "x.zip", "uploadUrl": "https://u"}},
    },
    "members added": {
        **BASE,
        "type": "conversationUpdate",
        "membersAdded": [{"id": "28:bot"}, {**ACCOUNT, "role": "user", "properties": {"x": [1, 2.5, None]}}],
        "channelData": {"tenant": {"id": TENANT}, "eventType": "teamMemberAdded", "team": {"id": "19:t"}},
    },
    "mention": {
        **BASE,
        "text": "<at>Værn</at> hjælp",
        "entities": [{"type": "mention", "mentioned": {"id": "28:bot", "name": "Værn"}, "text": "<at>Værn</at>"}],
    },
    "reaction and reply": {
        **BASE,
        "type": "messageReaction",
        "replyToId": "1699999999999",
        "reactionsAdded": [{"type": "like"}],
        "relatesTo": {"activityId": "1", "conversation": {"id": "a:2"}, "bot": {"id": "28:bot"}},
        "suggestedActions": {"to": ["29:1"], "actions": [{"type": "imBack", "title": "Ja", "value": "ja"}]},
        "textHighlights": [{"text": "x", "occurrence": 1}],
        "expiration": "2026-11-21T10:00:00Z",
        "importance": "high",
        "deliveryMode": "normal",
        "listenFor": ["ja", "nej"],
        "semanticAction": {"id": "s", "state": "start", "entities": {"e": {"type": "clientInfo", "extra": 1}}},
    },
    "unknown top-level keys and nulls": {**BASE, "unknownKey": {"a": 1}, "text": None, "from": None, "value": None},
    "numbers where text belongs": {**BASE, "id": 17, "locale": 1.5, "from": {"id": True, "name": [1], "role": {}}},
    "odd numbers": {**BASE, "value": {"big": 10**30, "nan": math.nan, "inf": math.inf, "neg": -0.0}},
}


def same(left: Any, right: Any) -> bool:
    """Equal and of the same types all the way down (msrest models compare only their __dict__)."""
    if type(left) is not type(right):
        return False
    if isinstance(left, Model):
        return same(vars(left), vars(right))
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(same(left[key], right[key]) for key in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(same(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, datetime):
        return (
            left == right
            and left.isoformat() == right.isoformat()
            and type(left.tzinfo) is type(right.tzinfo)
            and left.utcoffset() == right.utcoffset()
            and left.tzname() == right.tzname()
        )
    if isinstance(left, float) and math.isnan(left):
        return math.isnan(right)
    return left == right


def outcome(read: Any, body: Any) -> tuple[str, Any]:
    try:
        return "ok", read(copy.deepcopy(body))
    except Exception as error:
        return "error", type(error).__name__


def assert_reads_like_msrest(body: Any) -> None:
    expected, got = outcome(Activity().deserialize, body), outcome(read_activity, body)
    assert expected[0] == got[0], (expected, got)
    if expected[0] == "ok":
        assert same(expected[1], got[1]), f"\nmsrest: {vars(expected[1])}\nfast:   {vars(got[1])}"


@pytest.mark.parametrize("name", SHAPES)
def test_teams_shapes_read_as_msrest_reads_them(name: str) -> None:
    assert_reads_like_msrest(SHAPES[name])


def test_the_body_is_not_shared_with_the_activity() -> None:
    body = copy.deepcopy(SHAPES["card answer"])
    activity = read_activity(body)

    activity.value["q"] = "changed"
    activity.channel_data["tenant"]["id"] = "changed"

    assert body["value"]["q"] == "offender" and body["channelData"]["tenant"]["id"] == TENANT


def test_a_mention_keeps_what_the_entity_model_does_not_know_as_additional_properties() -> None:
    [mention] = read_activity(copy.deepcopy(SHAPES["mention"])).entities

    assert mention.type == "mention"
    assert mention.additional_properties == {"mentioned": {"id": "28:bot", "name": "Værn"}, "text": "<at>Værn</at>"}


def test_a_timestamp_msrest_cannot_read_is_refused_as_msrest_refuses_it() -> None:
    for stamp in ("", "not a date", "2026-13-40T99:00:00Z", 1700000000):
        assert_reads_like_msrest({**BASE, "timestamp": stamp})


@st.composite
def timestamps(draw: st.DrawFn) -> str:
    """ISO 8601 texts around the shapes Teams sends: 0-9 fraction digits, Z or an offset, some out of range."""
    year = draw(st.sampled_from(["0001", "1999", "2026", "9999"]) | st.from_regex(r"\d{4}", fullmatch=True))
    month, day = draw(st.integers(0, 13)), draw(st.integers(0, 32))
    hour, minute, second = draw(st.integers(0, 25)), draw(st.integers(0, 60)), draw(st.integers(0, 61))
    fraction = draw(st.sampled_from(["", "."]) | st.from_regex(r"\.\d{1,9}", fullmatch=True))
    zone = draw(st.sampled_from(["Z", "+00:00", "-00:00", "+01:00", "-00:30", "+14:00", "-12:00", "+23:59", "z", ""]))
    return f"{year}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}{fraction}{zone}"


@settings(max_examples=400, deadline=None, database=None)
@given(stamp=timestamps())
def test_any_timestamp_reads_as_msrest_reads_it(stamp: str) -> None:
    assert_reads_like_msrest({**BASE, "timestamp": stamp, "localTimestamp": stamp})


TYPED_VALUES = [True, False, 0, 1, 2, 1.0, 0.0, 2.5, "1", "true", "False", "no", "", None, [], [1], {}, {"a": 1}]


@pytest.mark.parametrize("value", TYPED_VALUES, ids=repr)
def test_bool_and_int_fields_take_any_json_as_msrest_does(value: Any) -> None:
    assert_reads_like_msrest({**BASE, "historyDisclosed": value})
    assert_reads_like_msrest({**BASE, "conversation": {"id": "a:1", "isGroup": value}})
    assert_reads_like_msrest({**BASE, "textHighlights": [{"text": "x", "occurrence": value}]})
    assert_reads_like_msrest({**BASE, "semanticAction": {"id": "s", "entities": {"e": value}}})
    assert_reads_like_msrest({**BASE, "entities": value, "attachments": value, "membersAdded": value})


def test_what_came_over_the_wire_reads_the_same() -> None:
    for body in SHAPES.values():
        assert_reads_like_msrest(json.loads(json.dumps(body)))


# Any JSON in any field the Activity model knows, and in the fields of the models inside it.
ACTIVITY_KEYS = [about["key"] for about in Activity._attribute_map.values()]
anything_anywhere = st.dictionaries(st.sampled_from(ACTIVITY_KEYS) | texts, json_values, max_size=8).map(
    lambda extra: {**BASE, **extra}
)
nested_wrong_types = st.fixed_dictionaries(
    {
        "from": st.dictionaries(st.sampled_from(["id", "name", "aadObjectId", "role", "properties"]), json_values),
        "conversation": st.dictionaries(st.sampled_from(["id", "isGroup", "tenantId", "properties"]), json_values),
        "entities": st.lists(st.dictionaries(st.just("type") | texts, json_values, max_size=3), max_size=3),
        "suggestedActions": st.dictionaries(st.sampled_from(["to", "actions"]), json_values),
        "textHighlights": st.lists(st.dictionaries(st.sampled_from(["text", "occurrence"]), json_values), max_size=2),
        "attachments": st.lists(st.dictionaries(st.sampled_from(["contentType", "content", "name"]), json_values)),
    }
).map(lambda nested: {**BASE, **nested})


@settings(max_examples=300, deadline=None, database=None)
@given(body=activities(SERVICE_URL, wrong_types=True) | anything_anywhere | nested_wrong_types | json_values)
def test_any_body_reads_as_msrest_reads_it(body: Any) -> None:
    if isinstance(body, dict):
        assert_reads_like_msrest(body)
