"""Microsoft Graph over REST on aiohttp: GET and POST with the app's token, `@odata.nextLink` paging, and patience.

Rules: 429 and 503/504 (and a dropped connection) are tried again after the server's `Retry-After` (seconds or an
HTTP date; capped), else after a growing pause; after `max_attempts` the call fails with `GraphUnavailable`. Any
other error status is a `GraphError` at once (a 403 means a permission the administrator has not granted). A 404
on a single object is an answer (`None`: e.g. a user with no manager), not an error; so are the statuses a POST
names as answers (409: the app is installed already). Paging follows
`@odata.nextLink` exactly as Graph gives it (it carries its own skip token) and never leaves the Graph origin.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from azure.core.exceptions import AzureError

from services.retry_after import parse_retry_after

log = logging.getLogger("vaern.directory.graph")

RETRIED_STATUSES = frozenset({429, 503, 504})
MAX_PAGES = 10_000  # 9.99 million objects at 999 a page: a loop guard, not a limit anyone meets


class GraphError(RuntimeError):
    """Graph answered with an error that trying again will not mend (status and Graph's error code in the text)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class GraphUnavailable(GraphError):
    """Graph stayed throttled, unavailable or unreachable through every attempt."""


class GraphClient:
    def __init__(
        self,
        base_url: str,
        token: Callable[[], Awaitable[str]],
        session: aiohttp.ClientSession,
        *,
        max_attempts: int = 4,
        max_retry_after_seconds: float = 60.0,
        first_backoff_seconds: float = 1.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._origin = _origin(self.base_url)
        self._token = token
        self._session = session
        self._max_attempts = max_attempts
        self._max_retry_after = max_retry_after_seconds
        self._first_backoff = first_backoff_seconds
        self._sleep = sleep

    async def get(self, path: str, params: dict[str, str] | None = None) -> dict[str, Any] | None:
        """One object (`/users/{id}/manager`); None when Graph says 404 (no such object or relation)."""
        return (await self._call("GET", self._url(path), params, answers=frozenset({200, 404})))[1]

    async def post(self, path: str, body: dict[str, Any], answers: frozenset[int]) -> int:
        """Create something; returns the status when it is one of `answers` (e.g. 201, 409), else GraphError."""
        return (await self._call("POST", self._url(path), None, answers=answers, body=body))[0]

    async def pages(self, path: str, params: dict[str, str] | None = None) -> AsyncIterator[dict[str, Any]]:
        """Every item of a collection, page after page by `@odata.nextLink`."""
        url: str | None = self._url(path)
        for _page in range(MAX_PAGES):
            if url is None:
                return
            body = (await self._call("GET", url, params, answers=frozenset({200})))[1]
            assert body is not None
            for item in body.get("value") or []:
                if isinstance(item, dict):
                    yield item
            next_link = body.get("@odata.nextLink")
            if next_link is not None and (not isinstance(next_link, str) or _origin(next_link) != self._origin):
                raise GraphError(f"GET {path}: @odata.nextLink {next_link!r} leaves {self._origin}")
            url, params = next_link, None  # the next link carries the query and its skip token
        raise GraphError(f"GET {path}: more than {MAX_PAGES} pages")

    def _url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    async def _call(
        self,
        method: str,
        url: str,
        params: dict[str, str] | None,
        *,
        answers: frozenset[int],
        body: dict[str, Any] | None = None,
    ) -> tuple[int, dict[str, Any] | None]:
        """(status, JSON object or None) for a status in `answers`; a 200 must carry a JSON object."""
        what = f"{method} {urlsplit(url).path}"
        for attempt in range(1, self._max_attempts + 1):
            wait = self._first_backoff * 2 ** (attempt - 1)
            try:
                token = await self._token()
            except AzureError as error:  # a wrong secret, an unknown tenant, the authority unreachable
                raise GraphError(f"no token for Graph: {type(error).__name__}: {str(error)[:300]}") from error
            try:
                headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
                async with self._session.request(method, url, params=params, json=body, headers=headers) as response:
                    if response.status == 200:
                        found = await response.json(content_type=None)
                        if not isinstance(found, dict):
                            raise GraphError(f"{what}: not a JSON object", 200)
                        return 200, found
                    if response.status in answers:
                        return response.status, None
                    detail = await _error_code(response)
                    if response.status not in RETRIED_STATUSES:
                        raise GraphError(f"{what}: HTTP {response.status} {detail}".strip(), response.status)
                    told = parse_retry_after(response.headers.get("Retry-After"))
                    wait = min(told, self._max_retry_after) if told is not None else wait
                    problem = f"HTTP {response.status} {detail}".strip()
                    status: int | None = response.status
            except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, TimeoutError) as error:
                problem, status = f"{type(error).__name__}: {error}", None
            if attempt == self._max_attempts:
                raise GraphUnavailable(f"{what}: {problem} after {attempt} attempts", status)
            log.warning("graph %s: %s; trying again in %.1f s (attempt %d)", what, problem, wait, attempt)
            await self._sleep(wait)
        raise AssertionError("unreachable")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


async def _error_code(response: aiohttp.ClientResponse) -> str:
    """Graph's error code ({"error": {"code": ...}}), never the whole body (it may name people)."""
    try:
        body = await response.json(content_type=None)
    except (ValueError, aiohttp.ClientError):
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    return str(error.get("code", "")) if isinstance(error, dict) else ""
