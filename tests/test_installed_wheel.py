"""End-to-end runs of ``llmjack`` from a built wheel, outside the source tree.

The wheel is installed with ``pip --target`` into a temporary folder that comes first on
PYTHONPATH. These runs therefore see the files a user's ``pip install`` gets (bundled rules,
shipped reference data, site defaults), not the source checkout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "tests" / "fixtures" / "samples"


@pytest.fixture(scope="module")
def installed(installed_wheel: Path) -> Path:
    return installed_wheel


def llmjack(installed: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(installed)}
    return subprocess.run(
        [sys.executable, "-m", "sigma_llmjack", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_wheel_code_is_what_runs(installed, tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "import sigma_llmjack, llmjack_enrichment as e; print(e.__file__)"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(installed)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.startswith(str(installed))


def test_wheel_lists_bundled_rules(installed, tmp_path):
    result = llmjack(installed, tmp_path, "rules", "--format", "json")

    assert result.returncode == 0, result.stderr
    listing = json.loads(result.stdout)
    assert listing["count"] >= 12
    bundled = installed / "sigma_llmjack" / "rules"
    for rule in listing["rules"]:
        assert (bundled / rule["file"]).is_file(), rule["file"]


def test_wheel_converts_pack_for_kibana(installed, tmp_path):
    out = tmp_path / "out"
    result = llmjack(installed, tmp_path, "convert", "-t", "esql", "-f", "ndjson", "-o", str(out))

    assert result.returncode in (0, 1), result.stderr
    ndjson = [p for p in out.rglob("*.ndjson")]
    assert ndjson
    for path in ndjson:
        for line in path.read_text().splitlines():
            assert json.loads(line)["language"] == "esql"


def test_wheel_replays_stratus_sample(installed, tmp_path):
    sample = SAMPLES / "stratus-red-team" / "aws.impact.bedrock-invoke-model.json"
    result = llmjack(installed, tmp_path, "replay", "--format", "json", str(sample))

    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    assert report["matches"]
