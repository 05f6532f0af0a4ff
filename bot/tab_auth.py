"""Who calls the tab's API: the Entra ID token Teams gives the tab by single sign-on (`authentication.getAuthToken`).

A token is accepted only when all of this holds, and every way it can fail raises `Refused` (the API answers 401):
- signed with RS256 by a key published through the OpenID metadata at TAB_OPENID_METADATA_URL (Entra ID's; a local
  JWKS in tests), found by its `kid` (keys fetched once a day, never again for an unknown kid);
- not expired (it must have `exp`), not before `nbf`, with a few minutes' leeway for clocks;
- for this app: audience `api://<BOT_DOMAIN>/<MICROSOFT_APP_ID>` (v1 tokens) or the app id itself (v2 tokens);
- from an allowed tenant: `tid` in ALLOWED_TENANT_IDS (else MICROSOFT_APP_TENANT_ID), and issued by that tenant
  (`https://sts.windows.net/<tid>/` for v1, `https://login.microsoftonline.com/<tid>/v2.0` for v2);
- with the scope `access_as_user` and the user's object id (`oid`), which is who the user is.
Without an app id or an allowed tenant no token is accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jwt

from bot.authentication import BotFrameworkKeys, Refused

SCOPE = "access_as_user"
ALGORITHM = "RS256"
LEEWAY_SECONDS = 300


@dataclass(frozen=True)
class TabUser:
    aad_object_id: str
    tenant_id: str
    name: str = ""


def issuers(tenant_id: str) -> tuple[str, str]:
    """The v1 and v2 issuers of a tenant's tokens."""
    return f"https://sts.windows.net/{tenant_id}/", f"https://login.microsoftonline.com/{tenant_id}/v2.0"


class TabTokens:
    def __init__(self, metadata_url: str, app_id: str, domain: str, tenants: frozenset[str] | None) -> None:
        self._keys = BotFrameworkKeys(metadata_url)
        self._audiences = [f"api://{domain}/{app_id}", app_id] if app_id and domain else []
        self._tenants = tenants or frozenset()

    async def user(self, authorization: str | None) -> TabUser:
        """The signed-in user of a request's `Authorization: Bearer <token>`, or Refused."""
        if not self._audiences or not self._tenants:
            raise Refused("the tab's sign-in is not configured (MICROSOFT_APP_ID, BOT_DOMAIN, a tenant)")
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Refused("no bearer token")
        claims = await self._verified(token.strip())
        tenant = claims.get("tid")
        if not isinstance(tenant, str) or tenant.lower() not in self._tenants:
            raise Refused("tenant not allowed")
        if claims.get("iss") not in issuers(tenant):
            raise Refused("issuer is not the tenant's")
        scopes = claims.get("scp")
        if not isinstance(scopes, str) or SCOPE not in scopes.split():
            raise Refused("scope access_as_user missing")
        oid = claims.get("oid")
        if not isinstance(oid, str) or not oid:
            raise Refused("no object id (oid)")
        name = claims.get("name")
        return TabUser(aad_object_id=oid, tenant_id=tenant.lower(), name=name if isinstance(name, str) else "")

    async def _verified(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Refused("not a JWT") from None
        if header.get("alg") != ALGORITHM:
            raise Refused("algorithm not RS256")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Refused("token without a kid")
        try:
            key = jwt.PyJWK(await self._keys.key(kid), algorithm=ALGORITHM)
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[ALGORITHM],
                audience=self._audiences,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iss", "aud", "tid"]},
            )
        except Refused:
            raise
        except Exception as error:  # any way PyJWT refuses (signature, expiry, audience, a malformed key)
            raise Refused(f"token refused ({type(error).__name__})") from None
        if not isinstance(claims, dict):
            raise Refused("claims are not an object")
        return claims
