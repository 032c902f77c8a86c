"""The exact set of Bedrock rules that fires on each real sample file, with shipped defaults."""

from __future__ import annotations

import pytest
from rule_event_cases import RULES_DIR, SAMPLES_DIR, rule_files, rule_id, sample_records

from sigma_llmjack.config import load_config
from sigma_llmjack.replay import replay_events

# Sample file -> stems of the rule files that must fire on all its records replayed together.
# The shipped defaults allow no model and expect us-east-1 and us-west-2, which is why the
# unapproved-model rule fires on every successful inference and the unexpected-region rule on the
# Stratus Red Team record from its made-up region.
EXPECTED_RULES = {
    "stratus-red-team/aws.impact.bedrock-invoke-model.json": {
        "aws_cloudtrail_bedrock_model_access_api_outside_console",
        "aws_cloudtrail_bedrock_inference_unapproved_model",
        "aws_cloudtrail_bedrock_inference_unexpected_region",
        "correlation_aws_cloudtrail_bedrock_enumeration_then_inference",
    },
    "stratus-red-team/aws.defense-evasion.bedrock-guardrail-delete.json": {
        "aws_cloudtrail_bedrock_guardrail_deleted",
    },
    "stratus-red-team/aws.defense-evasion.bedrock-model-invocation-logging-delete.json": {
        "aws_cloudtrail_bedrock_invocation_logging_deleted",
    },
    "panther-analysis/aws_bedrock_deletemodelinvocationloggingconfiguration.tests.jsonl": {
        "aws_cloudtrail_bedrock_invocation_logging_deleted",
    },
    "panther-analysis/aws_bedrock_guardrail_update_delete.tests.jsonl": {
        "aws_cloudtrail_bedrock_guardrail_deleted",
        "aws_cloudtrail_bedrock_guardrail_updated",
    },
    "elastic-integrations/aws_cloudtrail/test-converse-json.log": {
        "aws_cloudtrail_bedrock_inference_unapproved_model",
    },
    # Bedrock invocation logs, OpenAI audit logs, Azure OpenAI and Vertex AI logs are not
    # CloudTrail; no CloudTrail rule may fire on them.
    "panther-analysis/aws_bedrockmodelinvocation_abnormaltokenusage.tests.jsonl": set(),
    "panther-analysis/aws_bedrockmodelinvocation_guardrailintervened.tests.jsonl": set(),
    "panther-analysis/openai_api_key_anomalous_activity.tests.jsonl": set(),
    "elastic-integrations/azure_openai/test-open-ai-audit.log": set(),
    "elastic-integrations/azure_openai/test-open-ai-gateway.log": set(),
    "elastic-integrations/azure_openai/test-open-ai-request-response.log": set(),
    "elastic-integrations/gcp_vertexai/test-vertexai-agent-on-gcp.log": set(),
    "elastic-integrations/gcp_vertexai/test-vertexai.log": set(),
}


def _stems_by_id() -> dict[str, str]:
    return {rule_id(path): path.stem for path in rule_files()}


def test_every_sample_file_listed() -> None:
    on_disk = {
        str(path.relative_to(SAMPLES_DIR))
        for path in SAMPLES_DIR.rglob("*")
        if path.suffix in (".json", ".jsonl", ".log")
    }
    assert on_disk == set(EXPECTED_RULES)


@pytest.mark.parametrize("sample", sorted(EXPECTED_RULES))
def test_rules_firing_on_sample(sample: str) -> None:
    records = sample_records(sample)
    result = replay_events(records, rule_paths=[RULES_DIR], config=load_config())

    assert result.errors == []
    assert result.records == len(records)
    fired = {_stems_by_id()[match.rule_id] for match in result.matches}
    assert fired == EXPECTED_RULES[sample]
