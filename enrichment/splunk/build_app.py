"""Build the Splunk app folder that runs the llmjack IP-reputation lookup.

Usage: python enrichment/splunk/build_app.py OUTPUT_FOLDER

The app gets ``default/`` from this folder, the entry script in ``bin/``, and in ``bin/lib/``
the llmjack_enrichment package with the libraries it needs at run time (requests and its
dependencies, cachetools). Splunk's bundled Python then needs nothing installed. Copy or
symlink the result into ``$SPLUNK_HOME/etc/apps/``.

The libraries are installed by pip as pure-Python wheels for Python 3.9, the oldest Python
that Splunk bundles, whatever Python runs the build. Copying the build environment's own
packages would ship code for that Python only: urllib3 2.8 uses syntax that Python 3.9 rejects,
and charset_normalizer may come as a compiled extension for the build's Python version. The
build therefore needs pip and access to a package index (or a pip configuration that points at
a local one); nothing downloads when the lookup runs.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

APP_NAME = "TA-llmjack-ip-reputation"
HERE = Path(__file__).resolve().parent
ENRICHMENT = HERE.parent
TARGET_PYTHON = "3.9"
# Versions that still install on Python 3.9; pip also checks each wheel's Requires-Python.
VENDORED_REQUIREMENTS = (
    "requests>=2.32,<3",
    "urllib3>=2,<3",
    "idna>=3,<4",
    "charset-normalizer>=3,<4",
    "certifi",
    "cachetools>=5,<7",
)
# The CLI module needs click and sigma_llmjack, which the app does not ship.
LEFT_OUT = shutil.ignore_patterns("__pycache__", "*.pyc", "cli.py")


class VendorError(Exception):
    """pip could not install the run-time libraries into the app."""


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
    vendor(app / "bin" / "lib")
    (app / "local" / "data").mkdir(parents=True)
    return app


def vendor(target: Path) -> None:
    """Install pure-Python wheels of the run-time libraries for Python 3.9 into ``target``."""
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    command += ["--no-compile", "--target", str(target), "--python-version", TARGET_PYTHON]
    command += ["--implementation", "py", "--abi", "none", "--only-binary=:all:"]
    command += list(VENDORED_REQUIREMENTS)
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()
        raise VendorError(f"pip could not install {', '.join(VENDORED_REQUIREMENTS)}:\n{detail}")
    # pip puts console scripts (normalizer) here; the app runs none of them.
    shutil.rmtree(target / "bin", ignore_errors=True)


def main(arguments: list[str]) -> int:
    """Build the app into the folder named on the command line."""
    if len(arguments) != 1:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    try:
        app = build(Path(arguments[0]))
    except VendorError as error:
        print(f"build_app: error: {error}", file=sys.stderr)
        return 1
    print(f"built {app}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
