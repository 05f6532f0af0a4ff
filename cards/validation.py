"""Check a card against the official Adaptive Cards 1.5 schema and the Teams 28 KB limit."""

from __future__ import annotations

import json
from typing import Any

from adaptive_cards.card import AdaptiveCard
from adaptive_cards.validation import CardValidatorFactory
from pydantic import ValidationError

TEAMS_HOST_KEYS = ("msteams",)
TEAMS_MAX_BYTES = 28 * 1024


def teams_card_problems(card: dict[str, Any]) -> list[str]:
    """Return what is wrong with the card for Teams; an empty list means it is valid.

    Teams-only host extensions (the top-level `msteams` key) are stripped first, since the
    official schema does not know them; the size check counts the whole payload as sent.
    """
    problems: list[str] = []
    size = len(json.dumps(card, ensure_ascii=False).encode("utf-8"))
    if size > TEAMS_MAX_BYTES:
        problems.append(f"card is {size} bytes, over the Teams limit of {TEAMS_MAX_BYTES}")
    core = {key: value for key, value in card.items() if key not in TEAMS_HOST_KEYS}
    try:
        model = AdaptiveCard.model_validate(core)
    except ValidationError as error:
        return [*problems, f"not an Adaptive Card: {error}"]
    validator = CardValidatorFactory.create_validator_microsoft_teams()
    if validator.validate(model, debug=False).is_err():
        problems.extend(f"{finding.failure.value}: {finding.message}" for finding in validator.details())
    return problems
