"""Værn's web app: wires settings, storage and the bot to two routes. `python app.py` runs it."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

from aiohttp import web

from bot.adapter import check_authentication_settings
from bot.config import Settings
from bot.logging_setup import configure_logging
from bot.messages_endpoint import handle_messages
from bot.runtime import RUNTIME, build_runtime

SETTINGS = web.AppKey("settings", Settings)
BLOCKING_CALL_TIMEOUT_SECONDS = 20.0


async def _runtime(app: web.Application) -> AsyncIterator[None]:
    runtime = await build_runtime(app[SETTINGS])
    app[RUNTIME] = runtime
    yield
    await runtime.close()


async def _health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def create_app(settings: Settings | None = None) -> web.Application:
    settings = settings or Settings()
    check_authentication_settings(settings)
    app = web.Application(client_max_size=settings.max_request_bytes)
    app[SETTINGS] = settings
    app.cleanup_ctx.append(_runtime)
    app.router.add_post("/api/messages", handle_messages)
    app.router.add_get("/healthz", _health)
    return app


def main() -> None:
    settings = Settings()
    configure_logging(settings.log_level)
    # botbuilder fetches the OpenID metadata and tokens with synchronous `requests` and no timeout; a host that
    # never answers would freeze the bot. asyncio's own sockets are non-blocking and unaffected by this default.
    socket.setdefaulttimeout(BLOCKING_CALL_TIMEOUT_SECONDS)
    web.run_app(create_app(settings), host=settings.host, port=settings.port, access_log=None)


if __name__ == "__main__":
    main()
