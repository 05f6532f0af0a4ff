"""Secure one piece of evidence: sniff its real type, stream it into the store while hashing, commit.

Nothing becomes visible unless every byte arrived, the type is allowed (and matches the kind of file the
name promises) and the size is under the cap. The original name is only recorded, cleaned: storage paths are
the case id and a random evidence id, so no name can write outside the store. A write the store cannot take (a full
disk, storage unreachable) is a refusal too (`RefusalReason.NOT_STORED`): the file is named and was not stored.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable

from domain.clock import Clock
from domain.content_sniffing import SNIFF_BYTES, name_contradicts_content, sniff_content_type
from domain.evidence import EvidenceItem, EvidencePolicy, EvidenceSource, clean_original_name
from domain.refusals import EvidenceRefused, RefusalReason
from storage.ports import EvidenceStore, EvidenceWriter

log = logging.getLogger("vaern.evidence")


class EvidenceIntake:
    def __init__(self, store: EvidenceStore, policy: EvidencePolicy, clock: Clock) -> None:
        self._store = store
        self._policy = policy
        self._clock = clock

    async def secure(
        self,
        case_id: str,
        chunks: AsyncIterator[bytes],
        *,
        original_name: str,
        uploaded_by: str,
        source: EvidenceSource,
    ) -> EvidenceItem:
        """Store the stream as evidence of the case; raise EvidenceRefused and store nothing if it fails."""
        received_at = self._clock.now()
        name = clean_original_name(original_name)
        head, rest = await _read_head(chunks, SNIFF_BYTES)
        if not head:
            raise EvidenceRefused(RefusalReason.EMPTY)
        content_type = sniff_content_type(head, name)
        if not self._policy.allows(content_type):
            raise EvidenceRefused(RefusalReason.TYPE_NOT_ALLOWED, content_type)
        if name_contradicts_content(name, content_type):
            raise EvidenceRefused(RefusalReason.TYPE_NOT_ALLOWED, f"{content_type} named {name!r}")
        evidence_id = uuid.uuid4().hex
        writer = self._store.open_writer(case_id, evidence_id)
        try:
            digest, size = await self._stream(writer, head, rest, case_id)
            item = EvidenceItem(
                evidence_id=evidence_id,
                case_id=case_id,
                sha256=digest,
                size=size,
                content_type=content_type,
                original_name=name,
                received_at=received_at,
                uploaded_by=uploaded_by,
                source=source,
            )
            await _stored(writer.commit(item), case_id)
            return item
        except BaseException:
            await _discard(writer)
            raise

    async def _stream(
        self, writer: EvidenceWriter, head: bytes, rest: AsyncIterator[bytes], case_id: str
    ) -> tuple[str, int]:
        digest = hashlib.sha256()
        size = 0

        async def accept(chunk: bytes) -> None:
            nonlocal size
            size += len(chunk)
            if size > self._policy.max_bytes:
                raise EvidenceRefused(RefusalReason.TOO_LARGE, str(size))
            digest.update(chunk)
            await _stored(writer.write(chunk), case_id)

        await accept(head)
        async for chunk in rest:
            if chunk:
                await accept(chunk)
        return digest.hexdigest(), size


async def _discard(writer: EvidenceWriter) -> None:
    """Abort the write; failing to clean up (storage still down) must not hide why the evidence was not stored."""
    try:
        await writer.abort()
    except Exception:
        log.warning("a partial evidence write could not be discarded", exc_info=True)


async def _stored(write: Awaitable[None], case_id: str) -> None:
    """One write to the evidence store; its failure becomes the refusal the user hears (the file was not stored)."""
    try:
        await write
    except Exception as error:
        log.error(
            "evidence not stored: the store refused a write", exc_info=True, extra={"fields": {"case_id": case_id}}
        )
        raise EvidenceRefused(RefusalReason.NOT_STORED, f"{type(error).__name__}: {error}") from error


async def _read_head(chunks: AsyncIterator[bytes], wanted: int) -> tuple[bytes, AsyncIterator[bytes]]:
    """Collect at least `wanted` bytes (or all there are) and return them with the remaining stream."""
    iterator = chunks.__aiter__()
    head = b""
    while len(head) < wanted:
        try:
            head += await iterator.__anext__()
        except StopAsyncIteration:
            break
    return head, iterator
