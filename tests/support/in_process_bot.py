"""The real app (create_app: adapter, dialogs, storage, outbox and follow-up workers) served over HTTP on
127.0.0.1 from a background thread, with a clock the test moves: for behaviour that spans days and weeks."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from app import create_app
from bot.config import Settings
from tests.support.bot_process import BotStorage
from tests.support.clock import MovableClock
from tests.support.connector_stub import BackgroundServer

FAST_ROUNDS_SECONDS = 0.05


class InProcessBot(BackgroundServer):
    thread_name = "vaern-in-process-bot"

    def __init__(self, data_dir: Path, directory_file: Path, clock: MovableClock, **settings: object) -> None:
        super().__init__()
        self.clock = clock
        self.storage = BotStorage(backend="local", data_dir=data_dir)
        self.settings = Settings(
            _env_file=None,  # type: ignore[call-arg]  # a developer's .env must not change a test
            microsoft_app_id="",
            allow_unauthenticated=True,
            storage_backend="local",
            data_dir=data_dir,
            directory_file=directory_file,
            evidence_allowed_hosts=["127.0.0.1"],
            evidence_allow_http=True,
            outbox_interval_seconds=FAST_ROUNDS_SECONDS,
            scheduler_interval_seconds=FAST_ROUNDS_SECONDS,
            **settings,
        )

    def build_app(self) -> web.Application:
        return create_app(self.settings, self.clock)

    @property
    def url(self) -> str:
        return self.base_url
