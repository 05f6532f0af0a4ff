"""`.env.example` documents every setting the bot reads, and loads as it stands."""

from __future__ import annotations

import re
from pathlib import Path
from types import UnionType
from typing import Union, get_args, get_origin

from pydantic import BaseModel

from bot.config import Settings

ENV_EXAMPLE = Path(__file__).parents[2] / ".env.example"


def _setting_names(model: type[BaseModel] = Settings, prefix: str = "") -> list[str]:
    """Every environment name Settings reads: NAME, and NAME__FIELD for a nested model (env_nested_delimiter),
    at any depth, also when the nested model is optional."""
    names: list[str] = []
    for name, field in model.model_fields.items():
        nested = _nested_model(field.annotation)
        env_name = prefix + name.upper()
        names += _setting_names(nested, env_name + "__") if nested else [env_name]
    return names


def _nested_model(annotation: object) -> type[BaseModel] | None:
    """The model a field holds (`Model` or `Model | None`); None for a plain value, a list or a dict (JSON)."""
    candidates = get_args(annotation) if isinstance(annotation, UnionType) or get_origin(annotation) is Union else ()
    for candidate in (annotation, *candidates):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


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


def test_nested_settings_are_named_with_their_model() -> None:
    assert "FOLLOW_UP__CHECK_IN_DAYS" in _setting_names() and "RETENTION__DRAFT_DAYS" in _setting_names()
    assert "FOLLOW_UP" not in _setting_names() and "GRAPH_UNIT_GROUPS" in _setting_names()
