"""Offline checks of a Teams app package: the manifest and its localization files against the official
schemas bundled by npm `@microsoft/app-manifest`, and the icon rules that the schemas cannot express.

The schemas are draft-04, whose validator ignores `const`; a wrong `manifestVersion` would pass. So the
Draft 4 validator is extended with Draft 6's `const`. Every check returns a list of plain messages (empty
when all is well) so a build can report every problem at once.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft4Validator, Draft6Validator, validators
from PIL import Image, UnidentifiedImageError

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_PACKAGE = Path("node_modules/@microsoft/app-manifest/build/json-schemas/teams")
MANIFEST_VERSION = "1.30"
SCHEMA_URL = "https://developer.microsoft.com/en-us/json-schemas/teams/v{version}/{name}"
MANIFEST_SCHEMA = "MicrosoftTeams.schema.json"
LOCALIZATION_SCHEMA = "MicrosoftTeams.Localization.schema.json"
COLOR_SIZE = (192, 192)
OUTLINE_SIZE = (32, 32)
GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
PLACEHOLDER = re.compile(r"\{\{[A-Z_]+\}\}")
WHITE = (255, 255, 255)

Draft4WithConst = validators.extend(Draft4Validator, {"const": Draft6Validator.VALIDATORS["const"]})


class SchemaMissing(Exception):
    """The bundled schemas are not installed (node_modules is absent)."""


def schema_dir(version: str = MANIFEST_VERSION, root: Path = ROOT) -> Path:
    """Where npm put the official schemas of one manifest version."""
    return root / SCHEMA_PACKAGE / f"v{version}"


def schema_url(name: str, version: str = MANIFEST_VERSION) -> str:
    """The developer.microsoft.com `$schema` URL (the one Microsoft's tools map to their bundled copy)."""
    return SCHEMA_URL.format(version=version, name=name)


@cache
def _validator(path: Path) -> Draft4WithConst:
    if not path.is_file():
        raise SchemaMissing(
            f"The official Teams manifest schema is not installed: {path} is missing. "
            "Run `npm ci` in the repository root (it installs @microsoft/app-manifest from package.json)."
        )
    schema = json.loads(path.read_text(encoding="utf-8"))
    return Draft4WithConst(schema)


def schema_problems(document: Any, schema_path: Path, file_name: str) -> list[str]:
    """Every place where `document` breaks the schema, as '<file>: <json path>: <message>'."""
    errors = sorted(_validator(schema_path).iter_errors(document), key=lambda error: list(error.absolute_path))
    return [f"{file_name}: {error.json_path}: {_short(error.message)}" for error in errors]


def _short(message: str, limit: int = 300) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"


def placeholder_problems(text: str, file_name: str) -> list[str]:
    """Template placeholders ({{NAME}}) that were never filled in."""
    return [f"{file_name}: placeholder {name} was not filled in" for name in sorted(set(PLACEHOLDER.findall(text)))]


def _open_png(data: bytes | None, name: str) -> tuple[Image.Image | None, list[str]]:
    if data is None:
        return None, [f"{name}: icon file is missing from the package"]
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError) as error:
        return None, [f"{name}: not a readable image ({error})"]
    if image.format != "PNG":
        return None, [f"{name}: must be a PNG file, found {image.format}"]
    return image, []


def _size_problems(image: Image.Image, name: str, expected: tuple[int, int]) -> list[str]:
    if image.size == expected:
        return []
    return [f"{name}: must be {expected[0]}×{expected[1]} pixels, found {image.size[0]}×{image.size[1]}"]


def color_icon_problems(data: bytes | None, name: str = "color.png") -> list[str]:
    """The full-colour icon: a PNG of 192×192 pixels."""
    image, problems = _open_png(data, name)
    return problems if image is None else _size_problems(image, name, COLOR_SIZE)


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


def outline_icon_problems(data: bytes | None, name: str = "outline.png") -> list[str]:
    """The outline icon: a PNG of 32×32 pixels, white on a transparent background and nothing else."""
    image, problems = _open_png(data, name)
    if image is None:
        return problems
    problems = _size_problems(image, name, OUTLINE_SIZE)
    if not _has_alpha(image):
        return [*problems, f"{name}: must have a transparent background (the image has no alpha channel)"]
    pixels = list(image.convert("RGBA").get_flattened_data())
    width = image.size[0]
    coloured = [(index, pixel) for index, pixel in enumerate(pixels) if pixel[3] > 0 and pixel[:3] != WHITE]
    if coloured:
        index, (red, green, blue, _) = coloured[0]
        problems.append(
            f"{name}: only white and transparent pixels are allowed; {len(coloured)} pixels have another "
            f"colour (first at x={index % width}, y={index // width}: #{red:02x}{green:02x}{blue:02x})"
        )
    if all(pixel[3] == 0 for pixel in pixels):
        problems.append(f"{name}: the icon is fully transparent")
    elif all(pixel[3] > 0 for pixel in pixels):
        problems.append(f"{name}: must have a transparent background (no pixel is transparent)")
    return problems


_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def resolves(document: Any, dotted: str) -> bool:
    """Whether a localization key such as 'bots[0].commandLists[0].commands[2].title' names a value."""
    node = document
    for name, index in _PATH_PART.findall(dotted):
        if name:
            if not isinstance(node, Mapping) or name not in node:
                return False
            node = node[name]
        else:
            if not isinstance(node, list) or int(index) >= len(node):
                return False
            node = node[int(index)]
    return isinstance(node, str)


