"""The Microsoft 365 Agents Playground (npm `@microsoft/m365agentsplayground`) as a Teams-like client for tests.

Everything that depends on how the Playground works inside lives here, so an upgrade breaks one place:

- its config file (`.m365agentsplayground.yml`, documented: https://aka.ms/teams-app-test-tool-config-guide)
  names the signed-in user and the tenant's other users; one Playground process is one signed-in user;
- its start-up line `Listening on <port>` (it takes another port when the asked one is busy);
- `GET /_internal/v1/config`, an undocumented route its web UI reads, used only to check that the config
  file was accepted (the process prints "Listening" and then exits when the file is invalid);
- it stamps every activity it sends with `locale: "en-US"` (hard-coded in 0.2.x), so a Danish Teams user
  cannot be played without `LocaleShim`.

Everything a person does in the Playground, the tests do in its web UI with a real browser
(tests/support/playground_driver.mjs).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import aiohttp
import requests
from aiohttp import web

from tests.support.bot_process import free_port, minimal_base_env
from tests.support.connector_stub import BackgroundServer

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "@microsoft/m365agentsplayground"
PACKAGE_DIR = REPO_ROOT / "node_modules" / "@microsoft" / "m365agentsplayground"
CLI = PACKAGE_DIR / "cli.js"
CONFIG_FILE_NAME = ".m365agentsplayground.yml"
START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0
OTHER_USERS = 5  # the config schema (0.1.1) wants exactly five users besides the signed-in one
LISTENING = re.compile(r"Listening on (\d+)")


def installed_version() -> str | None:
    """The Playground version in node_modules (None when `npm ci` has not installed it)."""
    try:
        return str(json.loads((PACKAGE_DIR / "package.json").read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError):
        return None


def node_executable() -> str | None:
    return shutil.which("node")


@dataclass(frozen=True)
class PlaygroundUser:
    """A person in the Playground's tenant; `teams_id` is the channel id the bot sees as `from.id`."""

    teams_id: str
    name: str
    upn: str
    aad_object_id: str

    def config_entry(self) -> dict[str, str]:
        given, _, surname = self.name.partition(" ")
        return {
            "id": self.teams_id,
            "name": self.name,
            "userPrincipleName": self.upn,  # sic: the Playground's own spelling
            "aadObjectId": self.aad_object_id,
            "givenName": given,
            "surname": surname or given,
            "email": self.upn,
        }


def config_file_text(
    current_user: PlaygroundUser,
    other_users: Sequence[PlaygroundUser],
    *,
    tenant_id: str,
    bot_id: str,
    bot_name: str,
    personal_chat_id: str,
) -> str:
    """The Playground config (schema version 0.1.1) as YAML; JSON is YAML, so it is written as JSON."""
    if len(other_users) != OTHER_USERS:
        raise ValueError(f"the Playground needs exactly {OTHER_USERS} other users, got {len(other_users)}")
    config: dict[str, Any] = {
        "version": "0.1.1",
        "tenantId": tenant_id,
        "bot": {"id": bot_id, "name": bot_name},
        "currentUser": current_user.config_entry(),
        "users": [user.config_entry() for user in other_users],
        "personalChat": {"id": personal_chat_id},
        "groupChat": {"id": f"{personal_chat_id}-group", "name": "Group Chat"},
        "team": {
            "id": f"{personal_chat_id}-team",
            "name": "Værn test",
            "aadGroupId": "00000000-0000-4000-8000-0000000000aa",
            "channels": [{"id": f"{personal_chat_id}-announcements", "name": "Announcements"}],
        },
    }
    return json.dumps(config, ensure_ascii=False, indent=2) + "\n"


class PlaygroundStartError(RuntimeError):
    """The Playground exited or never became ready; the message holds its output."""


