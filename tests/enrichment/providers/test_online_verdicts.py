"""Provider answer parsing and the merge of several providers' answers."""

from __future__ import annotations

import base64
import json

import pytest

from llmjack_enrichment.providers import provider_classes
from llmjack_enrichment.providers.abuseipdb import AbuseIPDB
from llmjack_enrichment.providers.base import (
    Provider,
    ProviderAnswer,
    ProviderRequest,
    ScoreThresholds,
    register_provider,
)
from llmjack_enrichment.providers.greynoise import GreyNoiseCommunity
from llmjack_enrichment.providers.ismalicious import IsMalicious
from llmjack_enrichment.providers.merge import merge_answers
from llmjack_enrichment.providers.transport import parse_retry_after
from llmjack_enrichment.secrets import Secret

ADDRESS = "81.2.69.100"


def parse(provider: Provider, status: int, document: object) -> ProviderAnswer:
    return provider.parse_response(ADDRESS, status, json.dumps(document).encode())


def abuse_data(**fields: object) -> dict:
    data = {"ipAddress": ADDRESS, "isPublic": True, "abuseConfidenceScore": 0}
    data.update(fields)
    return {"data": data}


@pytest.mark.parametrize(
    ("fields", "verdict", "score"),
    [
        ({"abuseConfidenceScore": 100}, "malicious", 100),
        ({"abuseConfidenceScore": 75}, "malicious", 75),
        ({"abuseConfidenceScore": 74}, "suspicious", 74),
        ({"abuseConfidenceScore": 25}, "suspicious", 25),
        ({"abuseConfidenceScore": 24}, None, 24),
        ({"abuseConfidenceScore": 0, "isTor": True}, "suspicious", 0),
        ({"abuseConfidenceScore": 0, "isWhitelisted": True}, "benign", 0),
        ({"abuseConfidenceScore": 90, "isWhitelisted": True}, "malicious", 90),
    ],
)
def test_abuseipdb_score_thresholds(fields, verdict, score):
    answer = parse(AbuseIPDB(None, None, ScoreThresholds()), 200, abuse_data(**fields))
    assert answer.status == "ok"
    assert answer.verdict == verdict
    assert answer.score == score


def test_abuseipdb_thresholds_configurable():
    provider = AbuseIPDB(None, None, ScoreThresholds(malicious=50, suspicious=10))
    assert parse(provider, 200, abuse_data(abuseConfidenceScore=50)).verdict == "malicious"
    assert parse(provider, 200, abuse_data(abuseConfidenceScore=10)).verdict == "suspicious"


def test_abuseipdb_non_public_and_broken_answers():
    provider = AbuseIPDB(None, None, ScoreThresholds())
    assert parse(provider, 200, abuse_data(isPublic=False)).status == "not_applicable"
    assert parse(provider, 200, abuse_data(abuseConfidenceScore="high")).status == "error"
    assert parse(provider, 200, {"errors": []}).status == "error"
    errors = {"errors": [{"detail": "The ip address must be valid.", "status": 422}]}
    answer = parse(provider, 422, errors)
    assert answer.status == "error"
    assert "The ip address must be valid." in answer.detail


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (1e308, "outside 0-100"),
        (101, "outside 0-100"),
        (-1, "outside 0-100"),
        ("NaN", "not a number"),
        ("50", "not a number"),
        (True, "not a number"),
        (None, "not a number"),
        (50.5, "not a whole number"),
    ],
)
def test_abuseipdb_bad_score_rejected(score, expected):
    answer = parse(
        AbuseIPDB(None, None, ScoreThresholds()), 200, abuse_data(abuseConfidenceScore=score)
    )
    assert answer.status == "error"
    assert expected in answer.detail
    assert "abuseConfidenceScore" in answer.detail


def test_abuseipdb_whole_float_score_accepted():
    answer = parse(
        AbuseIPDB(None, None, ScoreThresholds()), 200, abuse_data(abuseConfidenceScore=80.0)
    )
    assert answer.status == "ok"
    assert answer.score == 80


@pytest.mark.parametrize(
    "document",
    [
        abuse_data(isTor="no"),
        abuse_data(isPublic="true"),
        abuse_data(isWhitelisted=1),
        {"data": {"ipAddress": ADDRESS, "isPublic": True}},
    ],
)
def test_abuseipdb_wrong_field_types_rejected(document):
    answer = parse(AbuseIPDB(None, None, ScoreThresholds()), 200, document)
    assert answer.status == "error"


@pytest.mark.parametrize(
    "document",
    [
        {"data": None},
        {"ip": ADDRESS, "message": "Success"},
        {"noise": "true", "riot": False, "classification": "malicious"},
        {"noise": True, "riot": None, "classification": "malicious"},
        {"noise": True, "riot": False, "classification": 3},
        {"noise": True, "riot": False, "classification": "unknown", "name": ["x"]},
    ],
)
def test_greynoise_malformed_answers(document):
    answer = parse(GreyNoiseCommunity(None, None, ScoreThresholds()), 200, document)
    assert answer.status == "error"
    assert answer.detail.startswith("HTTP 200: field")


