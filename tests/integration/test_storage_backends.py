"""Contract tests for the storage ports, run on both backends: local filesystem and Azure Blob (Azurite)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import struct
import zlib
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from typing import Any

import pytest

from domain.case import Case, Incident, Person
from domain.evidence import EvidenceItem, EvidencePolicy, EvidenceSource
from domain.refusals import EvidenceRefused, RefusalReason
from storage.cases import CaseRepository, ReferenceCounter
from storage.conversation_state import ConversationState, ConversationStateStore, conversation_key
from storage.evidence_intake import EvidenceIntake
from storage.ports import Document, DocumentStore, EvidenceStore, InvalidKey, PreconditionFailed
from tests.support.backends import Backend
from tests.support.clock import MovableClock

KIB = 1024
MIB = 1024 * KIB
NOW = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)


def evidence_item(case_id: str, evidence_id: str, data: bytes) -> EvidenceItem:
    return EvidenceItem(
        evidence_id=evidence_id,
        case_id=case_id,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        content_type="application/octet-stream",
        original_name="bytes.bin",
        received_at=NOW,
        uploaded_by="user-1",
        source=EvidenceSource.TEAMS_FILE,
    )


def png_bytes(size: int) -> bytes:
    """A 1x1 PNG header padded with random bytes up to `size`: enough for the content sniffer."""
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    ihdr = struct.pack(">I", len(header)) + b"IHDR" + header + struct.pack(">I", zlib.crc32(b"IHDR" + header))
    head = b"\x89PNG\r\n\x1a\n" + ihdr
    return head + os.urandom(size - len(head))


def chunked(data: bytes, size: int) -> list[bytes]:
    return [data[start : start + size] for start in range(0, len(data), size)]


async def stream(chunks: Iterable[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


async def store_evidence(evidence: EvidenceStore, case_id: str, evidence_id: str, chunks: list[bytes]) -> EvidenceItem:
    item = evidence_item(case_id, evidence_id, b"".join(chunks))
    writer = evidence.open_writer(case_id, evidence_id)
    for chunk in chunks:
        await writer.write(chunk)
    await writer.commit(item)
    return item


async def read_all(evidence: EvidenceStore, case_id: str, evidence_id: str) -> bytes:
    return b"".join([chunk async for chunk in evidence.read(case_id, evidence_id)])


def new_case(case_id: str) -> Case:
    person = Person(user_id="user-1", name="Ane")
    return Case(case_id=case_id, subject=person, reporter=person, incident=Incident(), created_at=NOW)


class RacingDocuments:
    """Lets the first two reads finish together, so two read-modify-writes are sure to collide."""

    def __init__(self, inner: DocumentStore) -> None:
        self._inner = inner
        self._barrier = asyncio.Barrier(2)
        self._reads = 0
        self.conflicts = 0

    async def get(self, key: str) -> Document | None:
        document = await self._inner.get(key)
        self._reads += 1
        if self._reads <= 2:
            await asyncio.wait_for(self._barrier.wait(), timeout=10)
        return document

    async def put(self, key: str, data: bytes, *, if_match: str | None = None, create_only: bool = False) -> str:
        try:
            return await self._inner.put(key, data, if_match=if_match, create_only=create_only)
        except PreconditionFailed:
            self.conflicts += 1
            raise

    async def delete(self, key: str) -> None:
        await self._inner.delete(key)

    async def list_keys(self, prefix: str) -> list[str]:
        return await self._inner.list_keys(prefix)


class CountingDocuments:
    """Counts the writes that reach the store."""

    def __init__(self, inner: DocumentStore) -> None:
        self._inner = inner
        self.puts: list[str] = []

    async def get(self, key: str) -> Document | None:
        return await self._inner.get(key)

    async def put(self, key: str, data: bytes, *, if_match: str | None = None, create_only: bool = False) -> str:
        self.puts.append(key)
        return await self._inner.put(key, data, if_match=if_match, create_only=create_only)

    async def delete(self, key: str) -> None:
        await self._inner.delete(key)

    async def list_keys(self, prefix: str) -> list[str]:
        return await self._inner.list_keys(prefix)


# Documents


async def test_create_only_refuses_an_existing_key_and_keeps_its_data(backend: Backend) -> None:
    await backend.documents.put("cases/a.json", b"first", create_only=True)

    with pytest.raises(PreconditionFailed):
        await backend.documents.put("cases/a.json", b"second", create_only=True)

    document = await backend.documents.get("cases/a.json")
    assert document is not None and document.data == b"first"


async def test_concurrent_creates_of_the_same_documents_create_each_once(backend: Backend) -> None:
    attempts = [[(f"jobs/{number}.json", f"{attempt}".encode()) for number in range(8)] for attempt in range(4)]

    results = await asyncio.gather(
        *(backend.documents.put(key, data, create_only=True) for attempt in attempts for key, data in attempt),
        return_exceptions=True,
    )

    assert sum(isinstance(result, str) for result in results) == 8
    assert all(isinstance(result, str | PreconditionFailed) for result in results)
    assert await backend.documents.list_keys("jobs/") == sorted(key for key, _ in attempts[0])


async def test_a_reference_is_handed_out_only_once_its_number_is_stored(backend: Backend) -> None:
    counter = ReferenceCounter(backend.documents)

    async def reference_and_counter() -> tuple[int, int]:
        reference = await counter.next_reference(2026)
        stored = await backend.documents.get("counters/case-reference-2026")
        assert stored is not None
        return int(reference.removeprefix("VK-2026-")), int(stored.data)

    taken = await asyncio.gather(*(reference_and_counter() for _ in range(5)))

    assert sorted(number for number, _ in taken) == [1, 2, 3, 4, 5]
    assert all(number <= counted for number, counted in taken), "a number handed out before its counter write"


async def test_stale_etag_write_is_refused_and_keeps_old_data(backend: Backend) -> None:
    stale = await backend.documents.put("doc.json", b"v1")
    await backend.documents.put("doc.json", b"v2", if_match=stale)

    with pytest.raises(PreconditionFailed):
        await backend.documents.put("doc.json", b"v3", if_match=stale)

    document = await backend.documents.get("doc.json")
    assert document is not None and document.data == b"v2"


async def test_etag_from_get_is_accepted_for_the_next_write(backend: Backend) -> None:
    written = await backend.documents.put("doc.json", b"v1")
    document = await backend.documents.get("doc.json")
    assert document is not None and document.etag == written

    new_etag = await backend.documents.put("doc.json", b"v2", if_match=document.etag)

    after = await backend.documents.get("doc.json")
    assert after is not None and after.data == b"v2" and after.etag == new_etag != written


async def test_write_with_etag_to_a_missing_document_is_refused(backend: Backend) -> None:
    etag = await backend.documents.put("doc.json", b"v1")
    await backend.documents.delete("doc.json")

    with pytest.raises(PreconditionFailed):
        await backend.documents.put("doc.json", b"v2", if_match=etag)

    assert await backend.documents.get("doc.json") is None


async def test_list_keys_returns_sorted_keys_under_the_folder_only(backend: Backend) -> None:
    for key in ["cases/b.json", "cases/a.json", "cases/sub/c.json", "casesx/d.json", "state/e.json"]:
        await backend.documents.put(key, b"{}")

    assert await backend.documents.list_keys("cases/") == ["cases/a.json", "cases/b.json", "cases/sub/c.json"]
    assert await backend.documents.list_keys("nothing/") == []


async def test_delete_removes_the_document_and_a_missing_one_is_fine(backend: Backend) -> None:
    await backend.documents.put("cases/a.json", b"{}")

    await backend.documents.delete("cases/a.json")
    await backend.documents.delete("cases/a.json")

    assert await backend.documents.get("cases/a.json") is None
    assert await backend.documents.list_keys("cases/") == []


@pytest.mark.parametrize("key", ["../x", "a/../b", "", "/abs", "a//b"])
async def test_keys_that_could_escape_their_folder_are_refused(backend: Backend, key: str) -> None:
    with pytest.raises(InvalidKey):
        await backend.documents.get(key)
    with pytest.raises(InvalidKey):
        await backend.documents.put(key, b"x")
    with pytest.raises(InvalidKey):
        await backend.documents.delete(key)
    with pytest.raises(InvalidKey):
        backend.evidence.open_writer(key, "e1")
    with pytest.raises(InvalidKey):
        backend.evidence.open_writer("case-1", key)
    with pytest.raises(InvalidKey):
        await backend.evidence.get_item("case-1", key)
    with pytest.raises(InvalidKey):
        await read_all(backend.evidence, key, "e1")


# Cases and references


async def test_concurrent_case_updates_retry_and_both_changes_survive(backend: Backend) -> None:
    await CaseRepository(backend.documents).create(new_case("case-1"))
    racing = RacingDocuments(backend.documents)
    repository = CaseRepository(racing)

    def describe(case: Case) -> Case:
        case.incident.description = "Trusler på Facebook"
        return case

    def set_tenant(case: Case) -> Case:
        case.tenant_id = "tenant-1"
        return case

    await asyncio.gather(repository.update("case-1", describe), repository.update("case-1", set_tenant))

    stored = await repository.get("case-1")
    assert stored is not None
    assert stored.case.incident.description == "Trusler på Facebook"
    assert stored.case.tenant_id == "tenant-1"
    assert racing.conflicts >= 1


async def test_creating_a_case_twice_is_refused(backend: Backend) -> None:
    repository = CaseRepository(backend.documents)
    await repository.create(new_case("case-1"))

    with pytest.raises(PreconditionFailed):
        await repository.create(new_case("case-1"))

    assert await repository.list_ids() == ["case-1"]


async def test_reference_counter_hands_out_unique_sequential_references_under_concurrency(backend: Backend) -> None:
    counter = ReferenceCounter(backend.documents)

    references = await asyncio.gather(*(counter.next_reference(2026) for _ in range(20)))

    assert sorted(references) == [f"VK-2026-{number:04d}" for number in range(1, 21)]


async def test_reference_counter_survives_many_reports_at_once_and_a_second_process(backend: Backend) -> None:
    ours, theirs = ReferenceCounter(backend.documents), ReferenceCounter(backend.documents)  # theirs: another bot

    references = await asyncio.gather(*(counter.next_reference(2026) for counter in [ours, theirs] * 40))

    assert sorted(references) == [f"VK-2026-{number:04d}" for number in range(1, 81)]


async def test_reference_counter_writes_the_numbers_of_waiting_reports_in_one_batch(backend: Backend) -> None:
    documents = CountingDocuments(backend.documents)
    counter = ReferenceCounter(documents)

    references = await asyncio.gather(*(counter.next_reference(2026) for _ in range(50)))
    later = await counter.next_reference(2026)

    assert sorted(references) == [f"VK-2026-{number:04d}" for number in range(1, 51)]
    assert later == "VK-2026-0051"
    assert len(documents.puts) <= 3, "one write per batch, not one per report"


async def test_reference_counter_failure_reaches_every_waiting_report_and_the_next_one_works(backend: Backend) -> None:
    class FailingOnce(CountingDocuments):
        async def put(self, key: str, data: bytes, *, if_match: str | None = None, create_only: bool = False) -> str:
            if not self.puts:
                self.puts.append(key)
                raise OSError("disk full")
            return await super().put(key, data, if_match=if_match, create_only=create_only)

    counter = ReferenceCounter(FailingOnce(backend.documents))

    results = await asyncio.gather(*(counter.next_reference(2026) for _ in range(5)), return_exceptions=True)

    assert all(isinstance(result, OSError) for result in results)
    assert await counter.next_reference(2026) == "VK-2026-0001"


async def test_a_report_cancelled_while_waiting_for_its_number_does_not_disturb_the_others(backend: Backend) -> None:
    counter = ReferenceCounter(backend.documents)
    waiting = [asyncio.ensure_future(counter.next_reference(2026)) for _ in range(5)]
    await asyncio.sleep(0)
    waiting[2].cancel()

    results = await asyncio.gather(*waiting, return_exceptions=True)

    assert isinstance(results[2], asyncio.CancelledError)
    others = [result for index, result in enumerate(results) if index != 2]
    assert len(set(others)) == 4
    assert set(others) <= {f"VK-2026-{number:04d}" for number in range(1, 6)}
    later = await counter.next_reference(2026)
    assert later not in others
    # Its number is either never taken (cancelled before its batch was written) or taken and left unused; it is
    # never handed out again.
    assert later in ("VK-2026-0005", "VK-2026-0006")


# Evidence


async def test_committed_evidence_reads_back_identical_bytes_and_hash(backend: Backend) -> None:
    data = os.urandom(300 * KIB)

    item = await store_evidence(backend.evidence, "case-1", "e1", chunked(data, 100 * KIB))

    assert await backend.evidence.get_item("case-1", "e1") == item
    assert await backend.evidence.list_items("case-1") == [item]
    read = await read_all(backend.evidence, "case-1", "e1")
    assert read == data
    assert hashlib.sha256(read).hexdigest() == item.sha256


async def test_second_commit_with_the_same_id_is_refused_and_keeps_the_first_bytes(backend: Backend) -> None:
    first = await store_evidence(backend.evidence, "case-1", "e1", [b"original evidence"])

    with pytest.raises(PreconditionFailed):
        await store_evidence(backend.evidence, "case-1", "e1", [b"tampered"])

    assert await read_all(backend.evidence, "case-1", "e1") == b"original evidence"
    assert await backend.evidence.get_item("case-1", "e1") == first


async def test_aborted_evidence_leaves_nothing_visible(backend: Backend) -> None:
    writer = backend.evidence.open_writer("case-1", "e1")
    await writer.write(os.urandom(5 * MIB))
    await writer.write(b"tail")

    await writer.abort()

    assert await backend.evidence.get_item("case-1", "e1") is None
    assert await backend.evidence.list_items("case-1") == []


async def test_empty_evidence_still_commits(backend: Backend) -> None:
    item = await store_evidence(backend.evidence, "case-1", "e1", [])

    assert await backend.evidence.get_item("case-1", "e1") == item
    assert await read_all(backend.evidence, "case-1", "e1") == b""


async def test_nine_mebibyte_evidence_written_in_small_chunks_round_trips(backend: Backend) -> None:
    data = os.urandom(9 * MIB)

    item = await store_evidence(backend.evidence, "case-1", "big", chunked(data, 64 * KIB))

    chunks = [chunk async for chunk in backend.evidence.read("case-1", "big")]
    assert b"".join(chunks) == data
    assert max(len(chunk) for chunk in chunks) <= 4 * MIB
    assert (await backend.evidence.get_item("case-1", "big")) == item


async def test_evidence_lists_only_its_own_case_in_order_received(backend: Backend) -> None:
    later = evidence_item("case-1", "b", b"b").model_copy(update={"received_at": NOW.replace(hour=11)})
    writer = backend.evidence.open_writer("case-1", "b")
    await writer.write(b"b")
    await writer.commit(later)
    earlier = await store_evidence(backend.evidence, "case-1", "a", [b"a"])
    await store_evidence(backend.evidence, "case-2", "c", [b"c"])

    assert await backend.evidence.list_items("case-1") == [earlier, later]


# Evidence intake


def intake(backend: Backend, max_bytes: int = 50 * MIB) -> EvidenceIntake:
    return EvidenceIntake(backend.evidence, EvidencePolicy(max_bytes=max_bytes), MovableClock(NOW))


async def test_intake_secures_a_png_with_its_hash_and_sniffed_type(backend: Backend) -> None:
    data = png_bytes(700 * KIB)

    item = await intake(backend).secure(
        "case-1",
        stream(chunked(data, 64 * KIB)),
        original_name="screenshot.jpg",
        uploaded_by="user-1",
        source=EvidenceSource.INLINE_IMAGE,
    )

    assert item.content_type == "image/png"
    assert item.sha256 == hashlib.sha256(data).hexdigest()
    assert item.size == len(data)
    assert await backend.evidence.list_items("case-1") == [item]
    assert await read_all(backend.evidence, "case-1", item.evidence_id) == data


async def test_intake_refuses_an_oversize_stream_and_stores_nothing(backend: Backend) -> None:
    data = png_bytes(6 * MIB)

    with pytest.raises(EvidenceRefused) as refused:
        await intake(backend, max_bytes=5 * MIB).secure(
            "case-1",
            stream(chunked(data, 256 * KIB)),
            original_name="big.png",
            uploaded_by="user-1",
            source=EvidenceSource.TEAMS_FILE,
        )

    assert refused.value.reason is RefusalReason.TOO_LARGE
    assert await backend.evidence.list_items("case-1") == []


# Conversation (dialog) state

CONVERSATION = conversation_key("msteams", "a:conversation-1")


def state_document_key(channel_id: str, conversation_id: str) -> str:
    """Where the botbuilder releases' ConversationState kept a conversation (and where this release still does)."""
    return f"state/{hashlib.sha256(f'{channel_id}/conversations/{conversation_id}'.encode()).hexdigest()}.json"


