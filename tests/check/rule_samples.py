"""Rule documents for the check tests: a rule and a correlation that pass every check."""

from __future__ import annotations

import copy
from typing import Any

GOOD_ID = "5b0e9c8a-4f7e-4a9b-9c61-2f4c8e1d7a30"

GOOD_RULE: dict[str, Any] = {
    "title": "AWS Bedrock Model Invoked In A Test",
    "id": GOOD_ID,
    "name": "aws_cloudtrail_bedrock_test_invoke",
    "status": "experimental",
    "description": "Detects a Bedrock InvokeModel call, for the tests of llmjack check.",
    "references": ["https://docs.aws.amazon.com/bedrock/latest/userguide/"],
    "author": "sigma-llmjack tests",
    "date": "2026-01-01",
    "tags": ["attack.impact", "attack.t1496.004"],
    "logsource": {"product": "aws", "service": "cloudtrail"},
    "detection": {
        "selection": {"eventSource": "bedrock.amazonaws.com", "eventName": "InvokeModel"},
        "filter_automation": {"userIdentity.arn|expand": "%llmjack_automation_identities%"},
        "condition": "selection and not filter_automation",
    },
    "falsepositives": ["Load tests that call Bedrock"],
    "level": "low",
}

GOOD_CORRELATION: dict[str, Any] = {
    "title": "AWS Bedrock Burst Of Test Invocations",
    "id": "7c1f0d9b-5a8f-4b0c-8d72-3e5d9f2e8b41",
    "status": "experimental",
    "description": "Detects ten test invocations by one access key within ten minutes.",
    "author": "sigma-llmjack tests",
    "date": "2026-01-01",
    "tags": ["attack.impact", "attack.t1496.004"],
    "correlation": {
        "type": "event_count",
        "rules": ["aws_cloudtrail_bedrock_test_invoke"],
        "group-by": ["userIdentity.accessKeyId"],
        "timespan": "10m",
        "condition": {"gte": 10},
    },
    "falsepositives": ["Load tests that call Bedrock"],
    "level": "medium",
}


def rule(base: dict[str, Any] = GOOD_RULE, **changes: Any) -> dict[str, Any]:
    """Return a copy of ``base`` with top-level keys replaced; a value of None removes the key."""
    document = copy.deepcopy(base)
    for key, value in changes.items():
        if value is None:
            document.pop(key, None)
        else:
            document[key] = value
    return document
