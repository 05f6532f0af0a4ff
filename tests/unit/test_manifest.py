"""The Teams app package: a valid build is complete and schema-valid, and each kind of broken input gives a
clear message (and no zip). Needs the official schemas from `npm ci` (node_modules/@microsoft/app-manifest)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from manifest.build import SOURCE_DIR, AppInfo, ManifestError, app_info, build_package, setting_reader
from manifest.validation import (
    MANIFEST_SCHEMA,
    MANIFEST_VERSION,
    ROOT,
    SchemaMissing,
    color_icon_problems,
    outline_icon_problems,
    package_problems,
    schema_dir,
    schema_problems,
    schema_url,
)

APP_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
BOT_ID = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
SOURCE_FILES = ("manifest.template.json", "en-us.json", "color.png", "outline.png")
PACKAGE_FILES = {"manifest.json", "en-us.json", "color.png", "outline.png"}


@pytest.fixture(scope="module", autouse=True)
def _schemas_installed() -> None:
    if not (schema_dir() / MANIFEST_SCHEMA).is_file():
        pytest.fail(f"{schema_dir() / MANIFEST_SCHEMA} is missing: run `npm ci` in the repository root first")


@pytest.fixture
def info() -> AppInfo:
    return AppInfo(
        app_id=APP_ID,
        bot_id=BOT_ID,
        version="1.2.3",
        privacy_url="https://silkeborg.dk/privatliv",
        terms_url="https://silkeborg.dk/vilkaar",
        bot_domain="vaern.silkeborg.dk",
    )


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A copy of the package sources to break."""
    folder = tmp_path / "source"
    folder.mkdir()
    for name in SOURCE_FILES:
        shutil.copy(SOURCE_DIR / name, folder / name)
    return folder


def _edit_template(source: Path, change: Callable[[dict[str, Any]], None]) -> None:
    path = source / "manifest.template.json"
    template = json.loads(path.read_text(encoding="utf-8"))
    change(template)
    path.write_text(json.dumps(template, ensure_ascii=False), encoding="utf-8")


def _problems(info: AppInfo, source: Path, output: Path) -> list[str]:
    with pytest.raises(ManifestError) as raised:
        build_package(info, output, source)
    assert not output.exists(), "no package may be written when there are problems"
    return raised.value.problems


def _has(problems: list[str], *parts: str) -> bool:
    return any(all(part in problem for part in parts) for problem in problems)


# --- a valid build --------------------------------------------------------------------------------------


def test_valid_build_has_every_file_filled_in_and_valid(info: AppInfo, tmp_path: Path) -> None:
    path = build_package(info, tmp_path / "out" / "appPackage.zip")

    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    assert set(files) == PACKAGE_FILES
    assert package_problems(files) == []
    text = files["manifest.json"].decode("utf-8")
    assert "{{" not in text and "{{" not in files["en-us.json"].decode("utf-8")
    manifest = json.loads(text)
    assert manifest["$schema"] == schema_url(MANIFEST_SCHEMA)
    assert manifest["manifestVersion"] == MANIFEST_VERSION
    assert (manifest["id"], manifest["version"]) == (APP_ID, "1.2.3")
    assert manifest["developer"] == {
        "name": "Silkeborg Kommune",
        "websiteUrl": "https://silkeborg.dk",
        "privacyUrl": "https://silkeborg.dk/privatliv",
        "termsOfUseUrl": "https://silkeborg.dk/vilkaar",
    }
    assert manifest["localizationInfo"]["defaultLanguageTag"] == "da-dk"
    assert manifest["validDomains"] == ["vaern.silkeborg.dk"]
    assert "89 70 12 99" in manifest["description"]["full"]
    (bot,) = manifest["bots"]
    assert (bot["botId"], bot["scopes"], bot["supportsFiles"]) == (BOT_ID, ["personal"], True)
    titles = [command["title"] for command in bot["commandLists"][0]["commands"]]
    assert titles == ["hjælp", "anmeld", "mine sager", "forebyggelse", "beredskabsplan"]
    english = json.loads(files["en-us.json"])
    assert [english[f"bots[0].commandLists[0].commands[{n}].title"] for n in range(5)] == [
        "help",
        "report",
        "my cases",
        "prevention",
        "response plan",
    ]
    with Image.open(zipfile.ZipFile(path).open("color.png")) as color:
        assert color.size == (192, 192)


