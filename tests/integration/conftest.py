"""Fixtures for integration tests: every storage test runs on both backends; a Bot Connector stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from storage.ports import DocumentStore
from tests.support.backends import Backend, open_test_backend
from tests.support.connector_stub import ConnectorStub

BACKENDS = ["local", pytest.param("azure", marks=pytest.mark.azurite)]


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    async for opened in open_test_backend(request, tmp_path):
        yield opened


@pytest.fixture(params=BACKENDS)
async def documents(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[DocumentStore]:
    async for opened in open_test_backend(request, tmp_path):
        yield opened.documents


@pytest.fixture(scope="module")
def connector() -> Iterator[ConnectorStub]:
    """A Bot Connector stand-in that also takes file-consent uploads (`upload_url`, `uploads`)."""
    with ConnectorStub() as stub:
        yield stub
