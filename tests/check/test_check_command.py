"""Tests of the ``llmjack check`` and ``llmjack rules`` commands as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys

from click.testing import CliRunner
from rule_samples import GOOD_CORRELATION, GOOD_ID, GOOD_RULE, rule

from sigma_llmjack.cli import cli
from sigma_llmjack.pack import rule_files

GOOD_NAME = "aws_cloudtrail_bedrock_test_invoke.yml"


def run_cli(*arguments: str):
    return CliRunner().invoke(cli, list(arguments), catch_exceptions=False)


def test_check_good_rule_exits_zero(tmp_path, write_rule):
    write_rule(GOOD_NAME, GOOD_RULE)

    result = run_cli("check", str(tmp_path))

    assert result.exit_code == 0
    assert result.output.strip().endswith(
        "checked 1 rule(s) in 1 file(s): 0 error(s), 0 warning(s)"
    )


def test_check_error_exits_one(tmp_path, write_rule):
    write_rule(GOOD_NAME, rule(id="not-a-uuid"))

    result = run_cli("check", str(tmp_path))

    assert result.exit_code == 1
    [line] = [line for line in result.output.splitlines() if ": uuid: " in line]
    assert f"{GOOD_NAME}: not-a-uuid: error: uuid: id 'not-a-uuid' is not a UUID" in line
    assert "1 error(s)" in result.output


def test_check_line_format(tmp_path, write_rule):
    write_rule("Bad-Name.yml", GOOD_RULE)

    result = run_cli("check", str(tmp_path / "Bad-Name.yml"))

    [line] = result.output.splitlines()[:-1]
    file_part, rule_id, severity, check, message = line.split(": ", 4)
    assert file_part.endswith("Bad-Name.yml")
    assert rule_id == GOOD_ID
    assert severity == "error"
    assert check == "filename"
    assert message.startswith("file name 'Bad-Name.yml'")


def test_check_rejects_bad_site_config(tmp_path, write_rule):
    path = write_rule(GOOD_NAME, GOOD_RULE)
    site = tmp_path / "site.yml"
    site.write_text("placeholders:\n  no_such_placeholder: ['x']\n")

    result = subprocess.run(
        [sys.executable, "-m", "sigma_llmjack", "check", "--config", str(site), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 2
    assert f"{site}: unknown placeholder 'no_such_placeholder'" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_path_is_clean_error(tmp_path):
    absent = tmp_path / "absent"

    result = subprocess.run(
        [sys.executable, "-m", "sigma_llmjack", "check", str(absent)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 2
    assert result.stderr.strip() == f"llmjack: error: {absent}: no such rule file or folder"
    assert "Traceback" not in result.stderr


def test_check_bundled_pack_exits_zero():
    assert rule_files(), "the bundled pack has no rule files"

    result = run_cli("check")

    assert result.exit_code == 0, result.output
    assert " 0 error(s)" in result.output.splitlines()[-1]


def test_rules_json_lists_rule_and_correlation(tmp_path, write_rule):
    write_rule(GOOD_NAME, GOOD_RULE)
    write_rule("correlation_aws_cloudtrail_bedrock_test_burst.yml", GOOD_CORRELATION)

    result = run_cli("rules", "--format", "json", str(tmp_path))

    document = json.loads(result.output)
    assert document["count"] == 2
    by_id = {entry["id"]: entry for entry in document["rules"]}
    detection = by_id[GOOD_ID]
    assert detection["type"] == "rule"
    assert detection["logsource"] == "aws/cloudtrail"
    assert detection["tactics"] == ["impact"]
    assert detection["techniques"] == [
        {"id": "T1496.004", "name": "Resource Hijacking: Cloud Service Hijacking"}
    ]
    assert detection["placeholders"] == ["llmjack_automation_identities"]
    assert detection["level"] == "low"
    assert detection["status"] == "experimental"
    assert detection["file"] == GOOD_NAME or detection["file"].endswith("/" + GOOD_NAME)
    correlation = by_id[GOOD_CORRELATION["id"]]
    assert correlation["type"] == "event_count"
    assert correlation["logsource"] == "aws/cloudtrail"
    assert correlation["placeholders"] == ["llmjack_automation_identities"]


def test_rules_json_keys_are_stable(tmp_path, write_rule):
    write_rule(GOOD_NAME, GOOD_RULE)

    first = run_cli("rules", "--format", "json", str(tmp_path)).output
    second = run_cli("rules", "--format", "json", str(tmp_path)).output

    assert first == second
    [entry] = json.loads(first)["rules"]
    assert list(entry) == sorted(
        [
            "file",
            "id",
            "level",
            "logsource",
            "placeholders",
            "status",
            "tactics",
            "techniques",
            "title",
            "type",
        ]
    )


def test_rules_unknown_technique_has_null_name(tmp_path, write_rule):
    write_rule(GOOD_NAME, rule(tags=["attack.impact", "attack.t1496.999"]))

    document = json.loads(run_cli("rules", "--format", "json", str(tmp_path)).output)

    assert document["rules"][0]["techniques"] == [{"id": "T1496.999", "name": None}]


def test_rules_table_fits_100_columns():
    result = run_cli("rules")

    lines = result.output.splitlines()
    assert result.exit_code == 0
    assert lines[0].startswith("TITLE")
    assert max(len(line) for line in lines) <= 100
    assert lines[-1] == f"{len(rule_files())} rule(s)"


def test_rules_table_shows_attack_names(tmp_path, write_rule):
    long_title = "AWS Bedrock " + "Very Long Title Word " * 6
    write_rule(GOOD_NAME, rule(title=long_title.strip()))

    lines = run_cli("rules", str(tmp_path)).output.splitlines()

    assert max(len(line) for line in lines) <= 100
    assert "    techniques: T1496.004 Resource Hijacking: Cloud Service Hijacking" in lines
    assert "    placeholders: llmjack_automation_identities" in lines
    assert f"    id: {GOOD_ID}" in lines


def test_rules_invalid_file_is_clean_error(tmp_path, write_rule):
    path = write_rule(GOOD_NAME, "title: [unclosed\n")

    result = subprocess.run(
        [sys.executable, "-m", "sigma_llmjack", "rules", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 2
    assert result.stderr.startswith(f"llmjack: error: {path}:")
    assert "Traceback" not in result.stderr


def test_check_reports_invalid_site_options(tmp_path, write_rule):
    write_rule(GOOD_NAME, GOOD_RULE)
    site = tmp_path / "el1.yml"
    site.write_text("elastic: {index: 5}\nsplunk: {lag_minutes: -5}\n", encoding="utf-8")

    result = run_cli("check", "--config", str(site), str(tmp_path / GOOD_NAME))

    assert result.exit_code == 1
    assert "error: site-option: elastic.index must be an index pattern" in result.output
    assert "error: site-option: splunk.lag_minutes must not be negative, got -5" in result.output


def test_rules_table_long_title_keeps_columns(tmp_path, write_rule):
    long_title = "AWS Bedrock " + "Very Long Title Word " * 6
    write_rule(GOOD_NAME, rule(title=long_title.strip()))

    lines = run_cli("rules", str(tmp_path)).output.splitlines()
    level_column = lines[0].index("LEVEL")
    row = lines[2]

    assert row[: level_column - 1].rstrip().endswith("\u2026")
    assert row[level_column:].split() == ["low", "experimental", "rule"]
    title_lines = lines[3 : lines.index(f"    id: {GOOD_ID}")]
    assert title_lines[0].startswith("    title: AWS Bedrock Very Long")
    assert " ".join(line.strip() for line in title_lines) == f"title: {long_title.strip()}"
    assert not any(line.startswith("Word") for line in lines)
