"""`.env.example` documents every setting the bot reads, and loads as it stands."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from bot.config import Settings

ENV_EXAMPLE = Path(__file__).parents[2] / ".env.example"


def _setting_names() -> list[str]:
    """Every environment name Settings reads: NAME, and NAME__FIELD for a nested model (env_nested_delimiter)."""
    names: list[str] = []
    for name, field in Settings.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names += [f"{name.upper()}__{sub.upper()}" for sub in annotation.model_fields]
        else:
            names.append(name.upper())
    return names


def _documented() -> set[str]:
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(encoding="utf-8"), re.MULTILINE))


def test_every_setting_is_in_env_example() -> None:
    missing = [name for name in _setting_names() if name not in _documented()]
    assert missing == [], f".env.example lacks {missing}"


def test_env_example_names_no_setting_that_does_not_exist() -> None:
    unknown = sorted(_documented() - set(_setting_names()))
    assert unknown == [], f".env.example names settings the bot does not read: {unknown}"


def test_env_example_loads_as_settings() -> None:
    settings = Settings(_env_file=ENV_EXAMPLE)  # type: ignore[call-arg]
    assert settings.follow_up.check_in_days == (1, 3, 7, 21)
    assert settings.follow_up.easy_reminder_days_left == (7, 2)
