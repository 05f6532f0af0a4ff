"""Upload benchmark: a large evidence file through the bot's download-and-store path against a raw SDK upload.

    /tmp/venv/bin/python benchmarks/upload.py                      # 100 MB, 5 rounds, about 20 s
    /tmp/venv/bin/python benchmarks/upload.py --mb 20 --rounds 1   # quicker

This process starts Azurite (`tests/support/azurite.py`, or the one in AZURITE_CONNECTION_STRING) and the tests'
file server (`tests/support/file_server.py`, a thread here) that streams the file over http from 127.0.0.1
without holding it in memory: an MP4 header, then one 64 KiB block of random bytes repeated. Each round runs
two fresh processes, one after the other, each on its own container prefix:

  * bot: the path a shared Teams file takes in the bot: `SafeDownloader.stream` (the bot's allowlist rules,
    http allowed for 127.0.0.1 as in the tests) into `EvidenceIntake.secure` (sniff, SHA-256, size cap) into the
    Azure Blob evidence store (`storage/azure_blob.py`: staged blocks, create-only commit, metadata blob), with
    the size cap raised above the file (the bot's default EVIDENCE_MAX_BYTES is 50 MB). The file is never in
    this process's memory at once; its RSS (/proc/self/status VmRSS) is sampled every 5 ms by a thread while
    the file streams through.
  * raw: the same bytes, built in memory before the clock starts, uploaded with `azure-storage-blob`'s async
    `upload_blob`: first at the SDK's defaults (4 MiB blocks, one at a time: "raw", the goal's baseline), then
    with as many blocks at once as the bot path stages (STAGING_BLOCKS: "raw x2").

Both first move a 1 MB file the same way (imports, connections), unmeasured. The bot's stored item is checked
(size and SHA-256 equal the served bytes). Goals: bot path ≥ 0.8x raw throughput, peak RSS growth < 32 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import resource
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import aclosing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from azure.storage.blob.aio import BlobServiceClient  # noqa: E402

from bot.event_loop import run as run_on_bot_loop  # noqa: E402
from domain.clock import SystemClock  # noqa: E402
from domain.evidence import EvidenceItem, EvidencePolicy, EvidenceSource  # noqa: E402
from storage.azure_blob import STAGING_BLOCKS, open_azure_backend  # noqa: E402
from storage.evidence_download import SafeDownloader  # noqa: E402
from storage.evidence_intake import EvidenceIntake  # noqa: E402
from tests.support.azurite import running_azurite  # noqa: E402
from tests.support.file_server import STREAM_BLOCK_BYTES, FileServer  # noqa: E402

MB = 1024 * 1024
WARMUP_BYTES = MB
MP4_HEADER = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
RSS_SAMPLE_SECONDS = 0.005
GOAL_RATIO = 0.8
GOAL_RSS_MB = 32.0
CHILD_TIMEOUT_SECONDS = 600.0


def block(seed: int = 2026) -> bytes:
    """The served pattern: random bytes, so nothing on the way can shortcut them."""
    return random.Random(seed).randbytes(STREAM_BLOCK_BYTES)


def served_pieces(size: int) -> Iterator[bytes]:
    """Exactly the bytes FileServer.add_generated(size, block(), prefix=MP4_HEADER) sends, piece by piece."""
    pattern = block()
    yield MP4_HEADER
    sent = len(MP4_HEADER)
    while sent < size:
        piece = pattern[: min(len(pattern), size - sent)]
        yield piece
        sent += len(piece)


def served_sha256(size: int) -> str:
    digest = hashlib.sha256()
    for piece in served_pieces(size):
        digest.update(piece)
    return digest.hexdigest()


# ---- the measured processes ---------------------------------------------------------------------------------------


def vm_rss_kb() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


class RssSampler:
    """Samples this process's resident set from a thread; `peak_kb` is the highest value seen."""

    def __init__(self) -> None:
        self.peak_kb = vm_rss_kb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_kb = max(self.peak_kb, vm_rss_kb())

    def _run(self) -> None:
        while not self._stop.wait(RSS_SAMPLE_SECONDS):
            self.peak_kb = max(self.peak_kb, vm_rss_kb())


async def bot_path(connection_string: str, url: str, warmup_url: str, size: int, sha256: str) -> dict[str, Any]:
    max_bytes, prefix = size + MB, f"bench{uuid.uuid4().hex[:12]}"
    _, evidence, close = await open_azure_backend(connection_string, prefix)
    downloader = SafeDownloader(["127.0.0.1"], allow_http=True, max_bytes=max_bytes, timeout_seconds=300.0)
    intake = EvidenceIntake(evidence, EvidencePolicy(max_bytes=max_bytes), SystemClock())

    async def secure(source: str) -> EvidenceItem:
        async with aclosing(downloader.stream(source)) as chunks:
            return await intake.secure(
                "bench-case",
                chunks,
                original_name="optagelse.mp4",
                uploaded_by="bench",
                source=EvidenceSource.TEAMS_FILE,
            )

    try:
        await secure(warmup_url)
        before_kb = vm_rss_kb()
        with RssSampler() as sampler:
            started, cpu_started = time.perf_counter(), time.process_time()
            item = await secure(url)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        maxrss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    finally:
        await downloader.close()
        await close()
        await delete_containers(connection_string, f"{prefix}-documents", f"{prefix}-evidence")
    if item.size != size or item.sha256 != sha256:
        raise RuntimeError(f"stored {item.size} bytes with SHA-256 {item.sha256}, expected {size} and {sha256}")
    return {
        "seconds": seconds,
        "cpu": cpu,
        "rss_before_kb": before_kb,
        "rss_peak_kb": sampler.peak_kb,
        "maxrss_kb": maxrss_kb,
    }


