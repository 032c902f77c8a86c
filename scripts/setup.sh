#!/usr/bin/env bash
# Create .venv (or reuse it) and install sigma-llmjack with its test tools from the package index.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
# A regular install, not an editable one: sigma-cli lists only pipelines that sit in a real
# sigma/pipelines folder. setuptools reuses build/ and would ship files deleted since, so the
# folder goes first.
rm -rf build
.venv/bin/python -m pip install --quiet ".[test]"
