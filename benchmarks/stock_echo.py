"""The stock botbuilder echo bot the benchmark compares Værn with: CloudAdapter on aiohttp, no app id.

This is Microsoft's echo sample as it is (no connector cache, no retry-list fix, no keep-alive work), so it
shows what an unoptimised botbuilder 4.17.1 bot costs. `PORT` (env) sets the port; GET /healthz answers 200.
"""

from __future__ import annotations

import os

from aiohttp import web
from botbuilder.core import ActivityHandler, MessageFactory, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication


class DefaultConfig:
    APP_ID = ""
    APP_PASSWORD = ""
    APP_TYPE = "MultiTenant"
    APP_TENANTID = ""


class EchoBot(ActivityHandler):
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await turn_context.send_activity(MessageFactory.text(f"Echo: {turn_context.activity.text}"))


ADAPTER = CloudAdapter(ConfigurationBotFrameworkAuthentication(DefaultConfig()))
BOT = EchoBot()


async def messages(request: web.Request) -> web.Response:
    return await ADAPTER.process(request, BOT)


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def main() -> None:
    app = web.Application()
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", health)
    web.run_app(app, host="127.0.0.1", port=int(os.environ.get("PORT", "3979")), access_log=None, print=None)


if __name__ == "__main__":
    main()
