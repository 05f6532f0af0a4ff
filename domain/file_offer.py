"""A file the bot made for one person and offers through a Teams file consent card (a case package, the response
plan's PDF): whose it is, until when it may be taken, and whether it was. Pure rules, no storage, no botbuilder.

The consent card carries only the offer's id. Only the person who asked, in the same tenant, may take the file,
once, before the offer expires.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel

from domain.case import Person

OFFER_ID = re.compile(r"^[0-9a-f]{32}$")
OFFER_LIFETIME = timedelta(hours=24)


class OfferStatus(StrEnum):
    OFFERED = "offered"
    DELIVERED = "delivered"
    DECLINED = "declined"


class OfferRefusal(StrEnum):
    NOT_REQUESTER = "not_requester"
    EXPIRED = "expired"
    DELIVERED = "delivered"
    DECLINED = "declined"


class FileOffer(BaseModel):
    """What every offer holds; each kind adds its own id field (returned by `offer_id`) and what the file is of."""

    requester: Person
    tenant_id: str | None = None
    language: str = "da"
    file_name: str
    size: int
    sha256: str
    created_at: datetime
    expires_at: datetime
    status: OfferStatus = OfferStatus.OFFERED

    @property
    def offer_id(self) -> str:
        """The id the consent card carries; the file waits under this name."""
        raise NotImplementedError


def offer_refusal(offer: FileOffer, person: Person, tenant_id: str | None, now: datetime) -> OfferRefusal | None:
    """Why this person may not take this offer now (None: they may). Only the requester ever may."""
    same_tenant = offer.tenant_id is None or offer.tenant_id == tenant_id
    if not offer.requester.is_(person) or not same_tenant:
        return OfferRefusal.NOT_REQUESTER
    if offer.status is OfferStatus.DELIVERED:
        return OfferRefusal.DELIVERED
    if offer.status is OfferStatus.DECLINED:
        return OfferRefusal.DECLINED
    if now >= offer.expires_at:
        return OfferRefusal.EXPIRED
    return None
