"""gunicorn's settings for Værn in production: `gunicorn -c python:bot.gunicorn_conf app:gunicorn_app`.

Each worker is a process with its own event loop (aiohttp.GunicornUVLoopWebWorker; GunicornWebWorker where uvloop
is not installed, bot/event_loop.py) and its own runtime (outbox and follow-up workers included); the workers
share the listening socket and the storage, which must then be STORAGE_BACKEND=azure when they run on more than
one machine (README: Production serving). Read from the environment (and `.env`, as the bot reads it):

  HOST, PORT        where to listen: the bot's own settings, as for `python app.py` (default 127.0.0.1:3978)
  WEB_CONCURRENCY   number of workers (default 2); gunicorn's own name for it

Any gunicorn setting can still be changed on the command line or in GUNICORN_CMD_ARGS, which win over this
file (e.g. `--graceful-timeout 60`).
"""

from __future__ import annotations

import os

from bot.config import Settings
from bot.event_loop import gunicorn_worker_class

_settings = Settings()


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


bind = [_address(_settings.host, _settings.port)]
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = gunicorn_worker_class()  # on uvloop where installed (bot/event_loop.py)
# On SIGTERM a worker stops listening and gives its requests in flight 95 % of this (aiohttp's shutdown_timeout),
# then closes the runtime; gunicorn kills what is still running when it is over. An evidence download can take
# up to EVIDENCE_DOWNLOAD_TIMEOUT_SECONDS (120 s): a turn slower than this is cut off, and the file not stored.
graceful_timeout = 30
# A worker whose event loop did not check in for this long (the aiohttp worker does every second) is killed and
# replaced: it is stuck, since slow turns do not block the loop.
timeout = 30
# Idle keep-alive connections stay open as long as with `python app.py` (aiohttp's default); gunicorn's own 2 s
# would make a load balancer that keeps connections longer meet closed ones.
keepalive = 75
# No runtime-management socket (gunicorn ≥ 25 opens one in $HOME by default, one path for every instance on the
# machine): signals are how Værn is stopped and reloaded (SIGTERM, SIGHUP).
control_socket_disable = True
