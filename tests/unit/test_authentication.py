"""bot/authentication.py: the Agents SDK's token validator with its gaps closed (keys from the configured metadata,
channel endorsements, the serviceurl claim, tokens without kid or exp), against a local JWKS server."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
from microsoft_agents.hosting.core.authorization.jwt import JwtTokenValidator

from bot.authentication import Authenticator, Refused, agent_auth_configuration
from bot.config import Settings
from tests.support.jwks_server import KEYS_PATH, METADATA_PATH, JwksServer, SigningKey

APP_ID = str(uuid.uuid4())
SERVICE_URL = "https://smba.trafficmanager.net/emea/"
WEBCHAT_KEY = SigningKey(kid="webchat-only", endorsements=["webchat"])


@pytest.fixture(scope="module")
def jwks() -> Iterator[JwksServer]:
    with JwksServer(keys=[WEBCHAT_KEY]) as server:
        yield server


def settings(jwks: JwksServer) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        microsoft_app_id=APP_ID,
        microsoft_app_password="not-a-secret",
        microsoft_app_tenant_id=str(uuid.uuid4()),
        bot_openid_metadata_url=jwks.metadata_url,
    )


def check(authenticator: Authenticator, token: str, channel: str = "msteams", service_url: str = SERVICE_URL):
    return asyncio.run(authenticator.authenticate(f"Bearer {token}", channel, service_url))


def test_a_valid_token_gives_its_claims(jwks: JwksServer) -> None:
    token = jwks.mint(jwks.claims(app_id=APP_ID, service_url=SERVICE_URL))
    assert check(Authenticator(settings(jwks)), token).claims["aud"] == APP_ID


def test_the_sdks_own_validator_lets_a_token_without_kid_escape_as_key_error(jwks: JwksServer) -> None:
    """The gap closed here: `alg: none` without a kid is a KeyError in the SDK, which its aiohttp edge answers 500."""
    token = jwks.mint(jwks.claims(app_id=APP_ID, service_url=SERVICE_URL), alg="none", kid=None)
    with pytest.raises(KeyError):
        asyncio.run(JwtTokenValidator(agent_auth_configuration(settings(jwks))).validate_token(token))
    with pytest.raises(Refused):
        check(Authenticator(settings(jwks)), token)


@pytest.mark.parametrize(
    ("overrides", "channel", "service_url"),
    [
        ({"serviceurl": "https://other.example/"}, "msteams", SERVICE_URL),
        ({"serviceurl": None}, "msteams", SERVICE_URL),
        ({"exp": None}, "msteams", SERVICE_URL),
        ({"iss": "https://login.evil.example/"}, "msteams", SERVICE_URL),
        ({"appid": str(uuid.uuid4()), "ver": "1.0"}, "msteams", SERVICE_URL),
        ({}, "directline", SERVICE_URL),
    ],
    ids=["serviceurl of another host", "no serviceurl", "no exp", "foreign issuer", "another app", "channel"],
)
def test_gaps_of_the_sdk_are_refused(jwks: JwksServer, overrides: dict, channel: str, service_url: str) -> None:
    token = jwks.mint(jwks.claims(app_id=APP_ID, service_url=SERVICE_URL, **overrides))
    with pytest.raises(Refused):
        check(Authenticator(settings(jwks)), token, channel, service_url)


def test_a_key_endorsed_for_another_channel_only_is_refused(jwks: JwksServer) -> None:
    token = jwks.mint(jwks.claims(app_id=APP_ID, service_url=SERVICE_URL), key=WEBCHAT_KEY)
    with pytest.raises(Refused):
        check(Authenticator(settings(jwks)), token)
    assert check(Authenticator(settings(jwks)), token, "webchat").claims["aud"] == APP_ID


def test_keys_are_fetched_once_and_unknown_kids_do_not_refetch(jwks: JwksServer) -> None:
    before = dict(jwks.hits)
    authenticator = Authenticator(settings(jwks))
    good = jwks.mint(jwks.claims(app_id=APP_ID, service_url=SERVICE_URL))
    rogue = jwks.mint(jwks.claims(app_id=APP_ID, service_url=SERVICE_URL), key=SigningKey(kid="rogue"))

    async def run() -> None:
        await authenticator.authenticate(f"Bearer {good}", "msteams", SERVICE_URL)
        for _ in range(5):
            with pytest.raises(Refused):
                await authenticator.authenticate(f"Bearer {rogue}", "msteams", SERVICE_URL)

    asyncio.run(run())
    assert jwks.hits[METADATA_PATH] - before.get(METADATA_PATH, 0) == 1
    assert jwks.hits[KEYS_PATH] - before.get(KEYS_PATH, 0) == 1


def test_without_an_app_id_and_with_the_opt_out_no_token_is_needed(jwks: JwksServer) -> None:
    open_settings = Settings(_env_file=None, microsoft_app_id="", allow_unauthenticated=True)  # type: ignore[call-arg]
    authenticator = Authenticator(open_settings)
    assert not authenticator.required
    assert asyncio.run(authenticator.authenticate(None, "msteams", SERVICE_URL)).claims == {}


@pytest.mark.parametrize(
    ("app_type", "tenant", "auth_type", "secret"),
    [
        ("SingleTenant", "the-tenant", "ClientSecret", "not-a-secret"),
        ("MultiTenant", "botframework.com", "ClientSecret", "not-a-secret"),
        ("UserAssignedMSI", "the-tenant", "UserManagedIdentity", None),
    ],
)
def test_the_documented_settings_are_the_sdks_configuration(
    app_type: str, tenant: str, auth_type: str, secret: str | None
) -> None:
    configuration = agent_auth_configuration(
        Settings(
            _env_file=None,  # type: ignore[call-arg]
            microsoft_app_id=APP_ID,
            microsoft_app_password="not-a-secret",
            microsoft_app_tenant_id="the-tenant",
            microsoft_app_type=app_type,
        )
    )
    assert configuration.CLIENT_ID == APP_ID and tenant == configuration.TENANT_ID
    assert auth_type == configuration.AUTH_TYPE and secret == configuration.CLIENT_SECRET
    assert configuration.VALIDATE_ISSUER and configuration.ISSUERS == ["https://api.botframework.com"]
    assert not configuration.ANONYMOUS_ALLOWED


def test_allow_unauthenticated_counts_only_without_an_app_id(jwks: JwksServer) -> None:
    with_id = Settings(_env_file=None, microsoft_app_id=APP_ID, allow_unauthenticated=True)  # type: ignore[call-arg]
    assert not agent_auth_configuration(with_id).ANONYMOUS_ALLOWED
    without = Settings(_env_file=None, microsoft_app_id="", allow_unauthenticated=True)  # type: ignore[call-arg]
    assert agent_auth_configuration(without).ANONYMOUS_ALLOWED
