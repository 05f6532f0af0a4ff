"""The Azure evidence store's immutability calls (storage/azure_blob.py `protect_case`, `hold_case`) over the real SDK
and REST protocol, against a stub container (tests/support/blob_immutability_stub.py: Azurite does not implement
them): each blob of the case gets the policy with its until-date and mode, an expiry is never shortened, the legal
hold is set and cleared, and deletion is refused until both allow it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from azure.core.exceptions import HttpResponseError
from azure.storage.blob.aio import ContainerClient

from storage.azure_blob import AzureEvidenceStore
from tests.support.blob_immutability_stub import CONTAINER, ImmutableBlobStub, StubBlob

CASE = "c" * 32
UNTIL = datetime(2031, 3, 10, 19, 0, 5, tzinfo=UTC)


@pytest.fixture
def stub() -> Iterator[ImmutableBlobStub]:
    with ImmutableBlobStub() as server:
        server.blobs = {f"{CASE}/e1": StubBlob(), f"{CASE}/e1.json": StubBlob(), f"{'d' * 32}/e1": StubBlob()}
        yield server


@pytest.fixture
async def evidence(stub: ImmutableBlobStub) -> AsyncIterator[AzureEvidenceStore]:
    async with ContainerClient.from_connection_string(stub.connection_string, CONTAINER) as container:
        yield AzureEvidenceStore(container)


def policy_calls(stub: ImmutableBlobStub, comp: str) -> list[tuple[str, dict[str, str]]]:
    return [(call.blob, call.headers) for call in stub.calls if call.method == "PUT" and call.comp == comp]


async def test_every_blob_of_the_case_gets_the_policy_and_it_is_only_ever_extended(
    stub: ImmutableBlobStub, evidence: AzureEvidenceStore
) -> None:
    assert await evidence.protect_case(CASE, UNTIL, locked=True) == 2

    calls = policy_calls(stub, "immutabilityPolicies")
    assert [blob for blob, _ in calls] == [f"{CASE}/e1", f"{CASE}/e1.json"]  # not the other case's
    for _, headers in calls:
        assert parsedate_to_datetime(headers["x-ms-immutability-policy-until-date"]) == UNTIL  # RFC 1123, GMT
        assert headers["x-ms-immutability-policy-mode"] == "Locked"
    assert stub.blobs[f"{CASE}/e1"].until == UNTIL

    stub.calls.clear()
    assert await evidence.protect_case(CASE, UNTIL - timedelta(days=400), locked=True) == 0  # never shortened
    assert policy_calls(stub, "immutabilityPolicies") == [] and stub.blobs[f"{CASE}/e1"].until == UNTIL

    later = UNTIL + timedelta(days=100)
    assert await evidence.protect_case(CASE, later, locked=True) == 2
    assert {stub.blobs[f"{CASE}/{name}"].until for name in ("e1", "e1.json")} == {later}


async def test_an_unlocked_policy_is_sent_as_unlocked(stub: ImmutableBlobStub, evidence: AzureEvidenceStore) -> None:
    await evidence.protect_case(CASE, UNTIL, locked=False)
    assert {headers["x-ms-immutability-policy-mode"] for _, headers in policy_calls(stub, "immutabilityPolicies")} == {
        "Unlocked"
    }


async def test_a_legal_hold_is_set_and_cleared_and_deletion_waits_for_both(
    stub: ImmutableBlobStub, evidence: AzureEvidenceStore
) -> None:
    assert await evidence.hold_case(CASE, True) == 2
    assert [headers["x-ms-legal-hold"] for _, headers in policy_calls(stub, "legalhold")] == ["true", "true"]
    assert await evidence.hold_case(CASE, True) == 0  # held already: nothing sent
    with pytest.raises(HttpResponseError):
        await evidence.delete_case(CASE)

    assert await evidence.hold_case(CASE, False) == 2
    await evidence.protect_case(CASE, datetime.now(UTC) + timedelta(days=1), locked=True)
    with pytest.raises(HttpResponseError):
        await evidence.delete_case(CASE)  # the policy has not expired

    for name in ("e1", "e1.json"):
        stub.blobs[f"{CASE}/{name}"].until = datetime.now(UTC) - timedelta(seconds=1)  # its time has come
    assert await evidence.delete_case(CASE) == 1
    assert sorted(stub.blobs) == [f"{'d' * 32}/e1"]
