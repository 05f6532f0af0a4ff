"""Fixtures for end-to-end tests: the real bot over HTTP, a stub Bot Connector, a file host and Teams users."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.bot_process import BotProcess, BotStorage, RunningBot
from tests.support.connector_stub import ConnectorStub
from tests.support.file_server import FileServer
from tests.support.organisation import Organisation
from tests.support.teams import DEFAULT_TENANT_ID, TeamsUser

BotEnv = Callable[[str], BotStorage]


@pytest.fixture(scope="session")
def connector() -> Iterator[ConnectorStub]:
    """The Bot Connector stand-in every bot replies to (activities carry its url as serviceUrl)."""
    with ConnectorStub() as stub:
        yield stub


@pytest.fixture(scope="session")
def file_server() -> Iterator[FileServer]:
    """A SharePoint/OneDrive stand-in for evidence downloads (the bot may fetch from 127.0.0.1 over http)."""
    with FileServer() as server:
        yield server


@pytest.fixture(scope="session")
def bot_env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> BotEnv:
    """Build fresh storage for a backend: `bot_env("local").env(EVIDENCE_MAX_BYTES="1024")` -> env for BotProcess.

    "local" gets a new data dir; "azure" a new container prefix on the session's Azurite (started on first use).
    """

    def make(backend: str) -> BotStorage:
        data_dir = tmp_path_factory.mktemp(f"bot-{backend}")
        if backend == "local":
            return BotStorage(backend="local", data_dir=data_dir)
        if backend == "azure":
            emulator = request.getfixturevalue("azurite")
            prefix = f"e2e{uuid.uuid4().hex[:12]}"
            return BotStorage(
                backend="azure",
                data_dir=data_dir,
                connection_string=emulator.connection_string,
                container_prefix=prefix,
            )
        raise ValueError(f"unknown storage backend {backend!r}")

    return make


@pytest.fixture(scope="session")
def organisation(tmp_path_factory: pytest.TempPathFactory) -> Organisation:
    """The municipality every test bot knows (its directory file): units with leader, deputy, employees; HR."""
    return Organisation.create()


@pytest.fixture(scope="session", params=["local", pytest.param("azure", marks=pytest.mark.azurite)])
def bot(
    request: pytest.FixtureRequest,
    bot_env: BotEnv,
    organisation: Organisation,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningBot]:
    """The real bot (`python app.py`), one per storage backend for the session; tests get both backends. It serves
    the Teams users' tenant (TeamsUser's default) only."""
    storage = bot_env(request.param)
    workdir = tmp_path_factory.mktemp(f"bot-{request.param}-process")
    directory = organisation.write(workdir / "directory.json")
    env = storage.env(DIRECTORY_FILE=str(directory), ALLOWED_TENANT_IDS=DEFAULT_TENANT_ID)
    process = BotProcess(env, workdir=workdir)
    process.start()
    try:
        yield RunningBot(**vars(storage), process=process)
    finally:
        process.stop()


@pytest.fixture
def new_user(bot: RunningBot, connector: ConnectorStub) -> Callable[..., TeamsUser]:
    """Factory for more people in one test (e.g. an employee and their leader): `new_user(name="Leder")`."""

    def make(**details: Any) -> TeamsUser:
        bot.process.ensure_running()  # a test before may have stopped or killed it
        return TeamsUser(bot.url, connector, **details)

    return make


@pytest.fixture
def user(new_user: Callable[..., TeamsUser]) -> TeamsUser:
    """A fresh Teams user (unique ids and conversation) in a personal chat with the `bot`."""
    return new_user()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """On failure, attach the tail of the bot's output to the test report."""
    report = yield
    running = getattr(item, "funcargs", {}).get("bot")
    if report.failed and isinstance(running, RunningBot):
        report.sections.append(("bot output (tail)", running.process.log_tail()))
    return report
