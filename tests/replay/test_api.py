"""The public replay API on in-memory CloudTrail records (constructed, documented shape)."""

from __future__ import annotations

from pathlib import Path

from sigma_llmjack.replay import Match, ReplayResult, replay_events

RULES = Path(__file__).parent / "rules"
DETECTION_ID = "5f0c7b7e-2d5e-4c36-9d7a-0b6a1c1e0001"
BURST_ID = "5f0c7b7e-2d5e-4c36-9d7a-0b6a1c1e0002"


def invoke(minute: int, arn: str = "arn:aws:iam::111122223333:user/dev", **extra: object) -> dict:
    record = {
        "eventSource": "bedrock.amazonaws.com",
        "eventName": "InvokeModel",
        "eventTime": f"2024-05-01T10:{minute:02d}:00Z",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.7",
        "userIdentity": {"arn": arn, "accessKeyId": "AKIAEXAMPLE000000001"},
    }
    record.update(extra)
    return record


def test_detection_match_fields() -> None:
    result = replay_events([invoke(1)], [RULES / "invoke_model.yml"])
    assert isinstance(result, ReplayResult)
    assert len(result.matches) == 1
    match = result.matches[0]
    assert isinstance(match, Match)
    assert match.rule_id == DETECTION_ID
    assert match.correlation is False
    assert match.time == "2024-05-01T10:01:00.000Z"
    assert match.identity == "arn:aws:iam::111122223333:user/dev"
    assert match.access_key == "AKIAEXAMPLE000000001"
    assert match.source_ip == "203.0.113.7"
    assert match.region == "us-east-1"
    assert match.event_name == "InvokeModel"
    assert match.event_count == 1


def test_event_count_correlation_fires() -> None:
    events = [invoke(minute) for minute in (1, 2, 3)]
    result = replay_events(events, [RULES])
    burst = [m for m in result.matches if m.rule_id == BURST_ID]
    assert len(burst) == 1
    assert burst[0].correlation is True
    assert burst[0].event_count == 3
    assert burst[0].group == {"userIdentity.arn": "arn:aws:iam::111122223333:user/dev"}
    assert result.errors == []
