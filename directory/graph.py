"""The directory from Microsoft Entra ID: a snapshot of the organisation read through Microsoft Graph.

The bot asks the directory synchronously (`services.roles.Directory`), so this adapter answers from memory: a snapshot
of the same structures the JSON file gives (people with their unit, units with leader, deputy, parent and
arbejdsmiljøgruppe, HR members by function), plus each person's own manager. A background task reads it again
every `refresh_seconds`. When Graph fails, the last good snapshot stays and answers (logged, its age in
`health()`); before the first good read the directory knows nobody, as with no directory at all.

Rules (docs/decisions/0002-directory-from-entra-id.md):
- A person's leader is their own manager in Entra ID (`manager`); no manager (Graph's 404) means no leader: the
  employee names one, as with the JSON file. The case's unit is the unit that manager works in.
- A unit is the value of a configurable user property (`department`, an `extension_..._x` attribute or
  `onPremisesExtensionAttributes/extensionAttributeN`); people without one take their manager's.
- A unit's leader is the manager most of its people report to; its deputy the first member of the unit's deputy
  group (settings), else the leader's own manager. Its arbejdsmiljøgruppe and safety representatives are the
  members of the groups the settings name; HR functions (Jura, Arbejdsmiljøkoordinatoren) likewise.
- Disabled accounts are left out (a card cannot reach them); so is a manager who is one.
- A person the snapshot does not know yet (new since the last read) is looked up alone in the background
  (`/users/{id}`, `/users/{id}/manager`) the first time the bot asks for them.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from directory.graph_client import GraphClient
from services.roles import DirectoryFile, DirectoryPerson, HrMember, JsonDirectory, OnCallMember, Responsibles, Unit

log = logging.getLogger("vaern.directory.graph")

USER_FIELDS = ("id", "displayName", "userPrincipalName", "accountEnabled")
GROUP_MEMBER_FIELDS = "id,displayName,userPrincipalName"
PAGE_SIZE = "999"  # Graph's largest page for users and group members
NO_UNIT_ID = "uden-enhed"
NO_UNIT_NAME = "Uden enhed"
FAILED_REFRESH_RETRY_SECONDS = 60.0
FIRST_READ_WAIT_SECONDS = 10.0
MISSING_PERSON_RETRY_SECONDS = 300.0
OBJECT_ID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@dataclass(frozen=True)
class UnitGroups:
    """The Entra groups (object ids) of one unit, keyed in the settings by the unit property's value."""

    deputies: str | None = None
    work_environment_group: str | None = None
    safety_representatives: str | None = None


@dataclass(frozen=True)
class GraphDirectoryConfig:
    unit_property: str = "department"
    hr_groups: Mapping[str, str] = field(default_factory=dict)  # HR function ("jura", ...) -> group id
    unit_groups: Mapping[str, UnitGroups] = field(default_factory=dict)  # unit property value -> its groups
    on_call_group: str = ""  # the on-call group (urgent cases nobody acknowledged in time)
    refresh_seconds: float = 900.0


@dataclass(frozen=True)
class GraphUser:
    id: str
    name: str
    upn: str
    unit_value: str | None
    manager_id: str | None
    enabled: bool = True


@dataclass(frozen=True)
class Snapshot:
    """The organisation as read at `taken_at` (monotonic seconds in `taken_monotonic`)."""

    view: JsonDirectory
    managers: dict[str, str]
    users: dict[str, GraphUser]
    group_members: dict[str, list[dict[str, Any]]]
    taken_at: datetime
    taken_monotonic: float


def unit_value_of(user: Mapping[str, Any], unit_property: str) -> str | None:
    """The unit property's value; `a/b` reads a nested property (onPremisesExtensionAttributes/extensionAttribute3)."""
    value: Any = user
    for part in unit_property.split("/"):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def select_fields(unit_property: str) -> str:
    return ",".join(dict.fromkeys((*USER_FIELDS, unit_property.split("/")[0])))


def user_from_graph(item: Mapping[str, Any], unit_property: str) -> GraphUser | None:
    user_id, upn = item.get("id"), item.get("userPrincipalName")
    if not isinstance(user_id, str) or not user_id or not isinstance(upn, str) or len(upn) < 3:
        return None
    manager = item.get("manager")
    manager_id = manager.get("id") if isinstance(manager, Mapping) else None
    name = item.get("displayName")
    return GraphUser(
        id=user_id,
        name=name.strip() if isinstance(name, str) and name.strip() else upn,
        upn=upn,
        unit_value=unit_value_of(item, unit_property),
        manager_id=manager_id if isinstance(manager_id, str) and manager_id else None,
        enabled=item.get("accountEnabled") is not False,
    )


