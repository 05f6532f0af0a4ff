"""Production serving: gunicorn with two aiohttp workers sharing Azure Blob state, health endpoints, graceful stop.

The gunicorn tests run the README's command (`gunicorn -c python:bot.gunicorn_conf app:gunicorn_app`, plus an
access log naming the worker's pid) against Azurite; they share one server and the last one stops it. The
readiness phases that no client can see over the network (while starting; after aiohttp stopped listening) are
checked in-process.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request

import app as vaern_app
from bot.config import Settings
from tests.e2e.report_walk import STANDARD_ANSWERS
from tests.support.bot_process import REPO_ROOT, BotStorage, free_port, minimal_base_env, settings_defaults
from tests.support.connector_stub import ConnectorStub
from tests.support.file_server import STREAM_BLOCK_BYTES, FileServer
from tests.support.organisation import Organisation
from tests.support.teams import TeamsUser, texts
from tests.support.umask import process_umask, umask

pytestmark = pytest.mark.slow  # left out of the quick loop: pytest -m "not slow"

WORKERS = 2
GRACEFUL_TIMEOUT_SECONDS = 20
START_TIMEOUT_SECONDS = 40.0
ACCESS_LOG_FORMAT = '%P "%{User-Agent}i" "%r" %s'  # aiohttp's format: %P is "<pid>"
ACCESS_LINE = re.compile(r'^<(\d+)> "([^"]*)" "(\S+) (\S+) [^"]*" (\d+)$')
MP4_HEADER = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
SLOW_FILE_BYTES = 16 * STREAM_BLOCK_BYTES
SLOW_SECONDS_PER_BLOCK = 0.4  # the download takes about 6.4 s


class Gunicorn:
    """The gunicorn master as a subprocess on 127.0.0.1, its output (and every worker's) in `<workdir>/gunicorn.log`."""

    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.port = free_port()
        self.log_path = workdir / "gunicorn.log"
        self.env = {**env, "HOST": "127.0.0.1", "PORT": str(self.port), "WEB_CONCURRENCY": str(WORKERS)}
        self.process: subprocess.Popen[bytes] | None = None
        self.http = requests.Session()
        self.http.trust_env = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [
            sys.executable, "-m", "gunicorn", "-c", "python:bot.gunicorn_conf",
            "--graceful-timeout", str(GRACEFUL_TIMEOUT_SECONDS),
            "--access-logfile", "-", "--access-logformat", ACCESS_LOG_FORMAT,
            "app:gunicorn_app",
        ]  # fmt: skip
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                command, cwd=REPO_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.wait_until(lambda: len(self.app_events("ready")) == WORKERS, START_TIMEOUT_SECONDS, "both workers ready")

    def terminate(self) -> int:
        """SIGTERM to the master only, as a container runtime sends it; returns its exit code."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGTERM)
        return self.process.wait(GRACEFUL_TIMEOUT_SECONDS + 10)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_until(self, condition: Callable[[], object], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited ({self.process.returncode}) before {what}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"not {what} within {timeout} s:\n{self.log_tail()}")
            time.sleep(0.1)

    def log_tail(self) -> str:
        return self.log_text()[-4000:]

    def app_events(self, message: str) -> list[int]:
        """Pids of the workers whose app logged a message starting with `message`, in log order."""
        return [event["pid"] for _, event in self._app_lines(message)]

    def app_event_values(self, message: str, field: str) -> list[Any]:
        """One field of each such log line, in log order."""
        return [event.get(field) for _, event in self._app_lines(message)]

    def event_position(self, message: str, pid: int) -> int:
        return next(index for index, event in self._app_lines(message) if event["pid"] == pid)

    def access(self) -> list[tuple[int, int, str, str, str, int]]:
        """(line number, pid, user agent, method, path, status) of every request a worker answered."""
        found = []
        for index, line in enumerate(self.log_text().splitlines()):
            if match := ACCESS_LINE.match(line):
                pid, agent, method, path, status = match.groups()
                found.append((index, int(pid), agent, method, path, int(status)))
        return found

    def served(self, agent: str, count: int) -> list[int]:
        """Pids of the workers that answered the `count` requests sent with this user agent (waits for the log)."""

        def answered() -> list[int]:
            return [pid for _, pid, seen_agent, *_ in self.access() if seen_agent == agent]

        self.wait_until(lambda: len(answered()) >= count, 5.0, f"{count} requests from {agent} in the access log")
        return answered()

    def _app_lines(self, message: str) -> Iterator[tuple[int, dict[str, Any]]]:
        """(line number, JSON) of app.py's own log lines (vaern.app) whose message starts with `message`."""
        for index, line in enumerate(self.log_text().splitlines()):
            try:
                event = json.loads(line) if line.startswith("{") else {}
            except ValueError:  # the last line may still be being written
                continue
            if event.get("logger") == "vaern.app" and event["message"].startswith(message):
                yield index, event


@pytest.fixture(scope="module")
def gunicorn(
    bot_env: Callable[[str], BotStorage], organisation: Organisation, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Gunicorn]:
    storage = bot_env("azure")
    workdir = tmp_path_factory.mktemp("gunicorn")
    directory = organisation.write(workdir / "directory.json")
    env = {**minimal_base_env(), **settings_defaults(), **storage.env(DIRECTORY_FILE=str(directory))}
    server = Gunicorn(env, workdir)
    try:
        with umask(0o022):  # a shell's usual umask: the workers must make private files all the same
            server.start()
        yield server
    finally:
        server.kill()


def connection_to_each_worker(server: Gunicorn, seconds: float = 30.0) -> dict[int, requests.Session]:
    """A keep-alive connection (a session with its own user agent) to each worker, by pid: new connections until
    every worker has answered one. The kernel hands a new connection to whichever worker accepts first, so a
    worker busy for a moment (a start-up sweep on a loaded machine) can miss a quick run of them: they are spread
    over up to `seconds`."""
    pinned: dict[int, requests.Session] = {}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        http = requests.Session()
        http.trust_env = False
        http.headers["User-Agent"] = f"pinned-{uuid.uuid4().hex[:8]}"
        http.get(server.url + "/livez", timeout=5).raise_for_status()
        [pid] = server.served(http.headers["User-Agent"], count=1)
        if pid in pinned:
            http.close()
        else:
            pinned[pid] = http
        if len(pinned) == WORKERS:
            return pinned
        time.sleep(0.05)
    raise AssertionError(f"new connections did not reach {WORKERS} workers:\n{server.log_tail()}")


def submit(user: TeamsUser, value: dict[str, Any], http: requests.Session) -> list[dict[str, Any]]:
    """One card submit through `http` (and so to the worker its connection is open to); the replies of the turn."""
    activity = user.activity(value=value)
    activity.pop("textFormat", None)
    mark = user.connector.mark()
    response = http.post(user.messages_url, json=activity, timeout=30)
    assert response.status_code == 201, response.text
    return user.replies(since=mark)


@pytest.mark.azurite
def test_two_workers_are_live_and_ready_on_shared_azure_storage(gunicorn: Gunicorn) -> None:
    workers = set(gunicorn.app_events("ready"))
    assert len(workers) == WORKERS and gunicorn.process is not None and gunicorn.process.pid not in workers
    assert gunicorn.app_event_values("ready", "event_loop") == ["uvloop"] * WORKERS
    for path in ("/livez", "/healthz"):
        response = gunicorn.http.get(gunicorn.url + path, timeout=5)
        assert response.status_code == 200 and response.json() == {"status": "ok"}
    response = gunicorn.http.get(gunicorn.url + "/readyz", timeout=5)
    assert response.status_code == 200 and response.json() == {"status": "ready", "dead_letters": 0}


@pytest.mark.azurite
def test_each_worker_creates_private_files_whatever_umask_gunicorn_was_started_with(gunicorn: Gunicorn) -> None:
    workers = set(gunicorn.app_events("ready"))
    assert gunicorn.process is not None and process_umask(gunicorn.process.pid) == 0o022  # as started (fixture)
    assert len(workers) == WORKERS and {pid: process_umask(pid) for pid in workers} == dict.fromkeys(workers, 0o077)


@pytest.mark.azurite
def test_a_report_continues_whichever_worker_answers_each_turn(gunicorn: Gunicorn, connector: ConnectorStub) -> None:
    users = [TeamsUser(gunicorn.url, connector, name=f"Bruger {n}") for n in range(3)]
    with ThreadPoolExecutor(len(users)) as pool:
        greetings = list(pool.map(lambda user: user.say("hej"), users))
    assert all("Anmeld en krænkelse" in "\n".join(texts(turn)) for turn in greetings)

    connections = connection_to_each_worker(gunicorn)
    sessions = list(connections.values())
    walk = [{"command": "report"}, *(answer for key, answer in STANDARD_ANSWERS if key != "evidence")]
    for turn, value in enumerate(walk):
        replies = submit(users[0], value, sessions[turn % WORKERS])  # each turn on the other worker
    assert "Gem beviserne nu" in "\n".join(texts(replies)), "the dialog state followed the user between workers"

    for index, (pid, http) in enumerate(connections.items()):
        turns = len(walk[index::WORKERS])
        assert set(gunicorn.served(http.headers["User-Agent"], 1 + turns)) == {pid}, "each connection stayed open"


@pytest.mark.azurite
def test_sigterm_lets_the_slow_turn_in_flight_finish_then_closes_each_runtime(
    gunicorn: Gunicorn, connector: ConnectorStub, file_server: FileServer
) -> None:
    user = TeamsUser(gunicorn.url, connector)
    path = f"/personal/{uuid.uuid4().hex}/optagelse.mp4"
    url = file_server.add_generated(
        path, SLOW_FILE_BYTES, prefix=MP4_HEADER, content_type="video/mp4", delay_per_block=SLOW_SECONDS_PER_BLOCK
    )
    sha256 = hashlib.sha256(MP4_HEADER + bytes(SLOW_FILE_BYTES - len(MP4_HEADER))).hexdigest()

    with ThreadPoolExecutor(2) as pool:
        turn = pool.submit(user.send_files, [("optagelse.mp4", url)])
        file_server.wait_for(lambda seen: any(r.path == path and r.bytes_sent > 0 for r in seen), timeout=15)
        stopped_at = time.monotonic()
        stopping = pool.submit(gunicorn.terminate)
        gunicorn.wait_until(_refuses_connections(gunicorn), 5.0, "refusing new connections")
        assert not file_server.requests_for(path)[-1].completed, "new connections are refused while the turn runs"
        exit_code = stopping.result(GRACEFUL_TIMEOUT_SECONDS + 10)
        stop_seconds = time.monotonic() - stopped_at
        replies = turn.result(10)

    assert exit_code == 0 and stop_seconds < GRACEFUL_TIMEOUT_SECONDS, (exit_code, stop_seconds, gunicorn.log_tail())
    assert replies.status == 201 and file_server.requests_for(path)[-1].completed
    assert sha256[:12] in "\n".join(texts(replies)), "the evidence was stored and the user told so"
    line, pid, *_, status = [entry for entry in gunicorn.access() if entry[3:5] == ("POST", "/api/messages")][-1]
    assert status == 201
    assert line < gunicorn.event_position("runtime closed", pid), "the runtime closed after the turn"
    assert sorted(gunicorn.app_events("stopping")) == sorted(gunicorn.app_events("runtime closed"))
    assert len(set(gunicorn.app_events("runtime closed"))) == WORKERS


def _refuses_connections(server: Gunicorn) -> Callable[[], bool]:
    def refused() -> bool:
        try:
            server.http.get(server.url + "/livez", timeout=1, headers={"Connection": "close"})
        except requests.ReadTimeout:  # accepted by a worker as it stopped: ask again
            return False
        except requests.ConnectionError:
            return True
        return False

    return refused


# ---- readiness phases, in-process ----------------------------------------------------------------------------------


class _Documents:
    """A DocumentStore stand-in whose writes succeed, fail or hang, as the test says."""

    def __init__(self) -> None:
        self.mode = "answer"
        self.stored: dict[str, bytes] = {}

    async def put(self, key: str, data: bytes) -> str:
        if self.mode == "fail":
            raise OSError(27, "File too large")
        if self.mode == "hang":
            await asyncio.sleep(60)
        self.stored[key] = data
        return "etag"

    async def delete(self, key: str) -> None:
        self.stored.pop(key, None)


class _Runtime:
    def __init__(self, documents: _Documents) -> None:
        self.backend = SimpleNamespace(documents=documents)
        self.outbox_worker = SimpleNamespace(dead_letters=0)
        self.graph_directory = None  # DIRECTORY_SOURCE=file
        self.closed = False

    async def close(self) -> None:
        self.closed = True


async def _readiness(client: TestClient) -> tuple[int, str]:
    response = await client.get("/readyz")
    return response.status, (await response.json())["status"]


async def test_readiness_follows_the_runtime_and_storage_and_ends_when_shutdown_begins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    documents, phases_while_building = _Documents(), []
    runtime = _Runtime(documents)
    settings = Settings(microsoft_app_id="", allow_unauthenticated=True, storage_backend="local", data_dir=tmp_path)
    application = vaern_app.create_app(settings)

    async def build_runtime(*_: object) -> _Runtime:
        phases_while_building.append(await _readiness_of(application))
        return runtime

    monkeypatch.setattr(vaern_app, "build_runtime", build_runtime)
    monkeypatch.setattr(vaern_app, "READINESS_TIMEOUT_SECONDS", 0.2)
    async with TestClient(TestServer(application)) as client:
        assert phases_while_building == [(503, "starting")]
        assert await _readiness(client) == (200, "ready")
        assert documents.stored == {}  # the probe's write was deleted again
        documents.mode = "fail"
        assert await _readiness(client) == (503, "storage not writable")
        documents.mode = "hang"
        assert await _readiness(client) == (503, "storage not writable")
        documents.mode = "answer"
        assert await _readiness(client) == (200, "ready")
        await application.shutdown()  # what aiohttp runs once it stopped listening, before the requests in flight end
        assert await _readiness(client) == (503, "stopping")
        assert (await client.get("/livez")).status == 200
        assert not runtime.closed
    assert runtime.closed


async def _readiness_of(application: web.Application) -> tuple[int, str]:
    """GET /readyz answered without a server (nothing listens while the app starts)."""
    request = make_mocked_request("GET", "/readyz", app=application)
    response = await (await application.router.resolve(request)).handler(request)
    assert isinstance(response, web.Response) and response.text is not None
    return response.status, json.loads(response.text)["status"]
