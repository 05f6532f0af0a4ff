"""A fictional municipality for end-to-end tests: many small units (each test takes a fresh one) and HR.

The bot loads it as its directory file; tests create TeamsUsers with the same ids.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

UNITS = 40


@dataclass(frozen=True)
class Member:
    name: str
    aad_object_id: str
    teams_user_id: str

    def teams_details(self) -> dict[str, Any]:
        return {"name": self.name, "aad_object_id": self.aad_object_id, "user_id": self.teams_user_id}


def _member(name: str) -> Member:
    return Member(name=name, aad_object_id=str(uuid.uuid4()), teams_user_id=f"29:{uuid.uuid4().hex}")


@dataclass(frozen=True)
class UnitPeople:
    unit_id: str
    unit_name: str
    leader: Member
    deputy: Member
    employee: Member
    colleague: Member


@dataclass
class Organisation:
    units: list[UnitPeople] = field(default_factory=list)
    hr_jura: Member = field(default_factory=lambda: _member("Hanne Jurist"))
    hr_coordinator: Member = field(default_factory=lambda: _member("Karsten Koordinator"))
    unlisted: Member = field(default_factory=lambda: _member("Ulla Udenfor"))
    _next: int = 0

    @classmethod
    def create(cls) -> Organisation:
        organisation = cls()
        for number in range(UNITS):
            organisation.units.append(
                UnitPeople(
                    unit_id=f"unit-{number}",
                    unit_name=f"Afdeling {number}",
                    leader=_member(f"Leder Nummer{number}"),
                    deputy=_member(f"Stedfortræder Nummer{number}"),
                    employee=_member(f"Medarbejder Nummer{number}"),
                    colleague=_member(f"Kollega Nummer{number}"),
                )
            )
        return organisation

    def next_unit(self) -> UnitPeople:
        unit = self.units[self._next % len(self.units)]
        self._next += 1
        return unit

    def directory_json(self) -> dict[str, Any]:
        people, units = [], []
        for unit in self.units:
            units.append(
                {
                    "id": unit.unit_id,
                    "name": unit.unit_name,
                    "leader": unit.leader.aad_object_id,
                    "deputy": unit.deputy.aad_object_id,
                    "work_environment_group": [unit.colleague.aad_object_id],
                    "safety_representatives": [unit.colleague.aad_object_id],
                }
            )
            for member in (unit.leader, unit.deputy, unit.employee, unit.colleague):
                people.append(
                    {
                        "aad_object_id": member.aad_object_id,
                        "upn": f"{member.aad_object_id[:8]}@test.dk",
                        "name": member.name,
                        "unit": unit.unit_id,
                        "teams_user_id": member.teams_user_id,
                    }
                )
        hr = [
            {
                "aad_object_id": self.hr_jura.aad_object_id,
                "upn": "jura@test.dk",
                "name": self.hr_jura.name,
                "function": "jura",
            },
            {
                "aad_object_id": self.hr_coordinator.aad_object_id,
                "upn": "amk@test.dk",
                "name": self.hr_coordinator.name,
                "function": "work_environment_coordinator",
            },
        ]
        return {"units": units, "people": people, "hr": hr}

    def write(self, path: Path) -> Path:
        path.write_text(json.dumps(self.directory_json(), ensure_ascii=False, indent=1), encoding="utf-8")
        return path
