"""Build the Splunk app folder that runs the llmjack IP-reputation lookup.

Usage: python enrichment/splunk/build_app.py OUTPUT_FOLDER

The app gets ``default/`` from this folder, the entry script in ``bin/``, and in ``bin/lib/``
the llmjack_enrichment package with the libraries it needs at run time (requests and its
dependencies, cachetools), copied from the Python environment that runs this script. Splunk's
bundled Python then needs nothing installed. Copy or symlink the result into
``$SPLUNK_HOME/etc/apps/``.
"""

from __future__ import annotations

import importlib
import shutil
import sys
from pathlib import Path

APP_NAME = "TA-llmjack-ip-reputation"
HERE = Path(__file__).resolve().parent
ENRICHMENT = HERE.parent
VENDORED = ("requests", "urllib3", "idna", "charset_normalizer", "certifi", "cachetools")
# The CLI module needs click and sigma_llmjack, which the app does not ship.
LEFT_OUT = shutil.ignore_patterns("__pycache__", "*.pyc", "cli.py")


def build(output: Path) -> Path:
    """Write the app folder under ``output`` and return its path."""
    app = output / APP_NAME
    if app.exists():
        shutil.rmtree(app)
    shutil.copytree(HERE / "default", app / "default")
    (app / "bin" / "lib").mkdir(parents=True)
    shutil.copy2(ENRICHMENT / "bin" / "llmjack_ip_reputation.py", app / "bin")
    shutil.copytree(
        ENRICHMENT / "llmjack_enrichment",
        app / "bin" / "lib" / "llmjack_enrichment",
        ignore=LEFT_OUT,
    )
    for name in VENDORED:
        _vendor(name, app / "bin" / "lib")
    (app / "local" / "data").mkdir(parents=True)
    return app


def _vendor(name: str, target: Path) -> None:
    module = importlib.import_module(name)
    location = Path(module.__file__ or "")
    if location.name == "__init__.py":
        shutil.copytree(
            location.parent, target / name, ignore=shutil.ignore_patterns("__pycache__")
        )
    else:
        shutil.copy2(location, target)


def main(arguments: list[str]) -> int:
    """Build the app into the folder named on the command line."""
    if len(arguments) != 1:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    app = build(Path(arguments[0]))
    print(f"built {app}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
