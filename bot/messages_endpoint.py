"""POST /api/messages: check the request, authenticate it, and hand the activity to the bot.

Bad input gets a clear 4xx; a bad or missing token gets 401 (botbuilder alone would answer 500).
"""

from __future__ import annotations

import json
import logging

from aiohttp import web
from botbuilder.schema import Activity

from bot.logging_setup import new_correlation_id
from bot.runtime import RUNTIME

log = logging.getLogger("vaern.messages")


def _problem(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def handle_messages(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    adapter, bot = runtime.adapter, runtime.bot
    new_correlation_id()
    if request.content_type != "application/json":
        return _problem(415, "Content-Type must be application/json")
    try:
        body = json.loads(await request.read())
    except web.HTTPRequestEntityTooLarge:
        return _problem(413, "request body too large")
    except (ValueError, UnicodeDecodeError):
        return _problem(400, "body is not valid JSON")
    activity = _activity_from(body)
    if activity is None:
        return _problem(400, "body is not a Bot Framework activity")
    try:
        authentication = await adapter.bot_framework_authentication.authenticate_request(
            activity, request.headers.get("Authorization", "")
        )
    except Exception as error:  # every way a token can be wrong must end as 401, never 500
        log.warning("request refused: %s", type(error).__name__)
        return _problem(401, "unauthorized")
    invoke_response = await adapter.process_activity(authentication, activity, bot.on_turn)
    if invoke_response is not None:
        return web.json_response(invoke_response.body, status=invoke_response.status)
    return web.Response(status=201)


def _activity_from(body: object) -> Activity | None:
    if not isinstance(body, dict) or not isinstance(body.get("type"), str) or not body["type"]:
        return None
    try:
        activity = Activity().deserialize(body)
    except Exception:  # msrest raises several types for shapes it cannot read
        return None
    if not activity.service_url or activity.conversation is None or not activity.conversation.id:
        return None
    return activity
