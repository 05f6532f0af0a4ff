"""Fixtures shared by every test suite."""

from collections.abc import Iterator

import pytest

from tests.support.azurite import Azurite, running_azurite


@pytest.fixture(scope="session")
def azurite() -> Iterator[Azurite]:
    """One Azurite for the whole session (or the one named in AZURITE_CONNECTION_STRING)."""
    with running_azurite() as emulator:
        yield emulator
