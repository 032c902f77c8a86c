"""Sigma matching semantics of replay: nulls, case, regexes, numbers, lists and placeholders."""

from __future__ import annotations

from replay_cases import BROKEN, DETECTION, cloudtrail

from sigma_llmjack.config import SiteConfig
from sigma_llmjack.replay import replay_events

REGIONS = SiteConfig(placeholders={"bedrock_expected_regions": ["us-east-1", "eu-west-1"]})


def matched_lines(result, rule_file_id: str) -> list[int]:
    return [match.line for match in result.matches if match.rule_id.endswith(rule_file_id)]


def test_error_code_null_matches_absent_and_json_null() -> None:
    events = [
        cloudtrail(),  # no errorCode key
        cloudtrail(errorCode=None),  # JSON null
        cloudtrail(errorCode="AccessDeniedException"),
        cloudtrail(errorCode=""),
    ]
    result = replay_events(events, [DETECTION / "succeeded_null_error.yml"])
    assert matched_lines(result, "0011") == [1, 2]


def test_not_filter_on_missing_field_matches() -> None:
    result = replay_events(
        [cloudtrail(), cloudtrail("Converse")], [DETECTION / "not_on_missing_field.yml"]
    )
    assert matched_lines(result, "0012") == [1]
    assert result.errors == []


def test_not_filter_on_absent_error_code_matches() -> None:
    events = [
        cloudtrail(),
        cloudtrail(errorCode="AccessDenied"),
        cloudtrail(errorCode="accessdenied"),
    ]
    result = replay_events(events, [DETECTION / "invoke_not_denied.yml"])
    assert matched_lines(result, "0001") == [1]


def test_values_match_case_insensitively() -> None:
    events = [
        cloudtrail(),
        cloudtrail(eventSource="Bedrock.AmazonAWS.com"),
        cloudtrail(requestParameters={"modelId": "meta.llama3-70b-instruct-v1:0"}),
    ]
    result = replay_events(events, [DETECTION / "lower_case_value.yml"])
    assert matched_lines(result, "0013") == [1, 2]


def test_regex_is_case_sensitive() -> None:
    events = [
        cloudtrail(userAgent="Boto3/1.35.50 md/Botocore#1.35.50"),
        cloudtrail(userAgent="boto3/1.35.50"),
        cloudtrail(userAgent="aws-cli/2.15.0 Boto3/1.35"),
    ]
    result = replay_events(events, [DETECTION / "user_agent_regex.yml"])
    assert matched_lines(result, "0014") == [1]


def test_numeric_comparison_on_text_column() -> None:
    events = [
        cloudtrail(requestParameters={"maxTokens": -1}),
        cloudtrail(requestParameters={"maxTokens": 1024}),
        cloudtrail(requestParameters={"maxTokens": "-5"}),
        cloudtrail(requestParameters={"maxTokens": "not a number"}),
        cloudtrail(requestParameters={}),
    ]
    result = replay_events(events, [DETECTION / "negative_max_tokens.yml"])
    assert matched_lines(result, "0015") == [1, 3]


def test_boolean_in_nested_field() -> None:
    events = [
        cloudtrail(additionalEventData={"callWithBearerToken": True}),
        cloudtrail(additionalEventData={"callWithBearerToken": False}),
        cloudtrail(additionalEventData={"callWithBearerToken": "true"}),
        cloudtrail(),
    ]
    result = replay_events(events, [DETECTION / "bearer_token.yml"])
    assert matched_lines(result, "0016") == [1, 3]


def test_placeholder_filled_from_config() -> None:
    events = [
        cloudtrail(awsRegion="us-east-1"),
        cloudtrail(awsRegion="EU-WEST-1"),
        cloudtrail(awsRegion="ap-southeast-2"),
    ]
    result = replay_events(events, [DETECTION / "unexpected_region.yml"], REGIONS)
    assert matched_lines(result, "0017") == [3]
    assert result.errors == []


def test_placeholder_value_changes_result() -> None:
    config = SiteConfig(placeholders={"bedrock_expected_regions": ["ap-southeast-2"]})
    events = [cloudtrail(awsRegion="us-east-1"), cloudtrail(awsRegion="ap-southeast-2")]
    result = replay_events(events, [DETECTION / "unexpected_region.yml"], config)
    assert matched_lines(result, "0017") == [1]


def test_cidr_match() -> None:
    events = [
        cloudtrail(sourceIPAddress="203.0.113.250"),
        cloudtrail(sourceIPAddress="203.0.114.1"),
        cloudtrail(sourceIPAddress="bedrock.amazonaws.com"),
    ]
    result = replay_events(events, [DETECTION / "documentation_network.yml"])
    assert matched_lines(result, "0018") == [1]


def test_field_inside_list_of_objects() -> None:
    model = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-v2"
    events = [
        cloudtrail(resources=[{"ARN": model, "type": "AWS::Bedrock::Model"}]),
        cloudtrail(resources=[{"ARN": "arn:aws:s3:::bucket"}, {"ARN": model}]),
        cloudtrail(resources=[{"ARN": "arn:aws:s3:::bucket"}]),
        cloudtrail(resources=[]),
    ]
    result = replay_events(events, [DETECTION / "resource_arn.yml"])
    assert matched_lines(result, "0019") == [1, 2]


def test_dotted_key_in_record() -> None:
    events = [{"eventName": "InvokeModel", "requestParameters.maxTokens": -1}]
    result = replay_events(events, [DETECTION / "negative_max_tokens.yml"])
    assert matched_lines(result, "0015") == [1]


def test_unconvertible_rules_reported() -> None:
    result = replay_events([cloudtrail()], [BROKEN, DETECTION / "succeeded_null_error.yml"])
    reasons = {error.rule_id: error.reason for error in result.errors}
    assert set(reasons) == {
        "5f0c7b7e-2d5e-4c36-9d7a-0b6a1c1e0021",
        "5f0c7b7e-2d5e-4c36-9d7a-0b6a1c1e0022",
    }
    assert "not supported" in reasons["5f0c7b7e-2d5e-4c36-9d7a-0b6a1c1e0021"]
    assert "llmjack_no_such_placeholder" in reasons["5f0c7b7e-2d5e-4c36-9d7a-0b6a1c1e0022"]
    assert result.rules_evaluated == 1
    assert matched_lines(result, "0011") == [1]


def test_non_object_record_skipped() -> None:
    result = replay_events([cloudtrail(), ["not", "a", "record"], cloudtrail()], [DETECTION])
    assert result.records == 2
    assert len(result.skipped) == 1
    assert result.skipped[0].line == 2
    assert result.skipped[0].reason == "record is a JSON array, not an object"
