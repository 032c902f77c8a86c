"""The parse-level checks must reject broken queries, or the golden checks prove nothing."""

from __future__ import annotations

import pytest
from convert_query_checks import check_kibana_rule, check_lucene, conf_syntax_errors, unbalanced
from luqum.exceptions import ParseError


@pytest.mark.parametrize(
    "query",
    ['a="b', "(a=1", "a=1)", 'x="a\\"', "`macro x=1", "[a"],
)
def test_unbalanced_detected(query: str) -> None:
    assert unbalanced(query) is not None


@pytest.mark.parametrize("query", ['a="(b"', 'x="a\\"b" (y=1)', "`m` z IN (1, 2)"])
def test_balanced_accepted(query: str) -> None:
    assert unbalanced(query) is None


@pytest.mark.parametrize("query", ["a:(b OR", "a:/unclosed", 'a:"open'])
def test_lucene_syntax_error_detected(query: str) -> None:
    with pytest.raises(ParseError):
        check_lucene(query)


def test_kibana_rule_bad_severity_detected() -> None:
    rule = {
        "rule_id": "x",
        "name": "n",
        "type": "query",
        "query": "a:b",
        "language": "lucene",
        "index": ["logs-aws.cloudtrail-*"],
        "severity": "informational",
        "risk_score": 1,
        "threat": [],
    }
    with pytest.raises(AssertionError):
        check_kibana_rule(rule, "lucene")


def test_conf_syntax_error_detected() -> None:
    text = "[stanza]\nsearch = a \\\ncontinued\nbroken line\n"
    assert conf_syntax_errors(text) == ["broken line"]
