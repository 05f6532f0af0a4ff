"""A file made for one person, offered with a Teams file consent card and delivered to their OneDrive when they
accept: the part every kind of offered file shares (case packages, bot.case_packages; the response plan's PDF,
bot.plan_files).

The file waits in `folder/<offer_id><suffix>`; the offer record (storage.package_offers) says whose it is. The
card carries only the offer id, under the kind's context key. On an answer the person must be the requester, in
the same tenant, and the offer not expired or used (domain.file_offer.offer_refusal); anyone else is told the file
can't be found, so a forged accept learns nothing. The kind's `FileOwner` then says whether the person still may
have the file (and puts a lost file back), and records each step. The file is deleted once delivered, declined or
expired. Texts come from the kind's content section: not_found, expired, already_delivered, declined,
declined_card, upload_failed, delivered, delivered_card.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Generic, Protocol, TypeVar

import aiohttp
from microsoft_agents.activity import Activity, ActivityTypes, InvokeResponse
from microsoft_agents.hosting.core import MessageFactory, TurnContext

from bot.file_consent import (
    ConsentReply,
    MalformedConsent,
    UploadFailed,
    check_upload_url,
    file_consent_attachment,
    file_info_attachment,
    read_consent,
    upload_file,
    upload_session,
)
from content import Texts
from domain.authorization import Actor
from domain.clock import Clock
from domain.file_offer import OFFER_LIFETIME, FileOffer, OfferRefusal, OfferStatus, offer_refusal
from storage.package_offers import OfferRecords

log = logging.getLogger("vaern.file_offers")

OfferT = TypeVar("OfferT", bound=FileOffer)
OfferT_contra = TypeVar("OfferT_contra", bound=FileOffer, contravariant=True)
NO_ROLE = "none"


class FileOwner(Protocol[OfferT_contra]):
    """What one kind of offered file decides for itself."""

    async def ready(self, turn_context: TurnContext, actor: Actor, offer: OfferT_contra, texts: Texts) -> str | None:
        """The role in which the actor takes the file now, with the file in place (made again if it was lost);
        None when they may no longer have it or it can't be made (they have been told why)."""
        ...

    async def record(self, actor: Actor, offer: OfferT_contra, event: str, role: str = NO_ROLE, note: str = "") -> None:
        """Audit or log one step without the file's content: "consent_refused", "declined", "delivery_failed"
        (note: the error) or "delivered" (note: the name in OneDrive)."""
        ...


@dataclass(frozen=True)
class FileKind:
    """What tells one kind of offered file from another."""

    context_key: str  # names the kind in the consent card's context; bot.handler routes on it
    suffix: str  # of the file waiting in the folder
    texts: str  # the content section with the kind's answers


async def say(turn_context: TurnContext, text: str) -> None:
    await turn_context.send_activity(MessageFactory.text(text))


