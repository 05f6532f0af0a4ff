"""Azure Blob Storage backend: implements the storage ports (documents and evidence) on blob containers.

Documents are blobs in `<prefix>-documents`, guarded by the blob etag. Evidence bytes are streamed as
staged blocks into `<prefix>-evidence` and committed create-only, so evidence can never be overwritten;
an item becomes visible only when its metadata blob `<case_id>/<evidence_id>.json` exists. With version-level
immutability on the evidence container, `protect_case` gives each blob of a case its own immutability policy (read
first, only ever extended: domain.retention.extends) and `hold_case` its legal hold (docs/production-storage.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.storage.blob import ContentSettings, ImmutabilityPolicy
from azure.storage.blob.aio import BlobClient, BlobServiceClient, ContainerClient

from domain.evidence import EvidenceItem
from domain.retention import extends
from storage.azure_account import AzureAccount, as_account, close_with_credential, service_client
from storage.ports import Document, PreconditionFailed, check_key

BLOCK_BYTES = 4 * 1024 * 1024
STAGING_BLOCKS = 2
DOWNLOAD_CHUNK_BYTES = 4 * 1024 * 1024
_CONTAINER_PREFIX = re.compile(r"^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){0,52}$")


def _folder_prefix(prefix: str) -> str:
    """A listing prefix names a folder, as in the local backend: 'cases/' and 'cases' both mean 'cases/'."""
    return check_key(prefix.rstrip("/")) + "/"


class AzureDocumentStore:
    """Small documents as blobs; the etag is the blob's own ETag, exactly as the SDK returns it."""

    def __init__(self, container: ContainerClient) -> None:
        self._container = container

    def _blob(self, key: str) -> BlobClient:
        return self._container.get_blob_client(check_key(key))

    async def get(self, key: str) -> Document | None:
        try:
            downloader = await self._blob(key).download_blob()
            data = await downloader.readall()
        except ResourceNotFoundError:
            return None
        return Document(data=data, etag=downloader.properties.etag)

    async def put(self, key: str, data: bytes, *, if_match: str | None = None, create_only: bool = False) -> str:
        blob = self._blob(key)
        try:
            result = await blob.upload_blob(data, **_write_conditions(if_match, create_only))
        except (ResourceExistsError, ResourceModifiedError, ResourceNotFoundError) as error:
            raise PreconditionFailed(key) from error
        return result["etag"]

    async def delete(self, key: str) -> None:
        with contextlib.suppress(ResourceNotFoundError):
            await self._blob(key).delete_blob()

    async def list_keys(self, prefix: str) -> list[str]:
        names = self._container.list_blob_names(name_starts_with=_folder_prefix(prefix))
        return sorted([name async for name in names])


def _write_conditions(if_match: str | None, create_only: bool) -> dict[str, object]:
    """Upload options: create-only (If-None-Match: *), etag-guarded (If-Match), or plain overwrite."""
    if create_only:
        return {"overwrite": False}
    if if_match is not None:
        return {"overwrite": True, "etag": if_match, "match_condition": MatchConditions.IfNotModified}
    return {"overwrite": True}