def _slug(value: str) -> str:
    text = value.casefold().replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "enhed"


def _unit_ids(values: list[str]) -> dict[str, str]:
    """A stable id per unit value: its slug, made unique in the sorted order of the values."""
    ids: dict[str, str] = {}
    taken: set[str] = {NO_UNIT_ID}
    for value in sorted(values):
        slug, number = _slug(value), 1
        candidate = slug
        while candidate in taken:
            number += 1
            candidate = f"{slug}-{number}"
        taken.add(candidate)
        ids[value] = candidate
    return ids


def build_snapshot(
    users: list[GraphUser],
    group_members: dict[str, list[dict[str, Any]]],
    config: GraphDirectoryConfig,
    taken_at: datetime,
    taken_monotonic: float,
) -> Snapshot:
    """The organisation from Graph's users (with their manager) and the configured groups' members."""
    enabled = {user.id: user for user in users if user.enabled}
    managers = {uid: u.manager_id for uid, u in enabled.items() if u.manager_id and u.manager_id in enabled}

    def unit_value(user_id: str) -> str | None:
        seen: set[str] = set()
        current: str | None = user_id
        while current is not None and current not in seen:
            seen.add(current)
            if enabled[current].unit_value:
                return enabled[current].unit_value
            current = managers.get(current)
        return None

    values = {uid: unit_value(uid) for uid in enabled}
    ids = _unit_ids(sorted({value for value in values.values() if value}))
    unit_of = {uid: ids[value] if value else NO_UNIT_ID for uid, value in values.items()}
    names = {unit_id: value for value, unit_id in ids.items()} | {NO_UNIT_ID: NO_UNIT_NAME}
    members: dict[str, list[str]] = {}
    for uid, unit_id in unit_of.items():
        members.setdefault(unit_id, []).append(uid)

    def group(group_id: str | None) -> list[str]:
        found = group_members.get(group_id, []) if group_id else []
        return [m["id"] for m in found if m.get("id") in enabled]

    leaders = {unit_id: _unit_leader(unit_id, people, managers, unit_of) for unit_id, people in members.items()}
    units: list[Unit] = []
    for unit_id, leader in sorted(leaders.items()):
        if leader is None:
            continue
        groups = config.unit_groups.get(names[unit_id], UnitGroups())
        deputies = [aad for aad in group(groups.deputies) if aad != leader]
        deputies.sort(key=lambda aad: (enabled[aad].name.casefold(), aad))
        deputy = deputies[0] if deputies else managers.get(leader)
        parent = unit_of.get(managers[leader]) if leader in managers else None
        units.append(
            Unit(
                id=unit_id,
                name=names[unit_id],
                leader=leader,
                deputy=deputy if deputy != leader else None,
                parent=parent if parent != unit_id and parent in leaders and leaders[parent] else None,
                work_environment_group=group(groups.work_environment_group),
                safety_representatives=group(groups.safety_representatives),
            )
        )
    people = [DirectoryPerson(aad_object_id=u.id, upn=u.upn, name=u.name, unit=unit_of[u.id]) for u in enabled.values()]
    hr: list[HrMember] = []
    seen_hr: set[str] = set()
    for function, group_id in config.hr_groups.items():
        for member in group_members.get(group_id, []):
            user = enabled.get(member.get("id", ""))
            if user is None or user.id in seen_hr:
                continue  # one function per person (the first configured); disabled accounts are left out
            seen_hr.add(user.id)
            hr.append(HrMember(aad_object_id=user.id, upn=user.upn, name=user.name, function=function))  # type: ignore[arg-type]
    on_call = [
        OnCallMember(aad_object_id=user.id, upn=user.upn, name=user.name)
        for user in (enabled.get(aad) for aad in dict.fromkeys(group(config.on_call_group or None)))
        if user is not None
    ]
    # Built from Graph, not from a file: the checks DirectoryFile makes hold by construction.
    view = JsonDirectory(DirectoryFile.model_construct(units=units, people=people, hr=hr, on_call=on_call))
    return Snapshot(view, managers, dict(enabled), group_members, taken_at, taken_monotonic)


def _unit_leader(unit_id: str, people: list[str], managers: dict[str, str], unit_of: dict[str, str]) -> str | None:
    """The manager most of the unit's people report to (others than that manager); a manager in the unit wins a
    tie, then the one with more reports overall. None when nobody in the unit has a manager and no one leads."""
    counts = Counter(managers[uid] for uid in people if uid in managers)
    reports = Counter(managers.values())
    candidates = set(counts) | {uid for uid in people if reports[uid]}
    if not candidates:
        return None
    return max(
        candidates,
        key=lambda aad: (counts[aad], unit_of.get(aad) == unit_id, reports[aad], aad),
    )


