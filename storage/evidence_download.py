"""Download an evidence file from Teams safely: allowlisted hosts only, https only, capped size, streamed.

The bot must never become a proxy into the municipality's network (SSRF). Two layers, on every hop:

1. The URL: http(s) only (http only with `allow_http`), no credentials, and a host on the allowlist. An IP
   address is reachable only when that very address is an allowlist entry (tests list 127.0.0.1 for their local
   file server); numeric hosts other than a plain dotted quad (2130706433, 0x7f.1, 0177.0.0.1, 127.1) never are.
2. The address actually connected to: a host *name* is resolved by `PublicAddressResolver`, which keeps only
   public unicast addresses (no loopback, private, link-local such as 169.254.169.254, unique-local fc00::/7,
   shared, reserved or multicast, nor IPv6 forms carrying such an IPv4). The connector connects only to what
   it returns, so an allowlisted name that resolves or rebinds to an internal address is refused unconnected.

The bytes are only streamed to storage: nothing here (nor anywhere in the bot) opens or unpacks an archive.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from yarl import URL

from domain.refusals import EvidenceRefused, RefusalReason

CHUNK_BYTES = 256 * 1024
MAX_REDIRECTS = 3
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$", re.IGNORECASE)
# IPv6 prefixes whose last 32 bits are an IPv4 address the packet may end up at: IPv4-compatible, NAT64.
_IPV4_CARRIERS = (ipaddress.IPv6Network("::/96"), ipaddress.IPv6Network("64:ff9b::/96"))
_LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")


def host_is_allowed(host: str, allowed_hosts: list[str]) -> bool:
    """True when `host` equals an entry, or is a subdomain of a "*.example.com" entry (never the bare domain)."""
    host = _normalise_host(host)
    if not host or _is_numeric_non_ip(host):
        return False
    host_is_ip = _is_ip_literal(host)
    for entry in allowed_hosts:
        pattern = _normalise_host(entry)
        if not pattern:
            continue
        if pattern.startswith("*."):
            if not host_is_ip and host.endswith(pattern[1:]):
                return True
        elif host == pattern:
            return True
    return False


def _normalise_host(host: str) -> str:
    return host.strip().lower().removeprefix("[").removesuffix("]").rstrip(".")


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _is_numeric_non_ip(host: str) -> bool:
    """A host ending in a number is an IPv4 address to resolvers (inet_aton) even when it is no dotted quad."""
    return bool(_NUMERIC_LABEL.match(host.rsplit(".", 1)[-1])) and not _is_ip_literal(host)


def is_public_address(text: str) -> bool:
    """True only for a globally routable unicast address; an IPv6 form carrying an IPv4 is judged by that IPv4."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        if address.is_site_local or address in _LOCAL_NAT64:
            return False
        carried = address.ipv4_mapped or address.sixtofour
        if carried is None and any(address in prefix for prefix in _IPV4_CARRIERS):
            carried = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if carried is not None:
            return is_public_address(str(carried))
    return address.is_global and not address.is_multicast


class NonPublicAddress(OSError):
    """A host name resolved only to addresses the bot must not connect to."""


class PublicAddressResolver(AbstractResolver):
    """Resolves through `inner` and drops every address that is not public; none left raises NonPublicAddress."""

    def __init__(self, inner: AbstractResolver) -> None:
        self._inner = inner

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        public = [found for found in await self._inner.resolve(host, port, family) if is_public_address(found["host"])]
        if not public:
            raise NonPublicAddress(f"{host} resolves to no public address")
        return public

    async def close(self) -> None:
        await self._inner.close()


def _has_userinfo(url: URL, raw: str) -> bool:
    """True for user:pass@ in the URL, including an empty "@" that a parser would silently drop."""
    if url.user is not None or url.password is not None:
        return True
    try:
        return "@" in urlsplit(raw.strip()).netloc
    except ValueError:
        return True


