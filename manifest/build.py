"""Build the Teams app package `appPackage.zip`: fill `manifest.template.json` (and the localization files)
with the app id, the bot id (= MICROSOFT_APP_ID), the version and the organisation's URLs, add the icons,
check everything offline (see `manifest.validation`) and write the zip only when nothing is wrong. With BOT_DOMAIN
set and no privacy URL given, the privacy URL is the notice the bot serves itself (https://<BOT_DOMAIN>/privacy).

Values come from, in this order: command-line options, the bot's Settings (environment and `.env`), plain
environment variables and `.env` for settings that `bot/config.py` does not declare yet, then defaults.
"""

from __future__ import annotations

import json
import os
import tomllib
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from manifest.icons import ACCENT
from manifest.validation import MANIFEST_VERSION, ROOT, package_problems

SOURCE_DIR = Path(__file__).resolve().parent
TEMPLATE = "manifest.template.json"
ICONS = ("color.png", "outline.png")
DEFAULT_OUTPUT = Path("appPackage.zip")
ZIP_TIME = (2026, 1, 1, 0, 0, 0)  # fixed, so the same inputs give the same zip

DEFAULT_DEVELOPER = "Silkeborg Kommune"
DEFAULT_WEBSITE = "https://silkeborg.dk"
DEFAULT_CRISIS_LINE = "89 70 12 99"
PRIVACY_PATH = "/privacy"  # the privacy notice the bot serves (bot/privacy_routes.py; tests/e2e/test_tab_page.py)


class ManifestError(Exception):
    """The package cannot be built; `problems` lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("The Teams app package has problems:\n" + "\n".join(f"- {p}" for p in problems))


@dataclass(frozen=True)
class AppInfo:
    """What differs between installations. `app_id` is the Teams app's id; `bot_id` the Azure Bot's."""

    app_id: str
    bot_id: str
    version: str
    developer_name: str = DEFAULT_DEVELOPER
    website_url: str = DEFAULT_WEBSITE
    privacy_url: str = DEFAULT_WEBSITE
    terms_url: str = DEFAULT_WEBSITE
    bot_domain: str = ""
    crisis_line: str = DEFAULT_CRISIS_LINE
    accent_color: str = ACCENT
    warnings: tuple[str, ...] = field(default=(), compare=False)

    def placeholders(self) -> dict[str, str]:
        """The template's {{NAME}} placeholders and their values."""
        return {
            "TEAMS_APP_ID": self.app_id,
            "MICROSOFT_APP_ID": self.bot_id,
            "APP_VERSION": self.version,
            "DEVELOPER_NAME": self.developer_name,
            "WEBSITE_URL": self.website_url,
            "PRIVACY_URL": self.privacy_url,
            "TERMS_URL": self.terms_url,
            "BOT_DOMAIN": self.bot_domain,
            "CRISIS_LINE": self.crisis_line,
            "ACCENT_COLOR": self.accent_color,
        }


# --- where the values come from ---------------------------------------------------------------------------


def project_version(root: Path = ROOT) -> str:
    """The version in pyproject.toml: the default app version (Teams wants it raised on every update)."""
    with open(root / "pyproject.toml", "rb") as handle:
        return str(tomllib.load(handle)["project"]["version"])


