"""Conversation references remembered in memory: a turn whose reference did not change reads and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from botbuilder.schema import ChannelAccount, ConversationAccount, ConversationReference

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
) -> ConversationReference:
    """What TurnContext.get_conversation_reference makes of a Teams message (a new object every turn)."""
    return ConversationReference(
        activity_id=activity_id,
        user=ChannelAccount(id=user.user_id, name=user.name, aad_object_id=user.aad_object_id),
        bot=ChannelAccount(id="28:bot", name=bot_name),
        conversation=ConversationAccount(id=conversation_id, conversation_type="personal", tenant_id="tenant-1"),
        channel_id="msteams",
        locale="da-DK",
        service_url=service_url,
    )


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
    assert stored is not None and stored.activity_id is None and stored.service_url == SERVICE_URL


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
        assert stored is not None and stored.serialize() == {
            key: value for key, value in reference(**changed).serialize().items() if key != "activityId"
        }


async def test_a_changed_bot_account_is_written(documents: CountingDocuments) -> None:
    store = ConversationReferenceStore(documents)
    await store.save(PERSON, reference())
    documents.reset()

    await store.save(PERSON, reference(bot_name="Værn (ny)"))

    assert BOT_KEY in documents.puts
    bot = await store.last_bot()
    assert bot is not None and bot.name == "Værn (ny)"


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
    assert stored is not None and stored.service_url == SERVICE_URL


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
    moved.conversation.tenant_id = "tenant-2"
    await store.save(PERSON, moved)

    assert sorted(documents.puts) == sorted([_key("aad-anne"), _key("29:anne")])
    stored = await store.get(PERSON)
    assert stored is not None and stored.conversation.tenant_id == "tenant-2"


async def test_a_change_the_stored_json_does_not_hold_is_checked_once_and_not_written(
    documents: CountingDocuments,
) -> None:
    store = ConversationReferenceStore(documents)
    await store.save(PERSON, reference())
    documents.reset()

    extra = reference("incoming-2")
    extra.conversation.additional_properties = {"unknownField": "x"}  # msrest does not serialise these
    await store.save(PERSON, extra)
    await store.save(PERSON, extra)

    assert sorted(documents.gets) == sorted([_key("aad-anne"), _key("29:anne")])
    assert documents.puts == []


def test_fingerprints_tell_structure_apart() -> None:
    assert fingerprint({"a": ["b", "c"]}) != fingerprint({"a": ["b"], "c": None})
    assert fingerprint(["a", ["b"]]) != fingerprint([["a"], "b"])
    assert fingerprint(reference("one"), leave_out="activity_id") == fingerprint(
        reference("two"), leave_out="activity_id"
    )
