"""Fixtures shared by the test folders."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def tracked_files() -> list[str]:
    """List the files git tracks plus new ones it does not ignore, as a clean checkout has them."""
    listing = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    return [name for name in listing.stdout.decode().split("\0") if name]


@pytest.fixture(scope="session")
def installed_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the wheel from a copy of the source and install it, without dependencies.

    The copy holds only the files of a checkout, because setuptools reuses a ``build/`` folder
    left in the source tree and would ship files that were since moved or deleted.
    """
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    for name in tracked_files():
        if (REPO / name).is_file() or (REPO / name).is_symlink():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name, follow_symlinks=False)

    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    dist = work / "dist"
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(dist), str(source)],
        check=True,
        capture_output=True,
    )
    wheels = list(dist.glob("sigma_llmjack-*.whl"))
    assert len(wheels) == 1, wheels

    target = work / "site"
    subprocess.run(
        [*pip, "install", "--no-deps", "--target", str(target), str(wheels[0])],
        check=True,
        capture_output=True,
    )
    return target
