"""The stock Microsoft 365 Agents SDK echo agent the benchmark compares Værn with: the SDK's quickstart as it is.

`AgentApplication[TurnState]` with memory storage, the MSAL connection manager from the environment (no client id:
anonymous, as the quickstart runs locally), the aiohttp `CloudAdapter` and the SDK's JWT middleware on the whole
app; nothing tuned (a new HTTP session per reply, the user-token client per turn, OpenTelemetry spans). `PORT` (env)
sets the port; GET /healthz answers 200 (it passes the middleware only because anonymous requests are allowed).
"""

from __future__ import annotations

import os

from aiohttp import web
from microsoft_agents.activity import load_configuration_from_env
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.aiohttp import CloudAdapter, jwt_authorization_middleware
from microsoft_agents.hosting.core import AgentApplication, Authorization, MemoryStorage, TurnContext, TurnState

CONFIGURATION = load_configuration_from_env(os.environ)
STORAGE = MemoryStorage()
CONNECTION_MANAGER = MsalConnectionManager(**CONFIGURATION)
ADAPTER = CloudAdapter(connection_manager=CONNECTION_MANAGER)
AUTHORIZATION = Authorization(STORAGE, CONNECTION_MANAGER, **CONFIGURATION)
AGENT_APP = AgentApplication[TurnState](storage=STORAGE, adapter=ADAPTER, authorization=AUTHORIZATION, **CONFIGURATION)


@AGENT_APP.activity("message")
async def on_message(context: TurnContext, _state: TurnState) -> None:
    await context.send_activity(f"Echo: {context.activity.text}")


async def messages(request: web.Request) -> web.Response:
    return await ADAPTER.process(request, AGENT_APP)


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def main() -> None:
    app = web.Application(middlewares=[jwt_authorization_middleware])
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", health)
    app["agent_configuration"] = CONNECTION_MANAGER.get_default_connection_configuration()
    web.run_app(app, host="127.0.0.1", port=int(os.environ.get("PORT", "3981")), access_log=None, print=None)


if __name__ == "__main__":
    main()
