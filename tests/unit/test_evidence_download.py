"""SafeDownloader against a real local HTTP server: allowlist, schemes, redirects, size cap, bearer token."""

from __future__ import annotations

import asyncio
import gzip
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import web

from bot.evidence_download import CHUNK_BYTES, SafeDownloader, host_is_allowed
from domain.refusals import EvidenceRefused, RefusalReason

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
        "/redirect-ok": _redirects_to(lambda: "/small.png"),
        "/redirect-foreign": _redirects_to(lambda: server.url("/small.png", host="localhost")),
        "/redirect-invalid": _redirects_to(lambda: "http://example.invalid/"),
        "/redirect-file": _redirects_to(lambda: "file:///etc/passwd"),
        "/redirect-https-foreign": _redirects_to(lambda: "https://example.invalid/"),
        "/loop": _redirects_to(lambda: "/loop"),
        "/redirect-to-auth": _redirects_to(lambda: "/auth"),
        "/redirect-to-auth-elsewhere": _redirects_to(lambda: server.url("/auth", host="localhost")),
    }
    app = web.Application()
    for path, handler in routes.items():
        app.router.add_get(path, handler)
    return app


def _redirects_to(location: Callable[[], str]) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        return _redirect(location())

    return handler


@pytest.fixture
async def server() -> AsyncIterator[Server]:
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
        "/relative/path.png",
        "not a url at all",
    ],
)
async def test_non_web_schemes_are_always_refused(downloader: SafeDownloader, url: str) -> None:
    assert (await _refusal(downloader, url)).reason is RefusalReason.INSECURE_URL


@pytest.mark.parametrize(
    "url",
    ["http://user:secret@127.0.0.1/small.png", "http://user@127.0.0.1/small.png", "http://@127.0.0.1/small.png"],
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


async def test_bearer_token_is_not_sent_to_a_redirect_target_on_another_host(server: Server) -> None:
    both = SafeDownloader(["127.0.0.1", "localhost"], allow_http=True, max_bytes=CAP, timeout_seconds=5)
    try:
        body = await _collect(both, server.url("/redirect-to-auth-elsewhere"), bearer_token="t0ken")
    finally:
        await both.close()
    assert body == PNG
    assert server.seen_authorization == [None]


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
