"""Værn's web app: wires settings, storage and the bot to its routes. `python app.py` runs it in one process;
`gunicorn -c python:bot.gunicorn_conf app:gunicorn_app` runs several (README: Production serving).

Health: GET /livez (and /healthz) answers 200 while the process serves (liveness). GET /readyz answers 200 only
when the runtime is built, storage takes a small write (and its delete) within READINESS_TIMEOUT_SECONDS and shutdown
has not begun; otherwise 503 with the reason (readiness): a full disk or a store that only reads is not ready. When
ready its detail counts the outbox's dead letters (notifications given up and not delivered; they do not make the
instance unready). On shutdown aiohttp stops listening, lets the requests in flight finish, then the runtime closes.
GET /privacy is the privacy notice as a page (bot/privacy_routes.py), the Teams app's privacy URL.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal

from aiohttp import web

from bot.adapter import EXIT_UNSAFE_SETTINGS, check_authentication_settings
from bot.admission import ADMISSION, admission_from_settings
from bot.authentication import Authenticator
from bot.config import Settings
from bot.directory_source import credential_settings
from bot.event_loop import loop_name, new_event_loop
from bot.messages_endpoint import AUTHENTICATOR, handle_messages
from bot.overview_routes import add_overview_routes
from bot.privacy_routes import add_privacy_routes
from bot.runtime import RUNTIME, build_runtime
from bot.subject_request_routes import add_subject_request_routes
from bot.tab_routes import add_tab_routes
from directory.graph_token import credential_problem
from domain.clock import Clock
from services.logging_setup import configure_logging
from storage.package_signing import PackageSigner, SigningKeyProblem, load_package_signer
from storage.private_files import DataFolderExposed, check_data_folder, restrict_umask

SETTINGS = web.AppKey("settings", Settings)
SIGNER = web.AppKey("signer", PackageSigner)
CLOCK = web.AppKey("clock", Clock)
BLOCKING_CALL_TIMEOUT_SECONDS = 20.0
READINESS_TIMEOUT_SECONDS = 2.0
READINESS_PROBE_KEY = "health/readiness-probe"  # written and deleted again by every readiness probe
READINESS_PROBE_DATA = b'{"probe": "readiness"}'

log = logging.getLogger("vaern.app")


@dataclass
class Lifecycle:
    """Where this process is: starting until the runtime is built, then ready, then stopping once shutdown began."""

    phase: Literal["starting", "ready", "stopping"] = "starting"


LIFECYCLE = web.AppKey("lifecycle", Lifecycle)


def _pid() -> dict[str, object]:
    return {"fields": {"pid": os.getpid()}}


async def _runtime(app: web.Application) -> AsyncIterator[None]:
    runtime = await build_runtime(app[SETTINGS], app.get(CLOCK), app[SIGNER])
    app[RUNTIME] = runtime
    app[LIFECYCLE].phase = "ready"
    log.info("ready", extra={"fields": {"pid": os.getpid(), "event_loop": loop_name(asyncio.get_running_loop())}})
    yield
    await runtime.close()
    log.info("runtime closed", extra=_pid())


async def _stopping(app: web.Application) -> None:
    """aiohttp's on_shutdown: it has stopped listening and is about to wait for the requests in flight."""
    app[LIFECYCLE].phase = "stopping"
    log.info("stopping: finishing the requests in flight, then closing the runtime", extra=_pid())