def test_the_committed_icons_follow_teams_rules() -> None:
    assert color_icon_problems((SOURCE_DIR / "color.png").read_bytes()) == []
    assert outline_icon_problems((SOURCE_DIR / "outline.png").read_bytes()) == []


def test_without_a_bot_domain_valid_domains_is_left_out(info: AppInfo, tmp_path: Path) -> None:
    info = AppInfo(app_id=APP_ID, bot_id=BOT_ID, version="1.0.0")
    with zipfile.ZipFile(build_package(info, tmp_path / "appPackage.zip")) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        english = json.loads(archive.read("en-us.json"))
    assert "validDomains" not in manifest
    assert "staticTabs" not in manifest and "webApplicationInfo" not in manifest  # the tab needs its host
    assert not [key for key in english if key.startswith("staticTabs")]


def test_the_overview_tab_and_its_sign_in_are_declared(info: AppInfo, tmp_path: Path) -> None:
    with zipfile.ZipFile(build_package(info, tmp_path / "appPackage.zip")) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        english = json.loads(archive.read("en-us.json"))

    chat, overview = manifest["staticTabs"]
    assert chat == {"entityId": "conversations", "scopes": ["personal"]}  # the chat stays the app's first tab
    assert overview == {
        "entityId": "overview",
        "name": "Overblik",
        "contentUrl": "https://vaern.silkeborg.dk/tab",
        "scopes": ["personal"],
    }
    assert english["staticTabs[1].name"] == "Overview"
    assert manifest["webApplicationInfo"] == {"id": BOT_ID, "resource": f"api://vaern.silkeborg.dk/{BOT_ID}"}


def test_no_bot_domain_warns_that_the_tab_is_left_out() -> None:
    info = app_info({"bot_id": BOT_ID}, lambda name, default: default)
    assert any("BOT_DOMAIN" in warning and "Overblik" in warning for warning in info.warnings)
    with_domain = app_info({"bot_id": BOT_ID, "bot_domain": "vaern.example.dk"}, lambda name, default: default)
    assert not any("BOT_DOMAIN" in warning for warning in with_domain.warnings)


def test_with_a_bot_domain_the_privacy_url_is_the_page_the_bot_serves(tmp_path: Path) -> None:
    info = app_info({"bot_id": BOT_ID, "bot_domain": "vaern.example.dk"}, lambda name, default: default)
    assert info.privacy_url == "https://vaern.example.dk/privacy"
    assert not any("privacy URL" in warning for warning in info.warnings)
    with zipfile.ZipFile(build_package(info, tmp_path / "appPackage.zip")) as archive:
        assert json.loads(archive.read("manifest.json"))["developer"]["privacyUrl"] == info.privacy_url
    own = app_info(
        {"bot_id": BOT_ID, "bot_domain": "vaern.example.dk", "privacy_url": "https://example.dk/privat"},
        lambda name, default: default,
    )
    assert own.privacy_url == "https://example.dk/privat"  # the organisation's own page, when it names one


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda m: m["staticTabs"][1].update(contentUrl="http://{{BOT_DOMAIN}}/tab"), "staticTabs[1].contentUrl"),
        (lambda m: m["staticTabs"][1].update(contentUrl="https://elsewhere.example/tab"), "staticTabs[1].contentUrl"),
        (lambda m: m["webApplicationInfo"].update(id=APP_ID), "webApplicationInfo.id"),
        (
            lambda m: m["webApplicationInfo"].update(resource="api://{{MICROSOFT_APP_ID}}"),
            "webApplicationInfo.resource",
        ),
        (
            lambda m: m["webApplicationInfo"].update(resource="api://elsewhere.example/{{MICROSOFT_APP_ID}}"),
            "webApplicationInfo.resource",
        ),
    ],
)
def test_a_tab_that_the_bot_could_not_serve_or_sign_in_is_refused(
    info: AppInfo, source: Path, tmp_path: Path, change: Callable[[dict[str, Any]], None], expected: str
) -> None:
    _edit_template(source, change)
    assert _has(_problems(info, source, tmp_path / "appPackage.zip"), expected)


