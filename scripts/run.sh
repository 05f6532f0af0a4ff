#!/usr/bin/env bash
# Install and run Værn on the embedded default: local filesystem storage under ./data, no Azure, no app id.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python app.py
