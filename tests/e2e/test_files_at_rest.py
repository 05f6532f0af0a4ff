"""Files at rest through the real bot (`python app.py`) started under the usual umask 022: after a report with
evidence and a case package waiting for its leader, every folder it made is 0700 and every file 0600 (SQLite's
-wal and -shm included, and the package signing key it made); a data folder others may enter, or a signing key
it cannot use, makes it refuse to start, saying what to fix."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tests.e2e.consent_steps import consent_cards
from tests.e2e.leader_steps import report_case
from tests.support.bot_process import BotProcess, BotStartError, BotStorage
from tests.support.connector_stub import ConnectorStub
from tests.support.organisation import Organisation
from tests.support.teams import TeamsUser
from tests.support.umask import process_umask

SMS = "SMS fra 22 33 44 55: Jeg ved hvor du bor."


@pytest.mark.usefixtures("loose_umask")
def test_everything_the_bot_stores_is_private_under_umask_022(
    tmp_path: Path, organisation: Organisation, connector: ConnectorStub
) -> None:
    data = tmp_path / "bot" / "data"  # made by the bot itself
    storage = BotStorage(backend="local", data_dir=data)
    directory = organisation.write(tmp_path / "directory.json")
    with BotProcess(storage.env(DIRECTORY_FILE=str(directory)), workdir=tmp_path / "bot") as process:
        assert process.pid is not None and process_umask(process.pid) == 0o077
        reported = report_case(
            organisation, lambda **details: TeamsUser(process.url, connector, **details), connector, pasted_sms=SMS
        )
        status, _ = reported.leader.execute("package", {"case_id": reported.case_id, "version": reported.version})
        assert status == 200 and consent_cards(reported.leader.last_turn or [])  # the ZIP waits in packages/

        made = {path.relative_to(data).as_posix(): path for path in [data, *data.rglob("*")]}
        names = set(made)
        assert {"documents.sqlite3", "documents.sqlite3-wal", "documents.sqlite3-shm"} <= names
        assert any(name.startswith("evidence/") and name.endswith(".json") for name in names), names
        assert any(name.startswith("packages/") and name.endswith(".zip") for name in names), names
        assert {"package-signing-key.pem", "package-signing-key.pub.pem"} <= names
        modes = {name: stat.S_IMODE(path.stat().st_mode) for name, path in made.items()}
        expected = {name: 0o700 if path.is_dir() else 0o600 for name, path in made.items()}
        assert modes == expected


def test_a_data_folder_others_may_read_refuses_to_start_and_says_how_to_fix_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o755)
    process = BotProcess(BotStorage(backend="local", data_dir=data).env(), workdir=tmp_path / "bot")
    with pytest.raises(BotStartError):
        process.start()
    assert process.returncode == 2
    output = process.log_text()
    refusal = [json.loads(line) for line in output.splitlines() if "refusing to start" in line]
    assert len(refusal) == 1 and refusal[0]["level"] == "CRITICAL"
    assert f"chmod 700 {data}" in refusal[0]["message"] and "0755" in refusal[0]["message"]
    assert "Traceback" not in output
    assert list(data.iterdir()) == []  # nothing was opened or written there


def test_a_package_signing_key_that_cannot_be_used_refuses_to_start(tmp_path: Path) -> None:
    env = BotStorage(backend="local", data_dir=tmp_path / "data").env(PACKAGE_SIGNING_KEY="not a key")
    process = BotProcess(env, workdir=tmp_path / "bot")
    with pytest.raises(BotStartError):
        process.start()
    assert process.returncode == 2
    output = process.log_text()
    refusal = [json.loads(line) for line in output.splitlines() if "refusing to start" in line]
    assert len(refusal) == 1 and "PACKAGE_SIGNING_KEY is not an unencrypted PEM private key" in refusal[0]["message"]
    assert "Traceback" not in output