async def _live(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _ready(request: web.Request) -> web.Response:
    phase = request.app[LIFECYCLE].phase
    if phase != "ready":
        return web.json_response({"status": phase}, status=503)
    documents = request.app[RUNTIME].backend.documents
    try:
        async with asyncio.timeout(READINESS_TIMEOUT_SECONDS):
            await documents.put(READINESS_PROBE_KEY, READINESS_PROBE_DATA)
            await documents.delete(READINESS_PROBE_KEY)
    except Exception as error:  # any way storage can fail means "do not send me traffic", never a 500
        log.warning("not ready: storage did not take a write (%s: %s)", type(error).__name__, str(error)[:200])
        return web.json_response({"status": "storage not writable"}, status=503)
    runtime = request.app[RUNTIME]
    body: dict[str, object] = {"status": "ready", "dead_letters": runtime.outbox_worker.dead_letters}
    if runtime.graph_directory is not None:  # a stale directory still answers (the last good read): a detail only
        body["directory"] = runtime.graph_directory.health()
    return web.json_response(body)


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> web.Application:
    """The web app; `clock` replaces the server's clock (tests that move time)."""
    settings = settings or Settings()
    check_authentication_settings(settings)
    admission = admission_from_settings(settings)
    _check_data_folder(settings)
    _check_graph_credential(settings)
    signer = _package_signer(settings)
    app = web.Application(client_max_size=settings.max_request_bytes)
    app[SETTINGS] = settings
    app[ADMISSION] = admission
    app[AUTHENTICATOR] = Authenticator(settings)
    app[SIGNER] = signer
    app[LIFECYCLE] = Lifecycle()
    if clock is not None:
        app[CLOCK] = clock
    app.cleanup_ctx.append(_runtime)
    app.on_shutdown.append(_stopping)
    app.router.add_post("/api/messages", handle_messages)
    app.router.add_get("/livez", _live)
    app.router.add_get("/healthz", _live)
    app.router.add_get("/readyz", _ready)
    add_overview_routes(app, settings)  # the Overblik tab's API
    add_subject_request_routes(app)  # its data subject requests and rectifications
    add_tab_routes(app, settings)  # the Overblik tab's page and its files
    add_privacy_routes(app, settings)  # the privacy notice as a page (the Teams app's privacyUrl)
    return app


def _check_data_folder(settings: Settings) -> None:
    """Refuse to start when others may read the data folder (storage/private_files.py); create it 0700 if new."""
    try:
        check_data_folder(settings.data_dir)
    except DataFolderExposed as exposed:
        log.critical("refusing to start: %s", exposed)
        raise SystemExit(EXIT_UNSAFE_SETTINGS) from None


def _check_graph_credential(settings: Settings) -> None:
    """With DIRECTORY_SOURCE=graph, refuse to start without a credential that can work (directory/graph_token.py)."""
    problem = credential_problem(credential_settings(settings)) if settings.directory_source == "graph" else None
    if problem is not None:
        log.critical("refusing to start: %s", problem)
        raise SystemExit(EXIT_UNSAFE_SETTINGS)


def _package_signer(settings: Settings) -> PackageSigner:
    """The organisation's key for case packages, or refuse to start saying what is wrong with it."""
    try:
        return load_package_signer(settings.signing_key_source())
    except SigningKeyProblem as problem:
        log.critical("refusing to start: %s", problem)
        raise SystemExit(EXIT_UNSAFE_SETTINGS) from None


def _prepare_process(settings: Settings) -> None:
    """Once per process, before anything is opened (in each gunicorn worker too)."""
    restrict_umask()  # files made by SQLite or a library are private as well (storage/private_files.py)
    configure_logging(settings.log_level)
    # MSAL (the Agents SDK's token provider) fetches the bot's tokens with synchronous `requests` in a worker thread
    # and no timeout; a host that never answers would hold that thread for ever (the OpenID metadata is fetched with
    # aiohttp and a timeout: bot/authentication.py). asyncio's own sockets are non-blocking and unaffected by this.
    socket.setdefaulttimeout(BLOCKING_CALL_TIMEOUT_SECONDS)


async def gunicorn_app() -> web.Application:
    """The app of one gunicorn worker. aiohttp.GunicornWebWorker awaits this in each worker after the fork.

    On SIGTERM the worker stops listening, gives the requests in flight 95 % of gunicorn's graceful_timeout,
    then runs the app's cleanup (the runtime closes).
    """
    settings = Settings()
    _prepare_process(settings)
    return create_app(settings)


def main() -> None:
    settings = Settings()
    _prepare_process(settings)
    web.run_app(create_app(settings), host=settings.host, port=settings.port, access_log=None, loop=new_event_loop())


if __name__ == "__main__":
    main()
