"""Constructed CloudTrail records in the documented record shape, for the replay tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

RULES = Path(__file__).parent / "rules"
DETECTION = RULES / "detection"
CORRELATION = RULES / "correlation"
BROKEN = RULES / "broken"

ARN = "arn:aws:iam::111122223333:user/dev"
ACCESS_KEY = "AKIAEXAMPLE000000001"


def cloudtrail(event_name: str = "InvokeModel", time: str = "2024-05-01T10:00:00Z", **fields: Any):
    """Return a Bedrock CloudTrail record; keyword arguments replace or add top-level fields."""
    record: dict[str, Any] = {
        "eventVersion": "1.09",
        "eventSource": "bedrock.amazonaws.com",
        "eventName": event_name,
        "eventTime": time,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "Boto3/1.34.0 md/Botocore#1.34.0",
        "userIdentity": {"type": "IAMUser", "arn": ARN, "accessKeyId": ACCESS_KEY},
        "requestParameters": {"modelId": "anthropic.claude-3-sonnet-20240229-v1:0"},
    }
    record.update(fields)
    return record


def at(minute: int, second: int = 0) -> str:
    """Return an eventTime on 2024-05-01 at 10:00 plus ``minute`` minutes and ``second``."""
    hours, minutes = divmod(minute, 60)
    return f"2024-05-01T{10 + hours:02d}:{minutes:02d}:{second:02d}Z"