class AzureEvidenceWriter:
    """Stages the stream as blocks of BLOCK_BYTES while the next block fills; commit makes one blob, create-only.

    Up to STAGING_BLOCKS blocks upload at once, so the download feeding `write` does not stop for each upload.
    `benchmarks/upload.py` (100 MB from a local file server into Azurite): one block at a time the bot path
    reached 0.64x the throughput of a plain SDK `upload_blob` (median of 5 rounds); with two in flight 0.96x
    (medians 1.05-1.15x on a quieter machine), and 0.24 s of CPU instead of 0.36 s. Memory stays bounded: the
    buffer and the blocks in flight, (1 + STAGING_BLOCKS) x BLOCK_BYTES; peak RSS growth 21-23 MB (13-15 MB
    before; 25-28 MB if a block were copied twice, as a bytearray slice would).
    """

    def __init__(self, container: ContainerClient, case_id: str, evidence_id: str) -> None:
        self._container = container
        self._name = f"{check_key(case_id)}/{check_key(evidence_id)}"
        # Unique per writer, so a concurrent writer to the same name can never swap our uncommitted blocks.
        self._block_prefix = uuid.uuid4().hex[:16]
        self._buffer = bytearray()
        self._block_ids: list[str] = []
        self._staging: list[asyncio.Task[object]] = []

    async def write(self, chunk: bytes) -> None:
        self._buffer += chunk
        while len(self._buffer) >= BLOCK_BYTES:
            with memoryview(self._buffer) as view:
                block = bytes(view[:BLOCK_BYTES])  # one copy (a bytearray slice would be a second)
            del self._buffer[:BLOCK_BYTES]
            await self._stage(block)

    async def _stage(self, block: bytes) -> None:
        """Start uploading one block; first wait for the oldest upload if STAGING_BLOCKS are in flight."""
        while len(self._staging) >= STAGING_BLOCKS:
            await self._wait_oldest()
        # Fixed-width ids, as Azure requires; the SDK base64-encodes them on the wire. Their order is the blob's.
        block_id = f"{self._block_prefix}-{len(self._block_ids):08d}"
        self._block_ids.append(block_id)
        blob = self._container.get_blob_client(self._name)
        self._staging.append(asyncio.create_task(blob.stage_block(block_id, block, length=len(block))))

    async def _wait_oldest(self) -> None:
        """Wait for the oldest upload; its error is raised, and a failed task stays listed for `abort`."""
        await self._staging[0]
        self._staging.pop(0)

    async def commit(self, item: EvidenceItem) -> None:
        if self._buffer:
            await self._stage(bytes(self._buffer))
            self._buffer.clear()
        while self._staging:
            await self._wait_oldest()
        await self._commit_bytes(item)
        await self._commit_metadata(item)

    async def _commit_bytes(self, item: EvidenceItem) -> None:
        try:
            await self._container.get_blob_client(self._name).commit_block_list(
                self._block_ids,
                metadata={"sha256": item.sha256},
                content_settings=ContentSettings(content_type=item.content_type),
                match_condition=MatchConditions.IfMissing,
            )
        except (ResourceExistsError, ResourceModifiedError) as error:
            raise PreconditionFailed(self._name) from error

    async def _commit_metadata(self, item: EvidenceItem) -> None:
        blob = self._container.get_blob_client(f"{self._name}.json")
        try:
            await blob.upload_blob(
                item.model_dump_json().encode(),
                overwrite=False,
                content_settings=ContentSettings(content_type="application/json"),
            )
        except (ResourceExistsError, ResourceModifiedError) as error:
            raise PreconditionFailed(f"{self._name}.json") from error

    async def abort(self) -> None:
        """Drop the buffer and stop uploads. Staged, uncommitted blocks are invisible; the service discards them."""
        staging, self._staging = self._staging, []
        for task in staging:
            task.cancel()
        await asyncio.gather(*staging, return_exceptions=True)
        self._buffer.clear()
        self._block_ids.clear()


