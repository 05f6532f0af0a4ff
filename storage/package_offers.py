"""Files offered through a file consent card and not yet collected: one record per offer, `<prefix><offer_id>.json`
(`packages/` for case packages, `plan-files/` for the response plan's PDF).

The consent card carries only the offer id; the record says whose file it is, of what, until when it may be
accepted, and whether it was delivered or declined. The file itself lies in a local folder (see bot.file_offers)
and is deleted when delivered, declined or expired.
"""

from __future__ import annotations

from datetime import datetime
from typing import Generic, TypeVar

from domain.case_package import PackageOffer
from domain.file_offer import OFFER_ID, FileOffer, OfferStatus
from domain.response_plan import PlanOffer
from storage.ports import DocumentStore, PreconditionFailed

MAX_CONFLICT_RETRIES = 5
OfferT = TypeVar("OfferT", bound=FileOffer)


class OfferRecords(Generic[OfferT]):
    """The offers of one kind (`model`), kept under `prefix`."""

    def __init__(self, documents: DocumentStore, prefix: str, model: type[OfferT]) -> None:
        self._documents = documents
        self._prefix = prefix
        self._model = model

    def _key(self, offer_id: str) -> str:
        if not OFFER_ID.match(offer_id):
            raise ValueError("not an offer id")
        return f"{self._prefix}{offer_id}.json"

    async def create(self, offer: OfferT) -> None:
        await self._documents.put(self._key(offer.offer_id), offer.model_dump_json().encode(), create_only=True)

    async def get(self, offer_id: str) -> OfferT | None:
        """The offer, or None for an unknown or malformed id (a forged consent never raises)."""
        if not isinstance(offer_id, str) or not OFFER_ID.match(offer_id):
            return None
        document = await self._documents.get(self._key(offer_id))
        return self._model.model_validate_json(document.data) if document else None

    async def settle(self, offer_id: str, status: OfferStatus) -> OfferT | None:
        """Move an offered file to delivered/declined exactly once; None if it was already settled."""
        for _ in range(MAX_CONFLICT_RETRIES):
            document = await self._documents.get(self._key(offer_id))
            if document is None:
                return None
            offer = self._model.model_validate_json(document.data)
            if offer.status is not OfferStatus.OFFERED:
                return None
            settled = offer.model_copy(update={"status": status})
            try:
                await self._documents.put(
                    self._key(offer_id), settled.model_dump_json().encode(), if_match=document.etag
                )
            except PreconditionFailed:
                continue
            return settled
        return None

    async def expired(self, now: datetime) -> list[OfferT]:
        """Offers whose time is up (whatever their status): their records and files can go."""
        found = []
        for key in await self._documents.list_keys(self._prefix):
            document = await self._documents.get(key)
            if document is None:
                continue
            offer = self._model.model_validate_json(document.data)
            if offer.expires_at <= now:
                found.append(offer)
        return found

    async def delete(self, offer_id: str) -> None:
        await self._documents.delete(self._key(offer_id))


class PackageOffers(OfferRecords[PackageOffer]):
    def __init__(self, documents: DocumentStore) -> None:
        super().__init__(documents, "packages/", PackageOffer)

    async def of_case(self, case_id: str) -> list[PackageOffer]:
        """Every offer of a package of the case, whatever its status (for retention)."""
        found = []
        for key in await self._documents.list_keys(self._prefix):
            document = await self._documents.get(key)
            if document is not None:
                offer = self._model.model_validate_json(document.data)
                if offer.case_id == case_id:
                    found.append(offer)
        return found


class PlanOffers(OfferRecords[PlanOffer]):
    def __init__(self, documents: DocumentStore) -> None:
        super().__init__(documents, "plan-files/", PlanOffer)
