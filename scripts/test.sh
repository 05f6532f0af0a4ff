#!/usr/bin/env bash
# Install everything the tests need (Python deps, Azurite from npm), lint, and run all tests.
# The tests start Azurite, the connector stub and the bot themselves, and stop them when done.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null 2>&1; then
  echo "npm not found: installing Node.js from Debian's packages" >&2
  apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
fi
if [ ! -x /usr/lib/chromium/chromium ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "installing Chromium from Debian's packages (renders the cards with the official renderer)" >&2
  apt-get update -qq && apt-get install -y -qq chromium fonts-open-sans fonts-noto-color-emoji >/dev/null
fi
if ! command -v pdftotext >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "installing poppler-utils from Debian's packages (reads the case package PDFs in the tests)" >&2
  apt-get update -qq && apt-get install -y -qq poppler-utils >/dev/null
fi
bash scripts/setup.sh dev  # pip only when the pins changed since .venv was last set up
# npm only when package-lock.json changed since node_modules was installed from it (a stamp beside the packages).
lock_stamp=node_modules/.vaern-package-lock.sha256
if [ ! -f "$lock_stamp" ] || [ "$(cat "$lock_stamp")" != "$(sha256sum <package-lock.json)" ]; then
  npm ci --silent --no-audit --no-fund --prefer-offline
  sha256sum <package-lock.json >"$lock_stamp"
fi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/lint-imports  # the one direction of imports (pyproject.toml [tool.importlinter])
.venv/bin/pyright       # strict on domain/ and services/, basic elsewhere (pyproject.toml [tool.pyright])
# In parallel (pytest-xdist), whole files to a worker so a file's fixtures start once; VAERN_TEST_WORKERS=0 runs
# them one after another. --no-loadscope-reorder hands out the files in collection order, the long ones (marked
# slow, sorted first by tests/conftest.py) first; xdist's own order (most tests first) would start them last.
.venv/bin/python -m pytest -n "${VAERN_TEST_WORKERS:-3}" --dist loadfile --no-loadscope-reorder --durations=25 "$@"
