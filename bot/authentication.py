"""Who may call /api/messages: the Bot Connector's tokens, checked by the Microsoft 365 Agents SDK's validator.

The SDK's `JwtTokenValidator` checks the RS256 signature, expiry and not-before (5 minutes' skew), the audience (our
app id) and, with `VALIDATE_ISSUER` on, the issuer allow-list (the Bot Framework's issuer only). It leaves gaps
that are closed here, at the edge, without changing the SDK:

- the keys come from the OpenID metadata at BOT_OPENID_METADATA_URL (the SDK has no setting for it): fetched once,
  again after a day, never again for an unknown kid (bad tokens cannot make the bot hammer the metadata host);
- a key must be endorsed for the activity's channel (the Bot Framework publishes which channels each key signs for);
- the `serviceurl` claim must equal the activity's serviceUrl (the SDK compares hosts and only logs a difference);
- a token must expire (PyJWT checks `exp` only when present), and tokens of another bot (skill calls) are refused;
- every way a token can be wrong raises `Refused` (the SDK lets a token without `kid`, e.g. `alg: none`, escape as
  KeyError, a 500).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import aiohttp
from jwt import PyJWK, get_unverified_header
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.core.authorization import AgentAuthConfiguration, AuthTypes, ClaimsIdentity
from microsoft_agents.hosting.core.authorization.jwt import JwtTokenValidator

from bot.config import Settings

log = logging.getLogger("vaern.authentication")

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
# A MultiTenant bot gets its outbound tokens from the Bot Framework's own tenant (botbuilder's "MultiTenant").
BOT_FRAMEWORK_TENANT = "botframework.com"
# MICROSOFT_APP_TYPE (botbuilder's names, kept for operators) as the SDK's kinds of credentials.
AUTH_TYPES = {
    "MultiTenant": AuthTypes.client_secret,
    "SingleTenant": AuthTypes.client_secret,
    "UserAssignedMSI": AuthTypes.user_managed_identity,
}
KEYS_LIFETIME_SECONDS = 24 * 3600  # botbuilder's and Microsoft's advice: refresh the keys once a day
FETCH_TIMEOUT_SECONDS = 20.0


class Refused(Exception):
    """The request's token is not acceptable; the message says why, for the log only (never sent back)."""


class BotFrameworkKeys:
    """The signing keys published through the OpenID metadata at `metadata_url`, with their endorsements."""

    def __init__(self, metadata_url: str) -> None:
        self.metadata_url = metadata_url
        self._keys: dict[str, dict[str, Any]] = {}
        self._fetched_at: float | None = None
        self._lock: asyncio.Lock | None = None

    async def key(self, kid: str) -> dict[str, Any]:
        """The published JWK with this kid (with its `endorsements`), or Refused."""
        if self._fetched_at is None or time.monotonic() - self._fetched_at > KEYS_LIFETIME_SECONDS:
            self._lock = self._lock or asyncio.Lock()
            async with self._lock:
                if self._fetched_at is None or time.monotonic() - self._fetched_at > KEYS_LIFETIME_SECONDS:
                    await self._fetch()
        jwk = self._keys.get(kid)
        if jwk is None:
            raise Refused("unknown signing key (kid)")
        return jwk

    async def _fetch(self) -> None:
        timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT_SECONDS)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session:
                async with session.get(self.metadata_url) as response:
                    response.raise_for_status()
                    jwks_uri = (await response.json(content_type=None))["jwks_uri"]
                async with session.get(jwks_uri) as response:
                    response.raise_for_status()
                    keys = (await response.json(content_type=None))["keys"]
        except Exception as error:  # keep the keys we had (if any); this request is refused
            log.warning("could not fetch the signing keys from %s: %s", self.metadata_url, type(error).__name__)
            raise Refused("signing keys unavailable") from None
        self._keys = {key["kid"]: key for key in keys if isinstance(key, dict) and isinstance(key.get("kid"), str)}
        self._fetched_at = time.monotonic()


