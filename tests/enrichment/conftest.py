"""Shared fixtures of the enrichment tests: a data folder with feeds, lists and an index."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from enrichment_helpers import write_settings


@pytest.fixture
def settings_file(tmp_path: Path) -> Path:
    """A settings file with every fixture feed, compiled into an index, and user lists."""
    from llmjack_enrichment.compiler import compile_index
    from llmjack_enrichment.settings import load_settings

    path = write_settings(tmp_path)
    data = tmp_path / "data"
    (data / "allow.csv").write_text(
        "cidr,label,comment\n198.18.0.0/15,benchmark-lab,\n64.225.10.0/24,corp-egress,our VPC\n",
        encoding="utf-8",
    )
    (data / "deny.csv").write_text("# known bad\n64.225.10.66/32,incident-4711\n", encoding="utf-8")
    compile_index(load_settings(path))
    return path


@pytest.fixture
def python() -> str:
    """The interpreter running the tests, for subprocesses."""
    return sys.executable
