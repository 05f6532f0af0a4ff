"""Conversation references remembered in memory: a turn whose reference did not change reads and writes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from domain.case import Person
from storage.conversation_refs import BOT_KEY, ConversationReferenceStore, _key, fingerprint
from storage.ports import Document
from storage.sqlite_documents import SqliteDocumentStore

PERSON = Person(user_id="29:anne", name="Anne Jensen", aad_object_id="aad-anne")
SERVICE_URL = "https://smba.trafficmanager.net/emea/"


class CountingDocuments:
    """A SqliteDocumentStore that counts the calls that reach it."""

    def __init__(self, root: Path) -> None:
        self.inner = SqliteDocumentStore(root / "documents.sqlite3")
        self.gets: list[str] = []
        self.puts: list[str] = []

    async def get(self, key: str) -> Document | None:
        self.gets.append(key)
        return await self.inner.get(key)

    async def put(self, key: str, data: bytes, *, if_match: str | None = None, create_only: bool = False) -> str:
        self.puts.append(key)
        return await self.inner.put(key, data, if_match=if_match, create_only=create_only)

    async def delete(self, key: str) -> None:
        await self.inner.delete(key)

    async def list_keys(self, prefix: str) -> list[str]:
        return await self.inner.list_keys(prefix)

    def reset(self) -> None:
        self.gets.clear()
        self.puts.clear()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def reference(
    activity_id: str = "incoming-1",
    service_url: str = SERVICE_URL,
    conversation_id: str = "a:anne-chat",
    user: Person = PERSON,
    bot_name: str = "Værn",
) -> dict[str, Any]:
    """The wire JSON the edge makes of a Teams message's conversation reference (a new dict every turn)."""
    user_account: dict[str, Any] = {"id": user.user_id}
    if user.name:
        user_account["name"] = user.name
    if user.aad_object_id:
        user_account["aadObjectId"] = user.aad_object_id
    return {
        "activityId": activity_id,
        "user": user_account,
        "bot": {"id": "28:bot", "name": bot_name},
        "conversation": {"id": conversation_id, "conversationType": "personal", "tenantId": "tenant-1"},
        "channelId": "msteams",
        "locale": "da-DK",
        "serviceUrl": service_url,
    }


@pytest.fixture
def documents(tmp_path: Path) -> CountingDocuments:
    return CountingDocuments(tmp_path / "documents")


async def test_an_unchanged_reference_is_neither_read_nor_written_again(documents: CountingDocuments) -> None:
    store = ConversationReferenceStore(documents)
    await store.save(PERSON, reference("incoming-1"))
    assert sorted(documents.puts) == sorted([_key("aad-anne"), _key("29:anne"), BOT_KEY])
    documents.reset()

    for turn in range(2, 6):  # every turn has a new activity id; that is not part of the stored reference
        await store.save(PERSON, reference(f"incoming-{turn}"))

    assert (documents.gets, documents.puts) == ([], [])
    stored = await store.get(PERSON)
    assert stored is not None and "activityId" not in stored and stored["serviceUrl"] == SERVICE_URL


@pytest.mark.parametrize(
    "changed",
    [
        {"service_url": "https://smba.trafficmanager.net/amer/"},
        {"conversation_id": "a:anne-new-chat"},
        {"user": Person(user_id="29:anne", name="Anne Holm", aad_object_id="aad-anne")},
    ],
)
async def test_a_changed_reference_is_written_under_both_ids(documents: CountingDocuments, changed: dict) -> None:
    store = ConversationReferenceStore(documents)
    await store.save(PERSON, reference())
    documents.reset()

    await store.save(PERSON, reference("incoming-2", **changed))

    assert sorted(documents.puts) == sorted([_key("aad-anne"), _key("29:anne")]), "the bot's account did not change"
    for person in (PERSON, Person(user_id="29:anne"), Person(user_id="x", aad_object_id="aad-anne")):
        stored = await store.get(person)
        assert stored is not None and stored == {
            key: value for key, value in reference(**changed).items() if key != "activityId"
        }


async def test_a_changed_bot_account_is_written(documents: CountingDocuments) -> None:
    store = ConversationReferenceStore(documents)
    await store.save(PERSON, reference())
    documents.reset()

    await store.save(PERSON, reference(bot_name="Værn (ny)"))

    assert BOT_KEY in documents.puts
    bot = await store.last_bot()
    assert bot == {"id": "28:bot", "name": "Værn (ny)"}


async def test_after_a_restart_each_document_is_read_once_and_not_rewritten(documents: CountingDocuments) -> None:
    await ConversationReferenceStore(documents).save(PERSON, reference())
    documents.reset()

    restarted = ConversationReferenceStore(documents)
    await restarted.save(PERSON, reference("incoming-2"))
    await restarted.save(PERSON, reference("incoming-3"))

    assert sorted(documents.gets) == sorted([_key("aad-anne"), _key("29:anne"), BOT_KEY])
    assert documents.puts == []