def _localization_problems(manifest: Mapping[str, Any], files: Mapping[str, bytes], version: str) -> list[str]:
    problems: list[str] = []
    info = manifest.get("localizationInfo") or {}
    languages = list(info.get("additionalLanguages") or [])
    if info.get("defaultLanguageFile"):
        languages.append({"file": info["defaultLanguageFile"]})
    for language in languages:
        file_name = str(language.get("file", ""))
        data = files.get(file_name)
        if data is None:
            problems.append(f"{file_name}: localization file named in localizationInfo is missing from the package")
            continue
        problems += localization_problems(data, file_name, manifest, version)
    return problems


def localization_problems(data: bytes, file_name: str, manifest: Mapping[str, Any], version: str) -> list[str]:
    """One localization file: its schema, its `$schema` URL, and that every key names a manifest string."""
    text = data.decode("utf-8")
    problems = placeholder_problems(text, file_name)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        return [*problems, f"{file_name}: not valid JSON ({error})"]
    problems += schema_problems(document, schema_dir(version) / LOCALIZATION_SCHEMA, file_name)
    expected = schema_url(LOCALIZATION_SCHEMA, version)
    if isinstance(document, dict) and document.get("$schema") != expected:
        problems.append(f"{file_name}: $schema must be {expected}")
    keys = document if isinstance(document, dict) else {}
    problems += [
        f"{file_name}: key '{key}' names nothing in manifest.json"
        for key in keys
        if key not in ("$schema", "localizationKeys") and not resolves(manifest, key)
    ]
    return problems


def _manifest_rules(manifest: Mapping[str, Any], version: str) -> list[str]:
    """What the schema does not say: the `$schema` URL, the bot id, the bot's scope."""
    problems = []
    expected = schema_url(MANIFEST_SCHEMA, version)
    if manifest.get("$schema") != expected:
        problems.append(f"manifest.json: $schema must be {expected} (other URLs make Microsoft's tools go online)")
    for index, bot in enumerate(manifest.get("bots") or []):
        if isinstance(bot, dict) and not GUID.match(str(bot.get("botId", ""))):
            problems.append(
                f"manifest.json: bots[{index}].botId {bot.get('botId')!r} is not a GUID: set MICROSOFT_APP_ID "
                "to the Azure Bot's Microsoft App ID"
            )
    if not GUID.match(str(manifest.get("id", ""))):
        problems.append(f"manifest.json: id {manifest.get('id')!r} is not a GUID: set TEAMS_APP_ID (or --app-id)")
    return problems + _tab_problems(manifest)


def _tab_problems(manifest: Mapping[str, Any]) -> list[str]:
    """The Overblik tab: served over https from a valid domain; its sign-in (webApplicationInfo) is the bot's app
    registration with the resource api://<domain>/<app id>, which is what the bot checks the tab's tokens against."""
    problems = []
    domains = [str(domain) for domain in manifest.get("validDomains") or []]
    for index, tab in enumerate(manifest.get("staticTabs") or []):
        url = str(tab.get("contentUrl") or "") if isinstance(tab, dict) else ""
        if url and (urlsplit(url).scheme != "https" or urlsplit(url).hostname not in domains):
            problems.append(
                f"manifest.json: staticTabs[{index}].contentUrl {url!r} must be https:// on a host in validDomains "
                "(BOT_DOMAIN)"
            )
    info = manifest.get("webApplicationInfo")
    if isinstance(info, dict):
        bots = [str(bot.get("botId")) for bot in manifest.get("bots") or [] if isinstance(bot, dict)]
        app_id = str(info.get("id"))
        if app_id not in bots:
            problems.append(
                f"manifest.json: webApplicationInfo.id {app_id!r} must be the bot's app id (MICROSOFT_APP_ID): "
                "the tab's sign-in tokens are checked against it"
            )
        expected = [f"api://{domain}/{app_id}" for domain in domains]
        if info.get("resource") not in expected:
            problems.append(
                f"manifest.json: webApplicationInfo.resource {info.get('resource')!r} must be "
                f"{' or '.join(expected) or 'api://<BOT_DOMAIN>/<app id>'} (the Application ID URI of the app "
                "registration, manifest/README.md)"
            )
    return problems


def _icon_problems(manifest: Mapping[str, Any], files: Mapping[str, bytes]) -> list[str]:
    icons = manifest.get("icons") or {}
    color, outline = icons.get("color"), icons.get("outline")
    problems = color_icon_problems(files.get(color) if color else None, color or "icons.color")
    return problems + outline_icon_problems(files.get(outline) if outline else None, outline or "icons.outline")


def package_problems(files: Mapping[str, bytes], version: str = MANIFEST_VERSION) -> list[str]:
    """Every problem of a package given as {file name: bytes}; an empty list means Teams can take it.

    Raises SchemaMissing when the official schemas are not installed (run `npm ci`).
    """
    data = files.get("manifest.json")
    if data is None:
        return ["manifest.json is missing from the package"]
    text = data.decode("utf-8")
    problems = placeholder_problems(text, "manifest.json")
    try:
        manifest = json.loads(text)
    except json.JSONDecodeError as error:
        return [*problems, f"manifest.json: not valid JSON ({error})"]
    if not isinstance(manifest, dict):
        return [*problems, "manifest.json: must be a JSON object"]
    problems += schema_problems(manifest, schema_dir(version) / MANIFEST_SCHEMA, "manifest.json")
    problems += _manifest_rules(manifest, version)
    problems += _localization_problems(manifest, files, version)
    problems += _icon_problems(manifest, files)
    return _unique(problems)


def _unique(problems: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(problems))
