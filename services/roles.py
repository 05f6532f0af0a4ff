"""Who is whose leader: the organisation directory as a port, and its JSON-file implementation.

The guideline puts the employee's nearest leader first: the leader must hear of a report at once, the
deputy stands in, the work environment group (arbejdsmiljøgruppen) and the safety representatives
(arbejdsmiljørepræsentanter) support, and HR (Jura, the work environment coordinator) advise. The on-call group
(vagtordningen) takes an urgent case nobody acknowledged in time (domain.urgency).

`Directory` is the port the bot asks. `JsonDirectory` reads a small JSON file an administrator keeps
(see `directory.example.json` at the repository root); `EmptyDirectory` is used when none is configured,
so the bot still runs (it then simply knows nobody). A Microsoft Graph implementation can replace both.

All ids are Azure AD (Entra ID) object ids, the stable id Teams also gives as `from.aadObjectId`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from domain.authorization import Actor
from domain.case import Person
from domain.handling import HrFunction as DomainHrFunction

HrFunction = Literal["jura", "work_environment_coordinator"]


class DirectoryError(ValueError):
    """The directory file is missing, is not JSON, or does not describe a consistent organisation."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class DirectoryPerson(_Strict):
    """An employee (or leader) as the directory knows them."""

    aad_object_id: str = Field(min_length=1)
    upn: str = Field(min_length=3)
    name: str = Field(min_length=1)
    unit: str = Field(min_length=1, description="id of the unit the person works in")
    teams_user_id: str | None = Field(default=None, pattern=r"^29:.+")

    def as_person(self) -> Person:
        """The person as the bot stores them (user id = Teams id when known, else the Azure AD object id)."""
        return Person(
            user_id=self.teams_user_id or self.aad_object_id, name=self.name, aad_object_id=self.aad_object_id
        )


class Unit(_Strict):
    """An organisational unit (afdeling, team) with its leader and its work environment people."""

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    leader: str = Field(min_length=1, description="aad object id of the leader")
    deputy: str | None = Field(default=None, description="aad object id of the deputy leader (stedfortræder)")
    parent: str | None = Field(default=None, description="id of the unit above; its leader is the leader's leader")
    work_environment_group: list[str] = Field(default_factory=list, description="aad ids (arbejdsmiljøgruppen)")
    safety_representatives: list[str] = Field(default_factory=list, description="aad ids (arbejdsmiljørepræsentanter)")


class HrMember(_Strict):
    """Someone in HR the bot may involve: Jura (legal) or the work environment coordinator."""

    aad_object_id: str = Field(min_length=1)
    upn: str = Field(min_length=3)
    name: str = Field(min_length=1)
    function: HrFunction


class OnCallMember(_Strict):
    """Someone in the on-call group, reached by their Entra ID object id (they need not have written first)."""

    aad_object_id: str = Field(min_length=1)
    upn: str = Field(min_length=3)
    name: str = Field(min_length=1)

    def as_person(self) -> Person:
        return Person(user_id=f"aad:{self.aad_object_id}", name=self.name, aad_object_id=self.aad_object_id)


@dataclass(frozen=True)
class Responsibles:
    """Who is responsible for a person: `unit` is the unit `leader` leads (a parent unit for a unit's leader)."""

    unit: Unit
    leader: DirectoryPerson
    deputy: DirectoryPerson | None


class Directory(Protocol):
    def find(self, aad_object_id: str | None, upn: str | None = None) -> DirectoryPerson | None:
        """By Azure AD object id, else by UPN (case-insensitive)."""
        ...

    def person(self, aad_object_id: str) -> DirectoryPerson | None: ...

    def unit(self, unit_id: str) -> Unit | None: ...

    def units_with_role(self, aad_object_id: str | None) -> list[Unit]:
        """The units where this person is the leader, the deputy or a safety representative, by name."""
        ...

    def responsibles_for(self, person: DirectoryPerson) -> Responsibles | None:
        """The person's leader and deputy; for a unit's leader, those of the unit above; None if nobody."""
        ...

    def work_environment_units(self, aad_object_id: str | None) -> list[Unit]:
        """The units whose arbejdsmiljøgruppe this person is in."""
        ...

    def search(self, text: str, limit: int = 5) -> list[DirectoryPerson]:
        """People matching every word of `text` (case-insensitive) at the start of a part of their name or UPN.

        UPN parts are split at . @ _ -, and a word may also be the start of the whole UPN. Best matches first.
        """
        ...

    def hr_members(self, function: str | None = None) -> list[HrMember]: ...

    def is_hr(self, aad_object_id: str | None) -> bool: ...

    def on_call_members(self) -> list[OnCallMember]:
        """The on-call group: who takes an urgent case nobody acknowledged in time."""
        ...