class SafeDownloader:
    """Streams the bytes behind a URL, refusing anything that could turn the bot into an SSRF proxy.

    The session it makes itself resolves names through PublicAddressResolver (around `resolver`, by default the
    system's). A `session` passed in is used as it is (tests); it must filter addresses the same way.
    """

    def __init__(
        self,
        allowed_hosts: list[str],
        allow_http: bool,
        max_bytes: int,
        timeout_seconds: float,
        session: aiohttp.ClientSession | None = None,
        resolver: AbstractResolver | None = None,
    ) -> None:
        self._allowed_hosts = list(allowed_hosts)
        self._schemes = frozenset({"https", "http"} if allow_http else {"https"})
        self._max_bytes = max_bytes
        self._timeout_seconds = timeout_seconds
        self._session = session
        self._owns_session = False
        self._resolver = resolver
        self._guard: PublicAddressResolver | None = None

    async def close(self) -> None:
        """Close the HTTP session and its resolver, but only if this downloader created them."""
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None
            self._owns_session = False
        if self._guard is not None:
            await self._guard.close()  # a connector does not close a resolver it was given
            self._guard = None

    async def stream(self, url: str, bearer_token: str | None = None) -> AsyncIterator[bytes]:
        """Yield the body in chunks of at most 256 KiB; raise EvidenceRefused when any rule is broken.

        The bearer token goes only to the original origin, never to a redirect target elsewhere.
        """
        response = await self._open(self._parse(url), bearer_token)
        try:
            self._check_response(response)
            received = 0
            async for chunk in response.content.iter_chunked(CHUNK_BYTES):
                received += len(chunk)
                if received > self._max_bytes:
                    raise EvidenceRefused(RefusalReason.TOO_LARGE, f"more than {self._max_bytes} bytes")
                yield chunk
        except (aiohttp.ClientError, TimeoutError) as error:
            raise EvidenceRefused(RefusalReason.DOWNLOAD_FAILED, type(error).__name__) from error
        finally:
            response.close()

    async def _open(self, target: URL, bearer_token: str | None) -> aiohttp.ClientResponse:
        """Request `target`, following at most MAX_REDIRECTS redirects by hand; return the final response."""
        origin = target.origin()
        deadline = asyncio.get_running_loop().time() + self._timeout_seconds
        redirects = 0
        while True:
            token = bearer_token if target.origin() == origin else None
            response = await self._request(target, token, deadline)
            if response.status not in REDIRECT_STATUSES:
                return response
            try:
                if redirects == MAX_REDIRECTS:
                    raise EvidenceRefused(RefusalReason.DOWNLOAD_FAILED, f"more than {MAX_REDIRECTS} redirects")
                target = self._redirect_target(target, response)
            finally:
                response.close()
            redirects += 1

    def _parse(self, url: str) -> URL:
        try:
            parsed = URL(url)
        except (ValueError, TypeError) as error:
            raise EvidenceRefused(RefusalReason.INSECURE_URL, "unparseable url") from error
        self._check(parsed, url)
        return parsed

    def _check(self, url: URL, raw: str) -> None:
        """Apply the scheme, credentials and host rules to one hop; `raw` is the text the URL came from."""
        if url.scheme.lower() not in self._schemes or not url.is_absolute():
            raise EvidenceRefused(RefusalReason.INSECURE_URL, f"scheme {url.scheme or '(none)'!r}")
        if _has_userinfo(url, raw):
            raise EvidenceRefused(RefusalReason.INSECURE_URL, "credentials in url")
        if not host_is_allowed(url.raw_host or "", self._allowed_hosts):
            raise EvidenceRefused(RefusalReason.HOST_NOT_ALLOWED, url.raw_host or "")

    def _redirect_target(self, current: URL, response: aiohttp.ClientResponse) -> URL:
        location = response.headers.get("Location")
        if not location:
            raise EvidenceRefused(RefusalReason.DOWNLOAD_FAILED, f"redirect {response.status} without location")
        try:
            target = current.join(URL(location))
        except (ValueError, TypeError) as error:
            raise EvidenceRefused(RefusalReason.INSECURE_URL, "unparseable redirect") from error
        self._check(target, location)
        return target

    async def _request(self, url: URL, bearer_token: str | None, deadline: float) -> aiohttp.ClientResponse:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise EvidenceRefused(RefusalReason.DOWNLOAD_FAILED, "timed out")
        headers = {"Accept-Encoding": "identity"}
        if bearer_token:
            headers["Authorization"] = f"Bearer {bearer_token}"
        try:
            return await self._get_session().get(
                url,
                headers=headers,
                allow_redirects=False,
                auto_decompress=False,
                timeout=aiohttp.ClientTimeout(total=remaining),
            )
        except aiohttp.ClientConnectorError as error:
            if isinstance(error.os_error, NonPublicAddress):
                raise EvidenceRefused(RefusalReason.HOST_NOT_ALLOWED, str(error.os_error)) from error
            raise EvidenceRefused(RefusalReason.DOWNLOAD_FAILED, type(error).__name__) from error
        except (aiohttp.ClientError, TimeoutError) as error:
            raise EvidenceRefused(RefusalReason.DOWNLOAD_FAILED, type(error).__name__) from error

    def _check_response(self, response: aiohttp.ClientResponse) -> None:
        if not 200 <= response.status < 300:
            raise EvidenceRefused(RefusalReason.DOWNLOAD_FAILED, f"status {response.status}")
        if response.content_length is not None and response.content_length > self._max_bytes:
            raise EvidenceRefused(RefusalReason.TOO_LARGE, f"content-length {response.content_length}")

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._guard = PublicAddressResolver(self._resolver or DefaultResolver())
            connector = aiohttp.TCPConnector(resolver=self._guard)
            self._session = aiohttp.ClientSession(connector=connector, auto_decompress=False)
            self._owns_session = True
        return self._session
