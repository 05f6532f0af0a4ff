"""Crash safety on Azure storage (Azurite): the run of tests/e2e/crash_run.py, the bot killed with SIGKILL at
stratified random points and restarted on the same containers each time; nothing may be lost or half-done. A file
of its own (the local run is in test_crash_safety.py) so pytest-xdist can run the two at once."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.e2e.conftest import BotEnv
from tests.e2e.crash_run import crash_bot, kill_at_random_points
from tests.support.bot_process import RunningBot
from tests.support.connector_stub import ConnectorStub
from tests.support.file_server import FileServer
from tests.support.organisation import Organisation
from tests.support.teams import TeamsUser

pytestmark = [pytest.mark.slow, pytest.mark.azurite]


@pytest.fixture(scope="module")
def bot(bot_env: BotEnv, organisation: Organisation, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    with crash_bot(bot_env("azure"), organisation, tmp_path_factory.mktemp("crash-bot")) as running:
        yield running


def test_kill_9_at_random_points_loses_nothing(
    bot: RunningBot,
    connector: ConnectorStub,
    file_server: FileServer,
    organisation: Organisation,
    new_user: Callable[..., TeamsUser],
) -> None:
    kill_at_random_points(bot, connector, file_server, organisation, new_user)