def report_at(index: int, answers: dict[str, str]) -> dict[str, Any]:
    """A stack entry as the report dialog leaves it: its id and its own plain JSON state."""
    return {"id": "report", "state": {"draft": {"answers": dict(answers)}, "index": index, "editing": False}}


async def test_conversation_state_round_trips_and_writes_only_changed_state(backend: Backend) -> None:
    documents = CountingDocuments(backend.documents)
    store = ConversationStateStore(documents)

    first = await store.load(CONVERSATION)
    assert (first.stack, first.properties, first.etag, first.stored) == ([], {}, None, None)
    await store.save(first)
    assert documents.puts == [], "no state and nothing stored: nothing to write"
    first.stack.append(report_at(0, {}))
    first.properties["ResponsePlanDraft"] = {"case_id": "case-1", "step": "facts"}
    await store.save(first)
    assert len(documents.puts) == 1 and first.etag is not None

    unchanged = await store.load(CONVERSATION)
    assert unchanged.stack == [report_at(0, {})]
    assert unchanged.properties == {"ResponsePlanDraft": {"case_id": "case-1", "step": "facts"}}
    await store.save(unchanged)
    assert len(documents.puts) == 1, "a turn that changed nothing writes nothing"

    changed = await store.load(CONVERSATION)
    changed.stack[0]["state"]["index"] = 1
    changed.stack[0]["state"]["draft"]["answers"]["safety"] = "no"
    await store.save(changed)
    await store.save(changed)
    assert len(documents.puts) == 2, "a changed state is written once"

    restarted = ConversationStateStore(documents)
    resumed = await restarted.load(CONVERSATION)
    assert resumed.stack == [
        {"id": "report", "state": {"draft": {"answers": {"safety": "no"}}, "index": 1, "editing": False}}
    ]
    assert resumed.properties == {"ResponsePlanDraft": {"case_id": "case-1", "step": "facts"}}
    assert resumed.etag == changed.etag
    await restarted.save(resumed)
    assert len(documents.puts) == 2

    other = await restarted.load(conversation_key("msteams", "a:conversation-2"))
    assert (other.stack, other.properties, other.etag) == ([], {}, None)


