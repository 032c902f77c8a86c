#!/usr/bin/env bash
# Set up .venv, then run the linters and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
# Splunk's bundled Python is 3.9, so the lookup must not use newer syntax or library calls.
.venv/bin/vermin --no-tips --violations --target=3.9- enrichment/
.venv/bin/python -m pytest "$@"
