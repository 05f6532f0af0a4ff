"""Files at rest: whatever the umask, the stores make folders 0700 and files 0600 (the SQLite database with its
-wal and -shm, evidence, its metadata, packages and plan PDFs), and a data folder others may enter is refused."""

from __future__ import annotations

import os
import stat
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from domain.evidence import EvidenceItem, EvidenceSource
from storage.local import CHUNK, LocalEvidenceStore
from storage.private_files import DataFolderExposed, check_data_folder, write_private
from storage.sqlite_documents import SqliteDocumentStore


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def modes_under(root: Path) -> dict[str, int]:
    """Every folder and file under root (root included) with its permission bits."""
    found = {".": mode(root)}
    for path in root.rglob("*"):
        found[path.relative_to(root).as_posix()] = mode(path)
    return found


def item(case_id: str, evidence_id: str, size: int) -> EvidenceItem:
    return EvidenceItem(
        evidence_id=evidence_id,
        case_id=case_id,
        sha256="0" * 64,
        size=size,
        content_type="image/png",
        original_name="shot.png",
        received_at=datetime(2026, 11, 26, 10, 0, tzinfo=UTC),
        uploaded_by="29:anne",
        source=EvidenceSource.TEAMS_FILE,
    )


async def pieces(data: bytes) -> AsyncIterator[bytes]:
    yield data


@pytest.mark.usefixtures("loose_umask")
async def test_the_sqlite_database_and_its_wal_and_shm_are_0600_in_a_0700_folder(tmp_path: Path) -> None:
    store = SqliteDocumentStore(tmp_path / "data" / "documents.sqlite3")
    try:
        await store.put("cases/a.json", b"{}")
        found = modes_under(tmp_path / "data")
        assert {"documents.sqlite3", "documents.sqlite3-wal", "documents.sqlite3-shm"} <= set(found)
        assert found == {".": 0o700, **{name: 0o600 for name in found if name != "."}}, found
    finally:
        await store.close()


@pytest.mark.usefixtures("loose_umask")
async def test_evidence_and_its_metadata_are_0600_in_0700_folders(tmp_path: Path) -> None:
    store = LocalEvidenceStore(tmp_path / "evidence")
    small, large = b"x" * 10, os.urandom(CHUNK + 10)  # committed in one call, and written behind the download
    for evidence_id, data in (("e1", small), ("e2", large), ("e3", b"")):
        writer = store.open_writer("case-1", evidence_id)
        await writer.write(data)
        await writer.commit(item("case-1", evidence_id, len(data)))
    found = modes_under(tmp_path / "evidence")
    assert {"case-1/e1", "case-1/e1.json", "case-1/e2", "case-1/e3.json"} <= set(found)
    assert found == {name: 0o700 if (tmp_path / "evidence" / name).is_dir() else 0o600 for name in found}, found
    assert found["."] == found["case-1"] == 0o700


@pytest.mark.usefixtures("loose_umask")
def test_a_written_file_is_0600_even_when_it_replaces_a_readable_one(tmp_path: Path) -> None:
    path = tmp_path / "plan-files" / "plan.pdf"
    path.parent.mkdir(mode=0o755)
    path.write_bytes(b"old")
    path.chmod(0o644)
    write_private(path, b"%PDF-new")
    assert path.read_bytes() == b"%PDF-new" and mode(path) == 0o600
    write_private(tmp_path / "new" / "plan.pdf", b"%PDF")
    assert mode(tmp_path / "new") == 0o700 and mode(tmp_path / "new" / "plan.pdf") == 0o600


@pytest.mark.usefixtures("loose_umask")
def test_a_missing_data_folder_is_created_0700(tmp_path: Path) -> None:
    check_data_folder(tmp_path / "fresh" / "data")
    assert mode(tmp_path / "fresh" / "data") == 0o700


@pytest.mark.parametrize("loose", [0o755, 0o750, 0o705, 0o701, 0o710, 0o702, 0o777])
def test_a_data_folder_others_may_read_or_enter_is_refused_with_the_fix(tmp_path: Path, loose: int) -> None:
    folder = tmp_path / "my data"
    folder.mkdir()
    folder.chmod(loose)
    with pytest.raises(DataFolderExposed) as refused:
        check_data_folder(folder)
    message = str(refused.value)
    assert f"chmod 700 '{folder}'" in message and f"{loose:04o}" in message
    folder.chmod(0o700)
    check_data_folder(folder)  # fixed as the message says: accepted
