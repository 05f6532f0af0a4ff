"""Azure evidence uploads stage blocks while the stream goes on (storage/azure_blob.py): a block that fails to
upload must surface as an error and leave nothing visible, even with other blocks still in flight."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure.storage.blob.aio import BlobClient

from storage.azure_blob import BLOCK_BYTES, AzureEvidenceStore, open_azure_backend
from tests.integration.test_storage_backends import evidence_item

pytestmark = pytest.mark.azurite


@pytest.fixture
async def evidence(azurite) -> AsyncIterator[AzureEvidenceStore]:  # type: ignore[no-untyped-def]
    _, store, close = await open_azure_backend(azurite.connection_string, f"s{uuid.uuid4().hex[:12]}")
    try:
        yield store
    finally:
        await close()


@pytest.fixture
def second_block_fails(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The service refuses the second staged block (as a throttled or failing storage account would)."""
    staged: list[str] = []
    real_stage_block = BlobClient.stage_block

    async def stage_block(self: BlobClient, block_id: str, data: Any, *args: Any, **kwargs: Any) -> Any:
        staged.append(block_id)
        if len(staged) == 2:
            raise HttpResponseError(message="stub: the service refused the block")
        return await real_stage_block(self, block_id, data, *args, **kwargs)

    monkeypatch.setattr(BlobClient, "stage_block", stage_block)
    return staged


async def test_a_failed_block_upload_raises_and_nothing_becomes_visible(
    evidence: AzureEvidenceStore, second_block_fails: list[str]
) -> None:
    data = os.urandom(3 * BLOCK_BYTES + 100)
    writer = evidence.open_writer("case-1", "e1")
    with pytest.raises(HttpResponseError):
        for start in range(0, len(data), 256 * 1024):
            await writer.write(data[start : start + 256 * 1024])
        await writer.commit(evidence_item("case-1", "e1", data))
    await writer.abort()

    assert len(second_block_fails) >= 2
    assert await evidence.get_item("case-1", "e1") is None
    assert await evidence.list_items("case-1") == []


async def test_the_next_upload_after_a_failure_commits_normally(
    evidence: AzureEvidenceStore, second_block_fails: list[str]
) -> None:
    failing = evidence.open_writer("case-1", "e1")
    with pytest.raises(HttpResponseError):
        await failing.write(os.urandom(2 * BLOCK_BYTES))
        await failing.commit(evidence_item("case-1", "e1", b""))
    await failing.abort()

    data = os.urandom(2 * BLOCK_BYTES + 7)
    writer = evidence.open_writer("case-1", "e2")
    await writer.write(data)
    await writer.commit(evidence_item("case-1", "e2", data))
    assert [item.evidence_id for item in await evidence.list_items("case-1")] == ["e2"]
    assert b"".join([chunk async for chunk in evidence.read("case-1", "e2")]) == data


async def test_the_container_says_whether_it_has_an_immutability_policy(evidence: AzureEvidenceStore) -> None:
    assert await evidence.has_immutability_policy() is False  # Azurite keeps none; the start-up check reads this
