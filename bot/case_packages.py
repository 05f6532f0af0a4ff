"""Case packages through Teams: who asks (a card button or a typed command), offering the package (built by
services.case_packages) with a file consent card, and delivering it to the requester's OneDrive when they accept.

  * leader / deputy / escalated HR: the "package" button (Action.Execute) on their case card → a FULL package;
    they may also write "sagspakke" (or "case package"), optionally with the case reference;
  * the employee (or a colleague who reported for them): "politipakke" (or "police package") → a POLICE package.

The package is built at once into `folder/<package_id>.zip`; `packages/<package_id>.json` remembers whose it is.
The consent card carries only that id. The answer goes through bot.file_offers: the person accepting must be the
requester, in the same tenant, before the offer expires or is used, and (`ready` here) still may have the
package; anyone else is told the package can't be found (a forged accept learns nothing) and the attempt is
audited. The ZIP is deleted once delivered, declined or expired. Building, refusals, delivery and declines are
audited (`package_built`, `package_refused`, `package_delivered`, `package_delivery_failed`, `package_declined`,
`package_consent_refused`).
Every package's manifest is signed with the organisation's key (storage.package_signing); `package_built`
records the ZIP's own SHA-256, the signed manifest's and the key's fingerprint, so a package shown later can be
matched to the one built.

If the bot restarts (or another instance gets the accept), a missing ZIP is built again from storage.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
from microsoft_agents.activity import InvokeResponse
from microsoft_agents.hosting.core import MessageFactory, TurnContext

from bot.file_consent import CONTEXT_KEY, in_personal_chat
from bot.file_offers import NO_ROLE, FileKind, FileOffers, say
from bot.teams_turn import card_message
from bot.universal_actions import MalformedAction, error_response, invoke_response, read_card_action
from cards.case_package import COMMANDS, PACKAGE_VERB, choose_case_card
from content import Texts, command_words, texts_for
from dialogs.identity import actor_of
from domain.authorization import Actor
from domain.case import Case, Person
from domain.case_package import (
    PackageKind,
    PackageNotAllowed,
    PackageOffer,
    allowed_kinds,
    package_file_name,
    package_scope,
)
from domain.clock import Clock
from domain.file_offer import OFFER_LIFETIME
from domain.handling import HrFunction
from services.case_packages import CasePackageService
from services.logging_setup import correlation_id
from services.roles import Directory
from storage.audit import AuditLog
from storage.cases import CaseRepository
from storage.package_offers import PackageOffers
from storage.package_signing import PackageSigner
from storage.ports import EvidenceStore

MESSAGE_TYPE = "application/vnd.microsoft.activity.message"
PACKAGE_FILES = FileKind(context_key=CONTEXT_KEY, suffix=".zip", texts="package_chat")
_REFERENCE = re.compile(r"^[A-Za-z]{1,10}-\d{4}-\d{1,6}$")
_CASE_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class PackageCommand:
    kind: PackageKind
    case_id: str | None = None
    reference: str | None = None


def package_command(text: str, value: dict[str, Any] | None = None) -> PackageCommand | None:
    """'politipakke', 'sagspakke VK-2026-0001', or a card submit {"command": "police_package", "case_id": …}."""
    value = value or {}
    command = value.get("command")
    if isinstance(command, str):
        for kind, name in COMMANDS.items():
            if command == name:
                case_id = value.get("case_id")
                return PackageCommand(kind, case_id if isinstance(case_id, str) and _CASE_ID.match(case_id) else None)
        return None
    folded = " ".join(text.lower().split()).strip(" .!")
    for kind, name in COMMANDS.items():
        for word in sorted(command_words(name), key=len, reverse=True):
            if folded == word:
                return PackageCommand(kind)
            rest = folded.removeprefix(word + " ").strip()
            if folded.startswith(word + " ") and _REFERENCE.match(rest):
                return PackageCommand(kind, reference=rest.upper())
    return None


def is_package_action(value: object) -> bool:
    """True for an adaptiveCard/action invoke whose Action.Execute verb is "package"."""
    action = value.get("action") if isinstance(value, dict) else None
    return isinstance(action, dict) and action.get("verb") == PACKAGE_VERB


def _problem_text(texts: Texts, key: str, kind: PackageKind) -> str:
    command = texts.word_for(COMMANDS[kind])
    return texts(f"package_chat.{key}", correlation_id=correlation_id.get(), command=command)


def message_response(text: str) -> InvokeResponse:
    """A Universal Actions answer that leaves the card as it is and shows a short message."""
    return InvokeResponse(status=200, body={"statusCode": 200, "type": MESSAGE_TYPE, "value": text})


class CasePackages:
    def __init__(
        self,
        cases: CaseRepository,
        evidence: EvidenceStore,
        audit: AuditLog,
        offers: PackageOffers,
        directory: Directory,
        clock: Clock,
        *,
        folder: Path,
        crisis_line: str,
        upload_hosts: list[str],
        upload_allow_http: bool = False,
        lifetime: timedelta = OFFER_LIFETIME,
        session: aiohttp.ClientSession | None = None,
        person_cases: Callable[[Person], Awaitable[list[str]]] | None = None,
        signer: PackageSigner,
        hr_intake: HrFunction = HrFunction.WORK_ENVIRONMENT_COORDINATOR,
    ) -> None:
        self._cases = cases
        self._hr_intake = hr_intake
        self._directory = directory
        self._clock = clock
        self._crisis_line = crisis_line
        self._service = CasePackageService(cases, evidence, audit, clock, signer, person_cases)
        self._files = FileOffers(
            offers,
            clock,
            PACKAGE_FILES,
            folder=folder,
            upload_hosts=upload_hosts,
            upload_allow_http=upload_allow_http,
            lifetime=lifetime,
            session=session,
        )

    async def close(self) -> None:
        await self._files.close()

    def _texts(self, turn_context: TurnContext) -> Texts:
        return texts_for(turn_context.activity.locale, self._crisis_line)

    def _actor(self, turn_context: TurnContext) -> Actor:
        return actor_of(turn_context.activity, self._directory, self._hr_intake)

    # --- asking -------------------------------------------------------------------------------------------

    async def on_card_action(self, turn_context: TurnContext) -> InvokeResponse:
        """Action.Execute "package" from a case card: offer the package in the chat, keep the card as it is."""
        texts = self._texts(turn_context)
        try:
            action = read_card_action(turn_context.activity.value)
            kind = PackageKind(action.data.get("kind") or PackageKind.FULL.value)
        except (MalformedAction, ValueError, TypeError):
            return invoke_response(error_response(400, "BadRequest", texts("action_errors.invalid_input")))
        versioned = await self._cases.get(action.case_id)
        actor = self._actor(turn_context)
        if versioned is None or kind not in allowed_kinds(versioned.case, actor):
            return invoke_response(error_response(403, "Forbidden", texts("package_chat.not_allowed")))
        problem = await self._offer(turn_context, actor, versioned.case, kind, texts)
        return message_response(_problem_text(texts, problem, kind) if problem else texts("package_chat.offered"))

    async def on_command(self, turn_context: TurnContext, command: PackageCommand) -> None:
        """A typed (or card-submitted) request: one case → offer it; several → ask which; none → say so."""
        texts = self._texts(turn_context)
        actor = self._actor(turn_context)
        candidates = await self._service.candidates(actor, command.kind, command.case_id, command.reference)
        if not candidates:
            await turn_context.send_activity(MessageFactory.text(texts(f"package_chat.no_cases_{command.kind.value}")))
        elif len(candidates) > 1:
            card = choose_case_card(texts, candidates, command.kind)
            await turn_context.send_activity(card_message(card))
        else:
            problem = await self._offer(turn_context, actor, candidates[0], command.kind, texts)
            if problem:
                await say(turn_context, _problem_text(texts, problem, command.kind))

    async def _offer(
        self, turn_context: TurnContext, actor: Actor, case: Case, kind: PackageKind, texts: Texts
    ) -> str | None:
        """Build the package and send the consent card; returns the key of a problem text, or None."""
        try:
            scope = package_scope(case, actor, kind)
        except PackageNotAllowed:
            return "not_allowed"
        if not in_personal_chat(turn_context.activity):
            return "personal_only"
        await self._files.sweep()
        package_id = uuid.uuid4().hex
        built = await self._service.build(case, actor, scope, texts, package_id, self._files.path(package_id))
        if isinstance(built, str):
            return built
        now = self._clock.now()
        offer = PackageOffer(
            package_id=package_id,
            case_id=case.case_id,
            case_reference=built.manifest.case_reference,
            kind=kind,
            requester=actor.person,
            tenant_id=actor.tenant_id,
            language=texts.language,
            file_name=package_file_name(built.manifest.case_reference, kind, texts.language),
            size=built.size,
            sha256=built.sha256,
            created_at=now,
            expires_at=now + self._files.lifetime,
        )
        description = texts(
            f"package_chat.consent_{kind.value}", reference=offer.case_reference, count=len(built.contents.evidence)
        )
        await self._files.offer(turn_context, offer, description)
        return None

    # --- the answer to the consent card (bot.file_offers asks `ready` and calls `record`) --------------------

    async def on_file_consent(self, turn_context: TurnContext) -> InvokeResponse:
        """fileConsent/invoke: deliver on accept, clean up on decline. Always 200 unless the value is malformed."""
        return await self._files.on_file_consent(
            turn_context, self, self._texts(turn_context), self._actor(turn_context)
        )

    async def ready(self, turn_context: TurnContext, actor: Actor, offer: PackageOffer, texts: Texts) -> str | None:
        """The actor's role on the case if they still may have the package, with its ZIP in place (built again
        from storage after a restart, or when another instance built it)."""
        versioned = await self._cases.get(offer.case_id)
        try:
            if versioned is None:
                raise PackageNotAllowed(offer.kind.value)
            scope = package_scope(versioned.case, actor, offer.kind)  # they may have lost the role since
        except PackageNotAllowed:
            self._files.discard(offer.package_id)
            await say(turn_context, texts("package_chat.not_allowed"))
            return None
        if not self._files.path(offer.package_id).exists():
            built = await self._service.build(
                versioned.case, actor, scope, texts, offer.package_id, self._files.path(offer.package_id)
            )
            if isinstance(built, str):
                await say(turn_context, _problem_text(texts, built, offer.kind))
                return None
        return scope.role.value

    async def record(self, actor: Actor, offer: PackageOffer, event: str, role: str = NO_ROLE, note: str = "") -> None:
        details = {
            "consent_refused": f"package={offer.package_id}",
            "declined": f"kind={offer.kind.value} package={offer.package_id}",
            "delivery_failed": f"package={offer.package_id} {note}",
            "delivered": (
                f"kind={offer.kind.value} package={offer.package_id} sha256={offer.sha256} size={offer.size} "
                f"name={note}"
            ),
        }
        await self._service.record(offer.case_id, actor, role, f"package_{event}", details[event])
