"""Data subject requests on in-memory fakes: the person is found by object id or whole name (never a prefix, a first
name alone or a namesake with another id), in their tenant only; the export is one signed package of exactly those
cases, audited on each as an opening; only HR's legal function may ask; rectifications are appended notes (the
record's version untouched), HR or the case's leader only, with kind refusals for a bad text."""

from __future__ import annotations

import hashlib
import json
import logging
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from content import texts_for
from domain.access_log import Access, who_opened
from domain.authorization import Actor, rectification_role
from domain.case import Case, CaseStatus, Impact, Incident, Offender, Person, Witness
from domain.case_package import PackageKind, package_scope
from domain.evidence import EvidenceItem, EvidenceSource
from domain.handling import HrEscalation, HrFunction
from domain.subject_requests import (
    MAX_RECTIFICATIONS,
    DataSubject,
    FoundAs,
    data_subject,
    found_as,
    normalised_name,
    rectification_text,
)
from services.case_packages import CasePackageService
from services.logging_setup import JsonFormatter
from services.subject_requests import SubjectRefusal, SubjectRequests
from storage.audit import AuditLog
from storage.cases import CaseRepository
from storage.ports import DocumentStore, EvidenceStore
from tests.support.clock import MovableClock
from tests.support.fakes import InMemoryDocumentStore, InMemoryEvidenceStore
from tests.support.signing import TEST_SIGNER, verify
from tests.support.summary_pdf import flat, text_of

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
TENANT = "tenant-1"
TEXTS = texts_for("da", "89 70 12 99")
JENS = Person(user_id="29:jens", name="Jens Hansen", aad_object_id="aad-jens")
NAMESAKE = Person(user_id="29:jens2", name="Jens Hansen", aad_object_id="aad-jens-2")  # another Jens Hansen
METTE = Person(user_id="29:mette", name="Mette Hansen", aad_object_id="aad-mette")
KAREN = Person(user_id="29:karen", name="Karen Leder", aad_object_id="aad-karen")
HANNE = Actor(Person(user_id="aad:aad-hanne", name="Hanne Jura", aad_object_id="aad-hanne"), True, TENANT,
              HrFunction.JURA)  # fmt: skip
HELLE = Actor(Person(user_id="aad:aad-helle", name="Helle AMK", aad_object_id="aad-helle"), True, TENANT,
              HrFunction.WORK_ENVIRONMENT_COORDINATOR, hr_intake=True)  # fmt: skip
ASKED = DataSubject("Jens Hansen", "aad-jens")


def a_case(case_id: str, hours: int, subject: Person = METTE, tenant: str = TENANT, **incident: object) -> Case:
    return Case(
        case_id=case_id,
        reference=f"VK-2026-{hours:04d}",
        status=CaseStatus.REPORTED,
        subject=subject,
        reporter=subject,
        incident=Incident(**{"description": "Han skrev grimme ting", **incident}),  # type: ignore[arg-type]
        created_at=NOW + timedelta(hours=hours),
        tenant_id=tenant,
        unit="Borgerservice",
        unit_id="unit-1",
        leader=KAREN,
    )


CASES = [
    a_case("as-employee", 1, subject=JENS),
    a_case("as-witness", 2, witnesses=[Witness(name="jens   HANSEN", phone="12345678")]),
    a_case("as-offender", 3, offender=Offender(name="Jens-Hansen")),
    # nowhere else:
    a_case("namesake-employee", 4, subject=NAMESAKE),
    a_case("longer-name", 5, offender=Offender(name="Jens Hansensen")),
    a_case("first-name-only", 6, offender=Offender(name="Jens"), witnesses=[Witness(name="Hansen")]),
    a_case("possessive", 7, description="Det var Jens Hansens søn, der skrev"),
    a_case("other-tenant", 8, tenant="tenant-2", offender=Offender(name="Jens Hansen")),
]


class World:
    """The cases above on a document and evidence store (in memory unless given: tests/integration gives both
    backends)."""

    def __init__(self, documents: DocumentStore | None = None, evidence: EvidenceStore | None = None) -> None:
        self.documents = documents or InMemoryDocumentStore()
        self.evidence = evidence or InMemoryEvidenceStore()
        self.clock = MovableClock(NOW + timedelta(days=1))
        self.cases = CaseRepository(self.documents)
        self.audit = AuditLog(self.documents)
        self.requests = SubjectRequests(self.cases, self.evidence, self.audit, self.clock, TEST_SIGNER)

    async def seed(self) -> None:
        for case in CASES:
            await self.cases.create(case)
        data = b"screenshot of the witness statement"
        writer = self.evidence.open_writer("as-witness", "e1")
        await writer.write(data)
        await writer.commit(
            EvidenceItem(
                evidence_id="e1",
                case_id="as-witness",
                sha256=hashlib.sha256(data).hexdigest(),
                size=len(data),
                content_type="image/png",
                original_name="vidne.png",
                received_at=NOW,
                uploaded_by=METTE.user_id,
                source=EvidenceSource.INLINE_IMAGE,
            )
        )


