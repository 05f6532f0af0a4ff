"""Fixtures shared by every test suite."""

from collections.abc import Iterator

import pytest

from tests.support.azurite import Azurite, running_azurite
from tests.support.umask import umask


@pytest.fixture(scope="session")
def azurite() -> Iterator[Azurite]:
    """One Azurite for the whole session (or the one named in AZURITE_CONNECTION_STRING)."""
    with running_azurite() as emulator:
        yield emulator


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The usual umask 022 of a shell (files 0644, folders 0755 unless the bot sees to it), for what the test starts."""
    with umask(0o022):
        yield


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The long end-to-end runs (marked slow) first: spread over pytest-xdist's workers (scripts/test.sh), they
    start at once instead of leaving one worker busy after the others finished. Order within each group stays.
    Only with --no-loadscope-reorder (scripts/test.sh): without it `--dist loadfile` hands out the files with the
    most tests first, which puts the long runs (one to three tests a file) last."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
