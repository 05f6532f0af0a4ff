"""The tab's sign-in: real RS256 tokens from a local OpenID metadata and JWKS (tests/support/jwks_server.py); a good
v1 or v2 token gives the user, every bad one is refused."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bot.authentication import Refused
from bot.tab_auth import TabTokens, TabUser, issuers
from tests.support.jwks_server import JwksServer, SigningKey

APP_ID = "11111111-2222-3333-4444-555555555555"
DOMAIN = "vaern.example.dk"
TENANT = "tenant-1"
AUDIENCE = f"api://{DOMAIN}/{APP_ID}"
USER = "aad-karen"


@pytest.fixture(scope="module")
def server() -> Iterator[JwksServer]:
    with JwksServer(issuer=issuers(TENANT)[0]) as running:
        yield running


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    values: dict[str, Any] = {
        "aud": AUDIENCE,
        "iss": issuers(TENANT)[0],
        "tid": TENANT,
        "oid": USER,
        "scp": "access_as_user",
        "name": "Karen Leder",
        "iat": now - 5,
        "nbf": now - 5,
        "exp": now + 3600,
        "ver": "1.0",
    }
    values.update(overrides)
    return {name: value for name, value in values.items() if value is not None}


def tokens(server: JwksServer, *, tenants: frozenset[str] | None = frozenset({TENANT})) -> TabTokens:
    return TabTokens(server.metadata_url, APP_ID, DOMAIN, tenants)


async def test_a_v1_token_of_the_tenant_gives_the_user(server: JwksServer) -> None:
    user = await tokens(server).user(f"Bearer {server.mint(claims())}")
    assert user == TabUser(aad_object_id=USER, tenant_id=TENANT, name="Karen Leder")


async def test_a_v2_token_for_the_app_id_gives_the_user(server: JwksServer) -> None:
    v2 = claims(aud=APP_ID, iss=issuers(TENANT)[1], ver="2.0", scp="openid access_as_user")
    assert (await tokens(server).user(f"Bearer {server.mint(v2)}")).aad_object_id == USER


UNPUBLISHED = SigningKey(kid="not-published")

BAD: dict[str, Callable[[JwksServer], str | None]] = {
    "missing header": lambda s: None,
    "empty bearer": lambda s: "Bearer ",
    "basic scheme": lambda s: "Basic a2FyZW46c2VjcmV0",
    "garbage": lambda s: "Bearer not.a.token",
    "alg none": lambda s: f"Bearer {s.mint(claims(), alg='none')}",
    "hs256 with the public key": lambda s: f"Bearer {s.mint(claims(), alg='HS256')}",
    "no kid": lambda s: f"Bearer {s.mint(claims(), kid=None)}",
    "unknown kid": lambda s: f"Bearer {s.mint(claims(), kid='someone-elses')}",
    "wrong key, published kid": lambda s: f"Bearer {s.mint(claims(), key=UNPUBLISHED.private_key, kid=s.key.kid)}",
    "expired": lambda s: f"Bearer {s.mint(claims(exp=int(time.time()) - 3600, nbf=int(time.time()) - 7200))}",
    "no expiry": lambda s: f"Bearer {s.mint(claims(exp=None))}",
    "not yet valid": lambda s: f"Bearer {s.mint(claims(nbf=int(time.time()) + 3600))}",
    "wrong audience": lambda s: f"Bearer {s.mint(claims(aud='api://evil.example/' + APP_ID))}",
    "graph audience": lambda s: f"Bearer {s.mint(claims(aud='https://graph.microsoft.com'))}",
    "foreign tenant": lambda s: f"Bearer {s.mint(claims(tid='tenant-2', iss=issuers('tenant-2')[0]))}",
    "issuer of another tenant": lambda s: f"Bearer {s.mint(claims(iss=issuers('tenant-2')[1]))}",
    "issuer not entra": lambda s: f"Bearer {s.mint(claims(iss='https://evil.example/tenant-1/'))}",
    "no tid": lambda s: f"Bearer {s.mint(claims(tid=None))}",
    "scope missing": lambda s: f"Bearer {s.mint(claims(scp='User.Read'))}",
    "scope as a prefix": lambda s: f"Bearer {s.mint(claims(scp='access_as_user_admin'))}",
    "app-only token (roles, no scp)": lambda s: f"Bearer {s.mint(claims(scp=None, roles=['access_as_user']))}",
    "no oid": lambda s: f"Bearer {s.mint(claims(oid=None))}",
    "oid not a string": lambda s: f"Bearer {s.mint(claims(oid=42))}",
}


@pytest.mark.parametrize("case", list(BAD))
async def test_every_bad_token_is_refused(server: JwksServer, case: str) -> None:
    with pytest.raises(Refused):
        await tokens(server).user(BAD[case](server))


async def test_no_token_is_accepted_without_an_app_id_or_a_tenant(server: JwksServer) -> None:
    good = f"Bearer {server.mint(claims())}"
    for unconfigured in (
        TabTokens(server.metadata_url, "", DOMAIN, frozenset({TENANT})),
        TabTokens(server.metadata_url, APP_ID, "", frozenset({TENANT})),
        tokens(server, tenants=None),
    ):
        with pytest.raises(Refused):
            await unconfigured.user(good)


async def test_unreachable_keys_refuse_rather_than_fail() -> None:
    unreachable = TabTokens("http://127.0.0.1:9/.well-known/openid-configuration", APP_ID, DOMAIN, frozenset({TENANT}))
    with JwksServer() as other, pytest.raises(Refused):
        await unreachable.user(f"Bearer {other.mint(claims())}")