class _KeysByKid:
    """What `JwtTokenValidator` asks for a signing key: here, the published key with the token's kid, wherever
    the SDK would have looked (it picks a fixed Microsoft address by issuer)."""

    def __init__(self, keys: BotFrameworkKeys) -> None:
        self._keys = keys

    async def get_signing_key(self, jwks_uri: str, header: dict[str, Any]) -> PyJWK:
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Refused("token without a kid")
        return PyJWK(await self._keys.key(kid))


class BotFrameworkValidator(JwtTokenValidator):
    """The SDK's validator with its keys from BOT_OPENID_METADATA_URL."""

    def __init__(self, configuration: AgentAuthConfiguration, keys: BotFrameworkKeys) -> None:
        super().__init__(configuration)
        self._jwk_client_manager = _KeysByKid(keys)


def sdk_configuration(settings: Settings) -> dict[str, Any]:
    """Værn's documented settings (MICROSOFT_APP_ID, _PASSWORD, _TENANT_ID, _TYPE, ALLOW_UNAUTHENTICATED) as the
    configuration the SDK reads (what its `load_configuration_from_env` makes of CONNECTIONS__SERVICE_CONNECTION__
    SETTINGS__*): one service connection, the Bot Framework issuer only, checked."""
    connection: dict[str, Any] = {
        "AUTHTYPE": AUTH_TYPES[settings.microsoft_app_type],
        "ANONYMOUS_ALLOWED": not settings.microsoft_app_id and settings.allow_unauthenticated,
        "ISSUERS": [BOT_FRAMEWORK_ISSUER],
        "VALIDATE_ISSUER": True,
    }
    if settings.microsoft_app_id:
        connection["CLIENTID"] = settings.microsoft_app_id
        tenant = settings.microsoft_app_tenant_id
        connection["TENANTID"] = BOT_FRAMEWORK_TENANT if settings.microsoft_app_type == "MultiTenant" else tenant
        if settings.microsoft_app_type != "UserAssignedMSI" and settings.microsoft_app_password:
            connection["CLIENTSECRET"] = settings.microsoft_app_password
    return {"CONNECTIONS": {"SERVICE_CONNECTION": {"SETTINGS": connection}}, "CONNECTIONSMAP": []}


def agent_auth_configuration(settings: Settings) -> AgentAuthConfiguration:
    """The SDK's configuration of the service connection, as its connection manager builds it from ours."""
    return MsalConnectionManager(**sdk_configuration(settings)).get_default_connection_configuration()


class Authenticator:
    """Checks the Authorization header of one activity; `authenticate` returns the verified claims."""

    def __init__(self, settings: Settings) -> None:
        self.configuration = agent_auth_configuration(settings)
        self.keys = BotFrameworkKeys(settings.bot_openid_metadata_url)
        self._validator = BotFrameworkValidator(self.configuration, self.keys)

    @property
    def required(self) -> bool:
        return not self.configuration.ANONYMOUS_ALLOWED

    async def authenticate(self, authorization: str | None, channel_id: str, service_url: str) -> ClaimsIdentity:
        if not self.required:
            return self._validator.get_anonymous_claims()
        token = _bearer_token(authorization)
        try:
            identity = await self._validator.validate_token(token)
        except Refused:
            raise
        except Exception as error:  # PyJWT's errors, ValueError, KeyError...: all mean "not acceptable"
            raise Refused(f"{type(error).__name__}: {str(error)[:200]}") from None
        claims = identity.claims
        if not isinstance(claims.get("exp"), int | float):
            raise Refused("token without an expiry (exp claim)")
        if claims.get("serviceurl") != service_url:
            raise Refused("serviceurl claim does not match the activity's serviceUrl")
        other_app = claims.get("appid") or claims.get("azp")
        if other_app is not None and other_app != self.configuration.CLIENT_ID:
            raise Refused("token of another app (skill calls are not served)")
        jwk = await self.keys.key(_kid_of(token))
        if channel_id not in (jwk.get("endorsements") or ()):
            raise Refused(f"signing key not endorsed for channel {channel_id[:40]}")
        return identity


def _bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise Refused("no Authorization header")
    parts = authorization.split(" ")
    if len(parts) != 2 or parts[0].lower() != "bearer" or not parts[1]:
        raise Refused("Authorization is not 'Bearer <token>'")
    return parts[1]


def _kid_of(token: str) -> str:
    return str(get_unverified_header(token).get("kid"))
