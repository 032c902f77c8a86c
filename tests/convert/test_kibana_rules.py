"""Kibana rules and ES|QL queries: look-back, tactic names and null-safe negations."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from convert_paths import REPO_ROOT

from sigma_llmjack.config import load_config
from sigma_llmjack.convert import ConversionResult, convert_rules

BEDROCK = REPO_ROOT / "rules" / "aws" / "bedrock"
FAILURE_BURST = [
    BEDROCK / "aws_cloudtrail_bedrock_inference_failed.yml",
    BEDROCK / "correlation" / "correlation_aws_cloudtrail_bedrock_inference_failure_burst.yml",
]


def kibana_rules(result: ConversionResult) -> dict[str, dict]:
    return {rule.title: rule.queries[0] for rule in result.converted}


def test_plain_rule_lookback(convert_case: Callable) -> None:
    kibana_rule = convert_case("c09_other_case", "esql", "ndjson").converted[0].queries[0]
    assert kibana_rule["interval"] == "5m"
    assert kibana_rule["from"] == "now-6m"
    assert kibana_rule["meta"]["from"] == "1m"
    assert kibana_rule["timestamp_override"] == "event.ingested"


@pytest.mark.parametrize(("interval", "expected"), [(5, "now-30m"), (1, "now-26m")])
def test_correlation_lookback(tmp_path, connection_attempts, interval: int, expected: str) -> None:
    site = tmp_path / "site.yml"
    site.write_text(f"elastic: {{schedule_interval: {interval}}}\n", encoding="utf-8")
    result = convert_rules("esql", "ndjson", load_config(site), FAILURE_BURST)
    correlation = kibana_rules(result)[
        "AWS Bedrock Burst Of Failed Inference Calls By One Identity"
    ]
    assert correlation["interval"] == f"{interval}m"
    assert correlation["from"] == expected
    assert correlation["meta"]["from"] == "25m"
    assert "date_trunc(10minutes, @timestamp)" in correlation["query"]


@pytest.mark.parametrize("target", ["lucene", "esql"])
def test_tactic_display_names(convert_case: Callable, target: str) -> None:
    result = convert_rules(target, "ndjson", load_config(), [BEDROCK])
    names = {
        threat["tactic"]["name"]
        for rule in result.converted
        for threat in rule.queries[0].get("threat", [])
    }
    assert "Initial Access" in names
    assert "Defense Evasion" in names
    assert not any("-" in name for name in names)


def test_esql_negation_null_safe(case_query: Callable) -> None:
    query = case_query("c12_negated_filter", "esql")
    assert query.endswith(
        ' and not coalesce(aws.cloudtrail.user_identity.arn rlike ".*:[uU][sS][eE][rR]/[cC][iI]"'
        ' or aws.cloudtrail.request_parameters rlike ".*[{ ]modelId=[aA][mM][aA][zZ][oO][nN]\\\\.'
        '[tT][iI][tT][aA][nN]-[tT][eE][xX][tT]-[lL][iI][tT][eE]-[vV]1[,}].*", false)'
    )


def test_esql_pack_negations_null_safe() -> None:
    result = convert_rules("esql", None, load_config(), [BEDROCK])
    negated = [query for rule in result.converted for query in map(str, rule.queries)]
    for query in negated:
        assert query.count(" not ") == query.count(" not coalesce("), query
    assert any(" not coalesce(" in query for query in negated)
