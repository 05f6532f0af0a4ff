"""The unit's response plan as a PDF the MED committee / work environment group can print, delivered to the
person's OneDrive through the Teams file consent flow (bot.file_offers), as case packages are.

Whoever may read the plan (domain.response_plan.may_read: the unit's employees, its leader, deputy and safety
representatives) gets the PDF of the version they see offered when they export it. It is made at once into
`folder/<file_id>.pdf`; `plan-files/<file_id>.json` remembers whose it is, and the consent card carries only that
id under the context key "plan", which bot.handler routes here. Only the person who asked, in the same tenant, may
accept, before the offer expires, and only while they still may read the plan; anyone else is told the PDF can't
be found. The PDF is deleted once delivered, declined or expired, and made again from the stored version if it
was lost (a restart, another instance). Offers, refusals, declines and deliveries are logged, never the plan's text.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from pathlib import Path

from microsoft_agents.activity import InvokeResponse
from microsoft_agents.hosting.core import TurnContext

from bot.file_consent import consent_kind, in_personal_chat
from bot.file_offers import NO_ROLE, FileKind, FileOffers, say
from bot.teams_turn import TeamsTurn
from content import Texts, texts_for
from dialogs.identity import person_of, tenant_of
from dialogs.turn import Turn
from domain.authorization import Actor
from domain.case_package import safe_file_name
from domain.clock import Clock
from domain.response_plan import PlanOffer, ResponsePlan, may_read, who_may_edit
from exports.response_plan import plan_pdf
from services.logging_setup import correlation_id
from services.roles import Directory
from storage.package_offers import PlanOffers
from storage.private_files import write_private
from storage.response_plans import ResponsePlanRepository

log = logging.getLogger("vaern.plans")

PLAN_CONTEXT = "plan"
PLAN_FILES = FileKind(context_key=PLAN_CONTEXT, suffix=".pdf", texts="plan_file")
PDF = "application/pdf"


def is_plan_consent(value: object) -> bool:
    """True for a fileConsent/invoke that answers a plan PDF's consent card."""
    return consent_kind(value) == PLAN_CONTEXT


class PlanFiles:
    def __init__(
        self,
        plans: ResponsePlanRepository,
        directory: Directory,
        offers: PlanOffers,
        clock: Clock,
        *,
        folder: Path,
        crisis_line: str,
        upload_hosts: list[str],
        upload_allow_http: bool = False,
    ) -> None:
        self._plans = plans
        self._directory = directory
        self._clock = clock
        self._crisis_line = crisis_line
        self._files = FileOffers(
            offers, clock, PLAN_FILES, folder=folder, upload_hosts=upload_hosts, upload_allow_http=upload_allow_http
        )

    async def close(self) -> None:
        await self._files.close()

    async def _make(self, file_id: str, plan: ResponsePlan, texts: Texts) -> bytes:
        """Render the plan and put the PDF where the offer expects it (in worker threads: fpdf is CPU work)."""
        data = await asyncio.to_thread(plan_pdf, texts, plan)
        await asyncio.to_thread(write_private, self._files.path(file_id), data)
        return data

    async def offer(self, turn: Turn, plan: ResponsePlan, texts: Texts) -> None:
        """Make the PDF of this plan version and send its consent card (the caller has checked may_read)."""
        if not isinstance(turn, TeamsTurn):
            raise TypeError("a plan PDF is offered in a Teams turn")
        turn_context = turn.context
        if not in_personal_chat(turn_context.activity):
            await say(turn_context, texts("plan_file.personal_only"))
            return
        await self._files.sweep()
        file_id = uuid.uuid4().hex
        fields = {"unit_id": plan.unit_id, "version": plan.version, "file_id": file_id}
        try:
            data = await self._make(file_id, plan, texts)
        except Exception:
            log.exception("plan pdf could not be made", extra={"fields": fields})
            await say(turn_context, texts("plan_file.failed", correlation_id=correlation_id.get()))
            return
        now = self._clock.now()
        offer = PlanOffer(
            file_id=file_id,
            unit_id=plan.unit_id,
            unit_name=plan.unit_name,
            version=plan.version,
            requester=person_of(turn_context.activity),
            tenant_id=tenant_of(turn_context.activity),
            language=texts.language,
            file_name=safe_file_name(texts("plan_file.file_name", unit=plan.unit_name, version=plan.version), PDF),
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            created_at=now,
            expires_at=now + self._files.lifetime,
        )
        description = texts("plan_file.consent", unit=plan.unit_name, version=plan.version)
        await self._files.offer(turn_context, offer, description)
        log.info(
            "plan pdf offered",
            extra={"fields": fields | {"user_id": offer.requester.user_id, "bytes": offer.size}},
        )

    # --- the answer to the consent card (bot.file_offers asks `ready` and calls `record`) --------------------

    async def on_file_consent(self, turn_context: TurnContext) -> InvokeResponse:
        """fileConsent/invoke for a plan PDF: deliver on accept, clean up on decline."""
        activity = turn_context.activity
        texts = texts_for(activity.locale, self._crisis_line)
        actor = Actor(person_of(activity), tenant_id=tenant_of(activity))
        return await self._files.on_file_consent(turn_context, self, texts, actor)

    async def ready(self, turn_context: TurnContext, actor: Actor, offer: PlanOffer, texts: Texts) -> str | None:
        """The actor's role ("editor" or "reader") while they still may read the unit's plan, with the PDF in
        place (made again from the stored version if it was lost); None when they may not (they have been told)."""
        aad = actor.person.aad_object_id
        person = self._directory.find(aad)
        unit = self._directory.unit(offer.unit_id)
        if not may_read(unit, aad, person.unit if person is not None else None):
            self._files.discard(offer.file_id)
            await say(turn_context, texts("plan_file.not_allowed"))
            return None
        if not self._files.path(offer.file_id).exists():
            plan = await self._plans.version(offer.unit_id, offer.version)
            if plan is None:
                await say(turn_context, texts("plan_file.not_found"))
                return None
            await self._make(offer.file_id, plan, texts)
        return "editor" if who_may_edit(unit, aad) else "reader"

    async def record(self, actor: Actor, offer: PlanOffer, event: str, role: str = NO_ROLE, note: str = "") -> None:
        """Log the step with who and which version, never the plan's text; `note` is an upload error or the name
        the PDF got in OneDrive."""
        fields = {
            "unit_id": offer.unit_id,
            "version": offer.version,
            "file_id": offer.file_id,
            "user_id": actor.person.user_id,
            "role": role,
        }
        if event == "delivery_failed":
            fields["error"] = note
        log.info(f"plan pdf {event.replace('_', ' ')}", extra={"fields": fields})
