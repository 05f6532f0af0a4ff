"""The case package's rules: who may have which kind, what a police package leaves out, file names in the zip,
manifest and SHA256SUMS, and who may take an offered package."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.case_packages import PackageCommand, is_package_action, package_command
from cards.case_package import choose_case_card, package_button
from cards.validation import teams_card_problems
from content import texts_for
from domain.audit import AuditEvent
from domain.authorization import Actor, Role
from domain.case import CaseStatus, Person
from domain.case_package import (
    MANIFEST_NAME,
    ManifestSigner,
    PackageKind,
    PackageNotAllowed,
    PackageOffer,
    TimelineEvent,
    allowed_kinds,
    evidence_manifest_file,
    evidence_path,
    generated_manifest_file,
    new_manifest,
    package_contents,
    package_file_name,
    package_scope,
    safe_file_name,
    sha256sums_for,
    sha256sums_text,
)
from domain.evidence import MAX_NAME_CHARS, EvidenceItem, EvidenceSource
from domain.file_offer import OfferRefusal, OfferStatus, offer_refusal
from domain.handling import HrEscalation, HrFunction, Signed
from domain.reporting import MAX_FREE_TEXT
from exports.case_summary_pdf import printable, render_case_summary, wrap_lines
from tests.support.case_samples import (
    CASE_ID,
    CLOSING_NOTE,
    COLLEAGUE,
    DEPUTY,
    EMPLOYEE,
    HR,
    JOURNAL_NUMBER,
    LEADER,
    LEADER_NOTES,
    REPORTED_AT,
    STRANGER,
    TENANT,
    filler,
    free_texts,
    full_case,
    longest_case,
    longest_link,
)
from tests.support.summary_pdf import flat, flows_in, layout_problems, page_count, text_of
from tests.support.teams import card_elements

NOW = REPORTED_AT + timedelta(days=3)
TEXTS = texts_for("da", "89 70 12 99")


def actor(
    person: Person, *, hr: bool = False, tenant: str | None = TENANT, function: HrFunction = HrFunction.JURA
) -> Actor:
    """HR actors belong to `function` (the sample case is escalated to Jura)."""
    return Actor(person, is_hr=hr, tenant_id=tenant, hr_function=function if hr else None)


def item(
    number: int, uploaded_by: str, name: str = "skærmbillede.png", content_type: str = "image/png"
) -> EvidenceItem:
    data = f"evidence {number}".encode()
    return EvidenceItem(
        evidence_id=f"{number:032x}",
        case_id=CASE_ID,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        content_type=content_type,
        original_name=name,
        received_at=REPORTED_AT + timedelta(minutes=10 - number),
        uploaded_by=uploaded_by,
        source=EvidenceSource.TEAMS_FILE,
    )


def audit_event(action: str) -> AuditEvent:
    return AuditEvent(case_id=CASE_ID, at=REPORTED_AT, actor_id=LEADER.user_id, role="leader", action=action)


def contents_for(person: Person, kind: PackageKind, *, reporter: Person = EMPLOYEE, hr: bool = False):
    case = full_case(reporter=reporter)
    scope = package_scope(case, actor(person, hr=hr), kind)
    evidence = [item(1, EMPLOYEE.user_id), item(2, COLLEAGUE.user_id), item(3, reporter.user_id)]
    return package_contents(
        case, evidence, [audit_event("evidence_read")], scope, requested_by=person, generated_at=NOW
    )


# --- who may ask for which kind --------------------------------------------------------------------------------


@pytest.mark.parametrize("person", [LEADER, DEPUTY], ids=["leader", "deputy"])
def test_leader_and_deputy_may_have_the_full_package_and_the_police_package(person: Person) -> None:
    case = full_case()
    assert allowed_kinds(case, actor(person)) == {PackageKind.FULL, PackageKind.POLICE}
    scope = package_scope(case, actor(person), PackageKind.FULL)
    assert scope.leader_notes and scope.audit and scope.internal_handling and scope.evidence_of is None


def test_hr_may_have_the_full_package_only_once_the_case_is_escalated_to_them() -> None:
    case = full_case()
    assert allowed_kinds(case, actor(HR, hr=True)) == {PackageKind.FULL, PackageKind.POLICE}
    assert package_scope(case, actor(HR, hr=True), PackageKind.FULL).role is Role.HR
    assert allowed_kinds(case, actor(HR, hr=True, tenant="another-tenant")) == set()
    not_escalated = case.model_copy(deep=True)
    not_escalated.handling.hr_escalation = None
    assert allowed_kinds(not_escalated, actor(HR, hr=True)) == set()


def test_the_employee_may_have_the_police_package_but_never_the_full_one() -> None:
    case = full_case()
    assert allowed_kinds(case, actor(EMPLOYEE)) == {PackageKind.POLICE}
    with pytest.raises(PackageNotAllowed):
        package_scope(case, actor(EMPLOYEE), PackageKind.FULL)
    scope = package_scope(case, actor(EMPLOYEE), PackageKind.POLICE)
    assert scope.role is Role.SUBJECT
    assert not scope.leader_notes and not scope.audit and not scope.internal_handling
    assert scope.police_and_safetynet and scope.evidence_of is None


def test_a_colleague_who_reported_for_the_employee_gets_only_their_own_share() -> None:
    case = full_case(reporter=COLLEAGUE)
    assert allowed_kinds(case, actor(COLLEAGUE)) == {PackageKind.POLICE}
    scope = package_scope(case, actor(COLLEAGUE), PackageKind.POLICE)
    assert scope.role is Role.REPORTER and scope.evidence_of == COLLEAGUE.user_id
    contents = contents_for(COLLEAGUE, PackageKind.POLICE, reporter=COLLEAGUE)
    assert {e.uploaded_by for e in contents.evidence} == {COLLEAGUE.user_id}
    assert contents.case.handling.police is None and contents.case.handling.safetynet is None
    assert contents.case.handling.first_aid.talked_through_on is None


def test_a_stranger_gets_nothing_and_a_draft_gives_no_package_to_anyone() -> None:
    case = full_case()
    assert allowed_kinds(case, actor(STRANGER)) == set()
    with pytest.raises(PackageNotAllowed):
        package_scope(case, actor(STRANGER), PackageKind.POLICE)
    draft = full_case(status=CaseStatus.DRAFT)
    for person in (EMPLOYEE, LEADER):
        assert allowed_kinds(draft, actor(person)) == set()


# --- what the police package leaves out ------------------------------------------------------------------------


def test_police_package_contents_hold_none_of_leaderships_notes_nor_the_audit_log() -> None:
    contents = contents_for(EMPLOYEE, PackageKind.POLICE)
    dumped = contents.case.model_dump_json()
    for marker in LEADER_NOTES:
        assert marker not in dumped, marker
    handling = contents.case.handling
    assert handling.hr_escalation is None and handling.work_environment is None
    assert handling.police is not None and handling.police.journal_number == JOURNAL_NUMBER
    assert handling.restrictions is not None and handling.removals
    assert contents.audit == ()
    events = {entry.event for entry in contents.timeline}
    assert TimelineEvent.HR_ESCALATION not in events and TimelineEvent.WORK_ENVIRONMENT not in events
    assert TimelineEvent.OFFENDER_CONTACTED in events and TimelineEvent.CLOSED in events


def test_the_original_case_keeps_its_notes_when_a_package_is_cut() -> None:
    case = full_case()
    package_contents(
        case, [], [], package_scope(case, actor(EMPLOYEE), PackageKind.POLICE), requested_by=EMPLOYEE, generated_at=NOW
    )
    assert CLOSING_NOTE in case.model_dump_json()


def test_full_package_contents_keep_every_note_and_the_audit_log() -> None:
    contents = contents_for(LEADER, PackageKind.FULL)
    dumped = contents.case.model_dump_json()
    for marker in LEADER_NOTES:
        assert marker in dumped, marker
    assert [event.action for event in contents.audit] == ["evidence_read"]
    assert len(contents.evidence) == 3


def test_a_leader_asking_for_the_police_package_gets_the_employees_cut() -> None:
    contents = contents_for(LEADER, PackageKind.POLICE)
    for marker in LEADER_NOTES:
        assert marker not in contents.case.model_dump_json()
    assert contents.audit == ()


def test_timeline_is_in_time_order_and_starts_with_the_report() -> None:
    entries = contents_for(LEADER, PackageKind.FULL).timeline
    assert entries[0].event is TimelineEvent.REPORTED
    assert [entry.at for entry in entries] == sorted(entry.at for entry in entries)
    assert len(entries) == 14  # closed once and reopened before the last closing; sent to the group, its analysis


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (Debian poppler-utils) is not installed")
@pytest.mark.parametrize("language", ["da", "en"])
def test_police_summary_pdf_shows_the_incident_but_no_leader_note(tmp_path: Path, language: str) -> None:
    texts = texts_for(language, "89 70 12 99")
    police = _pdf_text(tmp_path / "police.pdf", render_case_summary(contents_for(EMPLOYEE, PackageKind.POLICE), texts))
    full = _pdf_text(tmp_path / "full.pdf", render_case_summary(contents_for(LEADER, PackageKind.FULL), texts))
    for marker in LEADER_NOTES:
        assert marker not in police, marker
        assert marker in full, marker
    for text in (police, full):
        assert "VK-2026-0042" in text and JOURNAL_NUMBER in text
        assert "Blåbærgrød-MARKER-1199" in text and "Søren Østergaard" in text
        assert "Łukasz Şahin-Đorđević" in text
        assert "89 70 12 99" in text


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (Debian poppler-utils) is not installed")
@pytest.mark.parametrize("language", ["da", "en"])
def test_the_employees_request_to_reopen_is_on_the_timeline(tmp_path: Path, language: str) -> None:
    texts = texts_for(language, "89 70 12 99")
    case = full_case()
    asked = Signed(by=EMPLOYEE.user_id, by_name=EMPLOYEE.name, at=case.handling.closure.at + timedelta(days=3))
    case.handling.reopen_requests.append(asked)
    scope = package_scope(case, actor(LEADER), PackageKind.FULL)
    contents = package_contents(case, [], [], scope, requested_by=LEADER, generated_at=NOW)
    [entry] = [entry for entry in contents.timeline if entry.event is TimelineEvent.REOPEN_ASKED]
    assert (entry.at, entry.by_name) == (asked.at, EMPLOYEE.name)
    text = flat(_pdf_text(tmp_path / "full.pdf", render_case_summary(contents, texts)))
    assert flat(texts("package_timeline.reopen_asked")) in text


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (Debian poppler-utils) is not installed")
@pytest.mark.parametrize("language", ["da", "en"])
def test_summary_pdf_shows_an_escalation_by_vaern_itself_with_its_reason(tmp_path: Path, language: str) -> None:
    texts = texts_for(language, "89 70 12 99")
    case = full_case()
    at = datetime(2026, 11, 21, tzinfo=UTC)
    case.handling.hr_escalation = HrEscalation(by="vaern", by_name="Værn", at=at, automatic_reason="ack_overdue")
    scope = package_scope(case, actor(LEADER), PackageKind.FULL)
    contents = package_contents(case, [], [], scope, requested_by=LEADER, generated_at=NOW)
    text = " ".join(_pdf_text(tmp_path / "full.pdf", render_case_summary(contents, texts)).split())
    expected = texts("package_timeline.hr_escalation_automatic", reason=texts("hr.reason_ack_overdue"))
    assert " ".join(expected.split()[:4]) in text


def _pdf_text(path: Path, pdf: bytes) -> str:
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    ).stdout.decode()


def test_characters_the_font_lacks_are_written_as_code_points_not_dropped() -> None:
    assert printable("Blåbær æøå ÆØÅ Łukasz") == "Blåbær æøå ÆØÅ Łukasz"
    assert printable("ok ✅") == "ok [U+2705]"
    assert printable("a\x00b\x07c\r\nd") == "abc\nd"


# --- long texts flow over pages ---------------------------------------------------------------------------------


def test_lines_break_at_spaces_keep_line_breaks_and_break_a_word_wider_than_a_line() -> None:
    assert wrap_lines("aaa bbb ccc", 7, len) == ["aaa bbb", "ccc"]
    assert wrap_lines("a\n\n  b  ", 5, len) == ["a", "", "  b"]
    assert wrap_lines("https://x.dk/abc/defghij", 10, len) == ["https://", "x.dk/abc/", "defghij"]
    assert wrap_lines("see " + "x" * 25, 10, len) == ["see", "x" * 10, "x" * 10, "x" * 5]
    assert wrap_lines("", 10, len) == [""]


def test_wrapped_lines_fit_and_keep_every_character_of_the_longest_texts() -> None:
    for name, text in free_texts(longest_case()).items():
        lines = wrap_lines(text, 60, len)
        assert max(len(line) for line in lines) <= 60, name
        assert "".join("".join(lines).split()) == "".join(text.split()), name


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (Debian poppler-utils) is not installed")
@pytest.mark.parametrize("kind", [PackageKind.FULL, PackageKind.POLICE])
def test_a_case_with_every_free_text_at_its_longest_flows_over_pages(tmp_path: Path, kind: PackageKind) -> None:
    person = LEADER if kind is PackageKind.FULL else EMPLOYEE
    case = longest_case()
    long_name = filler("FILENAME", MAX_NAME_CHARS - 4, lines=False) + ".png"
    evidence = [item(1, EMPLOYEE.user_id, long_name), item(2, EMPLOYEE.user_id, "tekst-1.txt", "text/plain")]
    scope = package_scope(case, actor(person), kind)
    contents = package_contents(
        case, evidence, [audit_event("evidence_read")], scope, requested_by=person, generated_at=NOW
    )
    path = tmp_path / "summary.pdf"
    path.write_bytes(render_case_summary(contents, TEXTS))

    assert page_count(path) > 20
    document = flat(text_of(path))
    shown = free_texts(contents.case) | {"file name": long_name}
    for name, text in shown.items():
        parts = flows_in(document, text)
        assert parts is not None, f"{name} is not all in the PDF"
        assert parts <= 2 + len(text) // 1000, f"{name} is in {parts} parts"  # broken only where a page is
    for marker in LEADER_NOTES:
        assert (marker in document) is (kind is PackageKind.FULL), marker
    assert "[U+1F469]" in document and "Rødgrødmedfløde" in document
    assert layout_problems(path) == []


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (Debian poppler-utils) is not installed")
def test_a_row_split_over_pages_loses_and_repeats_no_line(tmp_path: Path) -> None:
    case = full_case()
    case.incident.description = "\n".join(f"D{number:03d}" for number in range(1, 801))  # 3,999 characters
    case.handling.closure = case.handling.closure.model_copy(
        update={"reason": "\n".join(f"R{number:03d}" for number in range(1, 401))}  # 1,999 characters
    )
    contents = package_contents(
        case, [], [], package_scope(case, actor(LEADER), PackageKind.FULL), requested_by=LEADER, generated_at=NOW
    )
    path = tmp_path / "summary.pdf"
    path.write_bytes(render_case_summary(contents, TEXTS))
    text = text_of(path)
    assert re.findall(r"\bD\d{3}\b", text) == [f"D{number:03d}" for number in range(1, 801)]
    assert re.findall(r"\bR\d{3}\b", text) == [f"R{number:03d}" for number in range(1, 401)]
    assert text.count(TEXTS("package_pdf.continued", text=TEXTS("summary.description"))) >= 3
    assert layout_problems(path) == []


@pytest.mark.parametrize(
    "description",
    [
        "ord " * 850,  # ~3,400 characters
        "\n".join(f"linje {number}" for number in range(1, 52)),  # 51 short pasted lines
        "Ø\n" * 2000,  # the most lines 4,000 characters make
        "x" * MAX_FREE_TEXT,  # one word
        "😟" * MAX_FREE_TEXT,  # a character the font lacks, written as [U+1F61F]
    ],
    ids=["3400-characters", "51-lines", "2000-lines", "one-word", "emoji"],
)
def test_a_long_description_never_stops_the_summary(description: str) -> None:
    case = full_case()
    case.incident.description = description
    case.incident.links = [longest_link(number) for number in range(1, 21)]
    contents = package_contents(
        case, [], [], package_scope(case, actor(EMPLOYEE), PackageKind.POLICE), requested_by=EMPLOYEE, generated_at=NOW
    )
    assert render_case_summary(contents, TEXTS).startswith(b"%PDF-")


# --- names in the zip --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("original", "content_type", "expected"),
    [
        ("Skærmbillede 2026-11-20 kl. 09.png", "image/png", "Skærmbillede_2026-11-20_kl._09.png"),
        ("../../etc/passwd", "text/plain", "passwd.txt"),
        ("C:\\Users\\me\\Desktop\\sms.TXT", "text/plain", "sms.txt"),
        ("line\nbreak  and\ttab.jpg", "image/jpeg", "line_break_and_tab.jpg"),
        ("", "image/png", "evidence.png"),
        ("...", "application/pdf", "evidence.pdf"),
        ("voicemail", "audio/mpeg", "voicemail.mp3"),
        ("x" * 300 + ".png", "image/png", "x" * 80 + ".png"),
    ],
)
def test_evidence_names_are_safe_and_keep_the_extension(original: str, content_type: str, expected: str) -> None:
    assert safe_file_name(original, content_type) == expected


def test_evidence_paths_are_numbered_in_arrival_order_and_unique() -> None:
    first = item(1, EMPLOYEE.user_id, "a.png")
    assert evidence_path(1, 3, first) == "evidence/01-a.png"
    assert evidence_path(7, 120, first) == "evidence/007-a.png"
    contents = contents_for(LEADER, PackageKind.FULL)
    paths = contents.evidence_paths()
    assert len(set(paths)) == len(paths) == 3
    assert [e.received_at for e in contents.evidence] == sorted(e.received_at for e in contents.evidence)


def test_package_file_names_follow_the_language() -> None:
    assert package_file_name("VK-2026-0042", PackageKind.FULL, "da") == "Sagspakke-VK-2026-0042.zip"
    assert package_file_name("VK-2026-0042", PackageKind.POLICE, "da") == "Politipakke-VK-2026-0042.zip"
    assert package_file_name("VK-2026-0042", PackageKind.POLICE, "en") == "Police-package-VK-2026-0042.zip"


# --- manifest and SHA256SUMS --------------------------------------------------------------------------------------

SIGNER = ManifestSigner(organisation="Silkeborg Kommune", public_key_sha256="c" * 64)


def test_manifest_lists_hash_size_type_receive_time_and_uploader_of_every_file() -> None:
    contents = contents_for(LEADER, PackageKind.FULL)
    files = [
        evidence_manifest_file(contents, e, p)
        for e, p in zip(contents.evidence, contents.evidence_paths(), strict=True)
    ]
    files.insert(0, generated_manifest_file("summary.pdf", "0" * 64, 10, "application/pdf", NOW))
    manifest = new_manifest(contents, files, SIGNER)
    data = json.loads(manifest.to_bytes())
    assert data["format"] == "vaern-case-package/2" and data["kind"] == "full"
    assert data["signed_by"] == {
        "organisation": "Silkeborg Kommune",
        "algorithm": "Ed25519",
        "public_key_sha256": "c" * 64,
        "signature_file": "manifest.json.sig",
    }
    assert data["case_reference"] == "VK-2026-0042" and data["requested_role"] == "leader"
    evidence = data["files"][1]
    assert set(evidence) >= {"path", "sha256", "size", "content_type", "received_at", "uploaded_by", "original_name"}
    assert evidence["uploaded_by"] == contents.evidence[0].uploaded_by
    assert datetime.fromisoformat(evidence["received_at"]) == contents.evidence[0].received_at
    assert data["files"][0]["uploaded_by"] == "vaern"


def test_sha256sums_is_what_sha256sum_reads(tmp_path: Path) -> None:
    files = {"summary.pdf": b"%PDF-1.7 summary", "evidence/01-skærm billede.png": b"\x89PNG data"}
    for path, data in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(data)
    text = sha256sums_text((hashlib.sha256(data).hexdigest(), path) for path, data in files.items())
    assert all(re.match(r"^[0-9a-f]{64}  \S", line) for line in text.splitlines())
    (tmp_path / "SHA256SUMS").write_text(text, encoding="utf-8")
    if shutil.which("sha256sum") is None:
        pytest.skip("GNU sha256sum is not installed")
    checked = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_sha256sums_lists_the_manifest_itself_last() -> None:
    contents = contents_for(LEADER, PackageKind.FULL)
    summary = generated_manifest_file("summary.pdf", "a" * 64, 1, "application/pdf", NOW)
    manifest = new_manifest(contents, [summary], SIGNER)
    lines = sha256sums_for(manifest, "b" * 64).splitlines()
    assert lines == [f"{'a' * 64}  summary.pdf", f"{'b' * 64}  {MANIFEST_NAME}"]


@pytest.mark.parametrize(
    "bad", [("A" * 64, "x"), ("a" * 63, "x"), ("a" * 64, ""), ("a" * 64, "a\nb"), ("a" * 64, "a\\b")]
)
def test_sha256sums_refuses_what_sha256sum_would_misread(bad: tuple[str, str]) -> None:
    with pytest.raises(ValueError):
        sha256sums_text([bad])


# --- taking an offered package ------------------------------------------------------------------------------------


def offer(**changes) -> PackageOffer:
    values = {
        "package_id": "ab" * 16,
        "case_id": CASE_ID,
        "case_reference": "VK-2026-0042",
        "kind": PackageKind.POLICE,
        "requester": EMPLOYEE,
        "tenant_id": TENANT,
        "file_name": "Politipakke-VK-2026-0042.zip",
        "size": 100,
        "sha256": "c" * 64,
        "created_at": NOW,
        "expires_at": NOW + timedelta(hours=24),
    }
    return PackageOffer(**(values | changes))


def test_only_the_requester_in_their_tenant_may_take_an_offered_package() -> None:
    assert offer_refusal(offer(), EMPLOYEE, TENANT, NOW) is None
    same_teams_id_other_aad = Person(user_id=EMPLOYEE.user_id, name="x", aad_object_id="someone-else")
    for person, tenant in [(LEADER, TENANT), (same_teams_id_other_aad, TENANT), (EMPLOYEE, "other-tenant")]:
        assert offer_refusal(offer(), person, tenant, NOW) is OfferRefusal.NOT_REQUESTER


def test_an_offer_is_taken_once_and_not_after_it_expires() -> None:
    assert offer_refusal(offer(status=OfferStatus.DELIVERED), EMPLOYEE, TENANT, NOW) is OfferRefusal.DELIVERED
    assert offer_refusal(offer(status=OfferStatus.DECLINED), EMPLOYEE, TENANT, NOW) is OfferRefusal.DECLINED
    late = NOW + timedelta(hours=24)
    assert offer_refusal(offer(), EMPLOYEE, TENANT, late) is OfferRefusal.EXPIRED


def test_an_offer_id_must_be_a_package_token() -> None:
    with pytest.raises(ValueError):
        offer(package_id="../cases/x")


# --- how people ask ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "expected"),
    [
        ("politipakke", None, PackageCommand(PackageKind.POLICE)),
        ("Police package", None, PackageCommand(PackageKind.POLICE)),
        ("Sagspakke vk-2026-0042", None, PackageCommand(PackageKind.FULL, reference="VK-2026-0042")),
        ("", {"command": "police_package", "case_id": CASE_ID}, PackageCommand(PackageKind.POLICE, CASE_ID)),
        ("", {"command": "police_package", "case_id": "../x"}, PackageCommand(PackageKind.POLICE)),
        ("politipakke til mig", None, None),
        ("hej", None, None),
        ("", {"command": "report"}, None),
    ],
)
def test_package_commands(text: str, value: dict | None, expected: PackageCommand | None) -> None:
    assert package_command(text, value) == expected


def test_the_package_button_is_recognised_among_card_actions() -> None:
    assert is_package_action({"action": {"type": "Action.Execute", "verb": "package", "data": {}}})
    assert not is_package_action({"action": {"verb": "acknowledge"}})
    assert not is_package_action("package")


def test_hr_message_is_a_note_even_when_hr_reads_the_police_cut() -> None:
    case = full_case()
    case.handling.hr_escalation = HrEscalation(
        **Signed(by=LEADER.user_id, at=datetime(2026, 11, 21, tzinfo=UTC)).model_dump(),
        function=HrFunction.WORK_ENVIRONMENT_COORDINATOR,
        message="SECRET-HR",
    )
    contents = package_contents(
        case,
        [],
        [],
        package_scope(case, actor(HR, hr=True, function=case.handling.hr_escalation.function), PackageKind.POLICE),
        requested_by=HR,
        generated_at=NOW,
    )
    assert "SECRET-HR" not in contents.case.model_dump_json()


# --- the cards around it --------------------------------------------------------------------------------------


def test_the_package_button_carries_the_cases_usual_data() -> None:
    case = full_case()
    full = package_button(TEXTS, case)
    assert full.verb == "package" and full.data == {"case_id": case.case_id, "version": case.version}
    assert full.title == "Sagspakke (ZIP)"
    assert package_button(TEXTS, case, PackageKind.POLICE).data["kind"] == "police"


@pytest.mark.parametrize("language", ["da", "en"])
def test_choosing_among_several_cases_is_a_valid_teams_card_newest_first(language: str) -> None:
    older, newer = full_case(), full_case()
    newer.case_id, newer.reference, newer.created_at = "f" * 32, "VK-2026-0099", older.created_at + timedelta(days=1)
    card = choose_case_card(texts_for(language, "89 70 12 99"), [older, newer], PackageKind.POLICE)
    assert teams_card_problems(card) == []
    buttons = [element for element in card_elements(card) if element["type"] == "Action.Submit"]
    assert [button["data"] for button in buttons] == [
        {"command": "police_package", "case_id": newer.case_id},
        {"command": "police_package", "case_id": older.case_id},
    ]
    assert package_command("", buttons[0]["data"]) == PackageCommand(PackageKind.POLICE, newer.case_id)
    assert "actions" not in card  # one button to a row in the body: side by side they are cut off
    assert "89 70 12 99" in card["body"][-1]["text"]
