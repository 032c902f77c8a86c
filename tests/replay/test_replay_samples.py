"""Replay of the real public log samples in tests/fixtures/samples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from replay_cases import DETECTION

from sigma_llmjack.replay import Skipped, replay_records
from sigma_llmjack.replay.logs import read_logs
from sigma_llmjack.replay.timestamps import record_time

SAMPLES = Path(__file__).parents[1] / "fixtures" / "samples"
# File (relative to SAMPLES) -> number of records it holds, counted by reading each file.
RECORD_COUNTS = {
    "elastic-integrations/aws_cloudtrail/test-converse-json.log": 1,
    "elastic-integrations/azure_openai/test-open-ai-audit.log": 1,
    "elastic-integrations/azure_openai/test-open-ai-gateway.log": 2,
    "elastic-integrations/azure_openai/test-open-ai-request-response.log": 3,
    "elastic-integrations/gcp_vertexai/test-vertexai-agent-on-gcp.log": 1,
    "elastic-integrations/gcp_vertexai/test-vertexai.log": 4,
    "panther-analysis/aws_bedrock_deletemodelinvocationloggingconfiguration.tests.jsonl": 2,
    "panther-analysis/aws_bedrock_guardrail_update_delete.tests.jsonl": 3,
    "panther-analysis/aws_bedrockmodelinvocation_abnormaltokenusage.tests.jsonl": 4,
    "panther-analysis/aws_bedrockmodelinvocation_guardrailintervened.tests.jsonl": 4,
    "panther-analysis/openai_api_key_anomalous_activity.tests.jsonl": 8,
    "stratus-red-team/aws.defense-evasion.bedrock-guardrail-delete.json": 1,
    "stratus-red-team/aws.defense-evasion.bedrock-model-invocation-logging-delete.json": 1,
    "stratus-red-team/aws.impact.bedrock-invoke-model.json": 15,
}


def test_every_sample_listed() -> None:
    files = {
        path.relative_to(SAMPLES).as_posix()
        for path in SAMPLES.rglob("*")
        if path.is_file() and path.name != "SOURCES.md"
    }
    assert files == set(RECORD_COUNTS)


@pytest.mark.parametrize("name", sorted(RECORD_COUNTS))
def test_sample_replays_cleanly(name: str) -> None:
    skipped: list[Skipped] = []
    records = read_logs([SAMPLES / name], skipped)
    result = replay_records(records, [DETECTION / "invoke_not_denied.yml"], skipped=skipped)
    assert result.skipped == []
    assert result.errors == []
    assert result.records == RECORD_COUNTS[name]


@pytest.mark.parametrize("name", sorted(RECORD_COUNTS))
def test_sample_times_normalised(name: str) -> None:
    skipped: list[Skipped] = []
    times = [record_time(item.record) for item in read_logs([SAMPLES / name], skipped)]
    assert None not in times
    assert all(time.endswith("Z") and len(time) == 24 for time in times)


def test_panther_records_unwrapped() -> None:
    skipped: list[Skipped] = []
    path = SAMPLES / "panther-analysis/aws_bedrock_guardrail_update_delete.tests.jsonl"
    records = list(read_logs([path], skipped))
    assert all("test_name" not in item.record for item in records)
    assert {item.record["eventName"] for item in records} == {
        "UpdateGuardrail",
        "DeleteGuardrail",
        "ListGuardrails",
    }


def test_stratus_invocations_match() -> None:
    path = SAMPLES / "stratus-red-team/aws.impact.bedrock-invoke-model.json"
    expected = [
        record["eventTime"]
        for record in json.loads(path.read_text())
        if record["eventName"] == "InvokeModel" and record.get("errorCode") != "AccessDenied"
    ]
    skipped: list[Skipped] = []
    records = read_logs([path], skipped)
    result = replay_records(records, [DETECTION / "invoke_not_denied.yml"], skipped=skipped)
    assert expected
    assert sorted(match.time[:19] for match in result.matches) == sorted(
        time.replace("Z", "") for time in expected
    )
    assert {match.source for match in result.matches} == {str(path)}


def test_invocation_log_report_fields() -> None:
    path = SAMPLES / "panther-analysis/aws_bedrockmodelinvocation_abnormaltokenusage.tests.jsonl"
    skipped: list[Skipped] = []
    records = read_logs([path], skipped)
    rules = [DETECTION / "invocation_log_tokens.yml"]
    result = replay_records(records, rules, skipped=skipped)
    assert result.errors == []
    assert [match.line for match in result.matches] == [1, 2]
    for match in result.matches:
        assert (
            match.identity == "arn:aws:sts::111111111111:assumed-role/role_details/suspicious.user"
        )
        assert match.region == "us-west-2"
        assert match.event_name == "Converse"
        assert match.time == "2025-05-15T14:17:22.000Z"
        assert match.access_key is None