class Playground:
    """One `agentsplayground` process (one signed-in user), its web UI at `url`, run in its own work dir.

    The Playground listens on all interfaces (it has no host option) and writes its log to
    `<workdir>/devTools/m365agentsplayground.log`.
    """

    def __init__(
        self,
        app_endpoint: str,
        config_text: str,
        *,
        workdir: Path | None = None,
        port: int | None = None,
        channel_id: str = "msteams",
    ) -> None:
        self.workdir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="vaern-playground-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config_path = self.workdir / CONFIG_FILE_NAME
        self.config_path.write_text(config_text, encoding="utf-8")
        self.output_path = self.workdir / "playground.out"
        self.app_endpoint = app_endpoint
        self.channel_id = channel_id
        self.requested_port = port or free_port()
        self.port: int | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The web UI (the same host name the Playground itself prints and puts into serviceUrl)."""
        if self.port is None:
            raise RuntimeError("the Playground is not running; call start() first")
        return f"http://localhost:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def personal_chat_id(self) -> str:
        """The conversation id of the signed-in user's 1:1 chat with the bot (from the config file)."""
        return str(json.loads(self.config_path.read_text(encoding="utf-8"))["personalChat"]["id"])

    def command(self) -> list[str]:
        node = node_executable()
        if node is None:
            raise PlaygroundStartError("node is not installed")
        return [
            node, str(CLI),
            "--app-endpoint", self.app_endpoint,
            "--channel-id", self.channel_id,
            "--port", str(self.requested_port),
            "--disable-telemetry",
        ]  # fmt: skip

    def start(self, expected_user_id: str | None = None) -> Self:
        """Start and wait until the web UI serves our config (its signed-in user is `expected_user_id`).

        Returns self, so `with playground.start(user_id):` stops it again; a second start() does nothing.
        """
        if self.running:
            return self
        env = {
            **minimal_base_env(),
            "TEAMSAPPTESTER_BROWSER": "none",  # do not open a browser
            "M365_AGENTS_PLAYGROUND_CONFIG_PATH": str(self.config_path),
            "M365_AGENTS_PLAYGROUND_LOGFILE": str(self.workdir / "devTools" / "m365agentsplayground.log"),
            "NO_PROXY": "localhost,127.0.0.1",
        }
        with open(self.output_path, "ab") as output:
            self._process = subprocess.Popen(
                self.command(),
                cwd=self.workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            self._wait_ready(expected_user_id)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> int | None:
        if self._process is None:
            return None
        if self._process.poll() is None:
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(self._process.pid, signal.SIGTERM)
            try:
                self._process.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError, PermissionError):
                    os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait(STOP_TIMEOUT_SECONDS)
        return self._process.returncode

    def output(self) -> str:
        """What the Playground printed, then the tail of its own log file."""
        text = self.output_path.read_text(encoding="utf-8", errors="replace") if self.output_path.exists() else ""
        log = self.workdir / "devTools" / "m365agentsplayground.log"
        if log.exists():
            text += "\n--- devTools/m365agentsplayground.log (tail) ---\n"
            text += log.read_text(encoding="utf-8", errors="replace")[-4000:]
        return text

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _wait_ready(self, expected_user_id: str | None) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        problem = "no 'Listening on' line yet"
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                raise PlaygroundStartError(f"the Playground exited early. Output:\n{self.output()}")
            if self.port is None:
                found = LISTENING.search(self.output())
                if found:
                    self.port = int(found.group(1))
            if self.port is not None:
                try:
                    config = internal_config(self.url)
                    current = config.get("config", {}).get("currentUser", {}).get("id")
                    if expected_user_id is None or current == expected_user_id:
                        return
                    problem = f"signed-in user is {current!r}, not {expected_user_id!r}"
                except (requests.RequestException, ValueError) as error:
                    problem = f"config not served yet ({type(error).__name__})"
            time.sleep(0.2)
        raise PlaygroundStartError(
            f"the Playground was not ready within {START_TIMEOUT_SECONDS:.0f} s ({problem}).\nOutput:\n{self.output()}"
        )


def internal_config(base_url: str) -> dict[str, Any]:
    """GET /_internal/v1/config: the config the web UI runs with (undocumented; used only as a readiness check)."""
    session = requests.Session()
    session.trust_env = False
    response = session.get(f"{base_url}/_internal/v1/config", timeout=2.0)
    response.raise_for_status()
    data = response.json()
    if not isinstance(data, dict):
        raise ValueError("the Playground's config is not an object")
    return data


class LocaleShim(BackgroundServer):
    """Between the Playground and the bot: passes every request on, with `locale` set as a Danish Teams sets it.

    The Playground 0.2.x stamps every activity `en-US` (and the bot, rightly, answers an English Teams in
    English). Teams sends the user's own locale, so this plays a Teams client set to `locale`. Replies do not
    pass here: the bot sends them straight to the Playground's serviceUrl. `forwarded` counts the activities.
    """

    thread_name = "playground-locale-shim"

    def __init__(self, bot_messages_url: str, locale: str = "da-DK") -> None:
        super().__init__()
        self.bot_messages_url = bot_messages_url
        self.locale = locale
        self.forwarded: list[str] = []  # "message", "invoke adaptiveCard/action acknowledge", … in order
        self._lock = threading.Lock()
        self._session: aiohttp.ClientSession | None = None

    @property
    def messages_url(self) -> str:
        return f"{self.base_url}/api/messages"

    def build_app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/api/messages", self._forward)
        app.on_cleanup.append(self._close_session)
        return app

    def _with_locale(self, activity: dict[str, Any]) -> dict[str, Any]:
        activity = {**activity, "locale": self.locale}
        entities = activity.get("entities")
        if isinstance(entities, list):
            activity["entities"] = [
                {**entity, "locale": self.locale}
                if isinstance(entity, dict) and entity.get("type") == "clientInfo"
                else entity
                for entity in entities
            ]
        return activity

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        try:
            activity = json.loads(body)
        except ValueError:
            activity = None
        if isinstance(activity, dict):
            with self._lock:
                self.forwarded.append(_describe(activity))
            body = json.dumps(self._with_locale(activity)).encode()
        if self._session is None:
            self._session = aiohttp.ClientSession(trust_env=False)
        headers = {name: value for name, value in request.headers.items() if name.lower() in ("authorization",)}
        headers["Content-Type"] = "application/json"
        async with self._session.post(self.bot_messages_url, data=body, headers=headers) as answer:
            payload = await answer.read()
            content_type = answer.headers.get("Content-Type")
            response = web.Response(status=answer.status, body=payload)
            if content_type:
                response.headers["Content-Type"] = content_type
            return response

    async def _close_session(self, _: web.Application) -> None:
        if self._session is not None:
            await self._session.close()


