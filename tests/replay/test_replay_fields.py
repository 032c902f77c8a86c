"""Dotted field names read out of nested records, and the text stored for each JSON value."""

from __future__ import annotations

import pytest

from sigma_llmjack.replay.fields import FieldExtractor, lookup, to_text

RECORD = {
    "eventName": "InvokeModel",
    "userIdentity": {"arn": "arn:aws:iam::111122223333:user/dev", "sessionContext": None},
    "requestParameters": {"modelId": "anthropic.claude-v2", "maxTokens": -1, "topP": 0.5},
    "additionalEventData": {"callWithBearerToken": True},
    "tlsDetails": {"clientProvidedHostHeader": "bedrock-runtime.us-east-1.amazonaws.com"},
    "resources": [
        {"ARN": "arn:aws:bedrock:us-east-1::foundation-model/a", "type": "AWS::Bedrock::Model"},
        {"ARN": "arn:aws:bedrock:us-east-1::foundation-model/b"},
    ],
    "single": [{"ARN": "only"}],
    "tags": ["a", "b"],
    "one_tag": ["x"],
    "empty": [],
    "flat.key": "dotted",
    "errorCode": None,
}

EXPECTED = {
    "eventName": "InvokeModel",
    "userIdentity.arn": "arn:aws:iam::111122223333:user/dev",
    "userIdentity.sessionContext": None,
    "userIdentity.missing": None,
    "requestParameters.modelId": "anthropic.claude-v2",
    "requestParameters.maxTokens": "-1",
    "requestParameters.topP": "0.5",
    "additionalEventData.callWithBearerToken": "true",
    "tlsDetails.clientProvidedHostHeader": "bedrock-runtime.us-east-1.amazonaws.com",
    "resources.ARN": (
        '["arn:aws:bedrock:us-east-1::foundation-model/a",'
        '"arn:aws:bedrock:us-east-1::foundation-model/b"]'
    ),
    "resources.type": "AWS::Bedrock::Model",
    "resources.1.ARN": "arn:aws:bedrock:us-east-1::foundation-model/b",
    "resources.5.ARN": None,
    "single.ARN": "only",
    "tags": '["a","b"]',
    "one_tag": "x",
    "empty": "[]",
    "flat.key": "dotted",
    "errorCode": None,
    "noSuchField": None,
    "eventName.deeper": None,
    "requestParameters": '{"modelId":"anthropic.claude-v2","maxTokens":-1,"topP":0.5}',
}


@pytest.mark.parametrize("field", list(EXPECTED))
def test_extractor_value(field: str) -> None:
    assert FieldExtractor([field]).row(RECORD) == [EXPECTED[field]]


def test_extractor_matches_lookup() -> None:
    fields = list(EXPECTED)
    row = FieldExtractor(fields).row(RECORD)
    assert row == [to_text(lookup(RECORD, field.split("."))) for field in fields]


def test_extractor_appends_to_prefix() -> None:
    row = FieldExtractor(["eventName", "errorCode"]).row(RECORD, ["t", "s", 1])
    assert row == ["t", "s", 1, "InvokeModel", None]


def test_dotted_key_below_nested_parent() -> None:
    record = {"requestParameters": {"other": 1}, "requestParameters.modelId": "flat"}
    assert FieldExtractor(["requestParameters.modelId"]).row(record) == ["flat"]
    deeper = {"a": {"b.c": "inner"}}
    assert FieldExtractor(["a.b.c"]).row(deeper) == ["inner"]


def test_to_text_values() -> None:
    assert to_text("text") == "text"
    assert to_text(None) is None
    assert to_text(False) == "false"
    assert to_text(0) == "0"
    assert to_text(1e21) == "1e+21"
    assert to_text({"b": [1, None]}) == '{"b":[1,null]}'
    assert to_text(["é"]) == "é"
