"""Folders the converter tests read: the case rules, the golden outputs, the repository root.

Test modules import these from here, not from conftest.py, because several test folders have a
conftest.py and only one of them can be imported under that name.
"""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
CASES_DIR = Path(__file__).resolve().parent / "cases"
GOLDEN_DIR = REPO_ROOT / "tests" / "golden"
