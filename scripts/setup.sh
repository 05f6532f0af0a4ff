#!/usr/bin/env bash
# Create .venv with Python 3.12 or newer and install Værn's pinned dependencies ("dev": test tools too; "bench":
# also botbuilder, for the benchmark's stock echo).
# The interpreter is looked for on PATH, then under pyenv (where CI machines keep it); VAERN_PYTHON overrides both.
set -euo pipefail
cd "$(dirname "$0")/.."

suitable() { "$1" -c 'import sys; sys.exit(not (3, 12) <= sys.version_info[:2] < (3, 14))' 2>/dev/null; }

find_python() {
  local candidate root
  for candidate in "${VAERN_PYTHON:-}" python3.12 python3.13 python3; do
    [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 && suitable "$candidate" && {
      command -v "$candidate"
      return
    }
  done
  root=$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")
  for candidate in $(ls -d "$root"/versions/3.12.* "$root"/versions/3.13.* 2>/dev/null | sort -V); do
    suitable "$candidate/bin/python" && {
      echo "$candidate/bin/python"
      return
    }
  done
  return 1
}

if ! python=$(find_python); then
  echo "Værn needs Python 3.12 or 3.13, and none was found on PATH or under pyenv." >&2
  echo "Install one (e.g. 'apt-get install python3.12 python3.12-venv' or 'pyenv install 3.12')," >&2
  echo "or point VAERN_PYTHON at it: VAERN_PYTHON=/path/to/python3.12 bash scripts/setup.sh" >&2
  exit 1
fi
if [ -x .venv/bin/python ] && ! suitable .venv/bin/python; then
  echo "replacing .venv ($(.venv/bin/python --version 2>&1)) with one on $("$python" --version)" >&2
  rm -rf .venv
fi
[ -x .venv/bin/python ] || "$python" -m venv .venv
requirements=requirements.txt
[ "${1:-}" = "dev" ] && requirements=requirements-dev.txt
[ "${1:-}" = "bench" ] && requirements=benchmarks/requirements.txt  # dev, and botbuilder for the stock echo
# pip is not run again while .venv holds exactly these pins (a stamp of the requirements files and the interpreter).
stamp=".venv/.vaern-installed"
wanted="$requirements $(cat requirements.txt requirements-dev.txt benchmarks/requirements.txt | sha256sum | cut -d' ' -f1) \
$(.venv/bin/python --version 2>&1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
  exit 0
fi
rm -f "$stamp"
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements"
printf '%s\n' "$wanted" >"$stamp"
