"""Packages offered through a file consent card and not yet collected: `packages/<package_id>.json`.

The consent card carries only the package id; this record says whose package it is, of which case and kind,
until when it may be accepted, and whether it was delivered or declined. The ZIP itself lies in a local folder
(see bot.case_packages) and is deleted when delivered, declined or expired.
"""

from __future__ import annotations

from datetime import datetime

from domain.case_package import PACKAGE_ID, OfferStatus, PackageOffer
from storage.ports import DocumentStore, PreconditionFailed

PREFIX = "packages/"
MAX_CONFLICT_RETRIES = 5


class PackageOffers:
    def __init__(self, documents: DocumentStore) -> None:
        self._documents = documents

    @staticmethod
    def _key(package_id: str) -> str:
        if not PACKAGE_ID.match(package_id):
            raise ValueError("not a package id")
        return f"{PREFIX}{package_id}.json"

    async def create(self, offer: PackageOffer) -> None:
        await self._documents.put(self._key(offer.package_id), offer.model_dump_json().encode(), create_only=True)

    async def get(self, package_id: str) -> PackageOffer | None:
        """The offer, or None for an unknown or malformed id (a forged consent never raises)."""
        if not isinstance(package_id, str) or not PACKAGE_ID.match(package_id):
            return None
        document = await self._documents.get(self._key(package_id))
        return PackageOffer.model_validate_json(document.data) if document else None

    async def settle(self, package_id: str, status: OfferStatus) -> PackageOffer | None:
        """Move an offered package to delivered/declined exactly once; None if it was already settled."""
        for _ in range(MAX_CONFLICT_RETRIES):
            document = await self._documents.get(self._key(package_id))
            if document is None:
                return None
            offer = PackageOffer.model_validate_json(document.data)
            if offer.status is not OfferStatus.OFFERED:
                return None
            settled = offer.model_copy(update={"status": status})
            try:
                await self._documents.put(
                    self._key(package_id), settled.model_dump_json().encode(), if_match=document.etag
                )
            except PreconditionFailed:
                continue
            return settled
        return None

    async def expired(self, now: datetime) -> list[PackageOffer]:
        """Offers whose time is up (whatever their status): their records and files can go."""
        found = []
        for key in await self._documents.list_keys(PREFIX):
            document = await self._documents.get(key)
            if document is None:
                continue
            offer = PackageOffer.model_validate_json(document.data)
            if offer.expires_at <= now:
                found.append(offer)
        return found

    async def delete(self, package_id: str) -> None:
        await self._documents.delete(self._key(package_id))
