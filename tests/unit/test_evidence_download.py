"""SafeDownloader against a real local HTTP server: allowlist, schemes, redirects, size cap, bearer token, and
the SSRF guard (IP literals, numeric hosts, names that resolve to internal addresses, redirects inward)."""

from __future__ import annotations

import asyncio
import gzip
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from domain.refusals import EvidenceRefused, RefusalReason
from storage.evidence_download import (
    CHUNK_BYTES,
    NonPublicAddress,
    PublicAddressResolver,
    SafeDownloader,
    host_is_allowed,
    is_public_address,
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CAP = 1024 * 1024
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 40
MEDIUM = bytes(range(256)) * 3000  # 750 KiB: under the cap, more than one chunk
BIG = b"x" * (2 * CAP)


@dataclass
class Server:
    port: int
    seen_authorization: list[str | None] = field(default_factory=list)
    seen_accept_encoding: list[str | None] = field(default_factory=list)
    streamed_bytes: int = 0
    release_slow: asyncio.Event = field(default_factory=asyncio.Event)
    elsewhere: str = ""  # the origin of a second server, for redirects to another origin

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


def _redirect(location: str) -> web.Response:
    return web.Response(status=302, headers={"Location": location})


def _build_app(server: Server) -> web.Application:
    async def png(request: web.Request) -> web.Response:
        return web.Response(body=PNG, content_type="image/png")

    async def medium(request: web.Request) -> web.Response:
        return web.Response(body=MEDIUM, content_type="application/octet-stream")

    async def big_with_length(request: web.Request) -> web.Response:
        return web.Response(body=BIG, content_type="application/octet-stream")

    async def big_chunked(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        try:
            for _ in range(1024):  # up to 64 MiB unless the client hangs up first
                await response.write(b"y" * 65536)
                server.streamed_bytes += 65536
        except (ConnectionError, RuntimeError):
            pass
        return response

    async def gzipped(request: web.Request) -> web.Response:
        return web.Response(body=gzip.compress(PNG), headers={"Content-Encoding": "gzip"})

    async def slow(request: web.Request) -> web.Response:
        await server.release_slow.wait()
        return web.Response(body=PNG)

    async def auth(request: web.Request) -> web.Response:
        server.seen_authorization.append(request.headers.get("Authorization"))
        server.seen_accept_encoding.append(request.headers.get("Accept-Encoding"))
        return web.Response(body=PNG)

    async def go(request: web.Request) -> web.Response:
        return _redirect(request.query["to"])

    async def hops(request: web.Request) -> web.Response:
        remaining = int(request.match_info["n"])
        return _redirect(f"/hops/{remaining - 1}" if remaining > 0 else "/small.png")

    routes = {
        "/small.png": png,
        "/medium": medium,
        "/big-with-length": big_with_length,
        "/big-chunked": big_chunked,
        "/gzipped": gzipped,
        "/slow": slow,
        "/auth": auth,
        "/hops/{n}": hops,
        "/go": go,
        "/redirect-ok": _redirects_to(lambda: "/small.png"),
        "/redirect-foreign": _redirects_to(lambda: server.url("/small.png", host="localhost")),
        "/redirect-invalid": _redirects_to(lambda: "http://example.invalid/"),
        "/redirect-file": _redirects_to(lambda: "file:///etc/passwd"),
        "/redirect-https-foreign": _redirects_to(lambda: "https://example.invalid/"),
        "/loop": _redirects_to(lambda: "/loop"),
        "/redirect-to-auth": _redirects_to(lambda: "/auth"),
        "/redirect-to-auth-elsewhere": _redirects_to(lambda: f"{server.elsewhere}/auth"),
    }
    app = web.Application()
    for path, handler in routes.items():
        app.router.add_get(path, handler)
    return app


def _redirects_to(location: Callable[[], str]) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        return _redirect(location())

    return handler


async def _serve() -> AsyncIterator[Server]:
    state = Server(port=0)
    runner = web.AppRunner(_build_app(state))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    state.port = runner.addresses[0][1]
    yield state
    state.release_slow.set()
    await runner.cleanup()


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    async for state in _serve():
        yield state


@pytest.fixture
async def other_server() -> AsyncIterator[Server]:
    async for state in _serve():
        yield state


@pytest.fixture
async def downloader() -> AsyncIterator[SafeDownloader]:
    instance = SafeDownloader(["127.0.0.1"], allow_http=True, max_bytes=CAP, timeout_seconds=5)
    yield instance
    await instance.close()


async def _collect(downloader: SafeDownloader, url: str, bearer_token: str | None = None) -> bytes:
    return b"".join([chunk async for chunk in downloader.stream(url, bearer_token)])


async def _refusal(downloader: SafeDownloader, url: str) -> EvidenceRefused:
    with pytest.raises(EvidenceRefused) as caught:
        await _collect(downloader, url)
    return caught.value


# --- allowed downloads -------------------------------------------------------------------------


async def test_allowed_download_yields_identical_bytes(server: Server, downloader: SafeDownloader) -> None:
    assert await _collect(downloader, server.url("/small.png")) == PNG


async def test_chunks_are_at_most_256_kib_and_reassemble_exactly(server: Server, downloader: SafeDownloader) -> None:
    chunks = [chunk async for chunk in downloader.stream(server.url("/medium"))]
    assert all(len(chunk) <= CHUNK_BYTES for chunk in chunks)
    assert b"".join(chunks) == MEDIUM


async def test_compressed_body_is_stored_as_sent_not_decompressed(server: Server, downloader: SafeDownloader) -> None:
    assert await _collect(downloader, server.url("/gzipped")) == gzip.compress(PNG)


async def test_asks_the_server_not_to_compress(server: Server, downloader: SafeDownloader) -> None:
    await _collect(downloader, server.url("/auth"))
    assert server.seen_accept_encoding == ["identity"]


# --- schemes and credentials -------------------------------------------------------------------


async def test_http_is_refused_when_not_allowed(server: Server) -> None:
    strict = SafeDownloader(["127.0.0.1"], allow_http=False, max_bytes=CAP, timeout_seconds=5)
    try:
        refusal = await _refusal(strict, server.url("/small.png"))
    finally:
        await strict.close()
    assert refusal.reason is RefusalReason.INSECURE_URL


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://127.0.0.1/evidence.png",
        "data:image/png;base64,iVBORw0KGgo=",
        "gopher://127.0.0.1/",
        "FILE:///etc/passwd",
        "dict://127.0.0.1:11211/stat",
        "ws://127.0.0.1/",
        "jar:http://127.0.0.1/x.jar!/",
        "/relative/path.png",
        "not a url at all",
    ],
)
async def test_non_web_schemes_are_always_refused(downloader: SafeDownloader, url: str) -> None:
    assert (await _refusal(downloader, url)).reason is RefusalReason.INSECURE_URL