def _describe(activity: dict[str, Any]) -> str:
    """The activity's type, and for an invoke its name and Universal Action verb."""
    described = str(activity.get("type"))
    if described == "invoke":
        value = activity.get("value") if isinstance(activity.get("value"), dict) else {}
        action = value.get("action") if isinstance(value.get("action"), dict) else {}
        described = " ".join(str(part) for part in ("invoke", activity.get("name"), action.get("verb")) if part)
    return described


# ---- trying the bot by hand ----------------------------------------------------------------------------------

FILLER_DOMAIN = "eksempel-kommune.dk"


def users_from_directory(path: Path) -> list[PlaygroundUser]:
    """Everyone in a DIRECTORY_FILE (people, then HR) as Playground users; Teams ids are made from aad ids."""
    data = json.loads(path.read_text(encoding="utf-8"))
    users: list[PlaygroundUser] = []
    for entry in [*data.get("people", []), *data.get("hr", [])]:
        aad = str(entry["aad_object_id"])
        teams_id = str(entry.get("teams_user_id") or f"29:{aad}")
        users.append(PlaygroundUser(teams_id, str(entry.get("name") or aad), str(entry.get("upn") or aad), aad))
    return list({user.aad_object_id: user for user in users}.values())


def _pick(users: Sequence[PlaygroundUser], wanted: str) -> PlaygroundUser:
    wanted = wanted.casefold()
    for user in users:
        if wanted in (user.upn.casefold(), user.aad_object_id.casefold(), user.teams_id.casefold()):
            return user
    found = [user for user in users if wanted in user.name.casefold()]
    if len(found) != 1:
        names = ", ".join(f"{user.name} <{user.upn}>" for user in users)
        raise SystemExit(f"--user {wanted!r} matches {len(found)} people in the directory; choose one of: {names}")
    return found[0]


def main(argv: Sequence[str] | None = None) -> int:
    """Open the Playground as one person of a directory file, in Danish, against a running bot."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m tests.support.playground",
        description="Talk to a running Værn bot in the Microsoft 365 Agents Playground as one person of the "
        "directory file, with a Danish Teams locale. Start one per person (each on its own --port).",
    )
    parser.add_argument("--bot", default="http://127.0.0.1:3978/api/messages", help="the bot's messaging endpoint")
    parser.add_argument("--directory", type=Path, default=REPO_ROOT / "directory.example.json")
    parser.add_argument("--user", default="Sara", help="upn, aad object id or part of the name (default: Sara)")
    parser.add_argument("--port", type=int, default=56150, help="the Playground's web UI port")
    parser.add_argument("--locale", default="da-DK", help="the Teams locale to play (en-US for English)")
    parser.add_argument("--tenant", default="00000000-0000-4000-8000-00000000a11e")
    args = parser.parse_args(argv)

    if installed_version() is None or node_executable() is None:
        print(f"{PACKAGE} or node is missing: run `npm ci` in {REPO_ROOT}")
        return 2
    users = users_from_directory(args.directory)
    me = _pick(users, args.user)
    others = [user for user in users if user != me][:OTHER_USERS]  # the Playground wants exactly five
    while len(others) < OTHER_USERS:
        number = len(others) + 1
        others.append(PlaygroundUser(f"29:filler-{number}", f"Kollega {number}", f"kollega{number}@{FILLER_DOMAIN}",
                                     f"filler-{number}"))  # fmt: skip
    # A stable chat id per person: the bot remembers it, so a restarted Playground still gets its notifications.
    config = config_file_text(
        me, others, tenant_id=args.tenant, bot_id="28:vaern-local", bot_name="Værn",
        personal_chat_id=f"personal-{me.aad_object_id}",
    )  # fmt: skip
    workdir = Path(tempfile.mkdtemp(prefix=f"vaern-playground-{me.upn.split('@')[0]}-"))
    with LocaleShim(args.bot, args.locale) as shim:
        playground = Playground(shim.messages_url, config, workdir=workdir, port=args.port)
        with playground.start(me.teams_id):
            print(f"{me.name} <{me.upn}> in the Playground: {playground.url}   (locale {args.locale}; Ctrl+C stops)")
            print(f"log: {workdir / 'devTools' / 'm365agentsplayground.log'}")
            try:
                while playground.running:
                    time.sleep(0.5)
            except KeyboardInterrupt:
                pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
