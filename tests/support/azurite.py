"""Start the Azurite storage emulator for tests (or use the one named in AZURITE_CONNECTION_STRING)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

REPO_ROOT = Path(__file__).resolve().parents[2]
AZURITE_BIN = REPO_ROOT / "node_modules" / ".bin" / "azurite"
START_TIMEOUT_SECONDS = 30.0
ACCOUNT = "devstoreaccount1"
# The well-known development key every Azurite and storage emulator accepts; not a secret.
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


@dataclass(frozen=True)
class Azurite:
    """A running emulator: its connection string and the blob, queue and table ports."""

    connection_string: str
    blob_port: int
    queue_port: int
    table_port: int


def connection_string(blob_port: int, queue_port: int, table_port: int) -> str:
    return (
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
        f"BlobEndpoint=http://127.0.0.1:{blob_port}/{ACCOUNT};"
        f"QueueEndpoint=http://127.0.0.1:{queue_port}/{ACCOUNT};"
        f"TableEndpoint=http://127.0.0.1:{table_port}/{ACCOUNT};"
    )


def _free_ports(count: int) -> list[int]:
    """Ports the OS says are free, held open together so they are distinct."""
    probes = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def _accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _command(blob_port: int, queue_port: int, table_port: int) -> list[str]:
    """Azurite refuses --location together with --inMemoryPersistence; it runs in a temporary cwd instead."""
    return [
        str(AZURITE_BIN),
        "--blobHost", "127.0.0.1", "--blobPort", str(blob_port),
        "--queueHost", "127.0.0.1", "--queuePort", str(queue_port),
        "--tableHost", "127.0.0.1", "--tablePort", str(table_port),
        "--inMemoryPersistence", "--loose", "--skipApiVersionCheck", "--disableTelemetry", "--silent",
    ]  # fmt: skip


def _wait_until_listening(process: subprocess.Popen[bytes], port: int, stderr_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        if _accepts_connections(port):
            return
        time.sleep(0.1)
    detail = stderr_path.read_text(errors="replace").strip() or "(no output)"
    state = f"exited with code {process.returncode}" if process.poll() is not None else "did not start listening"
    raise RuntimeError(f"Azurite {state} within {START_TIMEOUT_SECONDS:.0f} s on port {port}. Its stderr:\n{detail}")


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def _terminate(process: subprocess.Popen[bytes]) -> None:
    """Stop Azurite and its children (it runs in its own process group, led by its pid)."""
    _signal_group(process, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        _signal_group(process, signal.SIGKILL)
        process.wait(timeout=10)


def _from_environment(value: str) -> Azurite:
    parts = dict(part.split("=", 1) for part in value.split(";") if "=" in part)
    blob = urlparse(parts.get("BlobEndpoint", "")).port or 10000
    queue = urlparse(parts.get("QueueEndpoint", "")).port or 10001
    table = urlparse(parts.get("TableEndpoint", "")).port or 10002
    return Azurite(connection_string=value, blob_port=blob, queue_port=queue, table_port=table)


@contextmanager
def running_azurite() -> Iterator[Azurite]:
    """Yield a running Azurite: the one in AZURITE_CONNECTION_STRING, else one from <repo>/node_modules."""
    existing = os.environ.get("AZURITE_CONNECTION_STRING")
    if existing:
        yield _from_environment(existing)
        return
    if not AZURITE_BIN.exists():
        raise RuntimeError(f"Azurite is not installed at {AZURITE_BIN}; run `npm ci` in {REPO_ROOT}.")
    blob_port, queue_port, table_port = _free_ports(3)
    with tempfile.TemporaryDirectory(prefix="azurite-") as location:
        stderr_path = Path(location) / "azurite.stderr"
        with open(stderr_path, "wb") as stderr:
            process = subprocess.Popen(
                _command(blob_port, queue_port, table_port),
                cwd=location,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
            )
        try:
            for port in (blob_port, queue_port, table_port):
                _wait_until_listening(process, port, stderr_path)
            yield Azurite(connection_string(blob_port, queue_port, table_port), blob_port, queue_port, table_port)
        finally:
            _terminate(process)