async def test_conversation_state_refuses_a_stale_write(backend: Backend) -> None:
    store = ConversationStateStore(backend.documents)
    setup = await store.load(CONVERSATION)
    setup.stack.append(report_at(0, {}))
    await store.save(setup)

    one, two = await store.load(CONVERSATION), await store.load(CONVERSATION)  # two messages, read at once
    one.stack[0]["state"]["index"] = 1
    two.stack[0]["state"]["index"] = 2
    await store.save(one)
    stale_etag = two.etag
    with pytest.raises(PreconditionFailed):
        await store.save(two)
    assert two.etag == stale_etag
    assert (await store.load(CONVERSATION)).stack[0]["state"]["index"] == 1

    setup.stack[0]["state"]["index"] = 9  # an etag two writes old
    with pytest.raises(PreconditionFailed):
        await store.save(setup)
    assert (await store.load(CONVERSATION)).stack[0]["state"]["index"] == 1


async def test_conversation_state_two_first_turns_create_the_document_once(backend: Backend) -> None:
    store = ConversationStateStore(backend.documents)
    one = await store.load(CONVERSATION)
    two = await store.load(CONVERSATION)  # both read before either wrote: no document, no etag
    one.stack.append(report_at(1, {}))
    two.stack.append(report_at(2, {}))

    await store.save(one)
    with pytest.raises(PreconditionFailed):
        await store.save(two)

    assert (await store.load(CONVERSATION)).stack == [report_at(1, {})]


