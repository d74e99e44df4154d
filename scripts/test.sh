#!/usr/bin/env bash
# Runs the whole test suite (installing first if needed). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --no-demo
exec .venv/bin/python -m pytest -n 2 "$@"