def test_the_same_inputs_give_the_same_zip(info: AppInfo, tmp_path: Path) -> None:
    first = build_package(info, tmp_path / "a.zip").read_bytes()
    assert build_package(info, tmp_path / "b.zip").read_bytes() == first


# --- broken builds --------------------------------------------------------------------------------------


def test_a_wrong_manifest_version_is_refused(info: AppInfo, source: Path, tmp_path: Path) -> None:
    _edit_template(source, lambda template: template.update(manifestVersion="1.29"))
    problems = _problems(info, source, tmp_path / "appPackage.zip")
    assert _has(problems, "manifest.json: $.manifestVersion", f"'{MANIFEST_VERSION}' was expected")


def test_a_missing_required_field_is_named(info: AppInfo, source: Path, tmp_path: Path) -> None:
    _edit_template(source, lambda template: template.pop("developer"))
    problems = _problems(info, source, tmp_path / "appPackage.zip")
    assert _has(problems, "manifest.json", "'developer' is a required property")


def test_a_colour_icon_of_the_wrong_size_is_refused(info: AppInfo, source: Path, tmp_path: Path) -> None:
    Image.new("RGB", (100, 100), "#1D5A8C").save(source / "color.png")
    problems = _problems(info, source, tmp_path / "appPackage.zip")
    assert problems == ["color.png: must be 192×192 pixels, found 100×100"]


def test_an_outline_icon_with_coloured_pixels_is_refused(info: AppInfo, source: Path, tmp_path: Path) -> None:
    with Image.open(SOURCE_DIR / "outline.png") as outline:
        icon = outline.convert("RGBA")
    icon.putpixel((16, 16), (29, 90, 140, 255))
    icon.save(source / "outline.png")
    problems = _problems(info, source, tmp_path / "appPackage.zip")
    assert len(problems) == 1
    assert _has(problems, "outline.png", "only white and transparent", "x=16, y=16: #1d5a8c")


def test_an_outline_icon_without_transparency_is_refused(info: AppInfo, source: Path, tmp_path: Path) -> None:
    Image.new("RGB", (32, 32), "white").save(source / "outline.png")
    problems = _problems(info, source, tmp_path / "appPackage.zip")
    assert _has(problems, "outline.png", "transparent background")


def test_a_missing_icon_file_is_named(info: AppInfo, source: Path, tmp_path: Path) -> None:
    (source / "outline.png").unlink()
    problems = _problems(info, source, tmp_path / "appPackage.zip")
    assert problems == ["outline.png: icon file is missing from the package"]


def test_an_icon_that_is_not_a_png_is_refused(info: AppInfo, source: Path, tmp_path: Path) -> None:
    Image.new("RGB", (192, 192), "#1D5A8C").save(source / "color.png", format="JPEG")
    problems = _problems(info, source, tmp_path / "appPackage.zip")
    assert _has(problems, "color.png: must be a PNG file")


def test_an_app_id_that_is_not_a_guid_is_refused(info: AppInfo, source: Path, tmp_path: Path) -> None:
    broken = AppInfo(app_id="vaern-app", bot_id=BOT_ID, version="1.0.0")
    problems = _problems(broken, source, tmp_path / "appPackage.zip")
    assert _has(problems, "manifest.json: id 'vaern-app' is not a GUID", "TEAMS_APP_ID")
    assert _has(problems, "manifest.json: $.id: 'vaern-app' does not match")


def test_an_empty_bot_id_says_to_register_the_bot(source: Path, tmp_path: Path) -> None:
    problems = _problems(AppInfo(app_id=APP_ID, bot_id="", version="1.0.0"), source, tmp_path / "appPackage.zip")
    assert _has(problems, "MICROSOFT_APP_ID is empty", "manifest/README.md")


