"""Crash safety on local storage (SQLite and files): the bot is killed with SIGKILL at stratified random points
during a report, an evidence upload and a leader's action, and restarted on the same storage each time; nothing
may be lost or half-done (tests/e2e/crash_run.py says what is checked). The same run on Azure storage is in
test_crash_safety_azure.py, a file of its own so pytest-xdist can run the two at once."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from domain.evidence import EvidenceItem, EvidenceSource
from storage.local import LocalEvidenceStore
from tests.e2e.conftest import BotEnv
from tests.e2e.crash_run import crash_bot, kill_at_random_points
from tests.support.bot_process import RunningBot
from tests.support.connector_stub import ConnectorStub
from tests.support.file_server import FileServer
from tests.support.organisation import Organisation
from tests.support.teams import TeamsUser

pytestmark = pytest.mark.slow  # left out of the quick loop: pytest -m "not slow"


@pytest.fixture(scope="module")
def bot(bot_env: BotEnv, organisation: Organisation, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    with crash_bot(bot_env("local"), organisation, tmp_path_factory.mktemp("crash-bot")) as running:
        yield running


def test_kill_9_at_random_points_loses_nothing(
    bot: RunningBot,
    connector: ConnectorStub,
    file_server: FileServer,
    organisation: Organisation,
    new_user: Callable[..., TeamsUser],
) -> None:
    kill_at_random_points(bot, connector, file_server, organisation, new_user)


def test_local_evidence_ignores_the_temporary_metadata_a_crash_leaves(tmp_path: Path) -> None:
    """A kill inside LocalEvidenceWriter's commit can leave `.tmp-<uuid>-<id>.json` beside the evidence: empty
    (killed before its bytes were flushed) or a copy of the linked metadata (killed before the unlink). Neither
    may make the case's evidence unreadable or list an item twice."""

    async def scenario() -> list[EvidenceItem]:
        store = LocalEvidenceStore(tmp_path)
        item = EvidenceItem(
            evidence_id="e1",
            case_id="c1",
            sha256=hashlib.sha256(b"bevis").hexdigest(),
            size=5,
            content_type="text/plain",
            original_name="tekst-1.txt",
            received_at=datetime.now(UTC),
            uploaded_by="29:someone",
            source=EvidenceSource.PASTED_TEXT,
        )
        writer = store.open_writer("c1", "e1")
        await writer.write(b"bevis")
        await writer.commit(item)
        folder = tmp_path / "c1"
        (folder / ".tmp-0a1b2c-e2.json").write_bytes(b"")  # killed before the flush of a second commit
        (folder / ".tmp-3d4e5f-e1.json").write_bytes((folder / "e1.json").read_bytes())  # killed before the unlink
        return await store.list_items("c1")

    assert [item.evidence_id for item in asyncio.run(scenario())] == ["e1"]
