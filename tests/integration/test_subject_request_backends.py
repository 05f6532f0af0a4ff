"""A data subject export on both backends (local, Azure Blob on Azurite): the person is found in three cases and
nowhere else, the evidence comes out byte for byte under a signature that verifies, and each case's log records it."""

from __future__ import annotations

import zipfile
from pathlib import Path

from services.subject_requests import SubjectRefusal
from tests.support.backends import Backend
from tests.support.signing import verify
from tests.unit.test_subject_requests import ASKED, CASES, HANNE, TEXTS, World


async def test_the_export_finds_the_person_in_three_cases_and_nowhere_else(backend: Backend, tmp_path: Path) -> None:
    world = World(backend.documents, backend.evidence)
    await world.seed()

    built = await world.requests.export(HANNE, ASKED, TEXTS, "pkg-b", tmp_path / "pkg.zip", "req-b")

    assert not isinstance(built, SubjectRefusal)
    assert [case.case_id for case in built.manifest.cases] == ["as-employee", "as-witness", "as-offender"]
    assert verify(built.path).ok
    with zipfile.ZipFile(built.path) as archive:
        assert archive.read("cases/02-VK-2026-0002/evidence/01-vidne.png") == b"screenshot of the witness statement"
    for case in CASES:
        logged = [e for e in await world.audit.events(case.case_id) if e.action == "subject_export"]
        assert len(logged) == (1 if case.case_id.startswith("as-") else 0), case.case_id