def _dotenv(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    from dotenv import dotenv_values  # installed with pydantic-settings

    return {key.upper(): value for key, value in dotenv_values(path).items() if value is not None}


def setting_reader(settings: object | None, dotenv_path: Path = Path(".env")) -> Callable[[str, str], str]:
    """A lookup `read(name, default)`: the Settings field if it exists, else the environment, else `.env`."""
    dotenv = _dotenv(dotenv_path)

    def read(name: str, default: str) -> str:
        value = getattr(settings, name, None) if settings is not None else None
        if value is None:
            value = os.environ.get(name.upper(), dotenv.get(name.upper()))
        return default if value is None or str(value).strip() == "" else str(value).strip()

    return read


def app_info(options: Mapping[str, str | None], read: Callable[[str, str], str]) -> AppInfo:
    """Combine command-line options (None when not given) with settings and defaults."""

    def pick(option: str, setting: str, default: str) -> str:
        given = options.get(option)
        return given.strip() if given else read(setting, default)

    bot_id = pick("bot_id", "microsoft_app_id", "")
    website = pick("website_url", "teams_website_url", DEFAULT_WEBSITE)
    bot_domain = pick("bot_domain", "bot_domain", "")
    # The bot serves its privacy notice itself (bot/privacy_routes.py): the same text as the card in chat.
    served_privacy = f"https://{bot_domain}{PRIVACY_PATH}" if bot_domain else ""
    privacy = pick("privacy_url", "teams_privacy_url", served_privacy)
    terms = pick("terms_url", "teams_terms_url", "")
    warnings = [
        f"{label} is not set: using the website {website} (set {setting} or {option})"
        for label, value, setting, option in (
            ("the privacy URL", privacy, "TEAMS_PRIVACY_URL or BOT_DOMAIN", "--privacy-url"),
            ("the terms-of-use URL", terms, "TEAMS_TERMS_URL", "--terms-url"),
        )
        if not value
    ]
    if not bot_domain:
        warnings.append("BOT_DOMAIN is not set: the package has no Overblik tab (set BOT_DOMAIN or --bot-domain)")
    return AppInfo(
        app_id=pick("app_id", "teams_app_id", bot_id),
        bot_id=bot_id,
        version=pick("app_version", "teams_app_version", project_version()),
        developer_name=pick("developer_name", "teams_developer_name", DEFAULT_DEVELOPER),
        website_url=website,
        privacy_url=privacy or website,
        terms_url=terms or website,
        bot_domain=bot_domain,
        crisis_line=read("crisis_line", DEFAULT_CRISIS_LINE),
        warnings=tuple(warnings),
    )


# --- filling the template ---------------------------------------------------------------------------------


def fill(node: Any, values: Mapping[str, str]) -> Any:
    """Replace {{NAME}} in every string of a JSON value; unknown placeholders stay (the checks report them)."""
    if isinstance(node, str):
        for name, value in values.items():
            node = node.replace("{{" + name + "}}", value)
        return node
    if isinstance(node, list):
        return [fill(item, values) for item in node]
    if isinstance(node, dict):
        return {key: fill(value, values) for key, value in node.items()}
    return node


NEEDS_DOMAIN = ("validDomains", "staticTabs", "webApplicationInfo")  # the Overblik tab and its sign-in


def _without_empty_domains(manifest: dict[str, Any]) -> dict[str, Any]:
    """validDomains, the Overblik tab (staticTabs) and its sign-in (webApplicationInfo) only when BOT_DOMAIN is
    set: the tab is served from that host and its tokens are for api://<BOT_DOMAIN>/<app id>."""
    domains = [domain for domain in manifest.get("validDomains", []) if domain]
    if domains:
        return {**manifest, "validDomains": domains}
    return {key: value for key, value in manifest.items() if key not in NEEDS_DOMAIN}


def _without_missing_keys(localization: dict[str, Any], manifest: Mapping[str, Any]) -> dict[str, Any]:
    """A localization of a part left out (the tab without BOT_DOMAIN) goes with it."""

    def top(key: str) -> str:
        return key.split("[")[0].split(".")[0]

    return {key: value for key, value in localization.items() if key == "$schema" or top(key) in manifest}


def input_problems(info: AppInfo) -> list[str]:
    """Mistakes in the values themselves, said in the settings' own names."""
    problems = []
    if not info.bot_id:
        problems.append(
            "MICROSOFT_APP_ID is empty: register the Azure Bot first and set its Microsoft App ID "
            "(see manifest/README.md), or pass --bot-id"
        )
    domain = info.bot_domain
    if domain and ("://" in domain or "/" in domain or ":" in domain):
        problems.append(f"BOT_DOMAIN {domain!r} must be a bare host name such as vaern.example.dk (no https://, path)")
    return problems


def _read_json(path: Path) -> tuple[Any, list[str]]:
    try:
        return json.loads(path.read_text(encoding="utf-8")), []
    except FileNotFoundError:
        return None, [f"{path}: file is missing"]
    except json.JSONDecodeError as error:
        return None, [f"{path}: not valid JSON ({error})"]


def _json_bytes(document: Any) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _localization_files(manifest: Mapping[str, Any]) -> list[str]:
    info = manifest.get("localizationInfo") or {}
    names = [str(language.get("file", "")) for language in info.get("additionalLanguages") or []]
    if info.get("defaultLanguageFile"):
        names.append(str(info["defaultLanguageFile"]))
    return [name for name in names if name]


def package_files(info: AppInfo, source_dir: Path = SOURCE_DIR) -> dict[str, bytes]:
    """The files of the package, filled in: manifest.json, the localization files, the icons.
    A file that cannot be read is left out (the checks then name it); a broken template raises."""
    template, problems = _read_json(source_dir / TEMPLATE)
    if problems:
        raise ManifestError(problems)
    values = info.placeholders()
    manifest = _without_empty_domains(fill(template, values))
    files = {"manifest.json": _json_bytes(manifest)}
    for name in _localization_files(manifest):
        localization, _ = _read_json(source_dir / name)
        if localization is not None:
            files[name] = _json_bytes(_without_missing_keys(fill(localization, values), manifest))
    for name in ICONS:
        if (source_dir / name).is_file():
            files[name] = (source_dir / name).read_bytes()
    return files


def write_zip(files: Mapping[str, bytes], output: Path) -> Path:
    """Write the files flat at the zip's root (Teams' requirement), with fixed timestamps."""
    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            entry = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, data)
    return output


def build_package(
    info: AppInfo,
    output: Path = DEFAULT_OUTPUT,
    source_dir: Path = SOURCE_DIR,
    version: str = MANIFEST_VERSION,
) -> Path:
    """Fill, check and zip. Raises ManifestError listing every problem; writes nothing then."""
    files = package_files(info, source_dir)
    problems = input_problems(info) + package_problems(files, version)
    if problems:
        raise ManifestError(problems)
    return write_zip(files, output)


def read_package(path: Path) -> dict[str, bytes]:
    """The files of an existing package, for `python -m manifest validate`."""
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}