@pytest.mark.parametrize(
    ("document", "verdict", "score"),
    [
        ({"noise": True, "riot": False, "classification": "malicious"}, "malicious", 90),
        ({"noise": False, "riot": True}, "benign", 0),
        ({"noise": True, "riot": False, "classification": None}, "suspicious", 50),
        ({"noise": False, "riot": True, "classification": "benign"}, "benign", 0),
        ({"noise": False, "riot": True, "classification": "unknown"}, "benign", 0),
        ({"noise": True, "riot": False, "classification": "unknown"}, "suspicious", 50),
        ({"noise": False, "riot": False, "classification": "unknown"}, None, None),
    ],
)
def test_greynoise_classifications(document, verdict, score):
    answer = parse(GreyNoiseCommunity(None, None, ScoreThresholds()), 200, document)
    assert answer.status == "ok"
    assert answer.verdict == verdict
    assert answer.score == score


def test_greynoise_error_statuses():
    provider = GreyNoiseCommunity(None, None, ScoreThresholds())
    not_observed = {"ip": ADDRESS, "message": "IP not observed scanning the internet."}
    assert parse(provider, 404, not_observed).status == "no_data"
    assert parse(provider, 404, {"message": "Not Found"}).status == "error"
    routable = {"message": "Request is not a valid routable IPv4 address"}
    assert parse(provider, 400, routable).status == "not_applicable"
    assert parse(provider, 400, {"message": "bad request"}).status == "error"


@pytest.mark.parametrize(
    ("document", "verdict", "score"),
    [
        ({"malicious": True, "riskScore": {"score": 10}}, "malicious", 10),
        ({"malicious": False, "riskScore": {"score": 80}}, "malicious", 80),
        ({"malicious": False, "riskScore": {"score": 30}}, "suspicious", 30),
        ({"malicious": False, "riskScore": {"score": 80.6}}, "malicious", 81),
        ({"malicious": False, "riskScore": None}, None, None),
        ({"malicious": False}, None, None),
    ],
)
def test_ismalicious_answers(document, verdict, score):
    answer = parse(IsMalicious(None, None, ScoreThresholds()), 200, document)
    assert answer.status == "ok"
    assert answer.verdict == verdict
    assert answer.score == score


@pytest.mark.parametrize(
    "document",
    [
        {"malicious": False, "riskScore": {"score": 140}},
        {"malicious": False, "riskScore": {"score": -1}},
        {"malicious": False, "riskScore": {"score": "80"}},
        {"malicious": "yes", "riskScore": {"score": 10}},
    ],
)
def test_ismalicious_malformed_answers(document):
    answer = parse(IsMalicious(None, None, ScoreThresholds()), 200, document)
    assert answer.status == "error"
    assert answer.detail.startswith("HTTP 200: field")


def test_ismalicious_header_encodes_key_pair():
    pair = IsMalicious(None, Secret("key:secret"), ScoreThresholds()).build_request(ADDRESS)
    ready = IsMalicious(None, Secret("a2V5OnNlY3JldA=="), ScoreThresholds()).build_request(ADDRESS)
    assert pair.headers["X-API-KEY"] == base64.b64encode(b"key:secret").decode()
    assert ready.headers["X-API-KEY"] == "a2V5OnNlY3JldA=="
    assert pair.params == {"query": ADDRESS, "enrichment": "standard"}
    assert pair.url == "https://api.ismalicious.com/check"


def test_ismalicious_empty_object_is_error():
    assert parse(IsMalicious(None, None, ScoreThresholds()), 200, {}).status == "error"


def answer(provider: str, status: str, verdict=None, score=None) -> ProviderAnswer:
    return ProviderAnswer(provider, ADDRESS, status, verdict, score)


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        (
            [answer("a", "ok", "suspicious", 40), answer("b", "ok", "malicious", 90)],
            ("ok", "malicious", 90, ("b",)),
        ),
        (
            [answer("a", "ok", "benign", 0), answer("b", "ok", "suspicious", 30)],
            ("ok", "suspicious", 30, ("b",)),
        ),
        (
            [answer("a", "ok", None, 5), answer("b", "rate_limited")],
            ("ok", None, 5, ("a",)),
        ),
        (
            [answer("a", "no_data"), answer("b", "timeout")],
            ("no_data", None, None, ("a",)),
        ),
        (
            [answer("a", "no_data"), answer("b", "not_applicable")],
            ("not_applicable", None, None, ("b",)),
        ),
        (
            [answer("a", "error"), answer("b", "timeout"), answer("c", "rate_limited")],
            ("timeout", None, None, ("b",)),
        ),
        (
            [answer("a", "ok", "malicious", 80), answer("b", "ok", "malicious", 95)],
            ("ok", "malicious", 95, ("a", "b")),
        ),
        ([], ("disabled", None, None, ())),
    ],
)
def test_merge_rules(answers, expected):
    assert merge_answers(answers) == expected


def test_retry_after_forms():
    now = 1_800_000_000.0
    assert parse_retry_after("86400", now) == now + 86400
    assert parse_retry_after("Sat, 16 Jan 2027 08:00:00 GMT", now) == 1800086400.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now) == now
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None
    assert parse_retry_after("-5", now) is None


def test_registered_provider_is_usable():
    class Example(Provider):
        name = "example-test-provider"
        default_url = "http://127.0.0.1:9"

        def build_request(self, address: str) -> ProviderRequest:
            return ProviderRequest(self.base_url + "/ip/" + address)

        def parse_ok(self, address: str, document: object) -> ProviderAnswer:
            return self.answer(address, "ok", "benign", 0)

    register_provider(Example)
    assert provider_classes()["example-test-provider"] is Example
    assert {"abuseipdb", "greynoise", "ismalicious"} <= set(provider_classes())
    assert parse(Example(None, None, ScoreThresholds()), 200, {}).verdict == "benign"
