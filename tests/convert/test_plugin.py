"""The sigma-cli pipelines: ``sigma list pipelines`` and ``sigma convert -p llmjack_...``.

sigma-cli discovers pipelines by listing the ``sigma.pipelines`` namespace with pkgutil, which
cannot see modules that an editable install serves through an import hook. The tests therefore
build the wheel and put its installed files first on PYTHONPATH, which is what a user's
``pip install`` provides.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sigma_llmjack.pack import rule_files

SIGMA = Path(sys.executable).parent / "sigma"
LLMJACK = Path(sys.executable).parent / "llmjack"


@pytest.fixture(scope="module")
def installed(installed_wheel: Path) -> Path:
    """The wheel installed without dependencies, checked for the namespace package layout."""
    assert (installed_wheel / "sigma" / "pipelines" / "llmjack" / "__init__.py").is_file()
    assert not (installed_wheel / "sigma" / "__init__.py").exists()
    return installed_wheel


@pytest.fixture
def run(installed: Path):
    """Run a program of the virtual environment with the installed wheel on PYTHONPATH."""

    def run_program(
        program: Path, *args: str | Path, cwd: Path
    ) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PYTHONPATH": str(installed)}
        return subprocess.run(
            [str(program), *map(str, args)],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
            cwd=cwd,
            env=env,
        )

    return run_program


@pytest.fixture
def pack_copy(tmp_path: Path) -> Path:
    """Copy the pack with correlation rules in a subfolder, after the rules they reference.

    sigma-cli converts rules in the order Path.glob finds them, and a correlation converted
    before its base rules fails. Glob lists a folder's files before its subfolders' files.
    """
    folder = tmp_path / "rules"
    (folder / "correlations").mkdir(parents=True)
    for path in rule_files():
        target = folder / "correlations" if path.name.startswith("correlation_") else folder
        shutil.copy(path, target / path.name)
    return folder


def test_sigma_lists_pipelines(run, tmp_path: Path) -> None:
    completed = run(SIGMA, "list", "pipelines", cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    lines = [line for line in completed.stdout.splitlines() if "|" in line]
    rows = {line.split("|")[1].strip(): line for line in lines}
    assert "llmjack_splunk_cloudtrail" in rows
    assert "llmjack_elastic_cloudtrail" in rows
    assert "splunk" in rows["llmjack_splunk_cloudtrail"]
    assert "esql" in rows["llmjack_elastic_cloudtrail"]


def test_sigma_convert_splunk_matches_llmjack(run, tmp_path: Path, pack_copy: Path) -> None:
    pipeline = "llmjack_splunk_cloudtrail"
    completed = run(SIGMA, "convert", "-t", "splunk", "-p", pipeline, pack_copy, cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    ours = run(LLMJACK, "convert", "-t", "splunk", cwd=tmp_path)
    assert ours.returncode == 0, ours.stderr
    # Both list the same queries; only the order of the rules differs.
    sigma_lines = sorted(line for line in completed.stdout.splitlines() if line)
    llmjack_lines = sorted(line for line in ours.stdout.splitlines() if line)
    assert sigma_lines == llmjack_lines
    assert '`llmjack_cloudtrail_index` sourcetype="aws:cloudtrail"' in completed.stdout


def test_sigma_convert_splunk_rejected_for_lucene(run, tmp_path: Path, pack_copy: Path) -> None:
    pipeline = "llmjack_splunk_cloudtrail"
    completed = run(SIGMA, "convert", "-t", "lucene", "-p", pipeline, pack_copy, cwd=tmp_path)
    assert completed.returncode != 0
    assert "llmjack_splunk_cloudtrail" in completed.stderr + completed.stdout


def test_sigma_convert_kibana_index_option(run, tmp_path: Path, pack_copy: Path) -> None:
    rule = next(path for path in pack_copy.glob("*.yml"))
    completed = run(
        SIGMA,
        "convert",
        "-t",
        "lucene",
        "-p",
        "llmjack_elastic_cloudtrail",
        "-f",
        "siem_rule_ndjson",
        "-O",
        "index_names=logs-aws.cloudtrail-prod",
        rule,
        cwd=tmp_path,
    )
    assert completed.returncode == 0, completed.stderr
    rules = [json.loads(line) for line in completed.stdout.splitlines() if line.startswith("{")]
    assert rules
    for kibana_rule in rules:
        assert kibana_rule["index"] == ["logs-aws.cloudtrail-prod"]
        assert kibana_rule["severity"] in ("low", "medium", "high", "critical")
