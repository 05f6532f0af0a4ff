"""A local Bot Framework OpenID/JWKS stand-in, and real RS256 tokens for it (PyJWT + cryptography).

Point the bot's BOT_OPENID_METADATA_URL at `JwksServer.metadata_url`: botbuilder then fetches the metadata and
the keys from here, and accepts tokens signed by `server.key` as if the Bot Connector had sent them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.connector_stub import BackgroundServer

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
METADATA_PATH = "/.well-known/openidconfiguration"
KEYS_PATH = "/keys"
DEFAULT_LIFETIME_SECONDS = 3600


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_uint(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


@dataclass
class SigningKey:
    """An RSA key pair with the kid and endorsements it is published under (Microsoft's keys carry both)."""

    kid: str
    endorsements: list[str] = field(default_factory=lambda: ["msteams"])
    private_key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048), repr=False
    )

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def jwk(self) -> dict[str, Any]:
        """The public key as Microsoft publishes it on its keys endpoint (without the x5c certificate chain)."""
        numbers = self.private_key.public_key().public_numbers()
        der = self.private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return {
            "kty": "RSA",
            "use": "sig",
            "kid": self.kid,
            "x5t": b64url(hashlib.sha1(der).digest()),  # a thumbprint-like value; nothing checks it
            "n": _b64url_uint(numbers.n),
            "e": _b64url_uint(numbers.e),
            "endorsements": list(self.endorsements),
        }


_DEFAULT = object()


class JwksServer(BackgroundServer):
    """Serves `GET /.well-known/openidconfiguration` and `GET /keys` (the JWKS) on 127.0.0.1, in a thread.

    `key` is published and is what `mint` signs with by default; `publish(...)` adds more keys. `hits` counts
    requests per path, so a test can see the bot really fetched the metadata from here (and how often).
    """

    thread_name = "jwks-server"

    def __init__(self, *, issuer: str = BOT_FRAMEWORK_ISSUER, keys: Iterable[SigningKey] = ()) -> None:
        super().__init__()
        self.issuer = issuer
        self.key = SigningKey(kid="vaern-test-key-1")
        self._published: list[SigningKey] = [self.key, *keys]
        self._lock = threading.Lock()
        self.hits: Counter[str] = Counter()

    @property
    def metadata_url(self) -> str:
        """The value for BOT_OPENID_METADATA_URL."""
        return f"{self.base_url}{METADATA_PATH}"

    def publish(self, key: SigningKey) -> SigningKey:
        """Add a key to the JWKS (the bot only sees it after its next metadata refresh: start the bot after)."""
        with self._lock:
            self._published.append(key)
        return key

    def claims(
        self, *, app_id: str, service_url: str, lifetime: int = DEFAULT_LIFETIME_SECONDS, **overrides: Any
    ) -> dict[str, Any]:
        """The claims of a Bot Connector token for this bot and serviceUrl; `overrides` replace or add claims
        (pass a value of None to leave a claim out)."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "serviceurl": service_url,
            "nbf": now - 5,
            "exp": now + lifetime,
            "iss": self.issuer,
            "aud": app_id,
        }
        claims.update(overrides)
        return {name: value for name, value in claims.items() if value is not None}

    def mint(
        self,
        claims: Mapping[str, Any],
        *,
        key: SigningKey | rsa.RSAPrivateKey | bytes | None = None,
        kid: str | object | None = _DEFAULT,
        alg: str = "RS256",
        headers: Mapping[str, Any] | None = None,
    ) -> str:
        """A compact JWS of `claims`.

        `key`: a SigningKey (default `self.key`), a bare RSA private key, or bytes (the HMAC secret for HS*).
        `kid`: the kid header (default: the SigningKey's kid; None leaves it out). `headers`: more JOSE header
        fields. `alg="none"` gives an unsigned token; `alg="HS256"` with no key signs with the public key PEM as
        the HMAC secret (the classic algorithm-confusion attack). Other algs are signed by PyJWT.
        """
        signing_key = self.key if key is None else key
        if kid is _DEFAULT:
            kid = signing_key.kid if isinstance(signing_key, SigningKey) else None
        header: dict[str, Any] = {"typ": "JWT"}
        if kid is not None:
            header["kid"] = kid
        header.update(headers or {})
        if alg == "none" or alg.startswith("HS"):
            return _mint_by_hand(claims, header, alg, signing_key)
        private_key = signing_key.private_key if isinstance(signing_key, SigningKey) else signing_key
        return jwt.encode(dict(claims), private_key, algorithm=alg, headers=header)

    # ---- server ---------------------------------------------------------------------------------------------

    def build_app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(METADATA_PATH, self._metadata)
        app.router.add_get(KEYS_PATH, self._keys)
        return app

    def _count(self, request: web.Request) -> None:
        with self._lock:
            self.hits[request.path] += 1

    async def _metadata(self, request: web.Request) -> web.Response:
        self._count(request)
        return web.json_response(
            {
                "issuer": self.issuer,
                "authorization_endpoint": "https://invalid.botframework.com",
                "jwks_uri": f"{self.base_url}{KEYS_PATH}",
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            }
        )

    async def _keys(self, request: web.Request) -> web.Response:
        self._count(request)
        with self._lock:
            keys = [key.jwk() for key in self._published]
        return web.json_response({"keys": keys})


def _mint_by_hand(
    claims: Mapping[str, Any], header: dict[str, Any], alg: str, key: SigningKey | rsa.RSAPrivateKey | bytes
) -> str:
    """Tokens PyJWT refuses to make: unsigned (alg none) and HMAC-signed with a public key as the secret."""
    header = {**header, "alg": alg}
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(dict(claims)).encode())}"
    if alg == "none":
        return f"{signing_input}."
    if isinstance(key, SigningKey):
        secret = key.public_pem()
    elif isinstance(key, bytes):
        secret = key
    else:
        raise TypeError("HS* needs a SigningKey (its public PEM is the secret) or bytes")
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    return f"{signing_input}.{b64url(hmac.new(secret, signing_input.encode(), digest).digest())}"
