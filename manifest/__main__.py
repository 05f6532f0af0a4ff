"""Command line: `python -m manifest build` writes appPackage.zip; `python -m manifest validate FILE.zip`
checks an existing package. Both exit 1 and list every problem when something is wrong."""

from __future__ import annotations

import argparse
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path

from manifest.build import DEFAULT_OUTPUT, ManifestError, app_info, build_package, read_package, setting_reader
from manifest.validation import MANIFEST_VERSION, SchemaMissing, package_problems

OPTIONS = (
    ("--app-id", "the Teams app's id, a GUID (default: TEAMS_APP_ID, else MICROSOFT_APP_ID)"),
    ("--bot-id", "the Azure Bot's Microsoft App ID (default: MICROSOFT_APP_ID)"),
    ("--app-version", "the package version, semver, raise it on every update (default: TEAMS_APP_VERSION)"),
    ("--developer-name", "publisher shown in Teams (default: TEAMS_DEVELOPER_NAME or Silkeborg Kommune)"),
    ("--website-url", "https URL of the organisation (default: TEAMS_WEBSITE_URL)"),
    ("--privacy-url", "https URL of the privacy statement (default: TEAMS_PRIVACY_URL)"),
    ("--terms-url", "https URL of the terms of use (default: TEAMS_TERMS_URL)"),
    ("--bot-domain", "public host of the bot, e.g. vaern.example.dk (default: BOT_DOMAIN)"),
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m manifest", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="fill, check and zip the Teams app package")
    build.add_argument("--output", "-o", type=Path, default=DEFAULT_OUTPUT, help="where to write the zip")
    for option, help_text in OPTIONS:
        build.add_argument(option, help=help_text)
    validate = commands.add_parser("validate", help="check an existing Teams app package")
    validate.add_argument("package", type=Path)
    return parser


def _settings() -> object | None:
    """The bot's Settings (environment and .env), or None when they cannot be read here."""
    try:
        from bot.config import Settings

        return Settings()
    except (ImportError, ValueError) as error:  # pydantic's ValidationError is a ValueError
        print(f"warning: the bot's settings cannot be read ({error}); using the environment", file=sys.stderr)
        return None


def _report(problems: list[str]) -> int:
    print("The Teams app package has problems:", file=sys.stderr)
    for problem in problems:
        print(f"  - {problem}", file=sys.stderr)
    return 1


def _build(arguments: argparse.Namespace) -> int:
    options = {name: getattr(arguments, name) for name in vars(arguments) if name not in ("command", "output")}
    info = app_info(options, setting_reader(_settings()))
    for warning in info.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    try:
        path = build_package(info, arguments.output)
    except ManifestError as error:
        return _report(error.problems)
    print(f"wrote {path} (manifest {MANIFEST_VERSION}, app {info.app_id}, bot {info.bot_id}, version {info.version})")
    return 0


def _validate(arguments: argparse.Namespace) -> int:
    try:
        files = read_package(arguments.package)
    except (OSError, zipfile.BadZipFile) as error:
        return _report([f"{arguments.package}: cannot be read as a zip ({error})"])
    problems = package_problems(files)
    if problems:
        return _report(problems)
    print(f"{arguments.package} is a valid Teams app package (manifest {MANIFEST_VERSION})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    try:
        return _build(arguments) if arguments.command == "build" else _validate(arguments)
    except SchemaMissing as error:
        print(error, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