class FileOffers(Generic[OfferT]):
    def __init__(
        self,
        offers: OfferRecords[OfferT],
        clock: Clock,
        kind: FileKind,
        *,
        folder: Path,
        upload_hosts: list[str],
        upload_allow_http: bool = False,
        lifetime: timedelta = OFFER_LIFETIME,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self._offers = offers
        self._clock = clock
        self._kind = kind
        self._folder = folder
        self._upload_hosts = list(upload_hosts)
        self._upload_allow_http = upload_allow_http
        self.lifetime = lifetime
        self._session = session
        self._owns_session = session is None

    async def close(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
        self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = upload_session()
            self._owns_session = True
        return self._session

    def path(self, offer_id: str) -> Path:
        return self._folder / f"{offer_id}{self._kind.suffix}"

    def discard(self, offer_id: str) -> None:
        self.path(offer_id).unlink(missing_ok=True)

    def _text(self, texts: Texts, key: str, **values: object) -> str:
        return texts(f"{self._kind.texts}.{key}", **values)

    async def offer(self, turn_context: TurnContext, offer: OfferT, description: str) -> None:
        """Remember the offer and send its consent card (the file must already lie at `path(offer.offer_id)`)."""
        await self._offers.create(offer)
        attachment = file_consent_attachment(
            offer.file_name, description, offer.size, offer.offer_id, self._kind.context_key
        )
        await turn_context.send_activity(MessageFactory.attachment(attachment))

    # --- the answer to the consent card -------------------------------------------------------------------

    async def on_file_consent(
        self, turn_context: TurnContext, owner: FileOwner[OfferT], texts: Texts, actor: Actor
    ) -> InvokeResponse:
        """fileConsent/invoke: deliver on accept, clean up on decline. Always 200 unless the value is malformed."""
        try:
            reply = read_consent(turn_context.activity.value, self._kind.context_key)
        except MalformedConsent:
            return InvokeResponse(status=400)
        offer = await self._offers.get(reply.token)
        if offer is None:
            await say(turn_context, self._text(texts, "not_found"))
            return InvokeResponse(status=200)
        refusal = offer_refusal(offer, actor.person, actor.tenant_id, self._clock.now())
        if refusal is not None:
            await self._refuse(turn_context, owner, actor, offer, refusal, texts)
        elif reply.action == "decline":
            await self._declined(turn_context, owner, actor, offer, texts)
        else:
            await self._deliver(turn_context, owner, actor, offer, reply, texts)
        return InvokeResponse(status=200)

    def _fields(self, offer: OfferT) -> dict[str, str]:
        return {"offer": self._kind.context_key, "offer_id": offer.offer_id}

    async def _refuse(
        self,
        turn_context: TurnContext,
        owner: FileOwner[OfferT],
        actor: Actor,
        offer: OfferT,
        refusal: OfferRefusal,
        texts: Texts,
    ) -> None:
        if refusal is OfferRefusal.NOT_REQUESTER:
            log.warning("file consent from someone else refused", extra={"fields": self._fields(offer)})
            await owner.record(actor, offer, "consent_refused")
            await say(turn_context, self._text(texts, "not_found"))
            return
        if refusal is OfferRefusal.EXPIRED:
            self.discard(offer.offer_id)
        key = {OfferRefusal.DELIVERED: "already_delivered", OfferRefusal.EXPIRED: "expired"}.get(refusal, "not_found")
        await say(turn_context, self._text(texts, key))

    async def _declined(
        self, turn_context: TurnContext, owner: FileOwner[OfferT], actor: Actor, offer: OfferT, texts: Texts
    ) -> None:
        self.discard(offer.offer_id)
        if await self._offers.settle(offer.offer_id, OfferStatus.DECLINED) is not None:
            await owner.record(actor, offer, "declined")
        await self._replace_consent_card(turn_context, self._text(texts, "declined_card"))
        await say(turn_context, self._text(texts, "declined"))

    async def _deliver(
        self,
        turn_context: TurnContext,
        owner: FileOwner[OfferT],
        actor: Actor,
        offer: OfferT,
        reply: ConsentReply,
        texts: Texts,
    ) -> None:
        assert reply.upload is not None
        role = await owner.ready(turn_context, actor, offer, texts)
        if role is None:
            return
        fields = self._fields(offer)
        try:
            check_upload_url(reply.upload.upload_url, self._upload_hosts, self._upload_allow_http)
            started = time.perf_counter()
            await upload_file(self._http(), reply.upload.upload_url, self.path(offer.offer_id))
        except UploadFailed as error:
            log.warning("file upload failed", extra={"fields": fields | {"error": str(error)}})
            await owner.record(actor, offer, "delivery_failed", role, str(error))
            await say(turn_context, self._text(texts, "upload_failed"))
            return
        log.info("file uploaded", extra={"fields": fields | {"seconds": round(time.perf_counter() - started, 3)}})
        await self._offers.settle(offer.offer_id, OfferStatus.DELIVERED)
        name = reply.upload.name or offer.file_name
        await owner.record(actor, offer, "delivered", role, name)
        message = MessageFactory.attachment(
            file_info_attachment(reply.upload, offer.file_name), text=self._text(texts, "delivered", name=name)
        )
        await turn_context.send_activity(message)
        await self._replace_consent_card(turn_context, self._text(texts, "delivered_card", name=name))
        self.discard(offer.offer_id)

    @staticmethod
    async def _replace_consent_card(turn_context: TurnContext, text: str) -> None:
        """Turn the consent card (the invoke's replyToId) into a plain line, so it can't be answered again."""
        card_id = turn_context.activity.reply_to_id
        if not card_id:
            return
        replacement = Activity(type=ActivityTypes.message, id=card_id, text=text)
        try:
            await turn_context.update_activity(replacement)
        except Exception:  # cosmetic: the offer is settled either way
            log.warning("could not update the consent card", exc_info=True)

    # --- housekeeping ---------------------------------------------------------------------------------------

    async def sweep(self, now: datetime | None = None) -> int:
        """Delete expired offers and their files, and files nobody offered (a crash between making and recording)."""
        now = now or self._clock.now()
        removed = 0
        for offer in await self._offers.expired(now):
            self.discard(offer.offer_id)
            await self._offers.delete(offer.offer_id)
            removed += 1
        cutoff = now.timestamp() - self.lifetime.total_seconds()
        pattern = f"*{self._kind.suffix}"
        for path in await asyncio.to_thread(lambda: list(self._folder.glob(pattern)) if self._folder.is_dir() else []):
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
        return removed