@pytest.mark.parametrize(
    "url",
    [
        "http://user:secret@127.0.0.1/small.png",
        "http://user@127.0.0.1/small.png",
        "http://@127.0.0.1/small.png",
        "http://127.0.0.1:80@10.0.0.1/small.png",
        "http://127.0.0.1\\@10.0.0.1/small.png",
        "http://%75ser:x@127.0.0.1/small.png",
    ],
)
async def test_url_with_userinfo_is_refused(downloader: SafeDownloader, url: str) -> None:
    assert (await _refusal(downloader, url)).reason is RefusalReason.INSECURE_URL


# --- host allowlist ----------------------------------------------------------------------------


async def test_foreign_host_is_refused_before_any_request(server: Server, downloader: SafeDownloader) -> None:
    refusal = await _refusal(downloader, server.url("/auth", host="localhost"))
    assert refusal.reason is RefusalReason.HOST_NOT_ALLOWED
    assert server.seen_authorization == []


async def test_allowlisted_ip_matches_with_any_port(server: Server, downloader: SafeDownloader) -> None:
    assert await _collect(downloader, server.url("/small.png")) == PNG


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("a.sharepoint.com", True),
        ("deep.tenant.sharepoint.com", True),
        ("A.SharePoint.COM", True),
        ("a.sharepoint.com.", True),
        ("sharepoint.com", False),
        ("evilsharepoint.com", False),
        ("x.sharepoint.com.evil.com", False),
        ("graph.microsoft.com", True),
        ("graph.microsoft.com.", True),
        ("x.graph.microsoft.com", False),
        ("127.0.0.1", True),
        ("127.0.0.2", False),
        ("", False),
    ],
)
def test_host_matcher(host: str, allowed: bool) -> None:
    allowlist = ["*.sharepoint.com", "graph.microsoft.com", "127.0.0.1"]
    assert host_is_allowed(host, allowlist) is allowed


def test_wildcard_never_matches_an_ip_literal() -> None:
    assert not host_is_allowed("10.0.0.1", ["*.0.0.1"])


def test_allowlist_entries_are_normalised() -> None:
    assert host_is_allowed("files.example.com", ["*.Example.COM."])
    assert host_is_allowed("::1", ["[::1]"])


