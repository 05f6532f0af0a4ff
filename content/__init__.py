"""Texts in Danish and English, kept as editable TOML data; this module only loads them."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

_FOLDER = Path(__file__).parent
SUPPORTED = ("da", "en")


def language_for(locale: str | None) -> str:
    """Danish first; English when the Teams locale is English."""
    return "en" if (locale or "").lower().startswith("en") else "da"


@cache
def _load(language: str) -> dict[str, Any]:
    with open(_FOLDER / f"{language}.toml", "rb") as handle:
        return tomllib.load(handle)


class Texts:
    """Look up `section.key` in one language and fill its {placeholders}."""

    def __init__(self, language: str, defaults: dict[str, str] | None = None) -> None:
        self.language = language
        self._table = _load(language)
        self._defaults = defaults or {}

    def __call__(self, key: str, **values: object) -> str:
        section, name = key.split(".", 1)
        template: str = self._table[section][name]
        return template.format(**{**self._defaults, **values}) if "{" in template else template

    def has(self, key: str) -> bool:
        section, name = key.split(".", 1)
        return name in self._table.get(section, {})
