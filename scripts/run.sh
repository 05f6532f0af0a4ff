#!/usr/bin/env bash
# Install and run Værn on the embedded default: local filesystem storage under ./data, no Azure, no app id.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# No app id locally, so requests cannot be authenticated: say so explicitly (never in production).
export ALLOW_UNAUTHENTICATED="${ALLOW_UNAUTHENTICATED:-true}"
# Only Teams may reach the bot; locally the Bot Framework Emulator as well. With an app id (in .env) the bot
# refuses to start while this is set: run with ALLOWED_DEV_CHANNELS= (empty) then.
export ALLOWED_DEV_CHANNELS="${ALLOWED_DEV_CHANNELS-emulator}"
exec .venv/bin/python app.py