@pytest.fixture
async def world() -> World:
    made = World()
    await made.seed()
    return made


def test_names_compare_whole_after_folding_case_spaces_hyphens_and_danish_letters() -> None:
    assert normalised_name("  Søren-Ågård  ÆBLE ") == normalised_name("soeren aagaard aeble") == "soeren aagaard aeble"
    assert normalised_name("José Müller") == "jose muller"
    assert normalised_name("José") == "jose"
    subject = DataSubject("Jens Hansen")
    assert found_as(a_case("x", 1, offender=Offender(name="JENS  HANSEN")), subject) == {FoundAs.OFFENDER}
    assert not found_as(a_case("x", 1, offender=Offender(name="Jens Hansensen")), subject)
    assert not found_as(a_case("x", 1, offender=Offender(name="Jens")), subject)
    assert found_as(a_case("x", 1, impact=Impact(score=3, text="jeg er bange for jens hansen")), subject) == {
        FoundAs.DESCRIPTION
    }
    assert not found_as(a_case("x", 1, description="Jens skrev igen"), DataSubject("Jens"))  # one word: never text


def test_a_request_names_a_person_or_is_refused() -> None:
    assert data_subject("  Jens   Hansen ", "aad-jens") == DataSubject("Jens Hansen", "aad-jens")
    assert data_subject("Jens Hansen", "") == DataSubject("Jens Hansen")
    for name, oid in (("", None), (" ", None), ("J", None), ("x" * 201, None), (7, None), ("Jens", "a/b"), ("Jens", 3)):
        assert data_subject(name, oid) is None, (name, oid)


async def test_the_export_finds_the_person_in_three_cases_and_nowhere_else(world: World, tmp_path: Path) -> None:
    built = await world.requests.export(HANNE, ASKED, TEXTS, "pkg-1", tmp_path / "pkg-1.zip", "req-1")

    assert not isinstance(built, SubjectRefusal)
    listed = [(case.case_id, case.found_as) for case in built.manifest.cases]
    assert listed == [("as-employee", ["employee"]), ("as-witness", ["witness"]), ("as-offender", ["offender"])]
    assert verify(built.path).ok, verify(built.path).problems  # signed as a case package is
    with zipfile.ZipFile(built.path) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
        evidence = archive.read("cases/02-VK-2026-0002/evidence/01-vidne.png")
    assert manifest["kind"] == "subject_access" and manifest["subject"]["aad_object_id"] == "aad-jens"
    assert [name for name in names if name.endswith("summary.pdf")] == [
        f"cases/0{n}-VK-2026-000{n}/summary.pdf" for n in (1, 2, 3)
    ]
    assert evidence == b"screenshot of the witness statement"
    for case in CASES:
        exported = [e for e in await world.audit.events(case.case_id) if e.action == "subject_export"]
        assert len(exported) == (1 if case.case_id.startswith("as-") else 0), case.case_id
    seen = who_opened(await world.audit.events("as-witness"), METTE)
    assert [(entry.name, entry.role, entry.access) for entry in seen] == [("Hanne Jura", "hr", Access.PACKAGE)]
    requests = [e for e in await world.audit.overview_read_events() if e.action == "subject_request"]
    assert requests[0].detail == "package=pkg-1 cases=as-employee as-witness as-offender"


async def test_without_an_object_id_every_employee_of_that_name_is_found(world: World, tmp_path: Path) -> None:
    matches = await world.requests.find(HANNE, DataSubject("jens hansen"))
    assert [match.case.case_id for match in matches] == [
        "as-employee",
        "as-witness",
        "as-offender",
        "namesake-employee",
    ]


async def test_only_hrs_legal_function_exports_and_a_refusal_is_recorded(world: World, tmp_path: Path) -> None:
    for actor in (HELLE, Actor(KAREN, tenant_id=TENANT), Actor(JENS, tenant_id=TENANT)):
        refused = await world.requests.export(actor, ASKED, TEXTS, "pkg-2", tmp_path / "pkg-2.zip", "req-2")
        assert refused is SubjectRefusal.NOT_ALLOWED
    assert not (tmp_path / "pkg-2.zip").exists()
    refusals = [e for e in await world.audit.unknown_case_events() if e.action == "refused"]
    assert {e.actor_aad_object_id for e in refusals} == {"aad-helle", "aad-karen", "aad-jens"}


async def test_nobody_found_is_a_signed_package_that_says_so(world: World, tmp_path: Path) -> None:
    built = await world.requests.export(HANNE, DataSubject("Ingen Kendt"), TEXTS, "pkg-3", tmp_path / "p.zip", "r")
    assert not isinstance(built, SubjectRefusal) and built.manifest.cases == [] and verify(built.path).ok


