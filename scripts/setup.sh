#!/usr/bin/env bash
# Create .venv (or reuse it) and install sigma-llmjack with its test tools, all from the package index.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"
