"""The HTTP edge: bad requests get clear 4xx answers, never a 500, and the health check answers."""

from __future__ import annotations

import json
import socket
import time

import requests

from tests.support.teams import TeamsUser


def post(bot, body: bytes, content_type: str = "application/json") -> requests.Response:
    return requests.post(f"{bot.url}/api/messages", data=body, headers={"Content-Type": content_type}, timeout=10)


def test_health_check_answers(bot) -> None:
    response = requests.get(f"{bot.url}/healthz", timeout=5)
    assert response.status_code == 200 and response.json()["status"] == "ok"


def test_malformed_json_is_400(bot) -> None:
    response = post(bot, b'{"type": "message",')
    assert response.status_code == 400
    assert "JSON" in response.json()["error"]


def test_wrong_content_type_is_415(bot) -> None:
    assert post(bot, b"hej", "text/plain").status_code == 415


def test_json_that_is_not_an_activity_is_400(bot) -> None:
    for body in ([1, 2], {"hello": "world"}, {"type": ""}, {"type": "message"}, "text"):
        assert post(bot, json.dumps(body).encode()).status_code == 400, body


def test_an_activity_the_sdk_cannot_read_is_400_with_one_warning_and_no_error(bot) -> None:
    """A client's mistake is not the bot's error: a WARNING line each, no ERROR or traceback, and it serves on."""
    mark = len(bot.process.log_text())
    fields = {"serviceUrl": "http://127.0.0.1:9/", "conversation": {"id": "a:1"}, "channelId": "msteams"}
    bad = [{"type": "message", "text": 5}, {"type": "message", "from": 7}, {"type": "message", "timestamp": "soon"}]
    for body in bad:
        assert post(bot, json.dumps({**fields, **body}).encode()).status_code == 400, body
    deadline = time.monotonic() + 5
    while (
        bot.process.log_text()[mark:].count("not a Bot Framework activity") < len(bad) and time.monotonic() < deadline
    ):
        time.sleep(0.05)
    lines = [json.loads(line) for line in bot.process.log_text()[mark:].splitlines() if line.startswith("{")]
    refused = [line for line in lines if "not a Bot Framework activity" in line["message"]]
    assert [line["level"] for line in refused] == ["WARNING"] * len(bad)
    assert not [line for line in lines if line["level"] == "ERROR" or "error" in line], lines[-1:]
    assert requests.get(f"{bot.url}/healthz", timeout=5).status_code == 200


def test_oversized_body_is_413(bot) -> None:
    assert post(bot, b'{"type": "message", "text": "' + b"x" * (2 * 1024 * 1024) + b'"}').status_code == 413


def test_invalid_utf8_is_400(bot) -> None:
    assert post(bot, b'{"type": "message", "text": "\xff\xfe"}').status_code == 400


def test_activity_types_the_bot_does_not_handle_are_accepted_quietly(user: TeamsUser) -> None:
    turn = user.send(user.activity("messageReaction"))
    assert turn.status in (200, 201) and list(turn) == []


def with_nested_value(activity: dict, depth: int) -> bytes:
    """The activity as JSON with a `value` nesting objects and arrays `depth` levels deep (json.dumps would stop at
    its own recursion limit)."""
    opening = "".join('{"n": ' if level % 2 else "[" for level in range(depth))
    closing = "".join("}" if level % 2 else "]" for level in reversed(range(depth)))
    return json.dumps(activity | {"value": "NESTED"}).replace('"NESTED"', f'{opening}"bund"{closing}').encode()


def test_deeply_nested_json_is_400_before_anything_reads_it(bot, user: TeamsUser) -> None:
    refused = post(bot, b"[" * 100_000)
    assert refused.status_code == 400 and "nests" in refused.json()["error"]
    invoke = user.activity("invoke", name="adaptiveCard/action")
    for depth in (64, 900, 2_000):  # past the limit; at the SDK's own recursion; past json's own limit
        answer = post(bot, with_nested_value(invoke, depth))
        assert answer.status_code == 400 and "nests" in answer.json()["error"], depth
    reaction = user.activity("messageReaction")
    assert post(bot, with_nested_value(reaction, 63)).status_code in (200, 201)  # with the activity: 64 levels
    brackets_in_text = reaction | {"value": "{[" * 5_000}
    assert post(bot, json.dumps(brackets_in_text).encode()).status_code in (200, 201)


HALF_SENT = 20


def test_bodies_the_client_abandons_are_logged_quietly(bot) -> None:
    """A client that closes its connection halfway through the body is not an error of the bot: one INFO line
    each, no ERROR and no traceback, and the bot serves on."""
    mark = len(bot.process.log_text())
    for _ in range(HALF_SENT):
        with socket.create_connection(("127.0.0.1", bot.process.port), timeout=5) as connection:
            connection.sendall(
                b"POST /api/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                b'Content-Length: 4000\r\n\r\n{"type": "message", "text": "halv'
            )
            time.sleep(0.02)  # the bot is waiting for the rest of the body when the connection closes
    deadline = time.monotonic() + 10
    while bot.process.log_text()[mark:].count("request abandoned") < HALF_SENT and time.monotonic() < deadline:
        time.sleep(0.05)
    lines = [json.loads(line) for line in bot.process.log_text()[mark:].splitlines() if line.startswith("{")]
    abandoned = [line for line in lines if "request abandoned" in line["message"]]
    assert len(abandoned) == HALF_SENT and {line["level"] for line in abandoned} == {"INFO"}
    assert not [line for line in lines if line["level"] == "ERROR" or "error" in line], lines[-1:]
    assert requests.get(f"{bot.url}/healthz", timeout=5).status_code == 200


def test_unpaired_surrogates_in_an_activity_do_not_fail_the_turn(bot, user: TeamsUser) -> None:
    """A lone \\ud800 escape in the sender's name or the text (valid JSON, not storable as UTF-8) becomes U+FFFD:
    the turn is answered as any other, with no ERROR, and the bot serves on."""
    mark = len(bot.process.log_text())
    sender = {"id": user.user_id, "name": "Mette \ud800", "aadObjectId": user.aad_object_id}
    activity = user.activity(text="hjælp \ud800") | {"from": sender}
    answered = post(bot, json.dumps(activity).encode())  # ensure_ascii: the surrogate goes as the escape \ud800
    assert answered.status_code in (200, 201)
    assert user.replies(), "the bot answered nothing"
    lines = [json.loads(line) for line in bot.process.log_text()[mark:].splitlines() if line.startswith("{")]
    assert not [line for line in lines if line["level"] == "ERROR"], lines[-1:]
