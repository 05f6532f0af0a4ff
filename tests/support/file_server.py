"""A local stand-in for SharePoint/OneDrive downloads: serves registered files from a background thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from aiohttp import web

from tests.support.connector_stub import BackgroundServer

T = TypeVar("T")

STREAM_BLOCK_BYTES = 64 * 1024


@dataclass
class FileRequest:
    """One request to the file server. bytes_sent/completed are filled in as the answer is streamed."""

    method: str
    path: str
    query: str
    authorized: bool  # an Authorization header was present
    headers: dict[str, str]
    at: datetime
    status: int = 0
    bytes_sent: int = 0
    completed: bool = False  # the whole body was written (False: client hung up early or still streaming)


@dataclass(frozen=True)
class _Static:
    data: bytes
    content_type: str
    status: int
    headers: dict[str, str]


@dataclass(frozen=True)
class _Generated:
    size: int
    pattern: bytes
    prefix: bytes
    content_type: str
    declare_length: bool
    delay_per_block: float


@dataclass(frozen=True)
class _Redirect:
    location: str
    status: int


class FileServer(BackgroundServer):
    """Serves GET/HEAD for registered paths on 127.0.0.1 (404 otherwise) and records every request."""

    thread_name = "file-server"

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Condition()
        self._entries: dict[str, _Static | _Generated | _Redirect] = {}
        self._requests: list[FileRequest] = []

    # ---- registration -----------------------------------------------------------------------------------------

    def add(
        self,
        path: str,
        data: bytes,
        content_type: str = "application/octet-stream",
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> str:
        """Serve `data` at `path`; returns its URL."""
        return self._register(path, _Static(bytes(data), content_type, status, dict(headers or {})))

    def add_redirect(self, path: str, location: str, *, status: int = 302) -> str:
        """Answer `path` with a redirect to `location` (absolute URL, or a path on this server); returns its URL."""
        if location.startswith("/"):
            location = self.base_url + location
        return self._register(path, _Redirect(location, status))

    def add_generated(
        self,
        path: str,
        size: int,
        chunk: bytes = b"\0",
        *,
        prefix: bytes = b"",
        content_type: str = "application/octet-stream",
        declare_length: bool = True,
        delay_per_block: float = 0.0,
    ) -> str:
        """Stream `size` bytes: `prefix` (e.g. magic bytes) then `chunk` repeated, without holding them in memory.

        declare_length=False sends no Content-Length (chunked), as some hosts do; delay_per_block slows each
        64 KiB block down (for timeout tests). Returns the URL.
        """
        if not chunk:
            raise ValueError("chunk must not be empty")
        if len(prefix) > size:
            raise ValueError("prefix is longer than size")
        return self._register(path, _Generated(size, chunk, prefix, content_type, declare_length, delay_per_block))

    def remove(self, path: str) -> None:
        with self._lock:
            self._entries.pop(_normalize(path), None)

    def url_for(self, path: str) -> str:
        """The URL of `path` on this server (a query string in `path` is kept; matching ignores it)."""
        return self.base_url + (path if path.startswith("/") else "/" + path)

    # ---- inspection -------------------------------------------------------------------------------------------

    @property
    def requests(self) -> list[FileRequest]:
        """Snapshot of recorded requests, oldest first (entries may still be updating while streaming)."""
        with self._lock:
            return list(self._requests)

    def requests_for(self, path: str) -> list[FileRequest]:
        wanted = _normalize(path)
        return [r for r in self.requests if r.path == wanted]

    def wait_for(self, predicate: Callable[[list[FileRequest]], T], timeout: float = 10.0) -> T:
        """Wait until predicate(requests) is truthy and return its value; raise TimeoutError otherwise."""
        with self._lock:
            if self._lock.wait_for(lambda: predicate(list(self._requests)), timeout):
                return predicate(list(self._requests))
        raise TimeoutError(f"file server: condition not met within {timeout} s; requests: {self.requests!r}")

    def clear(self) -> None:
        """Forget recorded requests (registered files stay)."""
        with self._lock:
            self._requests.clear()

    # ---- server ---------------------------------------------------------------------------------------------

    def _register(self, path: str, entry: _Static | _Generated | _Redirect) -> str:
        with self._lock:
            self._entries[_normalize(path)] = entry
        return self.url_for(path)

    def build_app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._serve_file)  # GET routes answer HEAD too
        return app

    def _update(self, record: FileRequest, **changes: Any) -> None:
        with self._lock:
            for key, value in changes.items():
                setattr(record, key, value)
            self._lock.notify_all()

    async def _serve_file(self, request: web.Request) -> web.StreamResponse:
        record = FileRequest(
            method=request.method,
            path=request.path,
            query=request.query_string,
            authorized="Authorization" in request.headers,
            headers=dict(request.headers),
            at=datetime.now(UTC),
        )
        with self._lock:
            self._requests.append(record)
            entry = self._entries.get(request.path)
            self._lock.notify_all()
        if entry is None:
            self._update(record, status=404, completed=True)
            return web.Response(status=404, text="not found")
        if isinstance(entry, _Redirect):
            self._update(record, status=entry.status, completed=True)
            return web.Response(status=entry.status, headers={"Location": entry.location})
        if isinstance(entry, _Static):
            body = b"" if request.method == "HEAD" else entry.data
            self._update(record, status=entry.status, bytes_sent=len(body), completed=True)
            response = web.Response(status=entry.status, body=entry.data, headers=entry.headers)
            response.content_type = entry.content_type
            return response
        return await self._stream(request, record, entry)

    async def _stream(self, request: web.Request, record: FileRequest, entry: _Generated) -> web.StreamResponse:
        response = web.StreamResponse(status=200)
        response.content_type = entry.content_type
        if entry.declare_length:
            response.content_length = entry.size
        else:
            response.enable_chunked_encoding()
        self._update(record, status=200)
        await response.prepare(request)
        if request.method == "HEAD":
            self._update(record, completed=True)
            return response
        block = (entry.pattern * (STREAM_BLOCK_BYTES // len(entry.pattern) + 1))[:STREAM_BLOCK_BYTES]
        sent = 0
        try:
            if entry.prefix:
                await response.write(entry.prefix)
                sent = len(entry.prefix)
            while sent < entry.size:
                piece = block[: min(len(block), entry.size - sent)]
                if entry.delay_per_block:
                    await asyncio.sleep(entry.delay_per_block)
                await response.write(piece)
                sent += len(piece)
                self._update(record, bytes_sent=sent)
            await response.write_eof()
        except (ConnectionResetError, asyncio.CancelledError):
            self._update(record, bytes_sent=sent)
            raise
        self._update(record, bytes_sent=sent, completed=True)
        return response


def _normalize(path: str) -> str:
    path = path.split("?", 1)[0]
    return path if path.startswith("/") else "/" + path
