"""The benchmark's helper servers, each run in its own process on 127.0.0.1 by `benchmarks/load.py`.

    python -m benchmarks.servers connector --port 41001   # the tests' ConnectorStub, counting instead of keeping
    python -m benchmarks.servers files --port 41002       # the tests' FileServer with one 1 MB PNG screenshot

Both print `ready <port>` on stdout once they answer, and run until SIGTERM/SIGINT.

The connector is `tests.support.connector_stub.ConnectorStub` with one change for long runs: it keeps per
conversation counters and the last activity's text instead of every recorded call (a load run sends tens of
thousands of activities), and it answers `GET /__bench/conversations/{cid}` with them so the load generator
can check that every turn really produced its replies.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import struct
import sys
import threading
import zlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from aiohttp import web

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tests.support.connector_stub import ConnectorStub, RecordedCall  # noqa: E402
from tests.support.file_server import FileServer  # noqa: E402

SCREENSHOT_PATH = "/personal/bench/skaermbillede.png"
SCREENSHOT_BYTES = 1024 * 1024


def png_screenshot_1mb(size: int = SCREENSHOT_BYTES, seed: int = 2026) -> bytes:
    """A valid grey PNG of about `size` bytes whose pixels do not compress (as a real photo-like screenshot)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    width = 1024
    height = max(1, size // (width + 1))
    noise = random.Random(seed).randbytes(width * height)
    rows = b"".join(b"\x00" + noise[row * width : (row + 1) * width] for row in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 1)) + chunk(b"IEND", b"")


@dataclass
class _Conversation:
    sends: int = 0
    failed: int = 0
    last_activity: dict[str, Any] | None = None


class CountingConnectorStub(ConnectorStub):
    """ConnectorStub that counts per conversation instead of keeping every call (bounded memory under load)."""

    def __init__(self) -> None:
        super().__init__()
        self._counts: dict[str, _Conversation] = defaultdict(_Conversation)
        self._totals: dict[str, int] = defaultdict(int)
        self._count_lock = threading.Lock()

    def _record(self, call: RecordedCall) -> None:
        with self._count_lock:
            self._totals[f"{call.kind}:{call.status}"] += 1
            if call.conversation_id is None or call.kind not in ("send", "update", "create_conversation"):
                return
            entry = self._counts[call.conversation_id]
            if not call.succeeded:
                entry.failed += 1
                return
            entry.sends += 1
            body = call.body.get("activity") if call.kind == "create_conversation" and call.body else call.body
            if isinstance(body, dict):
                entry.last_activity = body  # its text is only worked out when asked for

    def build_app(self) -> web.Application:
        app = super().build_app()
        app.middlewares.append(self._bench_routes)  # the stub's catch-all route would answer 404 first
        return app

    @web.middleware
    async def _bench_routes(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if not request.path.startswith("/__bench/"):
            return await handler(request)
        if request.path == "/__bench/totals":
            with self._count_lock:
                return web.json_response(dict(self._totals))
        cid = unquote(request.path.removeprefix("/__bench/conversations/"))
        with self._count_lock:
            entry = self._counts.get(cid, _Conversation())
            sends, failed, last = entry.sends, entry.failed, entry.last_activity
        return web.json_response({"sends": sends, "failed": failed, "last_text": _visible_text(last) if last else ""})


def _visible_text(activity: dict[str, Any]) -> str:
    """The text and card texts of an activity, flattened (enough to find a case reference in it)."""
    parts = [str(activity.get("text") or "")]
    for attachment in activity.get("attachments") or []:
        content = attachment.get("content") if isinstance(attachment, dict) else None
        if content is not None:
            parts.append(json.dumps(content, ensure_ascii=False))
    return "\n".join(part for part in parts if part)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=["connector", "files"])
    args = parser.parse_args(argv)
    server: ConnectorStub | FileServer = CountingConnectorStub() if args.kind == "connector" else FileServer()
    server.start()
    if isinstance(server, FileServer):
        server.add(SCREENSHOT_PATH, png_screenshot_1mb(), "image/png")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    print(f"ready {server.port}", flush=True)
    stop.wait()
    server.stop()


if __name__ == "__main__":
    main()
