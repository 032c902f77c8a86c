"""First-seen rules (``llmjack_new_terms``): only new value combinations are reported."""

from __future__ import annotations

from pathlib import Path

from replay_cases import ACCESS_KEY, cloudtrail

from sigma_llmjack.replay import replay_events

RULE = """\
title: Test First Region Of An Access Key
id: 5f0c7b7e-2d5e-4c36-9d7a-0b6a1c1e0061
status: test
description: "Throwaway first-seen rule for the replay tests."
author: sigma-llmjack tests
date: 2026-12-04
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventName: InvokeModel
    condition: selection
llmjack_new_terms:
    fields: [userIdentity.accessKeyId, awsRegion]
    history: {history}
level: medium
"""
OTHER_KEY = "AKIAEXAMPLE000000002"


def call(time: str, key: str = ACCESS_KEY, region: str | None = "us-east-1") -> dict:
    record = cloudtrail("InvokeModel", time, awsRegion=region)
    record["userIdentity"] = {"accessKeyId": key}
    return record


def write_rule(tmp_path: Path, history: str = "1d") -> Path:
    path = tmp_path / "first_seen.yml"
    path.write_text(RULE.format(history=history))
    return path


def test_first_seen_reports_new_combinations(tmp_path: Path) -> None:
    events = [
        call("2024-05-01T10:00:00Z"),
        call("2024-05-01T11:00:00Z"),
        call("2024-05-01T12:00:00Z", region="eu-west-1"),
        call("2024-05-01T13:00:00Z", key=OTHER_KEY),
        call("2024-05-01T14:00:00Z", region=None),
        call("2024-05-02T09:00:00Z"),
        call("2024-05-04T09:00:00Z"),
        cloudtrail("ListFoundationModels", "2024-05-01T15:00:00Z", awsRegion="ap-south-1"),
    ]
    result = replay_events(events, [write_rule(tmp_path)])
    assert result.errors == []
    # Line 6 comes 22 hours after line 2, within the day of history; line 7 is two days later.
    assert [match.line for match in result.matches] == [1, 3, 4, 7]


def test_first_seen_history_window(tmp_path: Path) -> None:
    events = [call("2024-05-01T10:00:00Z"), call("2024-05-01T10:45:00Z")]
    result = replay_events(events, [write_rule(tmp_path, history="30m")])
    assert [match.line for match in result.matches] == [1, 2]


def test_first_seen_invalid_attribute_reported(tmp_path: Path) -> None:
    result = replay_events([call("2024-05-01T10:00:00Z")], [write_rule(tmp_path, "soon")])
    assert result.matches == []
    assert [error.rule_id for error in result.errors] == ["5f0c7b7e-2d5e-4c36-9d7a-0b6a1c1e0061"]
    assert "llmjack_new_terms" in result.errors[0].reason