# --- SSRF: IP literals, numeric hosts, names that resolve inward ---------------------------------------------


class _FakeResolver(AbstractResolver):
    """Answers from a table instead of DNS, and remembers what it was asked."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append(host)
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in self.table[host]
        ]

    async def close(self) -> None:
        pass


INTERNAL_ADDRESSES = [
    "127.0.0.1",
    "127.8.9.10",
    "0.0.0.0",
    "10.0.0.5",
    "172.16.0.1",
    "172.31.255.254",
    "192.168.1.10",
    "169.254.169.254",
    "100.64.0.1",
    "224.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fc00::1",
    "fd12:3456::1",
    "fe80::1",
    "fec0::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "::127.0.0.1",
    "2002:7f00:1::1",
    "2002:c0a8:101::1",
    "64:ff9b::a9fe:a9fe",
    "64:ff9b:1::1",
]


@pytest.mark.parametrize("address", INTERNAL_ADDRESSES)
def test_internal_addresses_are_not_public(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize(
    "address",
    ["8.8.8.8", "20.190.128.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "2002:808:808::1", "64:ff9b::808:808"],
)
def test_public_addresses_are_public(address: str) -> None:
    assert is_public_address(address)


@pytest.mark.parametrize("text", ["", "localhost", "2130706433", "0x7f.1", "127.1", "1.2.3.4.5"])
def test_text_that_is_no_address_is_not_public(text: str) -> None:
    assert not is_public_address(text)


async def test_resolver_keeps_only_the_public_answers() -> None:
    inner = _FakeResolver({"files.example.com": ["10.0.0.1", "8.8.8.8", "::1", "2606:4700:4700::1111"]})
    answers = await PublicAddressResolver(inner).resolve("files.example.com", 443)
    assert [answer["host"] for answer in answers] == ["8.8.8.8", "2606:4700:4700::1111"]


async def test_resolver_refuses_a_name_with_only_internal_answers() -> None:
    inner = _FakeResolver({"files.example.com": ["169.254.169.254", "fd00::1"]})
    with pytest.raises(NonPublicAddress):
        await PublicAddressResolver(inner).resolve("files.example.com", 443)


@pytest.mark.parametrize(
    "host",
    [
        "2130706433",  # 127.0.0.1 as one decimal number
        "0x7f000001",
        "0x7f.1",
        "0x7f.0.0.1",
        "0177.0.0.1",  # octal
        "017700000001",
        "127.1",
        "127.0.1",
        "127.000.000.001",
        "08.1.1.1",
        "host.123",
    ],
)
def test_numeric_hosts_other_than_a_dotted_quad_never_match_even_when_listed(host: str) -> None:
    assert not host_is_allowed(host, [host, "127.0.0.1"])


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433/small.png",
        "http://0x7f.1/small.png",
        "http://0x7f000001/small.png",
        "http://0177.0.0.1/small.png",
        "http://127.1/small.png",
        "http://127.0.0.2/small.png",
        "http://0.0.0.0/small.png",
        "http://[::1]/small.png",
        "http://[::ffff:127.0.0.1]/small.png",
        "http://[::ffff:7f00:1]/small.png",
        "http://[fe80::1%25eth0]/small.png",
        "http://[fc00::1]/small.png",
        "http://[fd00::1]/small.png",
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://10.0.0.1/small.png",
        "http://172.16.0.1/small.png",
        "http://192.168.0.1/small.png",
        "http://localhost/small.png",
        "http://LOCALHOST./small.png",
        "http://\u24dbocalhost/small.png",  # circled l: IDNA folds it to "localhost"
        "http://127.0.0.1.nip.io/small.png",
        "http://metadata.google.internal/computeMetadata/v1/",
    ],
)
async def test_internal_hosts_not_on_the_allowlist_are_refused_before_any_request(url: str) -> None:
    session = _RedirectingSession("http://127.0.0.1/never")
    guarded = SafeDownloader(
        ["*.sharepoint.com", "127.0.0.1"],
        allow_http=True,
        max_bytes=CAP,
        timeout_seconds=5,
        session=session,  # type: ignore[arg-type]
    )
    assert (await _refusal(guarded, url)).reason is RefusalReason.HOST_NOT_ALLOWED
    assert session.requested == []


@pytest.mark.parametrize("address", INTERNAL_ADDRESSES)
async def test_allowlisted_name_resolving_to_an_internal_address_is_refused_unconnected(
    server: Server, address: str
) -> None:
    resolver = _FakeResolver({"files.example.com": [address]})
    guarded = SafeDownloader(
        ["files.example.com"], allow_http=True, max_bytes=CAP, timeout_seconds=5, resolver=resolver
    )
    try:
        refusal = await _refusal(guarded, server.url("/auth", host="files.example.com"))
    finally:
        await guarded.close()
    assert refusal.reason is RefusalReason.HOST_NOT_ALLOWED
    assert resolver.asked == ["files.example.com"]
    assert server.seen_authorization == []  # 127.0.0.1 is where the test server listens: it was never reached


async def test_allowlisted_localhost_is_refused_by_its_resolved_address(server: Server) -> None:
    guarded = SafeDownloader(["localhost"], allow_http=True, max_bytes=CAP, timeout_seconds=5)  # system resolver
    try:
        refusal = await _refusal(guarded, server.url("/auth", host="localhost"))
    finally:
        await guarded.close()
    assert refusal.reason is RefusalReason.HOST_NOT_ALLOWED
    assert server.seen_authorization == []


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", RefusalReason.HOST_NOT_ALLOWED),
        ("http://10.0.0.1/x", RefusalReason.HOST_NOT_ALLOWED),
        ("http://[::1]:{port}/auth", RefusalReason.HOST_NOT_ALLOWED),
        ("http://[::ffff:127.0.0.1]:{port}/auth", RefusalReason.HOST_NOT_ALLOWED),
        ("http://2130706433:{port}/auth", RefusalReason.HOST_NOT_ALLOWED),
        ("http://0x7f.1:{port}/auth", RefusalReason.HOST_NOT_ALLOWED),
        ("http://localhost:{port}/auth", RefusalReason.HOST_NOT_ALLOWED),
        ("http://files.example.com:{port}/auth", RefusalReason.HOST_NOT_ALLOWED),  # allowlisted, resolves inward
        ("gopher://127.0.0.1:{port}/_GET%20/auth", RefusalReason.INSECURE_URL),
        ("ftp://127.0.0.1:{port}/auth", RefusalReason.INSECURE_URL),
        ("file:///etc/passwd", RefusalReason.INSECURE_URL),
        ("http://user:pw@127.0.0.1:{port}/auth", RefusalReason.INSECURE_URL),
    ],
)
async def test_redirect_inward_is_refused_on_the_hop_and_never_followed(
    server: Server, target: str, reason: RefusalReason
) -> None:
    resolver = _FakeResolver({"files.example.com": ["127.0.0.1"]})
    guarded = SafeDownloader(
        ["127.0.0.1", "files.example.com"], allow_http=True, max_bytes=CAP, timeout_seconds=5, resolver=resolver
    )
    start = server.url("/go?" + urlencode({"to": target.format(port=server.port)}))
    try:
        refusal = await _refusal(guarded, server.url("/go?" + urlencode({"to": start})))  # a chain of two hops
    finally:
        await guarded.close()
    assert refusal.reason is reason
    assert server.seen_authorization == []


# --- redirects ---------------------------------------------------------------------------------


async def test_redirect_to_allowed_path_is_followed(server: Server, downloader: SafeDownloader) -> None:
    assert await _collect(downloader, server.url("/redirect-ok")) == PNG


@pytest.mark.parametrize("path", ["/redirect-foreign", "/redirect-invalid", "/redirect-https-foreign"])
async def test_redirect_to_foreign_host_is_refused(server: Server, downloader: SafeDownloader, path: str) -> None:
    assert (await _refusal(downloader, server.url(path))).reason is RefusalReason.HOST_NOT_ALLOWED


async def test_redirect_to_file_url_is_refused(server: Server, downloader: SafeDownloader) -> None:
    assert (await _refusal(downloader, server.url("/redirect-file"))).reason is RefusalReason.INSECURE_URL


class _RedirectingSession:
    """Stands in for an https server (tests have none): every GET answers 302 to `location`."""

    def __init__(self, location: str) -> None:
        self.location = location
        self.requested: list[str] = []

    async def get(self, url: object, **kwargs: object) -> _FakeResponse:
        self.requested.append(str(url))
        return _FakeResponse(302, {"Location": self.location})


@dataclass
class _FakeResponse:
    status: int
    headers: dict[str, str]

    def close(self) -> None:
        pass


async def test_redirect_from_https_to_http_is_refused_when_http_not_allowed() -> None:
    session = _RedirectingSession("http://files.example.com/x.png")
    strict = SafeDownloader(
        ["files.example.com"],
        allow_http=False,
        max_bytes=CAP,
        timeout_seconds=5,
        session=session,  # type: ignore[arg-type]
    )
    refusal = await _refusal(strict, "https://files.example.com/start")
    assert refusal.reason is RefusalReason.INSECURE_URL
    assert session.requested == ["https://files.example.com/start"]


async def test_three_redirects_are_followed(server: Server, downloader: SafeDownloader) -> None:
    assert await _collect(downloader, server.url("/hops/2")) == PNG  # /hops/2 -> /hops/1 -> /hops/0 -> /small.png


async def test_fourth_redirect_is_refused(server: Server, downloader: SafeDownloader) -> None:
    refusal = await _refusal(downloader, server.url("/hops/3"))
    assert refusal.reason is RefusalReason.DOWNLOAD_FAILED
    assert "redirects" in refusal.detail


async def test_redirect_loop_is_refused(server: Server, downloader: SafeDownloader) -> None:
    assert (await _refusal(downloader, server.url("/loop"))).reason is RefusalReason.DOWNLOAD_FAILED


# --- bearer token ------------------------------------------------------------------------------


async def test_bearer_token_is_sent_to_the_original_host(server: Server, downloader: SafeDownloader) -> None:
    await _collect(downloader, server.url("/auth"), bearer_token="t0ken")
    await _collect(downloader, server.url("/redirect-to-auth"), bearer_token="t0ken")
    assert server.seen_authorization == ["Bearer t0ken", "Bearer t0ken"]


async def test_bearer_token_is_not_sent_to_a_redirect_target_of_another_origin(
    server: Server, other_server: Server, downloader: SafeDownloader
) -> None:
    server.elsewhere = other_server.url("")  # same host, another port: another origin
    body = await _collect(downloader, server.url("/redirect-to-auth-elsewhere"), bearer_token="t0ken")
    assert body == PNG
    assert other_server.seen_authorization == [None]


async def test_no_authorization_header_without_a_token(server: Server, downloader: SafeDownloader) -> None:
    await _collect(downloader, server.url("/auth"))
    assert server.seen_authorization == [None]


# --- size cap ----------------------------------------------------------------------------------


async def test_oversize_content_length_is_refused_before_reading(server: Server, downloader: SafeDownloader) -> None:
    chunks: list[bytes] = []
    with pytest.raises(EvidenceRefused) as caught:
        async for chunk in downloader.stream(server.url("/big-with-length")):
            chunks.append(chunk)
    assert caught.value.reason is RefusalReason.TOO_LARGE
    assert chunks == []


async def test_oversize_stream_without_length_is_refused_and_reading_stops(
    server: Server, downloader: SafeDownloader
) -> None:
    received = 0
    with pytest.raises(EvidenceRefused) as caught:
        async for chunk in downloader.stream(server.url("/big-chunked")):
            received += len(chunk)
    assert caught.value.reason is RefusalReason.TOO_LARGE
    assert received <= CAP
    await asyncio.sleep(0.1)
    assert server.streamed_bytes < 64 * 1024 * 1024


# --- failures ----------------------------------------------------------------------------------


async def test_not_found_is_download_failed_with_status(server: Server, downloader: SafeDownloader) -> None:
    refusal = await _refusal(downloader, server.url("/missing"))
    assert refusal.reason is RefusalReason.DOWNLOAD_FAILED
    assert "404" in refusal.detail


async def test_connection_refused_is_download_failed(downloader: SafeDownloader) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    refusal = await _refusal(downloader, f"http://127.0.0.1:{closed_port}/x")
    assert refusal.reason is RefusalReason.DOWNLOAD_FAILED


async def test_timeout_is_download_failed(server: Server) -> None:
    impatient = SafeDownloader(["127.0.0.1"], allow_http=True, max_bytes=CAP, timeout_seconds=0.2)
    try:
        refusal = await _refusal(impatient, server.url("/slow"))
    finally:
        await impatient.close()
    assert refusal.reason is RefusalReason.DOWNLOAD_FAILED


# --- session ownership -------------------------------------------------------------------------


async def test_close_leaves_a_shared_session_open(server: Server) -> None:
    async with aiohttp.ClientSession() as shared:
        instance = SafeDownloader(["127.0.0.1"], allow_http=True, max_bytes=CAP, timeout_seconds=5, session=shared)
        assert await _collect(instance, server.url("/small.png")) == PNG
        await instance.close()
        assert not shared.closed


async def test_close_closes_the_session_it_created(server: Server) -> None:
    instance = SafeDownloader(["127.0.0.1"], allow_http=True, max_bytes=CAP, timeout_seconds=5)
    await _collect(instance, server.url("/small.png"))
    session = instance._session
    await instance.close()
    assert session is not None and session.closed
