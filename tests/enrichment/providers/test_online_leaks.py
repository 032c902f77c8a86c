"""Keys in every form they travel in stay out of logs, even when a service echoes them."""

from __future__ import annotations

import base64
import json
import logging
import sys
from urllib.parse import quote

import pytest
from fake_services import ECHO_KEY_HEADER, Answer, FakeProvider, json_answer
from online_helpers import clear_proxy_environment, make_settings

from llmjack_enrichment.providers.abuseipdb import AbuseIPDB
from llmjack_enrichment.providers.base import ScoreThresholds, error_detail, sanitised_excerpt
from llmjack_enrichment.providers.greynoise import GreyNoiseCommunity
from llmjack_enrichment.providers.ismalicious import IsMalicious
from llmjack_enrichment.reputation import ReputationService
from llmjack_enrichment.secrets import REDACTED, RedactingFilter, Secret

KEYS = {
    "abuseipdb": "abuse-id:abuse+secret/42",
    "greynoise": "grey-key-7c1d0b55e9",
    "ismalicious": "myid:topsecret99",
}
ADDRESS = "81.2.70.10"


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_proxy_environment(monkeypatch)
    for name, key in KEYS.items():
        monkeypatch.setenv(f"LLMJACK_{name.upper()}_KEY", key)


def leaked_forms(key: str) -> list[str]:
    """Return the key, its parts and their Base64 and URL-encoded forms."""
    texts = [key] + [part for part in key.split(":") if len(part) >= 4]
    forms = []
    for text in texts:
        forms.append(text)
        forms.append(base64.b64encode(text.encode()).decode())
        forms.append(base64.b64encode(text.encode()).decode().rstrip("="))
        forms.append(quote(text, safe=""))
    return forms


def test_secret_forms_cover_pair_and_encodings():
    forms = Secret("myid:topsecret99").forms()
    assert "myid:topsecret99" in forms
    assert "bXlpZDp0b3BzZWNyZXQ5OQ==" in forms
    assert "topsecret99" in forms
    assert "myid" in forms
    assert "myid%3Atopsecret99" in forms


def test_filter_redacts_base64_header_value():
    log_filter = RedactingFilter([Secret("myid:topsecret99")])
    text = log_filter.redact("HTTP 500: bad key bXlpZDp0b3BzZWNyZXQ5OQ==")
    assert text == f"HTTP 500: bad key {REDACTED}"


def test_short_key_parts_not_redacted_alone():
    log_filter = RedactingFilter([Secret("ab:topsecret99")])
    assert log_filter.redact("about ab") == "about ab"
    assert log_filter.redact("x topsecret99") == f"x {REDACTED}"


@pytest.mark.parametrize("provider", ["abuseipdb", "greynoise", "ismalicious"])
@pytest.mark.parametrize("status", [400, 404, 422, 500, 502, 503])
def test_echoed_key_header_never_logged(tmp_path, caplog, capfd, provider, status):
    caplog.set_level(logging.DEBUG)
    handler = logging.StreamHandler(sys.stderr)
    logging.getLogger().addHandler(handler)
    try:
        with FakeProvider(provider, None) as fake:
            message = f"bad key {ECHO_KEY_HEADER} for this request"
            if provider == "abuseipdb":
                fake.set_default(json_answer(status, {"errors": [{"detail": message}]}))
            else:
                fake.set_default(json_answer(status, {"message": message}))
            service = ReputationService(make_settings(tmp_path, fake))
            try:
                results = service.lookup([ADDRESS])
            finally:
                service.close()
            sent = fake.requests[0].headers[fake.KEY_HEADERS[provider].lower()]
    finally:
        logging.getLogger().removeHandler(handler)

    err = capfd.readouterr().err
    assert results[ADDRESS].status == "error"
    assert f"HTTP {status}: bad key {REDACTED} for this request" in caplog.text
    for form in [sent, *leaked_forms(KEYS[provider])]:
        assert form not in caplog.text
        assert form not in err


@pytest.mark.parametrize("provider", ["abuseipdb", "greynoise", "ismalicious"])
def test_echo_in_non_json_body_not_quoted(tmp_path, caplog, provider):
    caplog.set_level(logging.DEBUG)
    with FakeProvider(provider, None) as fake:
        fake.set_default(Answer(500, f"<html>key {ECHO_KEY_HEADER}</html>".encode()))
        service = ReputationService(make_settings(tmp_path, fake))
        try:
            service.lookup([ADDRESS])
        finally:
            service.close()

    assert "HTTP 500: non-JSON body" in caplog.text
    for form in leaked_forms(KEYS[provider]):
        assert form not in caplog.text


def test_long_message_redacted_before_cut():
    key = "k3y-" + "q" * 40
    provider = AbuseIPDB(None, Secret(key), ScoreThresholds())
    body = json.dumps({"errors": [{"detail": "word " * 12 + key + " tail" * 10}]}).encode()
    detail = provider.parse_response(ADDRESS, 500, body).detail
    assert key[:8] not in detail
    assert len(detail) <= len("HTTP 500: ") + 100
    assert detail.endswith("...")


def test_excerpt_is_one_printable_line():
    text = sanitised_excerpt("line one\nline two\x1b[31m\tred\u2028end")
    assert text == "line one line two [31m red end"


def test_excerpt_masks_unknown_tokens():
    token = "Zm9vYmFyYmF6cXV4cXV1eHF1dXpxdXV6"
    assert sanitised_excerpt(f"invalid token {token}") == f"invalid token {REDACTED}"
    assert sanitised_excerpt("IP not observed") == "IP not observed"


def test_error_detail_quotes_only_string_messages():
    body = json.dumps({"errors": [{"detail": {"headers": {"Key": "abc"}}}]}).encode()
    assert error_detail(body) == "no error message"


def test_answer_fields_quoted_as_excerpts():
    grey = GreyNoiseCommunity(None, Secret(KEYS["greynoise"]), ScoreThresholds())
    document = {"noise": True, "riot": False, "classification": "unknown"}
    document["name"] = "scanner " + KEYS["greynoise"] + "\n" + "y" * 200
    detail = grey.parse_response(ADDRESS, 200, json.dumps(document).encode()).detail
    assert KEYS["greynoise"] not in detail
    assert "\n" not in detail
    assert len(detail) < 160


def test_ismalicious_sends_secret_forms_to_filter():
    provider = IsMalicious(None, Secret("myid:topsecret99"), ScoreThresholds())
    sent = provider.build_request(ADDRESS).headers["X-API-KEY"]
    assert provider.redact(f"echo {sent}") == f"echo {REDACTED}"
