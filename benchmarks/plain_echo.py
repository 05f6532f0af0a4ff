"""The ceiling: a plain aiohttp echo doing the same job as an echo bot without botbuilder.

It parses the activity, POSTs the reply to `{serviceUrl}v3/conversations/{id}/activities/{replyToId}` through
one shared keep-alive `aiohttp.ClientSession`, and answers 201 when the connector accepted it (502 if not).
`PORT` (env) sets the port; GET /healthz answers 200.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from urllib.parse import quote

import aiohttp
from aiohttp import web

SESSION = web.AppKey("session", aiohttp.ClientSession)


async def messages(request: web.Request) -> web.Response:
    activity = json.loads(await request.read())
    if activity.get("type") != "message":
        return web.Response(status=201)
    conversation = activity["conversation"]
    reply = {
        "type": "message",
        "id": uuid.uuid4().hex,
        "channelId": activity.get("channelId"),
        "serviceUrl": activity["serviceUrl"],
        "conversation": conversation,
        "from": activity.get("recipient"),
        "recipient": activity.get("from"),
        "replyToId": activity.get("id"),
        "text": f"Echo: {activity.get('text')}",
    }
    url = (
        f"{activity['serviceUrl'].rstrip('/')}/v3/conversations/{quote(conversation['id'], safe='')}"
        f"/activities/{quote(str(activity.get('id')), safe='')}"
    )
    async with request.app[SESSION].post(url, json=reply) as answer:
        await answer.read()
        return web.Response(status=201 if answer.status < 300 else 502)


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def session(app: web.Application) -> AsyncIterator[None]:
    app[SESSION] = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), trust_env=False)
    yield
    await app[SESSION].close()


def main() -> None:
    app = web.Application()
    app.cleanup_ctx.append(session)
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", health)
    web.run_app(app, host="127.0.0.1", port=int(os.environ.get("PORT", "3980")), access_log=None, print=None)


if __name__ == "__main__":
    main()
