"""The HTTP edge: bad requests get clear 4xx answers, never a 500, and the health check answers."""

from __future__ import annotations

import json

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


def test_oversized_body_is_413(bot) -> None:
    assert post(bot, b'{"type": "message", "text": "' + b"x" * (2 * 1024 * 1024) + b'"}').status_code == 413


def test_invalid_utf8_is_400(bot) -> None:
    assert post(bot, b'{"type": "message", "text": "\xff\xfe"}').status_code == 400


def test_activity_types_the_bot_does_not_handle_are_accepted_quietly(user: TeamsUser) -> None:
    turn = user.send(user.activity("messageReaction"))
    assert turn.status in (200, 201) and list(turn) == []
