"""The adaptive-cards models are built at start-up (`prepare_card_models`), not on the first person's turn."""

from __future__ import annotations

import inspect

from adaptive_cards import card as ac
from pydantic import BaseModel

from cards.common import prepare_card_models


def test_every_card_model_is_complete_after_preparing_and_preparing_again_builds_nothing() -> None:
    prepare_card_models()

    models = [
        model
        for model in vars(ac).values()
        if inspect.isclass(model) and issubclass(model, BaseModel) and model.__module__ == ac.__name__
    ]
    assert len(models) >= 20, "the library's models: TextBlock, Container, Input.*, Action.* ..."
    assert all(model.__pydantic_complete__ for model in models)
    assert prepare_card_models() == 0
