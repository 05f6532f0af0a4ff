#!/usr/bin/env bash
# Install and run Værn on the embedded default: local filesystem storage under ./data, no Azure, no app id.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# No app id locally, so requests cannot be authenticated: say so explicitly (never in production).
export ALLOW_UNAUTHENTICATED="${ALLOW_UNAUTHENTICATED:-true}"
exec .venv/bin/python app.py
