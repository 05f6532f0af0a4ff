"""Response plans per unit, every version kept, on top of a DocumentStore.

  plans/<unit_id>/current.json   the version in force (etag-guarded)
  plans/<unit_id>/v<n>.json      every saved version, create-only: who saved it, when, and what changed

A save first writes the new version create-only (so two people saving at once get different numbers and neither
is lost), then points current.json at it with an etag check. If someone saved a later version in between, theirs
stays current and ours is kept in the history.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from domain.response_plan import ResponsePlan, changed_fields
from storage.ports import DocumentStore, PreconditionFailed, check_key

MAX_CONFLICT_RETRIES = 20
_VERSION_KEY = re.compile(r"/v(\d+)\.json$")


@dataclass(frozen=True)
class VersionedPlan:
    plan: ResponsePlan
    etag: str


@dataclass(frozen=True)
class SavedPlan:
    plan: ResponsePlan
    superseded: bool  # someone saved a later version meanwhile; this one is in the history only


class ResponsePlanRepository:
    def __init__(self, documents: DocumentStore) -> None:
        self._documents = documents

    @staticmethod
    def _folder(unit_id: str) -> str:
        return check_key(f"plans/{unit_id}")

    def _current_key(self, unit_id: str) -> str:
        return f"{self._folder(unit_id)}/current.json"

    def _version_key(self, unit_id: str, version: int) -> str:
        return f"{self._folder(unit_id)}/v{version}.json"

    async def current(self, unit_id: str) -> VersionedPlan | None:
        document = await self._documents.get(self._current_key(unit_id))
        if document is None:
            return None
        return VersionedPlan(ResponsePlan.model_validate_json(document.data), document.etag)

    async def version(self, unit_id: str, version: int) -> ResponsePlan | None:
        document = await self._documents.get(self._version_key(unit_id, version))
        return ResponsePlan.model_validate_json(document.data) if document is not None else None

    async def version_numbers(self, unit_id: str) -> list[int]:
        keys = await self._documents.list_keys(f"{self._folder(unit_id)}/")
        return sorted(int(match.group(1)) for key in keys if (match := _VERSION_KEY.search(key)))

    async def history(self, unit_id: str) -> list[ResponsePlan]:
        """Every saved version, oldest first."""
        found = [await self.version(unit_id, number) for number in await self.version_numbers(unit_id)]
        return [plan for plan in found if plan is not None]

    async def save(self, unit_id: str, make: Callable[[int, ResponsePlan | None], ResponsePlan]) -> SavedPlan:
        """Store `make(version, current)` as the next version of the unit's plan and make it current.

        `make` gets the new version number and the plan in force (None for the first) and returns the plan to
        store; `changed` is filled in here against the plan in force.
        """
        for _ in range(MAX_CONFLICT_RETRIES):
            stored = await self.current(unit_id)
            previous = stored.plan if stored is not None else None
            numbers = await self.version_numbers(unit_id)
            number = max([previous.version if previous else 0, *numbers]) + 1
            plan = make(number, previous)
            if plan.unit_id != unit_id:
                raise ValueError("the plan belongs to another unit")
            plan = plan.model_copy(update={"version": number, "changed": changed_fields(previous, plan)})
            data = plan.model_dump_json().encode()
            try:
                await self._documents.put(self._version_key(unit_id, number), data, create_only=True)
            except PreconditionFailed:
                continue  # someone took this number: read again
            return await self._make_current(plan, data, stored)
        raise PreconditionFailed(self._current_key(unit_id))

    async def _make_current(self, plan: ResponsePlan, data: bytes, stored: VersionedPlan | None) -> SavedPlan:
        for _ in range(MAX_CONFLICT_RETRIES):
            try:
                if stored is None:
                    await self._documents.put(self._current_key(plan.unit_id), data, create_only=True)
                else:
                    await self._documents.put(self._current_key(plan.unit_id), data, if_match=stored.etag)
                return SavedPlan(plan, superseded=False)
            except PreconditionFailed:
                stored = await self.current(plan.unit_id)
                if stored is not None and stored.plan.version > plan.version:
                    return SavedPlan(plan, superseded=True)
        raise PreconditionFailed(self._current_key(plan.unit_id))

    async def current_plans(self) -> list[ResponsePlan]:
        """Every unit's current plan (lists plans/*/current.json), e.g. to plan their revision reminders."""
        keys = [key for key in await self._documents.list_keys("plans/") if key.endswith("/current.json")]
        plans = []
        for key in keys:
            document = await self._documents.get(key)
            if document is not None:
                plans.append(ResponsePlan.model_validate_json(document.data))
        return plans
