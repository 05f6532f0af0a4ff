"""Run the real bot (`python app.py`) as a subprocess on 127.0.0.1 with a fully explicit environment."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import requests
from pydantic import BaseModel, SecretStr

REPO_ROOT = Path(__file__).resolve().parents[2]
HEALTH_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0
LOG_TAIL_CHARS = 4000
LOCAL_CONTAINER_PREFIX = "vaerntest"


def free_port() -> int:
    """A port the OS says is free on 127.0.0.1 (it may be taken again before use; good enough for tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _env_value(value: Any) -> str:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple | set):
        return ",".join(str(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value)
    return "" if value is None else str(value)


def settings_defaults() -> dict[str, str]:
    """Every optional setting of bot.config.Settings at its default, as environment variables.

    Passing all of them means a developer's `.env` in the repo root (which the bot reads) cannot change a test.
    """
    from bot.config import Settings

    env: dict[str, str] = {}
    for name, info in Settings.model_fields.items():
        if not info.is_required():
            env[(info.alias or name).upper()] = _env_value(info.get_default(call_default_factory=True))
    return env


def minimal_base_env() -> dict[str, str]:
    """What a process needs from the outside world; nothing else (no proxies, no Bot Framework variables)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


@dataclass(kw_only=True)
class BotStorage:
    """Where a bot under test keeps its data, so tests can look at it directly."""

    backend: str  # "local" or "azure"
    data_dir: Path
    connection_string: str | None = None  # azure only
    container_prefix: str | None = None  # azure only

    def env(self, **overrides: str) -> dict[str, str]:
        """The bot's settings for this storage (no auth, evidence from 127.0.0.1 over http), plus overrides.

        With local storage the bot makes its package signing key in the data dir at first start; with Azure it must
        be given one, as in production: the tests' key (tests/support/signing.py)."""
        from tests.support.signing import TEST_KEY_PEM

        env = {
            "MICROSOFT_APP_ID": "",
            "MICROSOFT_APP_PASSWORD": "",
            "ALLOW_UNAUTHENTICATED": "true",
            "STORAGE_BACKEND": self.backend,
            "DATA_DIR": str(self.data_dir),
            "AZURE_STORAGE_CONNECTION_STRING": self.connection_string or "",
            "AZURE_CONTAINER_PREFIX": self.container_prefix or LOCAL_CONTAINER_PREFIX,
            "EVIDENCE_ALLOWED_HOSTS": "127.0.0.1",
            "EVIDENCE_ALLOW_HTTP": "true",
            "LOG_LEVEL": "INFO",
            "PACKAGE_SIGNING_KEY": TEST_KEY_PEM if self.backend == "azure" else "",
        }
        env.update(overrides)
        return env

    def package_public_key(self) -> bytes:
        """The PEM public key the bot's case packages are signed with (tools.verify_package --public-key)."""
        from storage.package_signing import DEFAULT_KEY_NAME, public_key_file
        from tests.support.signing import TEST_PUBLIC_PEM

        if self.backend == "azure":
            return TEST_PUBLIC_PEM
        return public_key_file(self.data_dir / DEFAULT_KEY_NAME).read_bytes()


class BotStartError(RuntimeError):
    """The bot exited or never answered /healthz; the message holds the tail of its output."""


class BotProcess:
    """`python app.py` in the repo root, on 127.0.0.1:<port>, output captured to `<workdir>/bot.log`.

    The environment is: a minimal base (PATH, HOME, LANG), every setting at its default, HOST/PORT/DATA_DIR
    for this process, then `env` on top. Nothing else is inherited from the test runner. `script` replaces
    app.py (e.g. with a stand-in app when checking the harness itself).
    """

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        port: int | None = None,
        workdir: Path | None = None,
        health_timeout: float = HEALTH_TIMEOUT_SECONDS,
        script: Path = REPO_ROOT / "app.py",
    ) -> None:
        self.workdir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="vaern-bot-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.health_timeout = health_timeout
        self.script = Path(script)
        self.log_path = self.workdir / "bot.log"
        self.env: dict[str, str] = {
            **minimal_base_env(),
            **settings_defaults(),
            "DATA_DIR": str(self.workdir / "data"),
            **dict(env or {}),
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
        }
        self._process: subprocess.Popen[bytes] | None = None
        self._http = requests.Session()
        self._http.trust_env = False  # never send 127.0.0.1 through a developer's HTTP(S)_PROXY

    @property
    def url(self) -> str:
        """Base URL without trailing slash, e.g. http://127.0.0.1:39001 (messages go to url + /api/messages)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def messages_url(self) -> str:
        return f"{self.url}/api/messages"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def returncode(self) -> int | None:
        return self._process.poll() if self._process else None

    def start(self) -> Self:
        """Start the bot and wait until GET /healthz answers 200; BotStartError (with output tail) otherwise."""
        if self.running:
            return self
        with open(self.log_path, "ab") as log:
            log.write(f"--- starting {sys.executable} {self.script.name} on port {self.port} ---\n".encode())
            log.flush()
            self._process = subprocess.Popen(
                [sys.executable, str(self.script)],
                cwd=REPO_ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            self._wait_healthy()
        except BaseException:
            self._signal(signal.SIGKILL)
            self._wait(STOP_TIMEOUT_SECONDS)
            raise
        return self

    def stop(self) -> int | None:
        """SIGTERM, wait up to 10 s, then SIGKILL. Returns the exit code (None if it was never started)."""
        if self._process is None:
            return None
        if self._process.poll() is None:
            self._signal(signal.SIGTERM)
            if not self._wait(STOP_TIMEOUT_SECONDS):
                self._signal(signal.SIGKILL)
                self._wait(STOP_TIMEOUT_SECONDS)
        return self._process.returncode

    def kill(self) -> int | None:
        """SIGKILL at once, as a crash would (no shutdown handlers run). Returns the exit code."""
        if self._process is None:
            return None
        if self._process.poll() is None:
            self._signal(signal.SIGKILL)
            self._wait(STOP_TIMEOUT_SECONDS)
        return self._process.returncode

    def restart(self) -> Self:
        """Stop (if running) and start again with the same environment and port."""
        self.stop()
        return self.start()

    def ensure_running(self) -> Self:
        """Start again if a test killed or stopped the bot."""
        return self if self.running else self.start()

    def log_text(self) -> str:
        """Everything the bot wrote to stdout and stderr so far (across restarts)."""
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def log_tail(self, chars: int = LOG_TAIL_CHARS) -> str:
        return self.log_text()[-chars:]

    def wait_for_log(self, text: str, timeout: float = 10.0) -> str:
        """Wait until `text` appears in the output; returns the whole output."""
        deadline = time.monotonic() + timeout
        while True:
            output = self.log_text()
            if text in output:
                return output
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{text!r} not in the bot's output within {timeout} s. Tail:\n{self.log_tail()}")
            time.sleep(0.05)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.health_timeout
        last_problem = "no answer yet"
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                code = self._process.returncode if self._process else None
                raise BotStartError(
                    f"The bot exited with code {code} before it was healthy. Output:\n{self.log_tail()}"
                )
            try:
                response = self._http.get(f"{self.url}/healthz", timeout=1.0)
                if response.status_code == 200:
                    return
                last_problem = f"/healthz answered {response.status_code}"
            except requests.RequestException as error:
                last_problem = type(error).__name__
            time.sleep(0.1)
        raise BotStartError(
            f"The bot was not healthy within {self.health_timeout:.0f} s ({last_problem}). Output:\n{self.log_tail()}"
        )

    def _signal(self, signum: int) -> None:
        if self._process is not None:
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(self._process.pid, signum)

    def _wait(self, timeout: float) -> bool:
        if self._process is None:
            return True
        try:
            self._process.wait(timeout=timeout)
            return True
        except subprocess.TimeoutExpired:
            return False


@dataclass(kw_only=True)
class RunningBot(BotStorage):
    """A started bot and its storage, as the e2e `bot` fixture yields it."""

    process: BotProcess = field(repr=False)

    @property
    def url(self) -> str:
        return self.process.url
