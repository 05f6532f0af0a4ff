"""Build case packages (UNDER: dokumentation): which cases a person may have a package of, the package itself
(exports.case_package writes the signed ZIP), and the audit of each step (`package_built`, `package_refused`,
`package_delivered`, `package_delivery_failed`, `package_declined`, `package_consent_refused`). What goes in for
whom is domain.case_package's decision; offering the ZIP in Teams is the edge's (bot.case_packages).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from content import Texts
from domain.audit import AuditEvent
from domain.authorization import Actor
from domain.case import Case, Person
from domain.case_package import PackageKind, PackageScope, allowed_kinds
from domain.clock import Clock
from exports.case_package import BuiltPackage, EvidenceIntegrityError, build_package, integrity_fields
from services.logging_setup import correlation_id
from storage.audit import AuditLog
from storage.cases import CaseRepository
from storage.package_signing import PackageSigner
from storage.ports import EvidenceStore

log = logging.getLogger("vaern.packages")


class CasePackageService:
    def __init__(
        self,
        cases: CaseRepository,
        evidence: EvidenceStore,
        audit: AuditLog,
        clock: Clock,
        signer: PackageSigner,
        person_cases: Callable[[Person], Awaitable[list[str]]] | None = None,
    ) -> None:
        self._cases = cases
        self._evidence = evidence
        self._audit = audit
        self._clock = clock
        self._signer = signer
        self._person_cases = person_cases

    async def candidates(
        self, actor: Actor, kind: PackageKind, case_id: str | None = None, reference: str | None = None
    ) -> list[Case]:
        """The cases this actor may have this kind of package of, narrowed to the named one if any.

        A police package is looked up in the person's own cases (`person_cases`, e.g. storage.case_index) when
        given; otherwise every case is read, which is fine for a municipality's few hundred cases a year.
        """
        if case_id:
            case_ids = [case_id]
        elif kind is PackageKind.POLICE and self._person_cases is not None:
            case_ids = await self._person_cases(actor.person)
        else:
            case_ids = await self._cases.list_ids()
        found: list[Case] = []
        for each in case_ids:
            versioned = await self._cases.get(each)
            if versioned is not None and kind in allowed_kinds(versioned.case, actor):
                found.append(versioned.case)
        if reference:
            found = [case for case in found if case.reference.upper() == reference]
        return found

    async def build(
        self, case: Case, actor: Actor, scope: PackageScope, texts: Texts, package_id: str, destination: Path
    ) -> BuiltPackage | str:
        """The package written to `destination`, or the key of a problem text ("integrity_failed", "failed")."""
        started = time.perf_counter()
        fields: dict[str, Any] = {"case_id": case.case_id, "package_id": package_id, "kind": scope.kind.value}
        try:
            built = await build_package(
                case,
                self._evidence,
                self._audit,
                scope,
                texts,
                requested_by=actor.person,
                generated_at=self._clock.now(),
                destination=destination,
                signer=self._signer,
            )
        except EvidenceIntegrityError as error:
            log.error(
                "package refused: stored evidence does not match its record",
                extra={"fields": fields | integrity_fields(error)},
            )
            await self.record(case, actor, scope.role.value, "package_refused", f"package={package_id} {error}")
            return "integrity_failed"
        except Exception:
            log.exception("package could not be built", extra={"fields": fields})
            return "failed"
        detail = (
            f"kind={scope.kind.value} package={package_id} sha256={built.sha256} size={built.size} "
            f"manifest_sha256={built.manifest_sha256} signed_by={built.manifest.signed_by.public_key_sha256} "
            f"files={len(built.manifest.files)} evidence={','.join(built.evidence_ids) or '-'}"
        )
        await self.record(case, actor, scope.role.value, "package_built", detail)
        log.info(
            "package built",
            extra={"fields": fields | {"bytes": built.size, "seconds": round(time.perf_counter() - started, 3)}},
        )
        return built

    async def record(self, case: Case | str, actor: Actor, role: str, action: str, detail: str) -> None:
        await self._audit.append(
            AuditEvent.by(
                actor.person,
                actor.tenant_id,
                case_id=case if isinstance(case, str) else case.case_id,
                at=self._clock.now(),
                role=role,
                action=action,
                correlation_id=correlation_id.get(),
                detail=detail,
            )
        )
