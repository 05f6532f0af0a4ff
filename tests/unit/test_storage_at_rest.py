"""Protection at rest (storage/azure_account.py, domain.retention.immutability_conflicts): the bot refuses plain
HTTP to its storage account except a local Azurite, reaches the account with a managed identity when only its URL is
set (chosen without any call to Azure), and warns at start when the evidence container's immutability policy would
keep evidence past its deletion date."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from azure.data.tables.aio import TableServiceClient
from azure.identity.aio import DefaultAzureCredential, ManagedIdentityCredential
from azure.storage.blob.aio import BlobServiceClient
from azure.storage.queue.aio import QueueServiceClient
from pydantic import ValidationError

from bot.config import Settings
from bot.runtime import check_evidence_immutability
from domain.retention import ImmutabilityConflict, RetentionPolicy, immutability_conflicts
from storage.azure_account import AzureAccount, close_with_credential, service_client

KEY = "a2V5"
AZURITE = (
    f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={KEY};"
    "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;"
    "TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;"
)
ACCOUNT_URL = "https://vaernprod.blob.core.windows.net"
CLIENTS = {"blob": BlobServiceClient, "queue": QueueServiceClient, "table": TableServiceClient}


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, storage_backend="azure", **values)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "connection_string",
    [
        f"DefaultEndpointsProtocol=http;AccountName=vaernprod;AccountKey={KEY};EndpointSuffix=core.windows.net",
        f"DefaultEndpointsProtocol=HTTP;AccountName=vaernprod;AccountKey={KEY}",
        f"DefaultEndpointsProtocol=https;AccountName=x;AccountKey={KEY};BlobEndpoint=http://x.blob.core.windows.net",
        AZURITE.replace("QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;", ""),  # queue: http to Azure
        AZURITE.replace("127.0.0.1:10002", "storage.example.dk:10002"),
    ],
)
def test_a_connection_string_over_plain_http_is_refused(connection_string: str) -> None:
    with pytest.raises(ValidationError, match="https"):
        settings(azure_storage_connection_string=connection_string)


@pytest.mark.parametrize(
    "account_url",
    [
        "http://vaernprod.blob.core.windows.net",
        "ftp://vaernprod.blob.core.windows.net",
        "vaernprod.blob.core.windows.net",
    ],
)
def test_an_account_url_over_plain_http_is_refused(account_url: str) -> None:
    with pytest.raises(ValidationError, match="https"):
        settings(azure_storage_account_url=account_url)


def test_both_a_connection_string_and_an_account_url_is_refused() -> None:
    with pytest.raises(ValidationError, match="not both"):
        settings(azure_storage_connection_string=AZURITE, azure_storage_account_url=ACCOUNT_URL)


@pytest.mark.parametrize(
    "connection_string",
    [
        AZURITE,
        AZURITE.replace("127.0.0.1", "localhost"),
        "UseDevelopmentStorage=true",
        f"DefaultEndpointsProtocol=https;AccountName=vaernprod;AccountKey={KEY};EndpointSuffix=core.windows.net",
        f"AccountName=vaernprod;AccountKey={KEY}",  # the SDK's default protocol is https
    ],
)
def test_https_and_a_local_azurite_are_accepted(connection_string: str) -> None:
    assert settings(azure_storage_connection_string=connection_string).storage_backend == "azure"


def test_local_storage_does_not_check_an_unused_connection_string() -> None:
    local = Settings(_env_file=None, azure_storage_connection_string="DefaultEndpointsProtocol=http")  # type: ignore[call-arg]
    assert local.storage_backend == "local"


@pytest.mark.parametrize(
    ("client_id", "credential_type"),
    [("11111111-2222-3333-4444-555555555555", ManagedIdentityCredential), ("", DefaultAzureCredential)],
)
async def test_an_account_url_without_a_key_signs_in_with_the_managed_identity(
    client_id: str, credential_type: type
) -> None:
    account = settings(azure_storage_account_url=ACCOUNT_URL, azure_storage_client_id=client_id).storage_choice()
    chosen = account.azure_account()
    assert chosen.uses_identity
    for service, client_type in CLIENTS.items():
        client = service_client(chosen, service, client_type)  # type: ignore[arg-type]
        try:
            assert client.url.rstrip("/") == f"https://vaernprod.{service}.core.windows.net"
            assert isinstance(client.credential, credential_type)
        finally:
            await close_with_credential(client)


async def test_a_connection_string_uses_its_key_and_no_identity() -> None:
    chosen = settings(azure_storage_connection_string=AZURITE).storage_choice().azure_account()
    assert not chosen.uses_identity
    client = service_client(chosen, "blob", BlobServiceClient)
    try:
        assert client.url.startswith("http://127.0.0.1:10000/") and not hasattr(client.credential, "get_token")
    finally:
        await close_with_credential(client)


def test_the_managed_identity_client_id_picks_a_user_assigned_identity() -> None:
    assert isinstance(AzureAccount(account_url=ACCOUNT_URL, client_id="abc").credential(), ManagedIdentityCredential)


# --- the evidence container's immutability policy against retention ----------------------------------------------


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (0, []),
        (30, []),  # the draft period: every deletion Værn makes is after the policy ends
        (31, [ImmutabilityConflict.DRAFTS]),
        (5 * 365, [ImmutabilityConflict.DRAFTS]),
        (5 * 365 + 1, [ImmutabilityConflict.CLOSED_CASES, ImmutabilityConflict.DRAFTS]),
    ],
)
def test_a_policy_may_not_outlast_the_retention_periods(days: int, expected: list[ImmutabilityConflict]) -> None:
    assert immutability_conflicts(days, RetentionPolicy(closed_case_years=5, draft_days=30)) == expected


class _Container:
    def __init__(self, has_policy: bool | Exception) -> None:
        self._has_policy = has_policy

    async def has_immutability_policy(self) -> bool:
        if isinstance(self._has_policy, Exception):
            raise self._has_policy
        return self._has_policy


async def test_start_warns_about_a_policy_longer_than_retention_and_a_container_that_disagrees(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="vaern.runtime")
    too_long = settings(azure_storage_connection_string=AZURITE, evidence_immutability_days=6 * 365)
    await check_evidence_immutability(too_long, _Container(has_policy=False))
    warnings = [record.getMessage() for record in caplog.records]
    assert any("RETENTION__CLOSED_CASE_YEARS=5" in line for line in warnings)
    assert any("RETENTION__DRAFT_DAYS=30" in line for line in warnings)
    assert any("has no immutability policy" in line for line in warnings)

    caplog.clear()
    await check_evidence_immutability(settings(azure_storage_connection_string=AZURITE), _Container(has_policy=True))
    assert [r.getMessage() for r in caplog.records] == [
        "the evidence container has an immutability policy: set EVIDENCE_IMMUTABILITY_DAYS to its period"
    ]

    caplog.clear()
    fitting = settings(azure_storage_connection_string=AZURITE, evidence_immutability_days=30)
    await check_evidence_immutability(fitting, _Container(has_policy=True))
    await check_evidence_immutability(fitting, object())  # local storage: nothing to ask
    assert caplog.records == []
    await check_evidence_immutability(fitting, _Container(has_policy=OSError("unreachable")))
    assert "could not read" in caplog.records[0].getMessage()
