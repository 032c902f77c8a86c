"""``llmjack convert`` end to end, run as a subprocess the way a user runs it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from convert_paths import CASES_DIR
from convert_query_checks import conf_syntax_errors

LLMJACK = Path(sys.executable).parent / "llmjack"


def run_llmjack(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LLMJACK), "convert", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("target", "status", "start"),
    [
        ("splunk", 0, "`llmjack_cloudtrail_index` "),
        ("esql", 0, "from logs-aws.cloudtrail-* "),
        ("lucene", 1, "("),
        ("eql", 1, "any where "),
    ],
)
def test_cli_each_target(target: str, status: int, start: str) -> None:
    completed = run_llmjack("-t", target)
    assert completed.returncode == status, completed.stderr
    assert completed.stdout.startswith(start)
    assert "Traceback" not in completed.stderr
    assert f"llmjack: {target} plain: " in completed.stderr


@pytest.mark.parametrize("target", ["lucene", "eql"])
def test_cli_reports_rejected_correlations(target: str) -> None:
    completed = run_llmjack("-t", target)
    failures = [line for line in completed.stderr.splitlines() if "llmjack: failed: " in line]
    assert failures
    for line in failures:
        assert re.search(r"failed: [0-9a-f-]{36} '", line), line
        assert "--target splunk or --target esql" in line
    assert f"{len(failures)} failed" in completed.stderr


def test_cli_savedsearches_output_dir(tmp_path: Path) -> None:
    completed = run_llmjack("-t", "splunk", "-f", "savedsearches", "-o", tmp_path)
    assert completed.returncode == 0, completed.stderr
    conf = (tmp_path / "savedsearches.conf").read_text(encoding="utf-8")
    assert conf.startswith("[default]\n")
    assert conf_syntax_errors(conf) == []
    assert "cron_schedule = */15 * * * *" in conf
    assert "search = `llmjack_cloudtrail_index` " in conf
    per_rule = sorted(tmp_path.glob("*.conf"))
    assert len(per_rule) > 3
    macros = (tmp_path / "macros.conf").read_text(encoding="utf-8")
    assert '[llmjack_cloudtrail_index]\ndefinition = index="aws"\n' in macros


def test_cli_kibana_output_dir(tmp_path: Path) -> None:
    completed = run_llmjack("-t", "esql", "-f", "ndjson", "-o", tmp_path)
    assert completed.returncode == 0, completed.stderr
    lines = (tmp_path / "rules.ndjson").read_text(encoding="utf-8").splitlines()
    per_rule = sorted(path for path in tmp_path.glob("*.ndjson") if path.name != "rules.ndjson")
    assert len(lines) == len(per_rule)
    rules = [json.loads(line) for line in lines]
    assert all(rule["type"] == "esql" for rule in rules)
    assert all(rule["timestamp_override"] == "event.ingested" for rule in rules)


def test_cli_site_config_options(tmp_path: Path) -> None:
    site = tmp_path / "site.yml"
    site.write_text(
        "splunk:\n  index_macro: corp_cloudtrail\n  index: [cloudtrail, aws_audit]\n"
        "elastic:\n  index: logs-aws.cloudtrail-prod\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    completed = run_llmjack("-t", "splunk", "-f", "savedsearches", "-c", site, "-o", out)
    assert completed.returncode == 0, completed.stderr
    assert "search = `corp_cloudtrail` " in (out / "savedsearches.conf").read_text()
    macros = (out / "macros.conf").read_text()
    assert 'definition = (index="cloudtrail" OR index="aws_audit")' in macros
    esql = run_llmjack("-t", "esql", "-c", site, CASES_DIR / "c09_other_case.yml")
    assert esql.stdout.startswith("from logs-aws.cloudtrail-prod metadata")


def test_cli_bad_rule_file(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yml"
    bad.write_text("title: [unclosed\ndetection: {", encoding="utf-8")
    completed = run_llmjack("-t", "splunk", bad)
    assert completed.returncode == 2
    assert completed.stderr.startswith(f"llmjack: error: {bad}: ")
    assert "Traceback" not in completed.stderr


def test_cli_missing_rule_file(tmp_path: Path) -> None:
    completed = run_llmjack("-t", "splunk", tmp_path / "absent.yml")
    assert completed.returncode == 2
    assert "absent.yml: no such rule file or folder" in completed.stderr


def test_cli_unknown_target() -> None:
    completed = run_llmjack("-t", "kusto")
    assert completed.returncode == 2
    assert "unknown target 'kusto'; valid targets: splunk, lucene, esql, eql" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_cli_unknown_format() -> None:
    completed = run_llmjack("-t", "eql", "-f", "ndjson")
    assert completed.returncode == 2
    assert "unknown format 'ndjson' for target eql; valid formats: plain" in completed.stderr


def test_cli_invalid_site_option(tmp_path: Path) -> None:
    site = tmp_path / "site.yml"
    site.write_text("splunk:\n  index_macro: 'bad macro`'\n", encoding="utf-8")
    completed = run_llmjack("-t", "splunk", "-c", site)
    assert completed.returncode == 2
    assert "splunk.index_macro 'bad macro`' is not a valid Splunk macro name" in completed.stderr


def test_cli_invalid_kibana_interval(tmp_path: Path) -> None:
    site = tmp_path / "site.yml"
    site.write_text("elastic:\n  schedule_interval: soon\n", encoding="utf-8")
    completed = run_llmjack("-t", "lucene", "-f", "ndjson", "-c", site)
    assert completed.returncode == 2
    assert "elastic.schedule_interval must be a positive whole number, got 'soon'" in (
        completed.stderr
    )
    assert "Traceback" not in completed.stderr


def test_cli_plain_rules_separated(tmp_path: Path) -> None:
    completed = run_llmjack(
        "-t", "eql", CASES_DIR / "c09_other_case.yml", CASES_DIR / "c01_model_id.yml"
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.count("any where ") == 2
    assert "\n\nany where " in completed.stdout
    assert completed.stdout.endswith('"\n')


@pytest.mark.parametrize(
    ("target", "section", "message"),
    [
        ("splunk", "splunk:\n  indx: aws\n", "unknown splunk option(s) indx; known options are"),
        ("esql", "elastic:\n  index_pattern: x\n", "unknown elastic option(s) index_pattern"),
    ],
)
def test_cli_unknown_site_option(tmp_path: Path, target: str, section: str, message: str) -> None:
    site = tmp_path / "site.yml"
    site.write_text(section, encoding="utf-8")
    completed = run_llmjack("-t", target, "-c", site)
    assert completed.returncode == 2
    assert message in completed.stderr


def test_cli_output_named_after_rule_file(tmp_path: Path) -> None:
    rule = CASES_DIR / "c08_correlation_group_by.yml"
    completed = run_llmjack("-t", "esql", "-o", tmp_path, rule)
    assert completed.returncode == 0, completed.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["c08_correlation_group_by.esql"]