async def test_conversation_state_reads_what_the_botbuilder_release_wrote(backend: Backend) -> None:
    """botbuilder 4.17.1's ConversationState stored jsonpickle of its state dict: the dialog stack under
    "DialogState" (`DialogState` of `DialogInstance`s), the other properties beside it as plain JSON."""
    written_by_botbuilder = """{
        "DialogState": {
            "py/object": "botbuilder.dialogs.dialog_state.DialogState",
            "_dialog_stack": [
                {
                    "py/object": "botbuilder.dialogs.dialog_instance.DialogInstance",
                    "id": "report",
                    "state": {"draft": {"answers": {"subject": "me", "when": "i går"}}, "index": 3, "editing": false}
                }
            ]
        },
        "ResponsePlanDraft": {"case_id": "case-7", "step": "measures", "measures": ["samtale", "opfølgning"]}
    }"""
    key = state_document_key("msteams", "a:conversation-1")
    etag = await backend.documents.put(key, written_by_botbuilder.encode(), create_only=True)
    documents = CountingDocuments(backend.documents)
    store = ConversationStateStore(documents)

    state = await store.load(CONVERSATION)

    assert state.stack == [report_at(3, {"subject": "me", "when": "i går"})]
    assert state.properties == {
        "ResponsePlanDraft": {"case_id": "case-7", "step": "measures", "measures": ["samtale", "opfølgning"]}
    }
    assert state.etag == etag

    await store.save(state)  # the same state, written once in this release's format (If-Match on the etag read)
    assert documents.puts == [key]
    rewritten = await backend.documents.get(key)
    assert rewritten is not None and "py/object" not in rewritten.data.decode()
    again = await store.load(CONVERSATION)
    assert (again.stack, again.properties) == (state.stack, state.properties)
    await store.save(again)
    assert documents.puts == [key], "from then on an unchanged state writes nothing"