class GraphDirectory:
    """`services.roles.Directory` from Microsoft Graph: the last good snapshot, refreshed in the background."""

    def __init__(
        self,
        client: GraphClient,
        config: GraphDirectoryConfig,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        on_close: Callable[[], Any] | None = None,
    ) -> None:
        self._client = client
        self._config = config
        self._monotonic = monotonic
        self._on_close = on_close
        self._snapshot: Snapshot | None = None
        self._empty = JsonDirectory(DirectoryFile.model_construct(units=[], people=[], hr=[], on_call=[]))
        self._task: asyncio.Task[None] | None = None
        self._lookups: dict[str, float] = {}  # id -> when a lone lookup was last started
        self._lookup_tasks: set[asyncio.Task[None]] = set()
        self.last_error: str | None = None
        self.refreshes = 0

    @property
    def client(self) -> GraphClient:
        """The Graph client it reads through (the app's credential), for the other Graph calls the bot makes."""
        return self._client

    # -- reading Graph ---------------------------------------------------------------------------------------

    async def refresh(self) -> Snapshot:
        """Read the organisation from Graph and make it the snapshot; raises GraphError (the old one stays)."""
        unit_property = self._config.unit_property
        params = {
            "$select": select_fields(unit_property),
            "$expand": "manager($select=id)",
            "$top": PAGE_SIZE,
        }
        items = [item async for item in self._client.pages("/users", params)]
        users = [user for item in items if (user := user_from_graph(item, unit_property)) is not None]
        group_ids = list(dict.fromkeys(self._group_ids()))
        group_members = {group_id: await self._members(group_id) for group_id in group_ids}
        snapshot = build_snapshot(users, group_members, self._config, datetime.now(UTC), self._monotonic())
        self._snapshot = snapshot
        self._lookups.clear()
        self.refreshes += 1
        self.last_error = None
        log.info(
            "directory read from Microsoft Graph: %d people, %d units, %d in HR",
            len(snapshot.users),
            len(snapshot.view._units),
            len(snapshot.view.hr_members()),
        )
        return snapshot

    def _group_ids(self) -> list[str]:
        ids = [group_id for group_id in self._config.hr_groups.values() if group_id]
        ids += [self._config.on_call_group] if self._config.on_call_group else []
        for groups in self._config.unit_groups.values():
            ids += [g for g in (groups.deputies, groups.work_environment_group, groups.safety_representatives) if g]
        return ids

    async def _members(self, group_id: str) -> list[dict[str, Any]]:
        """The group's user members (nested groups, devices and contacts are not people to notify)."""
        params = {"$select": GROUP_MEMBER_FIELDS, "$top": PAGE_SIZE}
        members = []
        async for item in self._client.pages(f"/groups/{group_id}/members", params):
            if item.get("@odata.type", "#microsoft.graph.user") == "#microsoft.graph.user" and item.get("id"):
                members.append(item)
        return members

    async def start(self, first_read_timeout: float = FIRST_READ_WAIT_SECONDS) -> None:
        """Start reading in the background and wait for the first read up to `first_read_timeout` (a slow Graph
        must not hold up the start, gunicorn replaces a worker that takes 30 s); the read goes on meanwhile."""
        first_read = asyncio.Event()
        self._task = asyncio.create_task(self._loop(first_read), name="vaern-directory-refresh")
        try:
            await asyncio.wait_for(first_read.wait(), first_read_timeout)
        except TimeoutError:
            log.warning("directory: the first read from Microsoft Graph goes on in the background")

    async def _refresh_logged(self) -> bool:
        try:
            await self.refresh()
            return True
        except Exception as error:  # the refresh must outlive anything Graph or the network does
            self.last_error = str(error)[:500]
            age = self.age_seconds()
            log.error(
                "directory: reading Microsoft Graph failed (%s); %s",
                error,
                "the directory knows nobody yet" if age is None else f"keeping the snapshot from {age:.0f} s ago",
            )
            return False

    async def _loop(self, first_read: asyncio.Event) -> None:
        ok = await self._refresh_logged()
        first_read.set()
        while True:
            pause = self._config.refresh_seconds
            pause = pause if ok else min(FAILED_REFRESH_RETRY_SECONDS, pause)
            await asyncio.sleep(pause)
            ok = await self._refresh_logged()

    async def close(self) -> None:
        tasks = [task for task in (self._task, *self._lookup_tasks) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._on_close is not None:
            await self._on_close()

    def age_seconds(self) -> float | None:
        """Seconds since the snapshot in use was read; None before the first good read."""
        return None if self._snapshot is None else self._monotonic() - self._snapshot.taken_monotonic

    def health(self) -> dict[str, Any]:
        age = self.age_seconds()
        return {
            "source": "graph",
            "age_seconds": None if age is None else round(age),
            "stale": age is None or age > 2 * self._config.refresh_seconds + FAILED_REFRESH_RETRY_SECONDS,
            "last_error": self.last_error,
        }

    # -- one person new since the last read -------------------------------------------------------------------

    def _look_up_later(self, aad_object_id: str) -> None:
        now = self._monotonic()
        started = self._lookups.get(aad_object_id)
        if started is not None and now - started < MISSING_PERSON_RETRY_SECONDS:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._lookups[aad_object_id] = now
        task = loop.create_task(self._look_up(aad_object_id))
        self._lookup_tasks.add(task)
        task.add_done_callback(self._lookup_tasks.discard)

    async def _look_up(self, aad_object_id: str) -> None:
        """`/users/{id}` and `/users/{id}/manager` (404: no manager), merged into the snapshot."""
        unit_property = self._config.unit_property
        try:
            item = await self._client.get(f"/users/{aad_object_id}", {"$select": select_fields(unit_property)})
            if item is None:
                return
            manager = await self._client.get(f"/users/{aad_object_id}/manager", {"$select": "id"})
        except Exception as error:  # a lone lookup is a help, never a failure of the turn
            log.warning("directory: looking up a person new since the last read failed (%s)", error)
            return
        snapshot = self._snapshot
        user = user_from_graph({**item, "manager": manager}, unit_property)
        if user is None or snapshot is None or user.id in snapshot.users:
            return
        users = [*snapshot.users.values(), user]
        self._snapshot = build_snapshot(
            users, snapshot.group_members, self._config, snapshot.taken_at, snapshot.taken_monotonic
        )
        log.info("directory: added a person new since the last read from Microsoft Graph")

    # -- services.roles.Directory ---------------------------------------------------------------------------------

    @property
    def _view(self) -> JsonDirectory:
        return self._snapshot.view if self._snapshot is not None else self._empty

    def manager_of(self, aad_object_id: str) -> DirectoryPerson | None:
        """The person's own manager in Entra ID (None: no manager, or not an enabled account)."""
        snapshot = self._snapshot
        manager_id = snapshot.managers.get(aad_object_id) if snapshot else None
        return self._view.person(manager_id) if manager_id else None

    def find(self, aad_object_id: str | None, upn: str | None = None) -> DirectoryPerson | None:
        found = self._view.find(aad_object_id, upn)
        if found is None and aad_object_id and OBJECT_ID.match(aad_object_id) and self._snapshot is not None:
            self._look_up_later(aad_object_id)
        return found

    def person(self, aad_object_id: str) -> DirectoryPerson | None:
        return self._view.person(aad_object_id)

    def unit(self, unit_id: str) -> Unit | None:
        return self._view.unit(unit_id)

    def units_with_role(self, aad_object_id: str | None) -> list[Unit]:
        return self._view.units_with_role(aad_object_id)

    def work_environment_units(self, aad_object_id: str | None) -> list[Unit]:
        return self._view.work_environment_units(aad_object_id)

    def responsibles_for(self, person: DirectoryPerson) -> Responsibles | None:
        """The person's own manager leads, in the unit the manager works in; the deputy is that unit's when the
        manager leads it, else the manager's own manager. No manager: None (the employee names their leader)."""
        leader = self.manager_of(person.aad_object_id)
        unit = self._view.unit(leader.unit) if leader else None
        if leader is None or unit is None:
            return None
        deputy_id = unit.deputy if unit.leader == leader.aad_object_id else None
        if deputy_id is None:
            above = self.manager_of(leader.aad_object_id)
            deputy_id = above.aad_object_id if above else None
        deputy = self._view.person(deputy_id) if deputy_id and deputy_id != person.aad_object_id else None
        return Responsibles(unit=unit, leader=leader, deputy=deputy if deputy != leader else None)

    def search(self, text: str, limit: int = 5) -> list[DirectoryPerson]:
        return self._view.search(text, limit)

    def hr_members(self, function: str | None = None) -> list[HrMember]:
        return self._view.hr_members(function)

    def is_hr(self, aad_object_id: str | None) -> bool:
        return self._view.is_hr(aad_object_id)

    def on_call_members(self) -> list[OnCallMember]:
        return self._view.on_call_members()
