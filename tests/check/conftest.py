"""Fixtures that write small rule files into a temporary folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml


@pytest.fixture
def write_rule(tmp_path: Path) -> Callable[..., Path]:
    """Write one or more rule documents (or raw text) to a file under tmp_path."""

    def write(name: str, *documents: dict[str, Any] | str) -> Path:
        path = tmp_path / name
        if len(documents) == 1 and isinstance(documents[0], str):
            path.write_text(documents[0], encoding="utf-8")
        else:
            path.write_text(yaml.safe_dump_all(documents, sort_keys=False), encoding="utf-8")
        return path

    return write
