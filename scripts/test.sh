#!/usr/bin/env bash
# Set up .venv, then run the linters and the whole test suite. Then run the lookup's tests again
# in .venv39 under Python 3.9, the oldest Python that Splunk bundles.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
# Splunk's bundled Python is 3.9, so the lookup must not use newer syntax or library calls.
.venv/bin/vermin --no-tips --violations --target=3.9- enrichment/
.venv/bin/python -m pytest "$@"

find_python39() {
    if python3.9 --version >/dev/null 2>&1; then
        command -v python3.9
        return
    fi
    # pyenv installs 3.9 beside the default Python, but its shim only works for selected versions.
    ls "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.9*/bin/python3.9 2>/dev/null | tail -n 1
}

python39=${PYTHON39:-$(find_python39)}
if [ -z "$python39" ]; then
    echo "error: python3.9 not found; install it or set PYTHON39 to run the lookup's 3.9 tests" >&2
    exit 1
fi
"$python39" -m venv .venv39
.venv39/bin/python -m pip install --quiet requests cachetools pytest hypothesis maxminddb \
    "mmdb-writer>=0.2.7"
# The lookup runs from enrichment/ with only requests and cachetools, as inside a Splunk app.
# Tests marked cli are left out because the llmjack command needs Python 3.10.
PYTHONPATH=enrichment .venv39/bin/python -m pytest -p no:cacheprovider -m "not cli" tests/enrichment
