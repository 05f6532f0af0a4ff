"""The running bot's garbage collector settings."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from bot.gc_tuning import GEN0_THRESHOLD, tune_garbage_collector


@pytest.fixture
def restored_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_start_up_objects_are_frozen_and_young_collections_are_rarer(restored_gc: None) -> None:
    tune_garbage_collector()

    assert gc.get_freeze_count() > 1000
    assert gc.get_threshold()[0] == GEN0_THRESHOLD > 700
    assert gc.isenabled()
