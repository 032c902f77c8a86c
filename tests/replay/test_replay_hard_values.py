"""Hard rule values on replay's SQLite target: literals stay literal, wildcards stay wildcards."""

from __future__ import annotations

from pathlib import Path

import pytest
from replay_cases import cloudtrail

from sigma_llmjack.replay import replay_events

RULE = """\
title: Hard Value Case
id: 5f0c7b7e-2d5e-4c36-9d7a-0b6a1c1e0051
status: test
description: "Rule built by the replay tests around one hard value."
author: sigma-llmjack tests
date: 2026-12-04
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        {field}: {value}
    condition: selection
level: low
"""

# (field with modifiers, YAML value, values that must match, values that must not)
CASES = {
    "model id with colon": (
        "requestParameters.modelId",
        "'anthropic.claude-3-sonnet-20240229-v1:0'",
        ["anthropic.claude-3-sonnet-20240229-v1:0", "ANTHROPIC.Claude-3-Sonnet-20240229-V1:0"],
        ["anthropic.claude-3-sonnet-20240229-v1", "anthropic.claude-3-sonnet-20240229-v1:00"],
    ),
    "endswith keeps slash colon at dot": (
        "requestParameters.modelId|endswith",
        "':assumed-role/AppRole/jane.doe@example.com'",
        ["arn:aws:sts::1:assumed-role/AppRole/jane.doe@example.com"],
        ["arn:aws:sts::1:assumed-role/AppRole/janeXdoe@example.com", ":assumed-role/AppRole"],
    ),
    "escaped star is literal": (
        "requestParameters.modelId",
        "'model\\*'",
        ["model*"],
        ["model-1", "model"],
    ),
    "escaped question mark is literal": (
        "requestParameters.modelId",
        "'model\\?'",
        ["model?"],
        ["models", "model"],
    ),
    "unescaped star is wildcard": (
        "requestParameters.modelId",
        "'anthropic.*-v1:0'",
        ["anthropic.claude-v2-v1:0"],
        ["meta.llama-v1:0"],
    ),
    "percent and underscore are literal": (
        "requestParameters.modelId|contains",
        "'100%_x'",
        ["a100%_xb"],
        ["a100abxb", "100%"],
    ),
    "trailing backslash contains": (
        "requestParameters.modelId|contains",
        "'C:\\Temp\\'",
        ["x C:\\Temp\\file", "C:\\Temp\\"],
        ["C:\\Temp", "C:/Temp/"],
    ),
    "contains with space": (
        "requestParameters.modelId|contains",
        "'aws-cli/2 Python'",
        ["aws-cli/2 Python/3.11"],
        ["aws-cli/2Python", "aws-cli/2.15 Python"],
    ),
    "quote injection stays one value": (
        "requestParameters.modelId",
        """'") OR ("1"="1'""",
        ['") OR ("1"="1'],
        ["anything", '1"="1'],
    ),
    "single quote injection stays one value": (
        "requestParameters.modelId",
        "\"x' OR '1'='1\"",
        ["x' OR '1'='1"],
        ["x", "anything"],
    ),
    "pipe delete stays one value": (
        "requestParameters.modelId",
        """'" | delete'""",
        ['" | delete'],
        ["delete", '"'],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hard_value(tmp_path: Path, name: str) -> None:
    field, value, matching, other = CASES[name]
    rule = tmp_path / "rule.yml"
    rule.write_text(RULE.format(field=field, value=value))
    values = matching + other
    events = [cloudtrail(requestParameters={"modelId": text}) for text in values]
    result = replay_events(events, [rule])
    assert result.errors == []
    matched = [values[match.line - 1] for match in result.matches]
    assert matched == matching


def test_cidr_ipv6(tmp_path: Path) -> None:
    rule = tmp_path / "rule.yml"
    value = "\n            - '10.0.0.0/8'\n            - '2001:db8::/32'"
    rule.write_text(RULE.format(field="sourceIPAddress|cidr", value=value))
    addresses = ["10.1.2.3", "2001:db8::1", "2001:db8:ffff::2", "11.0.0.1", "2001:db9::1"]
    events = [cloudtrail(sourceIPAddress=address) for address in addresses]
    result = replay_events(events, [rule])
    assert result.errors == []
    assert [match.source_ip for match in result.matches] == addresses[:3]


def test_cidr_any_address_spelling(tmp_path: Path) -> None:
    rule = tmp_path / "rule.yml"
    value = "\n            - '10.0.0.0/8'\n            - '2001:db8::/32'"
    rule.write_text(RULE.format(field="sourceIPAddress|cidr", value=value))
    matching = ["2001:0db8::1", "2001:DB8::5", "2001:db8:1::5", "::ffff:10.1.2.3", " 10.0.0.1"]
    other = ["2001:0db9::1", "bedrock.amazonaws.com", "AWS Internal", "10.0.0.1/8", ""]
    events = [cloudtrail(sourceIPAddress=address) for address in matching + other]
    events.append(cloudtrail(sourceIPAddress=None))
    result = replay_events(events, [rule])
    assert result.errors == []
    assert [match.source_ip for match in result.matches] == matching
