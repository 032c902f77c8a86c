"""Parse-level checks of converted queries, shared by the golden and the case tests."""

from __future__ import annotations

import re
from typing import Any

from luqum.parser import parser as lucene_parser

CONF_LINE = re.compile(r"^(#.*|\[[^\]]+\]|[A-Za-z_.]+ = .*)$")
KIBANA_REQUIRED = ("rule_id", "name", "type", "query", "language", "severity", "risk_score")
KIBANA_SEVERITIES = ("low", "medium", "high", "critical")


def unbalanced(query: str) -> str | None:
    """Return what is unbalanced in ``query`` (quotes, parentheses, brackets, backticks), or None.

    Double-quoted strings may contain backslash escapes; brackets inside strings do not count.
    """
    depth = {"(": 0, "[": 0}
    closing = {")": "(", "]": "["}
    in_string = False
    backticks = 0
    index = 0
    while index < len(query):
        character = query[index]
        if in_string:
            if character == "\\":
                index += 1
            elif character == '"':
                in_string = False
        elif character == '"':
            in_string = True
        elif character == "`":
            backticks += 1
        elif character in depth:
            depth[character] += 1
        elif character in closing:
            depth[closing[character]] -= 1
            if depth[closing[character]] < 0:
                return f"'{character}' without an opening bracket at {index}"
        index += 1
    if in_string:
        return "a string is not closed"
    if backticks % 2:
        return "a backtick is not closed"
    open_brackets = [bracket for bracket, count in depth.items() if count]
    return f"'{open_brackets[0]}' is not closed" if open_brackets else None


def check_splunk(query: str) -> None:
    starts = ("`llmjack_cloudtrail_index` ", "| multisearch\n")
    assert query.startswith(starts), query
    assert 'sourcetype="aws:cloudtrail"' in query, query
    assert unbalanced(query) is None, (unbalanced(query), query)


def check_lucene(query: str) -> None:
    # luqum raises on a syntax error, including an unclosed regex, phrase or group.
    assert lucene_parser.parse(query) is not None


def check_esql(query: str) -> None:
    assert query.lower().startswith("from logs-aws.cloudtrail-* "), query
    assert unbalanced(query) is None, (unbalanced(query), query)


def check_eql(query: str) -> None:
    assert query.startswith("any where "), query
    assert unbalanced(query) is None, (unbalanced(query), query)


PLAIN_CHECKS = {
    "splunk": check_splunk,
    "lucene": check_lucene,
    "esql": check_esql,
    "eql": check_eql,
}


def check_kibana_rule(rule: dict[str, Any], language: str) -> None:
    """Check one Kibana detection rule of an import file for the fields Kibana requires."""
    for key in KIBANA_REQUIRED:
        assert key in rule, f"missing {key} in {rule.get('rule_id')}"
    assert rule["language"] == language
    if rule["type"] == "new_terms":
        assert language != "esql"
        assert 1 <= len(rule["new_terms_fields"]) <= 3
        assert rule["history_window_start"].startswith("now-")
    else:
        assert rule["type"] == ("esql" if language == "esql" else "query")
    assert rule["severity"] in KIBANA_SEVERITIES, rule["severity"]
    assert isinstance(rule["risk_score"], int)
    assert 0 <= rule["risk_score"] <= 100
    assert isinstance(rule["threat"], list)
    for threat in rule["threat"]:
        assert threat["framework"] == "MITRE ATT&CK"
        assert threat["tactic"]["id"].startswith("TA")
    if language == "esql":
        check_esql(rule["query"])
    else:
        assert rule["index"] == ["logs-aws.cloudtrail-*"]
        check_lucene(rule["query"])


def conf_syntax_errors(text: str) -> list[str]:
    """Return .conf lines that are no stanza, setting, comment or continued value."""
    errors = []
    continued = False
    for line in text.splitlines():
        if not continued and line and not CONF_LINE.match(line):
            errors.append(line)
        continued = line.endswith("\\")
    return errors
