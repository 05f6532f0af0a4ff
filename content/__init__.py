"""Texts in Danish and English, kept as editable TOML data; this module loads them and fills them in.

A text that depends on a number is a table of CLDR plural forms (`{ one = "...", other = "..." }`), chosen by
Babel's plural rule for the language from the value named by `by` (default `count`; a number or its text, "1.5"):
"1 bevis", "2 beviser".

The words a person may type instead of pressing a button are here too, in each language's [commands] table
(command id → words); code names only the command ids, and words count in every language, since people mix.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale

_FOLDER = Path(__file__).parent
SUPPORTED = ("da", "en")


DEFAULT_ORGANISATION = "Silkeborg Kommune"  # ORGANISATION_NAME's default (bot.config)


def texts_for(locale: str | None, crisis_line: str, organisation: str = DEFAULT_ORGANISATION) -> Texts:
    """The one way to get texts for a person: their language (from a Teams locale, or "da"/"en"), with the
    crisis line and the organisation's name filled in wherever a text names them."""
    return Texts(language_for(locale), {"crisis_line": crisis_line, "organisation": organisation})


def language_for(locale: str | None) -> str:
    """Danish first; English when the Teams locale is English."""
    return "en" if (locale or "").lower().startswith("en") else "da"


COMMANDS = "commands"  # the section of typed words per command id: lists of words, not texts


@cache
def load_table(language: str) -> dict[str, Any]:
    """The texts of a language: every section of its files but the command words."""
    return {section: entries for section, entries in _load_files(language).items() if section != COMMANDS}


@cache
def command_words(command: str) -> frozenset[str]:
    """What a person may type for a command or an answer (its id, e.g. "report", "done"), in any language; folded
    as typed text is (lower case, one space). An id no language knows is a mistake in the code."""
    known = [_load_files(language)[COMMANDS] for language in SUPPORTED]
    if not any(command in table for table in known):
        raise KeyError(f"no words for the command {command!r} in content/*/commands.toml")
    return frozenset(word for table in known for word in table.get(command, ()))


def command_ids() -> frozenset[str]:
    """Every command id that has words, in any language."""
    return frozenset(command for language in SUPPORTED for command in _load_files(language)[COMMANDS])


@cache
def _load_files(language: str) -> dict[str, Any]:
    """content/<language>.toml plus every content/<language>/*.toml (one file per feature); sections must not repeat."""
    table: dict[str, Any] = {}
    for path in [_FOLDER / f"{language}.toml", *sorted((_FOLDER / language).glob("*.toml"))]:
        with open(path, "rb") as handle:
            part = tomllib.load(handle)
        repeated = set(part) & set(table)
        if repeated:
            raise ValueError(f"{path}: sections already defined elsewhere: {sorted(repeated)}")
        table.update(part)
    return table


def forms(entry: str | dict[str, str]) -> list[str]:
    """The template texts of one entry: itself, or each of its plural forms."""
    return [entry] if isinstance(entry, str) else [text for name, text in entry.items() if name != "by"]


def plural_form(language: str, number: int | float | Decimal) -> str:
    """The CLDR plural category ("one", "other", ...) of `number` in `language`."""
    return _locale(language).plural_form(abs(number))


@cache
def _locale(language: str) -> Locale:
    return Locale.parse(language)


class Texts:
    """Look up `section.key` in one language and fill its {placeholders}."""

    def __init__(self, language: str, defaults: dict[str, str] | None = None) -> None:
        self.language = language
        self._table = load_table(language)
        self._defaults = defaults or {}

    def __call__(self, key: str, **values: object) -> str:
        section, name = key.split(".", 1)
        entry: str | dict[str, str] = self._table[section][name]
        template = entry if isinstance(entry, str) else self._plural(entry, values)
        return template.format(**{**self._defaults, **values}) if "{" in template else template

    def _plural(self, forms: dict[str, str], values: dict[str, object]) -> str:
        number = values[forms.get("by", "count")]
        form = plural_form(self.language, number if isinstance(number, int | float) else Decimal(str(number)))
        return forms.get(form, forms["other"])

    @property
    def identity(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        """What these texts are made of (language and defaults): equal identities give equal texts."""
        return self.language, tuple(sorted(self._defaults.items()))

    def word_for(self, command: str) -> str:
        """The word to name a command by in this language's texts (its first word in [commands])."""
        return _load_files(self.language)[COMMANDS][command][0]

    def has(self, key: str) -> bool:
        section, name = key.split(".", 1)
        return name in self._table.get(section, {})


class _KeepUnknown(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def client_texts(
    locale: str | None, sections: tuple[str, ...], crisis_line: str, organisation: str = DEFAULT_ORGANISATION
) -> dict[str, dict[str, str]]:
    """Whole sections for a client that fills its own {placeholders} (the Overblik tab): the crisis line and the
    organisation's name filled in as by texts_for, every other placeholder left as it is; plural tables left out."""
    table = load_table(language_for(locale))
    known = _KeepUnknown(crisis_line=crisis_line, organisation=organisation)
    return {
        section: {key: entry.format_map(known) for key, entry in table[section].items() if isinstance(entry, str)}
        for section in sections
    }