def test_a_localization_key_that_names_nothing_is_refused(info: AppInfo, source: Path, tmp_path: Path) -> None:
    path = source / "en-us.json"
    localization = json.loads(path.read_text(encoding="utf-8"))
    localization["bots[0].commandLists[0].commands[7].title"] = "extra"
    del localization["description.full"]
    path.write_text(json.dumps(localization), encoding="utf-8")
    problems = _problems(info, source, tmp_path / "appPackage.zip")
    assert _has(problems, "en-us.json: key 'bots[0].commandLists[0].commands[7].title' names nothing")
    assert _has(problems, "en-us.json", "'description.full' is a required property")


def test_every_problem_is_listed_at_once(source: Path, tmp_path: Path) -> None:
    (source / "color.png").unlink()
    Image.new("RGBA", (48, 48), (255, 0, 0, 255)).save(source / "outline.png")
    _edit_template(source, lambda template: template["name"].pop("short"))
    broken = AppInfo(app_id="x", bot_id=BOT_ID, version="1.0.0", bot_domain="https://vaern.example.dk/")
    problems = _problems(broken, source, tmp_path / "appPackage.zip")
    for expected in (
        "BOT_DOMAIN 'https://vaern.example.dk/' must be a bare host name",
        "'short' is a required property",
        "id 'x' is not a GUID",
        "color.png: icon file is missing",
        "outline.png: must be 32×32 pixels, found 48×48",
        "outline.png: only white and transparent pixels are allowed",
    ):
        assert _has(problems, expected), (expected, problems)
    assert f"- {problems[0]}" in str(ManifestError(problems))


def test_a_missing_schema_says_to_run_npm_ci(tmp_path: Path) -> None:
    with pytest.raises(SchemaMissing, match="npm ci"):
        schema_problems({}, tmp_path / "MicrosoftTeams.schema.json", "manifest.json")


# --- where the values come from ----------------------------------------------------------------------------


class _Settings:
    microsoft_app_id = BOT_ID
    crisis_line = "11 22 33 44"


def test_values_come_from_options_then_settings_then_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TEAMS_WEBSITE_URL", "https://example.dk")
    (tmp_path / ".env").write_text("TEAMS_DEVELOPER_NAME=Aarhus Kommune\n", encoding="utf-8")
    read = setting_reader(_Settings(), tmp_path / ".env")
    info = app_info({"app_version": "2.0.0", "privacy_url": "https://example.dk/privat"}, read)
    assert (info.app_id, info.bot_id, info.version, info.crisis_line) == (BOT_ID, BOT_ID, "2.0.0", "11 22 33 44")
    assert (info.developer_name, info.website_url, info.privacy_url) == (
        "Aarhus Kommune",
        "https://example.dk",
        "https://example.dk/privat",
    )
    assert info.terms_url == "https://example.dk"
    assert [warning for warning in info.warnings if "TEAMS_TERMS_URL" in warning]
    assert not [warning for warning in info.warnings if "TEAMS_PRIVACY_URL" in warning]


def _cli(tmp_path: Path, *arguments: str, **environment: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MICROSOFT_APP_ID": "", "TEAMS_APP_ID": "", **environment}
    return subprocess.run(
        [sys.executable, "-m", "manifest", *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_command_line_builds_and_validates_a_package(tmp_path: Path) -> None:
    output = tmp_path / "appPackage.zip"
    built = _cli(tmp_path, "build", "--output", str(output), "--app-id", APP_ID, MICROSOFT_APP_ID=BOT_ID)
    assert built.returncode == 0, built.stderr
    assert f"wrote {output}" in built.stdout
    checked = _cli(tmp_path, "validate", str(output))
    assert checked.returncode == 0, checked.stderr
    with zipfile.ZipFile(output) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert (manifest["id"], manifest["bots"][0]["botId"]) == (APP_ID, BOT_ID)


def test_the_command_line_exits_non_zero_and_lists_problems(tmp_path: Path) -> None:
    failed = _cli(tmp_path, "build", "--output", str(tmp_path / "appPackage.zip"))
    assert failed.returncode == 1
    assert "MICROSOFT_APP_ID is empty" in failed.stderr
    assert not (tmp_path / "appPackage.zip").exists()
