"""The organisation directory: who leads whom, search, HR, and clear errors for a bad directory file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from services.roles import DirectoryError, EmptyDirectory, JsonDirectory, leaders_named, led_by, load_directory

EXAMPLE = Path(__file__).resolve().parents[2] / "directory.example.json"

DIRECTOR = "0b1c2d3e-0000-4a00-8000-000000000001"
LEADER = "0b1c2d3e-0000-4a00-8000-000000000010"
DEPUTY = "0b1c2d3e-0000-4a00-8000-000000000011"
EMPLOYEE = "0b1c2d3e-0000-4a00-8000-000000000012"
SAFETY_REPRESENTATIVE = "0b1c2d3e-0000-4a00-8000-000000000014"
JURA = "0b1c2d3e-0000-4a00-8000-000000000101"


@pytest.fixture(scope="module")
def directory() -> JsonDirectory:
    return JsonDirectory.from_file(EXAMPLE)


def write(tmp_path: Path, content: Any) -> Path:
    path = tmp_path / "directory.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


def example_data() -> dict[str, Any]:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def test_example_file_describes_jobcenter_syd(directory: JsonDirectory) -> None:
    unit = directory.unit("jobcenter-syd")
    assert unit is not None and unit.name == "Jobcenter Syd"
    assert unit.leader == LEADER and unit.deputy == DEPUTY
    assert SAFETY_REPRESENTATIVE in unit.safety_representatives
    employees = [p for p in (directory.person(f"0b1c2d3e-0000-4a00-8000-0000000000{n}") for n in (12, 13, 15)) if p]
    assert len(employees) == 3 and all(p.unit == "jobcenter-syd" for p in employees)
    assert {member.function for member in directory.hr_members()} == {"jura", "work_environment_coordinator"}


def test_an_employees_responsibles_are_the_units_leader_and_deputy(directory: JsonDirectory) -> None:
    employee = directory.person(EMPLOYEE)
    assert employee is not None
    responsibles = directory.responsibles_for(employee)
    assert responsibles is not None
    assert responsibles.unit.id == "jobcenter-syd"
    assert responsibles.leader.aad_object_id == LEADER
    assert responsibles.deputy is not None and responsibles.deputy.aad_object_id == DEPUTY


def test_a_unit_leaders_leader_is_the_parent_units_leader(directory: JsonDirectory) -> None:
    leader = directory.person(LEADER)
    assert leader is not None
    responsibles = directory.responsibles_for(leader)
    assert responsibles is not None
    assert responsibles.unit.id == "arbejdsmarked"
    assert responsibles.leader.aad_object_id == DIRECTOR
    assert responsibles.deputy is None


def test_the_top_leader_has_nobody_above(directory: JsonDirectory) -> None:
    director = directory.person(DIRECTOR)
    assert director is not None
    assert directory.responsibles_for(director) is None


def test_the_deputy_is_not_their_own_deputy(directory: JsonDirectory) -> None:
    deputy = directory.person(DEPUTY)
    assert deputy is not None
    responsibles = directory.responsibles_for(deputy)
    assert responsibles is not None
    assert responsibles.leader.aad_object_id == LEADER and responsibles.deputy is None


def test_find_by_aad_id_then_by_upn(directory: JsonDirectory) -> None:
    by_id = directory.find(EMPLOYEE)
    assert by_id is not None and by_id.name == "Sara Ahmadi"
    by_upn = directory.find(None, "SARA.Ahmadi@eksempel-kommune.dk")
    assert by_upn == by_id
    assert directory.find("unknown-id", "sara.ahmadi@eksempel-kommune.dk") == by_id
    assert directory.find("unknown-id") is None
    assert directory.find(None) is None


def test_as_person_uses_the_aad_id_when_teams_id_is_unknown(directory: JsonDirectory) -> None:
    leader = directory.person(LEADER)
    assert leader is not None
    person = leader.as_person()
    assert person.user_id == LEADER and person.aad_object_id == LEADER and person.name == "Lone Kjær"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lone", ["Lone Kjær"]),
        ("LONE kj", ["Lone Kjær"]),
        ("kjær", ["Lone Kjær"]),
        ("sara ahm", ["Sara Ahmadi"]),
        ("jens.vest", ["Jens Vestergaard"]),
        ("mads.norgaard@eksempel-kommune.dk", ["Mads Nørgaard"]),
        ("l", ["Lone Kjær", "Ida Lund"]),
        ("direktoer", ["Birgitte Holm"]),
        ("nobody", []),
        ("", []),
        ("   ", []),
    ],
)
def test_search_matches_name_parts_and_upn(directory: JsonDirectory, text: str, expected: list[str]) -> None:
    assert [person.name for person in directory.search(text)] == expected


def test_search_honours_the_limit(directory: JsonDirectory) -> None:
    assert len(directory.search("eksempel")) == 5
    assert len(directory.search("kommune", limit=2)) == 2
    assert directory.search("eksempel", limit=0) == []


def test_hr_members_by_function(directory: JsonDirectory) -> None:
    assert [member.aad_object_id for member in directory.hr_members("jura")] == [JURA]
    assert [member.name for member in directory.hr_members("work_environment_coordinator")] == ["Henrik Bach"]
    assert directory.hr_members("unknown") == []
    assert directory.is_hr(JURA)
    assert not directory.is_hr(EMPLOYEE)
    assert not directory.is_hr(None)


def test_units_with_role_are_those_a_person_leads_deputises_or_represents(directory: JsonDirectory) -> None:
    assert [unit.id for unit in directory.units_with_role(LEADER)] == ["jobcenter-syd"]
    assert [unit.id for unit in directory.units_with_role(DEPUTY)] == ["jobcenter-syd"]
    assert [unit.id for unit in directory.units_with_role(SAFETY_REPRESENTATIVE)] == ["jobcenter-syd"]
    assert [unit.id for unit in directory.units_with_role(DIRECTOR)] == ["arbejdsmarked"]
    assert directory.units_with_role(EMPLOYEE) == []  # works in the unit, holds no role in it
    assert directory.units_with_role(None) == [] and directory.units_with_role("unknown") == []


def test_units_with_role_lists_every_unit_by_name(tmp_path: Path) -> None:
    data = example_data()
    data["units"].append({"id": "borgerservice", "name": "Borgerservice", "leader": DIRECTOR, "deputy": LEADER})
    data["units"].append({"id": "ydelse", "name": "Ydelse", "leader": DIRECTOR, "safety_representatives": [LEADER]})
    directory = load_directory(write(tmp_path, data))
    assert [unit.name for unit in directory.units_with_role(LEADER)] == ["Borgerservice", "Jobcenter Syd", "Ydelse"]
    assert [unit.id for unit in directory.units_with_role(DIRECTOR)] == ["arbejdsmarked", "borgerservice", "ydelse"]


def test_empty_directory_knows_nobody() -> None:
    directory = load_directory(None)
    assert isinstance(directory, EmptyDirectory)
    assert directory.find(EMPLOYEE, "sara.ahmadi@eksempel-kommune.dk") is None
    assert directory.search("sara") == []
    assert directory.hr_members() == []
    assert not directory.is_hr(JURA)
    assert directory.units_with_role(LEADER) == []


def test_load_directory_reads_the_file() -> None:
    directory = load_directory(EXAMPLE)
    assert isinstance(directory, JsonDirectory)
    assert directory.person(EMPLOYEE) is not None


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DirectoryError, match=r"directory file .*nowhere\.json: not found"):
        JsonDirectory.from_file(tmp_path / "nowhere.json")


def test_invalid_json_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DirectoryError, match="not valid JSON"):
        JsonDirectory.from_file(write(tmp_path, "{ units: [ }"))


def test_missing_field_names_where(tmp_path: Path) -> None:
    data = example_data()
    del data["units"][1]["leader"]
    with pytest.raises(DirectoryError, match=r"units\.1\.leader: Field required"):
        JsonDirectory.from_file(write(tmp_path, data))


def test_unknown_keys_are_refused_but_the_top_level_comment_is_allowed(tmp_path: Path) -> None:
    data = example_data()
    assert "_comment" in data
    data["people"][0]["manager"] = "someone"
    with pytest.raises(DirectoryError, match=r"people\.0\.manager: Extra inputs are not permitted"):
        JsonDirectory.from_file(write(tmp_path, data))


def test_wrong_hr_function_is_refused(tmp_path: Path) -> None:
    data = example_data()
    data["hr"][0]["function"] = "payroll"
    with pytest.raises(DirectoryError, match=r"hr\.0\.function"):
        JsonDirectory.from_file(write(tmp_path, data))


def test_inconsistent_references_are_all_reported(tmp_path: Path) -> None:
    data = example_data()
    data["units"][1]["deputy"] = "not-a-person"
    data["units"][1]["parent"] = "no-such-unit"
    data["people"][3]["unit"] = "elsewhere"
    data["people"].append(dict(data["people"][2]))
    with pytest.raises(DirectoryError) as raised:
        JsonDirectory.from_file(write(tmp_path, data))
    message = str(raised.value)
    assert "deputy 'not-a-person' is not in people" in message
    assert "unknown parent unit 'no-such-unit'" in message
    assert "unknown unit 'elsewhere'" in message
    assert "duplicate person aad_object_id" in message


def test_parent_cycles_are_refused(tmp_path: Path) -> None:
    data = example_data()
    data["units"][0]["parent"] = "jobcenter-syd"
    with pytest.raises(DirectoryError, match="cycle"):
        JsonDirectory.from_file(write(tmp_path, data))


def test_teams_user_id_must_be_a_teams_id(tmp_path: Path) -> None:
    data = example_data()
    data["people"][3]["teams_user_id"] = "not-teams"
    with pytest.raises(DirectoryError, match=r"people\.3\.teams_user_id"):
        JsonDirectory.from_file(write(tmp_path, data))
    data["people"][3]["teams_user_id"] = "29:1abcdef"
    person = JsonDirectory.from_file(write(tmp_path, data)).person(EMPLOYEE)
    assert person is not None and person.as_person().user_id == "29:1abcdef"


def test_a_leader_by_name_is_the_whole_name_else_every_match(tmp_path: Path) -> None:
    data = example_data()
    namesake = dict(next(p for p in data["people"] if p["aad_object_id"] == LEADER))
    namesake |= {"aad_object_id": "0b1c2d3e-0000-4a00-8000-000000000099", "name": "Lone Kjærsgaard"}
    namesake.pop("teams_user_id", None)
    namesake["upn"] = "lone.kjaersgaard@eksempel-kommune.dk"
    data["people"].append(namesake)
    directory = load_directory(write(tmp_path, data))

    [exact] = leaders_named(directory, "  lone   KJÆR ")
    assert exact.leader.aad_object_id == LEADER and exact.deputy is not None and exact.deputy.aad_object_id == DEPUTY
    assert {r.leader.name for r in leaders_named(directory, "Lone")} == {"Lone Kjær", "Lone Kjærsgaard"}
    assert leaders_named(directory, "nobody") == []
    led = led_by(directory, EMPLOYEE)
    assert led is not None and led.deputy is None, "the deputy comes along only with the unit's own leader"