class AzureEvidenceStore:
    """Evidence bytes at <case_id>/<evidence_id>, its metadata JSON beside it; visible once the JSON exists."""

    def __init__(self, container: ContainerClient) -> None:
        self._container = container

    def open_writer(self, case_id: str, evidence_id: str) -> AzureEvidenceWriter:
        return AzureEvidenceWriter(self._container, case_id, evidence_id)

    async def has_immutability_policy(self) -> bool:
        """Whether the container has a time-based immutability policy (its period is not in the data plane's
        answer: the operator states it as EVIDENCE_IMMUTABILITY_DAYS)."""
        properties = await self._container.get_container_properties()
        return bool(properties.has_immutability_policy)

    async def get_item(self, case_id: str, evidence_id: str) -> EvidenceItem | None:
        return await self._load_item(f"{check_key(case_id)}/{check_key(evidence_id)}.json")

    async def _load_item(self, name: str) -> EvidenceItem | None:
        try:
            downloader = await self._container.get_blob_client(name).download_blob()
            raw = await downloader.readall()
        except ResourceNotFoundError:
            return None
        return EvidenceItem.model_validate_json(raw)

    async def list_items(self, case_id: str) -> list[EvidenceItem]:
        folder = f"{check_key(case_id)}/"
        names = [
            name
            async for name in self._container.list_blob_names(name_starts_with=folder)
            if name.endswith(".json") and "/" not in name[len(folder) :]
        ]
        loaded = await asyncio.gather(*(self._load_item(name) for name in names))
        items = [item for item in loaded if item is not None]
        return sorted(items, key=lambda item: item.received_at)

    async def delete_case(self, case_id: str) -> int:
        """Every blob under `<case_id>/`. With a time-based immutability policy on the container, a blob still
        inside its period refuses (and this raises): retention then tries again later."""
        folder = f"{check_key(case_id)}/"
        names = [name async for name in self._container.list_blob_names(name_starts_with=folder)]
        for name in names:
            with contextlib.suppress(ResourceNotFoundError):
                await self._container.delete_blob(name)
        return sum(1 for name in names if name.endswith(".json") and "/" not in name[len(folder) :])

    async def _case_blobs(self, case_id: str) -> list[BlobClient]:
        folder = f"{check_key(case_id)}/"
        return [
            self._container.get_blob_client(name)
            async for name in self._container.list_blob_names(name_starts_with=folder)
        ]

    async def protect_case(self, case_id: str, until: datetime, *, locked: bool) -> int:
        """Each blob's immutability policy to `until` where its own ends earlier (a locked one Azure lets only be
        extended anyway). Needs version-level immutability support on the container: Azure refuses otherwise."""
        mode = "Locked" if locked else "Unlocked"
        extended = 0
        for blob in await self._case_blobs(case_id):
            properties = await blob.get_blob_properties()
            if extends(properties.immutability_policy.expiry_time, until):
                await blob.set_immutability_policy(ImmutabilityPolicy(expiry_time=until, policy_mode=mode))
                extended += 1
        return extended

    async def hold_case(self, case_id: str, held: bool) -> int:
        changed = 0
        for blob in await self._case_blobs(case_id):
            properties = await blob.get_blob_properties()
            if bool(properties.has_legal_hold) is not held:
                await blob.set_legal_hold(held)
                changed += 1
        return changed

    async def read(self, case_id: str, evidence_id: str) -> AsyncIterator[bytes]:
        """Yield the bytes in chunks of at most DOWNLOAD_CHUNK_BYTES; FileNotFoundError if absent (as locally)."""
        blob = self._container.get_blob_client(f"{check_key(case_id)}/{check_key(evidence_id)}")
        try:
            downloader = await blob.download_blob()
        except ResourceNotFoundError as error:
            raise FileNotFoundError(blob.blob_name) from error
        async for chunk in downloader.chunks():
            yield chunk


def _check_container_prefix(prefix: str) -> str:
    if not _CONTAINER_PREFIX.match(prefix):
        raise ValueError(f"Container prefix {prefix!r} must be lowercase letters, digits and single hyphens.")
    return prefix


async def _ensure_container(service: BlobServiceClient, name: str) -> ContainerClient:
    container = service.get_container_client(name)
    with contextlib.suppress(ResourceExistsError):
        await container.create_container()
    return container


async def open_azure_backend(
    account: AzureAccount | str, prefix: str
) -> tuple[AzureDocumentStore, AzureEvidenceStore, Callable[[], Awaitable[None]]]:
    """Connect (storage/azure_account.py: a connection string, or the account URL with a managed identity), create
    `<prefix>-documents` and `<prefix>-evidence` if missing; return both stores and a close."""
    _check_container_prefix(prefix)
    service: BlobServiceClient = service_client(
        as_account(account),
        "blob",
        BlobServiceClient,
        max_single_get_size=DOWNLOAD_CHUNK_BYTES,
        max_chunk_get_size=DOWNLOAD_CHUNK_BYTES,
    )

    async def close() -> None:
        await close_with_credential(service)

    try:
        documents = await _ensure_container(service, f"{prefix}-documents")
        evidence = await _ensure_container(service, f"{prefix}-evidence")
    except BaseException:
        await close()
        raise
    return AzureDocumentStore(documents), AzureEvidenceStore(evidence), close