async def test_a_rectification_is_an_appended_audited_note_and_goes_into_packages(world: World, tmp_path: Path) -> None:
    before = (await world.cases.get("as-offender")).case  # type: ignore[union-attr]
    note = await world.requests.rectify(
        Actor(KAREN, tenant_id=TENANT), "as-offender", "  Krænkeren hed Jens\nHansen, ikke Jensen ", "r1"
    )

    assert note is not None and not isinstance(note, SubjectRefusal)
    assert note.text == "Krænkeren hed Jens\nHansen, ikke Jensen" and note.role == "leader"
    after = (await world.cases.get("as-offender")).case  # type: ignore[union-attr]
    assert after.rectifications == [note] and after.version == before.version
    assert after.model_copy(update={"rectifications": []}) == before  # nothing else changed
    events = [e for e in await world.audit.events("as-offender") if e.action == "rectification"]
    assert [(e.actor_aad_object_id, e.role, e.detail) for e in events] == [
        ("aad-karen", "leader", "rectification=1 chars=38")
    ]
    hr_note = await world.requests.rectify(HANNE, "as-offender", "Berigtiget efter anmodning af 1. marts", "r2")
    assert not isinstance(hr_note, SubjectRefusal) and hr_note is not None and hr_note.role == "hr"

    packages = CasePackageService(world.cases, world.evidence, world.audit, world.clock, TEST_SIGNER)
    karen = Actor(KAREN, tenant_id=TENANT)
    for kind in (PackageKind.FULL, PackageKind.POLICE):
        scope = package_scope(after, karen, kind)
        built = await packages.build(after, karen, scope, TEXTS, f"pkg-{kind.value}", tmp_path / f"{kind.value}.zip")
        assert not isinstance(built, str)
        with zipfile.ZipFile(built.path) as archive:
            (tmp_path / "summary.pdf").write_bytes(archive.read("summary.pdf"))
        text = flat(text_of(tmp_path / "summary.pdf"))
        assert flat("Rettelser") in text and flat("Hansen, ikke Jensen") in text, kind


async def test_a_rectification_needs_a_text_and_a_role(world: World) -> None:
    karen = Actor(KAREN, tenant_id=TENANT)
    for text in (None, 7, "", "   kort  ", "x" * 2001):
        assert await world.requests.rectify(karen, "as-offender", text, "r") is SubjectRefusal.NO_TEXT, text
    text = "Navnet på vidnet er forkert stavet"
    for actor, case_id in (
        (Actor(METTE, tenant_id=TENANT), "as-offender"),  # the employee asks; leadership records it
        (HELLE, "as-offender"),  # HR the case never reached
        (karen, "no-such-case"),
        (karen, "../../etc"),
        (HANNE, "other-tenant"),
    ):
        assert await world.requests.rectify(actor, case_id, text, "r") is None, (actor.person.name, case_id)
    assert not (await world.cases.get("as-offender")).case.rectifications  # type: ignore[union-attr]
    escalated = CASES[2].model_copy(deep=True)
    escalated.handling.hr_escalation = HrEscalation(by=KAREN.user_id, at=NOW, function=None)
    assert rectification_role(escalated, HELLE) is not None  # the HR function it reached may


async def test_a_case_holds_a_bounded_number_of_rectifications(world: World) -> None:
    karen = Actor(KAREN, tenant_id=TENANT)
    for number in range(MAX_RECTIFICATIONS):
        assert not isinstance(
            await world.requests.rectify(karen, "as-witness", f"Rettelse nummer {number}", "r"), SubjectRefusal
        )
    assert await world.requests.rectify(karen, "as-witness", "Endnu en rettelse", "r") is SubjectRefusal.TOO_MANY
    assert (
        rectification_text("  a\n  b  c  ") is None
        and rectification_text("Linje et\n  linje  to") == "Linje et\nlinje to"
    )


async def test_evidence_that_no_longer_matches_its_record_refuses_the_whole_export(
    world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    writer = world.evidence.open_writer("as-offender", "e2")
    await writer.write(b"changed bytes")
    await writer.commit(
        EvidenceItem(
            evidence_id="e2",
            case_id="as-offender",
            sha256=hashlib.sha256(b"the bytes that arrived").hexdigest(),
            size=13,
            content_type="image/png",
            original_name="krænker.png",
            received_at=NOW,
            uploaded_by=METTE.user_id,
            source=EvidenceSource.INLINE_IMAGE,
        )
    )

    refused = await world.requests.export(HANNE, ASKED, TEXTS, "pkg-4", tmp_path / "pkg-4.zip", "req-4")

    assert refused is SubjectRefusal.INTEGRITY and not list(tmp_path.iterdir())
    lines = [JsonFormatter().format(record) for record in caplog.records]
    assert [line for line in lines if "does not match its record" in line and "e2" in line]
    assert not [line for line in lines if "krænker.png" in line]  # a file's name may name a person
    assert not [e for e in await world.audit.events("as-employee") if e.action == "subject_export"]