async def test_conversation_state_of_the_botbuilder_release_continues_with_the_running_dialog(
    backend: Backend,
) -> None:
    """botbuilder kept the running dialog first on its stack (a dialog that began another pushed it in front)."""
    written_by_botbuilder = {
        "DialogState": {
            "py/object": "botbuilder.dialogs.dialog_state.DialogState",
            "_dialog_stack": [
                {
                    "py/object": "botbuilder.dialogs.dialog_instance.DialogInstance",
                    "id": "choose_leader",
                    "state": {"case_id": "case-3"},
                },
                {
                    "py/object": "botbuilder.dialogs.dialog_instance.DialogInstance",
                    "id": "report",
                    "state": {"index": 9},
                },
            ],
        }
    }
    key = state_document_key("msteams", "a:conversation-1")
    await backend.documents.put(key, json.dumps(written_by_botbuilder).encode())

    state = await ConversationStateStore(backend.documents).load(CONVERSATION)

    assert state.stack == [{"id": "choose_leader", "state": {"case_id": "case-3"}}]
    assert state.properties == {}


async def test_conversation_state_cleared_and_deleted(backend: Backend) -> None:
    documents = CountingDocuments(backend.documents)
    store = ConversationStateStore(documents)
    state = await store.load(CONVERSATION)
    state.stack.append(report_at(5, {}))
    state.properties["ResponsePlanDraft"] = {"step": "facts"}
    await store.save(state)

    cleared = await store.load(CONVERSATION)
    cleared.stack.clear()
    cleared.properties.clear()
    await store.save(cleared)
    assert len(documents.puts) == 2, "a stored state that is cleared is written empty"
    after = await store.load(CONVERSATION)
    assert (after.stack, after.properties) == ([], {})

    after.stack.append(report_at(6, {}))
    await store.save(after)
    await store.delete(CONVERSATION)
    assert await backend.documents.get(state_document_key("msteams", "a:conversation-1")) is None
    gone = await store.load(CONVERSATION)
    assert gone == ConversationState(CONVERSATION)