class DirectoryFile(BaseModel):
    """The JSON file: {"_comment": ..., "units": [...], "people": [...], "hr": [...], "on_call": [...]}."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    comment: str | list[str] | None = Field(default=None, alias="_comment")
    units: list[Unit] = Field(default_factory=list[Unit])
    people: list[DirectoryPerson] = Field(default_factory=list[DirectoryPerson])
    hr: list[HrMember] = Field(default_factory=list[HrMember])
    on_call: list[OnCallMember] = Field(default_factory=list[OnCallMember])

    @model_validator(mode="after")
    def _consistent(self) -> DirectoryFile:
        problems: list[str] = []
        problems += _duplicates("unit id", (unit.id for unit in self.units))
        problems += _duplicates("person aad_object_id", (p.aad_object_id for p in self.people))
        problems += _duplicates("person upn", (p.upn.casefold() for p in self.people))
        problems += _duplicates("hr aad_object_id", (member.aad_object_id for member in self.hr))
        problems += _duplicates("on_call aad_object_id", (member.aad_object_id for member in self.on_call))
        units = {unit.id: unit for unit in self.units}
        people = {p.aad_object_id for p in self.people}
        for index, person in enumerate(self.people):
            if person.unit not in units:
                problems.append(f"people[{index}] ({person.name}): unknown unit {person.unit!r}")
        for index, unit in enumerate(self.units):
            where = f"units[{index}] ({unit.id})"
            if unit.parent is not None and unit.parent not in units:
                problems.append(f"{where}: unknown parent unit {unit.parent!r}")
            named = [("leader", unit.leader)]
            named += [("deputy", unit.deputy)] if unit.deputy else []
            named += [("work_environment_group", aad) for aad in unit.work_environment_group]
            named += [("safety_representatives", aad) for aad in unit.safety_representatives]
            problems += [f"{where}: {role} {aad!r} is not in people" for role, aad in named if aad not in people]
            if unit.deputy is not None and unit.deputy == unit.leader:
                problems.append(f"{where}: the deputy cannot be the leader")
        problems += _parent_cycles(units)
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _duplicates(what: str, values: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    repeated: list[str] = []
    for value in values:
        if value in seen and value not in repeated:
            repeated.append(value)
        seen.add(value)
    return [f"duplicate {what} {value!r}" for value in repeated]


def _parent_cycles(units: dict[str, Unit]) -> list[str]:
    problems: list[str] = []
    for start in units.values():
        seen = {start.id}
        current = start
        while current.parent is not None and current.parent in units:
            if current.parent in seen:
                problems.append(f"unit {start.id!r}: parent units form a cycle")
                break
            seen.add(current.parent)
            current = units[current.parent]
    return problems


def _words(text: str) -> list[str]:
    return [word for word in text.casefold().replace(",", " ").split() if word]


class JsonDirectory:
    """The directory held in memory, loaded from a JSON file an administrator maintains."""

    def __init__(self, data: DirectoryFile) -> None:
        self._units = {unit.id: unit for unit in data.units}
        self._people = {person.aad_object_id: person for person in data.people}
        self._by_upn = {person.upn.casefold(): person for person in data.people}
        self._hr = list(data.hr)
        self._on_call = list(data.on_call)

    @classmethod
    def from_file(cls, path: Path) -> JsonDirectory:
        """Load and validate; raises DirectoryError naming the file and every problem found."""
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as error:
            raise DirectoryError(f"directory file {path}: not found") from error
        except (OSError, UnicodeDecodeError) as error:
            raise DirectoryError(f"directory file {path}: cannot be read ({error})") from error
        except json.JSONDecodeError as error:
            raise DirectoryError(f"directory file {path}: not valid JSON: {error}") from error
        try:
            return cls(DirectoryFile.model_validate(raw))
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in issue['loc']) or '(top level)'}: {issue['msg']}"
                for issue in error.errors()
            )
            raise DirectoryError(f"directory file {path}: {problems}") from None

    def find(self, aad_object_id: str | None, upn: str | None = None) -> DirectoryPerson | None:
        if aad_object_id and aad_object_id in self._people:
            return self._people[aad_object_id]
        if upn:
            return self._by_upn.get(upn.strip().casefold())
        return None

    def person(self, aad_object_id: str) -> DirectoryPerson | None:
        return self._people.get(aad_object_id)

    def unit(self, unit_id: str) -> Unit | None:
        return self._units.get(unit_id)

    def units_with_role(self, aad_object_id: str | None) -> list[Unit]:
        if not aad_object_id:
            return []
        found = [
            unit
            for unit in self._units.values()
            if aad_object_id in (unit.leader, unit.deputy, *unit.safety_representatives)
        ]
        return sorted(found, key=lambda unit: (unit.name.casefold(), unit.id))

    def work_environment_units(self, aad_object_id: str | None) -> list[Unit]:
        if not aad_object_id:
            return []
        found = [unit for unit in self._units.values() if aad_object_id in unit.work_environment_group]
        return sorted(found, key=lambda unit: (unit.name.casefold(), unit.id))

    def responsibles_for(self, person: DirectoryPerson) -> Responsibles | None:
        unit = self._units.get(person.unit)
        visited: set[str] = set()
        while unit is not None and unit.leader == person.aad_object_id:
            visited.add(unit.id)
            unit = self._units.get(unit.parent) if unit.parent and unit.parent not in visited else None
        if unit is None:
            return None
        leader = self._people.get(unit.leader)
        if leader is None:
            return None
        deputy = self._people.get(unit.deputy) if unit.deputy and unit.deputy != person.aad_object_id else None
        return Responsibles(unit=unit, leader=leader, deputy=deputy)

    def search(self, text: str, limit: int = 5) -> list[DirectoryPerson]:
        words = _words(text)
        if not words or limit <= 0:
            return []
        query = " ".join(words)
        ranked: list[tuple[int, str, DirectoryPerson]] = []
        for person in self._people.values():
            name = person.name.casefold()
            parts = _words(person.name)
            upn = person.upn.casefold()
            upn_parts = [part for part in re.split(r"[.@_-]", upn) if part]
            if not all(
                any(part.startswith(word) for part in parts + upn_parts) or upn.startswith(word) for word in words
            ):
                continue
            if name == query or upn == query:
                rank = 0
            elif name.startswith(query):
                rank = 1
            elif all(any(part.startswith(word) for part in parts) for word in words):
                rank = 2
            else:
                rank = 3
            ranked.append((rank, name, person))
        ranked.sort(key=lambda entry: (entry[0], entry[1]))
        return [person for _, _, person in ranked[:limit]]

    def hr_members(self, function: str | None = None) -> list[HrMember]:
        return [member for member in self._hr if function is None or member.function == function]

    def is_hr(self, aad_object_id: str | None) -> bool:
        return bool(aad_object_id) and any(member.aad_object_id == aad_object_id for member in self._hr)

    def on_call_members(self) -> list[OnCallMember]:
        return list(self._on_call)


class EmptyDirectory:
    """No directory configured: nobody is known, so leaders must be chosen by hand."""

    def find(self, aad_object_id: str | None, upn: str | None = None) -> DirectoryPerson | None:
        return None

    def person(self, aad_object_id: str) -> DirectoryPerson | None:
        return None

    def unit(self, unit_id: str) -> Unit | None:
        return None

    def units_with_role(self, aad_object_id: str | None) -> list[Unit]:
        return []

    def responsibles_for(self, person: DirectoryPerson) -> Responsibles | None:
        return None

    def work_environment_units(self, aad_object_id: str | None) -> list[Unit]:
        return []

    def search(self, text: str, limit: int = 5) -> list[DirectoryPerson]:
        return []

    def hr_members(self, function: str | None = None) -> list[HrMember]:
        return []

    def is_hr(self, aad_object_id: str | None) -> bool:
        return False

    def on_call_members(self) -> list[OnCallMember]:
        return []


def actor_in(directory: Directory, person: Person, tenant_id: str | None, hr_intake: str) -> Actor:
    """A person as an actor on cases: their HR function from the directory (by Azure AD object id), whether that
    function takes Værn's own escalations (`hr_intake`), whether they are in the on-call group, and the units whose
    arbejdsmiljøgruppe they are in."""
    member = next((m for m in directory.hr_members() if m.aad_object_id == person.aad_object_id), None)
    function = DomainHrFunction(member.function) if member is not None and person.aad_object_id else None
    aad = person.aad_object_id
    return Actor(
        person,
        is_hr=function is not None,
        tenant_id=tenant_id,
        hr_function=function,
        hr_intake=function is not None and function.value == hr_intake,
        on_call=bool(aad) and any(member.aad_object_id == aad for member in directory.on_call_members()),
        work_environment_units=frozenset(unit.id for unit in directory.work_environment_units(aad)),
    )


def led_units(directory: Directory, aad_object_id: str | None) -> list[Unit]:
    """The units this person leads or is the deputy of (not those where they are a safety representative)."""
    return [unit for unit in directory.units_with_role(aad_object_id) if aad_object_id in (unit.leader, unit.deputy)]


def led_by(directory: Directory, leader_aad_object_id: str) -> Responsibles | None:
    """A person as a case's leader: in their own unit, with the unit's deputy when they lead that unit."""
    leader = directory.person(leader_aad_object_id)
    unit = directory.unit(leader.unit) if leader else None
    if leader is None or unit is None:
        return None
    deputy = directory.person(unit.deputy) if unit.leader == leader.aad_object_id and unit.deputy else None
    return Responsibles(unit=unit, leader=leader, deputy=deputy)


def people_named(directory: Directory, name: str, limit: int = 5) -> list[DirectoryPerson]:
    """The people a typed name may mean: the one whose whole name it is, else every match (best first). More than
    one is for the person who typed it to choose from: nobody is picked by a guess."""
    found = directory.search(name, limit)
    exact = [person for person in found if person.name.casefold() == " ".join(name.split()).casefold()]
    return exact if len(exact) == 1 else found


def leaders_named(directory: Directory, name: str, limit: int = 5) -> list[Responsibles]:
    """The people a typed name may mean (`people_named`), as leaders (`led_by`)."""
    people = people_named(directory, name, limit)
    return [responsibles for person in people if (responsibles := led_by(directory, person.aad_object_id))]


def load_directory(path: Path | None) -> Directory:
    """`JsonDirectory` from the configured file, or `EmptyDirectory` when no file is configured."""
    return JsonDirectory.from_file(path) if path is not None else EmptyDirectory()