async def raw_upload(connection_string: str, size: int) -> dict[str, Any]:
    """Upload the bytes twice: at the SDK's defaults (one block at a time), then as many blocks at once as the bot."""
    data = b"".join(served_pieces(size))
    result: dict[str, Any] = {}
    async with BlobServiceClient.from_connection_string(connection_string) as service:
        container = service.get_container_client(f"bench{uuid.uuid4().hex[:12]}")
        await container.create_container()
        await container.upload_blob("warmup", data[:WARMUP_BYTES], overwrite=True)
        for name, options in (("raw", {}), ("parallel", {"max_concurrency": STAGING_BLOCKS})):
            started, cpu_started = time.perf_counter(), time.process_time()
            await container.upload_blob(name, data, overwrite=True, **options)
            result[name] = {"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu_started}
        await container.delete_container()
    return result


async def delete_containers(connection_string: str, *names: str) -> None:
    """Azurite keeps everything in memory: drop what a round stored."""
    async with BlobServiceClient.from_connection_string(connection_string) as service:
        for name in names:
            await service.delete_container(name)


# ---- the run ------------------------------------------------------------------------------------------------------

HEADER = (
    "round   bot MB/s   raw MB/s  bot/raw   raw x2 MB/s  bot/raw x2   bot CPU s  raw CPU s   "
    "bot RSS growth MB  (ru_maxrss bound)"
)


@dataclass
class Round:
    bot: dict[str, Any]
    raw: dict[str, Any]
    size: int

    def mb_s(self, seconds: float) -> float:
        return self.size / MB / seconds

    @property
    def bot_mb_s(self) -> float:
        return self.mb_s(self.bot["seconds"])

    @property
    def ratio(self) -> float:
        return self.bot_mb_s / self.mb_s(self.raw["raw"]["seconds"])

    @property
    def ratio_parallel(self) -> float:
        return self.bot_mb_s / self.mb_s(self.raw["parallel"]["seconds"])

    @property
    def rss_growth_mb(self) -> float:
        return (self.bot["rss_peak_kb"] - self.bot["rss_before_kb"]) / 1024

    @property
    def maxrss_bound_mb(self) -> float:
        """ru_maxrss minus RSS before the transfer: an upper bound (it also counts the start-up peak)."""
        return max(0, self.bot["maxrss_kb"] - self.bot["rss_before_kb"]) / 1024

    def row(self, label: str) -> str:
        raw, parallel = self.raw["raw"], self.raw["parallel"]
        return (
            f"{label:<5} {self.bot_mb_s:10.1f} {self.mb_s(raw['seconds']):10.1f} {self.ratio:7.2f}x "
            f"{self.mb_s(parallel['seconds']):13.1f} {self.ratio_parallel:10.2f}x {self.bot['cpu']:11.2f} "
            f"{raw['cpu']:10.2f} {self.rss_growth_mb:20.1f}  ({self.maxrss_bound_mb:.1f})"
        )


def run_child(arguments: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *arguments],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_SECONDS,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{arguments[0]} process failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(size: int, rounds: int) -> list[Round]:
    sha256 = served_sha256(size)
    pattern = block()
    results = []
    print(f"{size / MB:.0f} MB (MB = 2^20 bytes), {rounds} rounds\n{HEADER}", flush=True)
    with running_azurite() as azurite, FileServer() as files:
        url = files.add_generated("/personal/bench/optagelse.mp4", size, pattern, prefix=MP4_HEADER)
        warmup = files.add_generated("/personal/bench/warmup.mp4", WARMUP_BYTES, pattern, prefix=MP4_HEADER)
        common = ["--connection-string", azurite.connection_string, "--bytes", str(size)]
        for number in range(1, rounds + 1):
            raw = run_child(["raw", *common])
            bot = run_child(["bot", *common, "--url", url, "--warmup-url", warmup, "--sha256", sha256])
            results.append(Round(bot, raw, size))
            print(results[-1].row(str(number)), flush=True)
    return results


def report(results: list[Round]) -> bool:
    ratio = statistics.median(r.ratio for r in results)
    ratio_parallel = statistics.median(r.ratio_parallel for r in results)
    growth = max(r.rss_growth_mb for r in results)
    print(
        f"\nmedian bot/raw {ratio:.2f}x, bot/raw x2 {ratio_parallel:.2f}x; every stored item's size and SHA-256 checked"
    )
    goals = [
        (ratio >= GOAL_RATIO, f"bot path ≥ {GOAL_RATIO}x raw SDK upload (median {ratio:.2f}x)"),
        (growth < GOAL_RSS_MB, f"peak RSS growth of the bot path < {GOAL_RSS_MB:.0f} MB (worst {growth:.1f} MB)"),
    ]
    for met, text in goals:
        print(f"  [{'ok' if met else 'MISSED'}] {text}")
    return all(met for met, _ in goals)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("role", nargs="?", choices=["all", "bot", "raw"], default="all", help="bot/raw: one process")
    parser.add_argument("--mb", type=int, default=100, help="file size in MiB (default 100)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--bytes", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--connection-string", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--warmup-url", help=argparse.SUPPRESS)
    parser.add_argument("--sha256", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.role == "bot":
        # On the bot's own event loop (uvloop, bot/event_loop.py); the raw upload on asyncio's, as the SDK comes.
        result = run_on_bot_loop(bot_path(args.connection_string, args.url, args.warmup_url, args.bytes, args.sha256))
    elif args.role == "raw":
        result = asyncio.run(raw_upload(args.connection_string, args.bytes))
    else:
        size = args.mb * MB
        return 0 if report(run(size, args.rounds)) else 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