async def test_a_reference_another_process_changed_is_corrected_after_the_recheck_time(
    documents: CountingDocuments,
) -> None:
    clock = FakeClock()
    ours = ConversationReferenceStore(documents, recheck_seconds=300, clock=clock)
    await ours.save(PERSON, reference())
    await ConversationReferenceStore(documents).save(PERSON, reference(service_url="https://elsewhere.example/"))
    documents.reset()

    clock.now += 299
    await ours.save(PERSON, reference("incoming-2"))
    assert (documents.gets, documents.puts) == ([], []), "trusted within the recheck time"

    clock.now += 2
    await ours.save(PERSON, reference("incoming-3"))
    assert sorted(documents.puts) == sorted([_key("aad-anne"), _key("29:anne")])
    stored = await ours.get(PERSON)
    assert stored is not None and stored["serviceUrl"] == SERVICE_URL


async def test_memory_is_bounded_and_forgets_the_least_recently_used(documents: CountingDocuments) -> None:
    store = ConversationReferenceStore(documents, cache_size=3)
    people = [Person(user_id=f"29:user-{number}") for number in range(3)]
    for person in people:
        await store.save(person, reference(user=person, conversation_id=f"a:{person.user_id}"))
    assert len(store._known) == 3  # the bound is the point of this test
    documents.reset()

    last = people[-1]
    await store.save(last, reference(user=last, conversation_id=f"a:{last.user_id}"))
    assert documents.gets == [], "the newest person (and the bot) are still remembered"

    first = people[0]
    await store.save(first, reference(user=first, conversation_id=f"a:{first.user_id}"))
    assert documents.gets == [_key("29:user-0")] and documents.puts == []


async def test_forget_drops_the_memory_so_the_next_turn_stores_the_reference_again(
    documents: CountingDocuments,
) -> None:
    store = ConversationReferenceStore(documents)
    await store.save(PERSON, reference())
    await store.forget(PERSON)
    assert await store.get(PERSON) is None

    await store.save(PERSON, reference("incoming-2"))

    assert await store.get(PERSON) is not None


async def test_a_change_deep_in_the_reference_is_noticed(documents: CountingDocuments) -> None:
    store = ConversationReferenceStore(documents)
    await store.save(PERSON, reference())
    documents.reset()

    moved = reference("incoming-2")
    moved["conversation"]["tenantId"] = "tenant-2"
    await store.save(PERSON, moved)

    assert sorted(documents.puts) == sorted([_key("aad-anne"), _key("29:anne")])
    stored = await store.get(PERSON)
    assert stored is not None and stored["conversation"]["tenantId"] == "tenant-2"


async def test_a_change_the_stored_json_does_not_hold_is_checked_once_and_not_written(
    documents: CountingDocuments,
) -> None:
    store = ConversationReferenceStore(documents)
    await store.save(PERSON, reference())
    documents.reset()

    # The same data in another key order: a new fingerprint (it is order-sensitive), the same stored bytes.
    reordered = {key: value for key, value in reversed(reference("incoming-2").items())}
    reordered["conversation"] = dict(reversed(reordered["conversation"].items()))
    await store.save(PERSON, reordered)
    await store.save(PERSON, reordered)

    assert sorted(documents.gets) == sorted([_key("aad-anne"), _key("29:anne")])
    assert documents.puts == []


def test_fingerprints_tell_structure_apart() -> None:
    assert fingerprint({"a": ["b", "c"]}) != fingerprint({"a": ["b"], "c": None})
    assert fingerprint(["a", ["b"]]) != fingerprint([["a"], "b"])
    assert fingerprint(reference("one"), leave_out="activityId") == fingerprint(
        reference("two"), leave_out="activityId"
    )
    assert fingerprint(reference("one")) != fingerprint(reference("two"))
    assert fingerprint({"a": "b", "c": "d"}) != fingerprint({"c": "d", "a": "b"}), "order-sensitive"


async def test_a_reference_stored_by_the_botbuilder_release_is_read_and_rewritten_once(
    documents: CountingDocuments,
) -> None:
    """botbuilder 4.17.1 stored `ConversationReference.serialize()`, which spells the tenant "tenantID"."""
    legacy = {
        "bot": {"id": "28:bot", "name": "Værn"},
        "channelId": "msteams",
        "conversation": {"conversationType": "personal", "id": "a:anne-chat", "tenantID": "tenant-1"},
        "locale": "da-DK",
        "serviceUrl": SERVICE_URL,
        "user": {"aadObjectId": "aad-anne", "id": "29:anne", "name": "Anne Jensen"},
    }
    for key in (_key("aad-anne"), _key("29:anne")):
        await documents.put(key, json.dumps(legacy, sort_keys=True, ensure_ascii=False).encode())
    store = ConversationReferenceStore(documents)

    stored = await store.get(PERSON)

    assert stored is not None
    assert stored["conversation"] == {"conversationType": "personal", "id": "a:anne-chat", "tenantId": "tenant-1"}
    assert stored == {key: value for key, value in reference().items() if key != "activityId"}
    documents.reset()
    await store.save(PERSON, reference("incoming-2"))
    assert sorted(documents.puts) == sorted([_key("aad-anne"), _key("29:anne"), BOT_KEY]), "now as tenantId"
    raw = await documents.inner.get(_key("29:anne"))
    assert raw is not None and b"tenantID" not in raw.data and json.loads(raw.data)["conversation"]["tenantId"]
    documents.reset()
    await store.save(PERSON, reference("incoming-3"))
    assert (documents.gets, documents.puts) == ([], [])
