"""Hard provider answers (429, 401/403, bad bodies, not observed, non-routable) end to end."""

from __future__ import annotations

import logging
import time

import pytest
from fake_services import (
    NOT_OBSERVED,
    NOT_ROUTABLE,
    Answer,
    FakeProvider,
    abuseipdb_report,
    greynoise_report,
    ismalicious_report,
    json_answer,
)
from online_helpers import cached_rows, clear_proxy_environment, make_settings, provider_states

from llmjack_enrichment.reputation import Reputation, ReputationService

ABUSE_KEY = "abuse-key-5f1c0e8d2b7a4e61"
GREY_KEY = "grey-key-93ad4c1be2f04a77"
ADDRESSES = [f"5.188.10.{n}" for n in range(10, 16)]


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_proxy_environment(monkeypatch)
    monkeypatch.setenv("LLMJACK_ABUSEIPDB_KEY", ABUSE_KEY)
    monkeypatch.setenv("LLMJACK_GREYNOISE_KEY", GREY_KEY)


def run_lookup(settings, addresses) -> dict[str, Reputation]:
    service = ReputationService(settings)
    try:
        return service.lookup(addresses)
    finally:
        service.close()


def test_good_answers_merge_into_verdicts(tmp_path):
    with (
        FakeProvider("abuseipdb", ABUSE_KEY) as abuse,
        FakeProvider("greynoise", GREY_KEY) as grey,
    ):
        abuse.set_answer("81.2.69.7", abuseipdb_report("81.2.69.7", 92))
        grey.set_answer("81.2.69.7", greynoise_report("81.2.69.7", "malicious"))
        abuse.set_answer("81.2.69.8", abuseipdb_report("81.2.69.8", 30))
        grey.set_answer("81.2.69.8", greynoise_report("81.2.69.8", "benign", riot=True))
        abuse.set_answer("81.2.69.9", abuseipdb_report("81.2.69.9", 0))
        grey.set_answer("81.2.69.9", json_answer(404, {"message": NOT_OBSERVED}))
        results = run_lookup(
            make_settings(tmp_path, abuse, grey),
            ["81.2.69.7", "81.2.69.8", "81.2.69.9"],
        )

    assert results["81.2.69.7"] == Reputation(
        "81.2.69.7", "ok", "malicious", 92, ("abuseipdb", "greynoise")
    )
    assert results["81.2.69.8"] == Reputation("81.2.69.8", "ok", "suspicious", 30, ("abuseipdb",))
    assert results["81.2.69.9"] == Reputation("81.2.69.9", "ok", None, 0, ("abuseipdb",))


def test_requests_carry_documented_headers(tmp_path, monkeypatch):
    monkeypatch.setenv("LLMJACK_ISMALICIOUS_KEY", "my-key:my-secret")
    with (
        FakeProvider("abuseipdb", ABUSE_KEY) as abuse,
        FakeProvider("greynoise", GREY_KEY) as grey,
        FakeProvider("ismalicious", "bXkta2V5Om15LXNlY3JldA==") as ism,
    ):
        ism.set_answer("81.2.69.20", ismalicious_report("81.2.69.20", True, 80))
        results = run_lookup(make_settings(tmp_path, abuse, grey, ism), ["81.2.69.20"])

        assert abuse.requests[0].headers["key"] == ABUSE_KEY
        assert abuse.requests[0].headers["accept"] == "application/json"
        assert grey.requests[0].path == "/v3/community/81.2.69.20"
        assert ism.requests[0].headers["x-api-key"] == "bXkta2V5Om15LXNlY3JldA=="
    assert results["81.2.69.20"].status == "ok"
    assert results["81.2.69.20"].verdict == "malicious"
    assert "ismalicious" in results["81.2.69.20"].sources


def test_rate_limit_marks_provider_until_retry_after(tmp_path):
    limited = json_answer(
        429,
        {"errors": [{"detail": "Daily rate limit of 1000 requests exceeded.", "status": 429}]},
        **{"Retry-After": "86400"},
    )
    with (
        FakeProvider("abuseipdb", ABUSE_KEY) as abuse,
        FakeProvider("greynoise", GREY_KEY) as grey,
    ):
        abuse.set_default(limited)
        for address in ADDRESSES:
            grey.set_answer(address, greynoise_report(address, "malicious"))
        settings = make_settings(tmp_path, abuse, grey, max_concurrency="1")
        before = time.time()
        first = run_lookup(settings, ADDRESSES)
        assert len(abuse.requests) == 1

        abuse.set_default(None)
        grey.set_default(limited)
        second = run_lookup(settings, ADDRESSES + ["81.2.69.99"])
        assert len(abuse.requests) == 1

    for address in ADDRESSES:
        assert first[address].status == "ok"
        assert first[address].sources == ("greynoise",)
        assert second[address].status == "ok"
    assert second["81.2.69.99"].status == "rate_limited"
    assert second["81.2.69.99"].sources == ("abuseipdb", "greynoise")

    states = provider_states(settings.cache_path)
    assert states["abuseipdb"][0] == "rate_limited"
    assert states["abuseipdb"][1] >= before + 86400
    assert states["greynoise"][0] == "rate_limited"
    assert {row[0] for row in cached_rows(settings.cache_path)} == {"greynoise"}


def test_rate_limit_never_sleeps(tmp_path, monkeypatch):
    sleeps: list[float] = []
    real_sleep = time.sleep

    def recording_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        real_sleep(min(seconds, 0.1))

    monkeypatch.setattr(time, "sleep", recording_sleep)
    with FakeProvider("abuseipdb", ABUSE_KEY) as abuse:
        abuse.set_default(json_answer(429, {"errors": []}, **{"Retry-After": "86400"}))
        results = run_lookup(make_settings(tmp_path, abuse), ADDRESSES)

    assert {r.status for r in results.values()} == {"rate_limited"}
    assert [s for s in sleeps if s >= 1] == []


def test_rate_limit_without_retry_after(tmp_path):
    with FakeProvider("abuseipdb", ABUSE_KEY) as abuse:
        abuse.set_default(json_answer(429, {"errors": []}))
        settings = make_settings(tmp_path, abuse, rate_limit_cooldown="5m", max_concurrency="1")
        before = time.time()
        results = run_lookup(settings, ADDRESSES[:2])
        after = time.time()

    status, until = provider_states(settings.cache_path)["abuseipdb"]
    assert results[ADDRESSES[0]].status == "rate_limited"
    assert status == "rate_limited"
    assert before + 300 <= until <= after + 300


def test_rate_limit_leaves_remaining_rows_a_status(tmp_path):
    with FakeProvider("abuseipdb", ABUSE_KEY) as abuse:
        abuse.set_default(json_answer(429, {"errors": []}, **{"Retry-After": "86400"}))
        settings = make_settings(tmp_path, abuse, max_concurrency="1")
        results = run_lookup(settings, ADDRESSES)

    assert [r.status for r in results.values()] == ["rate_limited"] * len(ADDRESSES)
    assert cached_rows(settings.cache_path) == []


def test_retry_after_as_http_date(tmp_path):
    until = time.time() + 7200
    header = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(until))
    with FakeProvider("abuseipdb", ABUSE_KEY) as abuse:
        abuse.set_default(json_answer(429, {"errors": []}, **{"Retry-After": header}))
        settings = make_settings(tmp_path, abuse, max_concurrency="1")
        run_lookup(settings, ADDRESSES[:2])

    status, stored_until = provider_states(settings.cache_path)["abuseipdb"]
    assert status == "rate_limited"
    assert int(stored_until) == int(until)


@pytest.mark.parametrize("status_code", [401, 403])
def test_rejected_key_disables_provider_once(tmp_path, monkeypatch, caplog, status_code):
    monkeypatch.setenv("LLMJACK_ABUSEIPDB_KEY", "wrong-key-0c4e11aa")
    caplog.set_level(logging.DEBUG)
    with FakeProvider("abuseipdb", ABUSE_KEY if status_code == 401 else None) as abuse:
        if status_code == 403:
            abuse.set_default(json_answer(403, {"errors": [{"detail": "Forbidden"}]}))
        settings = make_settings(tmp_path, abuse, max_concurrency="1")
        first = run_lookup(settings, ADDRESSES)
        second = run_lookup(settings, ["81.2.69.50"])
        assert len(abuse.requests) == 1

    assert {r.status for r in first.values()} == {"unauthorized"}
    assert second["81.2.69.50"].status == "unauthorized"
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert f"HTTP {status_code}" in errors[0].getMessage()
    assert "LLMJACK_ABUSEIPDB_KEY" in errors[0].getMessage()
    assert "wrong-key-0c4e11aa" not in caplog.text
    assert provider_states(settings.cache_path)["abuseipdb"][0] == "unauthorized"


def test_rejected_key_cooldown_ends(tmp_path, monkeypatch):
    monkeypatch.setenv("LLMJACK_ABUSEIPDB_KEY", "wrong-key-0c4e11aa")
    with FakeProvider("abuseipdb", ABUSE_KEY) as abuse:
        settings = make_settings(tmp_path, abuse, max_concurrency="1")
        settings.unauthorized_cooldown = 0.001
        run_lookup(settings, ADDRESSES[:1])
        time.sleep(0.01)
        monkeypatch.setenv("LLMJACK_ABUSEIPDB_KEY", ABUSE_KEY)
        results = run_lookup(settings, ADDRESSES[1:2])

    assert results[ADDRESSES[1]].status == "ok"
    assert len(abuse.requests) == 2


@pytest.mark.parametrize("body", [b"", b"   ", b"<html>Bad gateway</html>", b"{not json"])
def test_unreadable_ok_body_is_an_error(tmp_path, caplog, body):
    caplog.set_level(logging.DEBUG)
    with FakeProvider("abuseipdb", ABUSE_KEY) as abuse:
        abuse.set_answer("81.2.69.30", Answer(200, body))
        settings = make_settings(tmp_path, abuse)
        first = run_lookup(settings, ["81.2.69.30", "81.2.69.31"])
        second = run_lookup(settings, ["81.2.69.30", "81.2.69.31"])
        requested = abuse.addresses_requested()

    assert first["81.2.69.30"].status == "error"
    assert first["81.2.69.30"].sources == ("abuseipdb",)
    assert first["81.2.69.31"].status == "ok"
    assert second["81.2.69.30"].status == "error"
    assert requested.count("81.2.69.30") == 2
    assert requested.count("81.2.69.31") == 1
    assert not [r for r in caplog.records if r.exc_info]
    assert "Traceback" not in caplog.text


def test_wrong_json_shape_is_an_error(tmp_path):
    with FakeProvider("abuseipdb", ABUSE_KEY) as abuse:
        abuse.set_answer("81.2.69.32", json_answer(200, ["not", "an", "object"]))
        abuse.set_answer("81.2.69.33", json_answer(200, {"data": {"isTor": False}}))
        abuse.set_answer("81.2.69.34", json_answer(500, {"errors": [{"detail": "oops"}]}))
        results = run_lookup(
            make_settings(tmp_path, abuse), ["81.2.69.32", "81.2.69.33", "81.2.69.34"]
        )

    assert [r.status for r in results.values()] == ["error", "error", "error"]


@pytest.mark.parametrize(
    "document", [{"data": None}, {"ip": "81.2.69.35", "message": "Success", "link": "x"}]
)
def test_greynoise_malformed_answer_not_cached(tmp_path, document):
    with FakeProvider("greynoise", GREY_KEY) as grey:
        grey.set_answer("81.2.69.35", json_answer(200, document))
        settings = make_settings(tmp_path, grey)
        first = run_lookup(settings, ["81.2.69.35"])
        second = run_lookup(settings, ["81.2.69.35"])
        requested = grey.addresses_requested()

    assert first["81.2.69.35"].status == "error"
    assert first["81.2.69.35"].verdict is None
    assert second["81.2.69.35"].status == "error"
    assert requested == ["81.2.69.35", "81.2.69.35"]
    assert cached_rows(tmp_path / "cache.sqlite3") == []


def test_abuseipdb_huge_score_not_cached(tmp_path):
    with FakeProvider("abuseipdb", ABUSE_KEY) as abuse:
        body = b'{"data": {"isPublic": true, "abuseConfidenceScore": 1e308}}'
        abuse.set_answer("81.2.69.36", Answer(200, body))
        results = run_lookup(make_settings(tmp_path, abuse), ["81.2.69.36"])

    assert results["81.2.69.36"].status == "error"
    assert results["81.2.69.36"].score is None
    assert cached_rows(tmp_path / "cache.sqlite3") == []


def test_not_observed_is_cached_no_data(tmp_path):
    with FakeProvider("greynoise", GREY_KEY) as grey:
        grey.set_answer("81.2.69.40", json_answer(404, {"message": NOT_OBSERVED}))
        grey.set_answer("81.2.69.41", greynoise_report("81.2.69.41", "malicious"))
        settings = make_settings(tmp_path, grey)
        first = run_lookup(settings, ["81.2.69.40", "81.2.69.41"])
        second = run_lookup(settings, ["81.2.69.40", "81.2.69.41"])
        assert len(grey.requests) == 2

    assert first["81.2.69.40"] == Reputation("81.2.69.40", "no_data", None, None, ("greynoise",))
    assert second["81.2.69.40"] == first["81.2.69.40"]
    rows = {row[1]: row for row in cached_rows(settings.cache_path)}
    no_data_ttl = rows["81.2.69.40"][6] - rows["81.2.69.40"][5]
    malicious_ttl = rows["81.2.69.41"][6] - rows["81.2.69.41"][5]
    assert rows["81.2.69.40"][2] == "no_data"
    assert no_data_ttl == pytest.approx(settings.ttls.no_data)
    assert no_data_ttl < malicious_ttl


def test_non_routable_answer_is_not_applicable(tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    with FakeProvider("greynoise", GREY_KEY) as grey:
        grey.set_answer("81.2.69.60", json_answer(400, {"message": NOT_ROUTABLE}))
        settings = make_settings(tmp_path, grey)
        results = run_lookup(settings, ["81.2.69.60"])

    assert results["81.2.69.60"].status == "not_applicable"
    assert cached_rows(settings.cache_path)[0][2] == "not_applicable"
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_private_addresses_never_sent(tmp_path):
    local = ["10.1.2.3", "240.0.0.1", "100.64.1.1", "169.254.169.254", "::1", "fd00::1"]
    odd = ["035.249.253.232", "81.2.69.***", "bedrock.amazonaws.com", "", "::ffff:10.0.0.1"]
    with FakeProvider("abuseipdb", ABUSE_KEY) as abuse:
        results = run_lookup(make_settings(tmp_path, abuse), local + odd)
        assert abuse.requests == []

    assert list(results) == local + odd
    assert {r.status for r in results.values()} == {"not_applicable"}


def test_ipv6_and_mapped_addresses_are_sent(tmp_path):
    with FakeProvider("abuseipdb", ABUSE_KEY) as abuse:
        results = run_lookup(
            make_settings(tmp_path, abuse),
            ["2600:1F18:0::1", "2600:1f18::1", "::ffff:3.80.12.34", "3.80.12.34"],
        )
        assert sorted(abuse.addresses_requested()) == ["2600:1f18::1", "3.80.12.34"]

    assert list(results) == ["2600:1F18:0::1", "2600:1f18::1", "::ffff:3.80.12.34", "3.80.12.34"]
    assert results["2600:1F18:0::1"].address == "2600:1F18:0::1"
    assert results["2600:1F18:0::1"].status == "ok"
    assert results["::ffff:3.80.12.34"].status == "ok"
    assert results["::ffff:3.80.12.34"] == Reputation(
        "::ffff:3.80.12.34", "ok", "suspicious", 34, ("abuseipdb",)
    )


def test_greynoise_without_key_sends_none(tmp_path, monkeypatch):
    monkeypatch.delenv("LLMJACK_GREYNOISE_KEY")
    with FakeProvider("greynoise") as grey:
        results = run_lookup(make_settings(tmp_path, grey), ["81.2.69.95"])
        headers = grey.requests[0].headers

    assert results["81.2.69.95"].status == "ok"
    assert "key" not in headers


def test_keyless_greynoise_forbidden(tmp_path, monkeypatch, caplog):
    monkeypatch.delenv("LLMJACK_GREYNOISE_KEY")
    with FakeProvider("greynoise") as grey:
        grey.set_default(json_answer(403, {"message": "Forbidden"}))
        results = run_lookup(make_settings(tmp_path, grey), ["81.2.69.97"])

    assert results["81.2.69.97"].status == "unauthorized"
    assert "GreyNoise rejected the request without an API key (HTTP 403)" in caplog.text
    assert "LLMJACK_GREYNOISE_KEY" in caplog.text


def test_unknown_provider_in_settings_reported(tmp_path):
    settings = make_settings(tmp_path)
    settings.providers = ("shodan",)
    service = ReputationService(settings)
    try:
        results = service.lookup(["81.2.69.96"])
    finally:
        service.close()

    assert results["81.2.69.96"].status == "disabled"
    assert "unknown provider 'shodan'" in service.problems[0]


def test_no_provider_means_disabled(tmp_path):
    results = run_lookup(make_settings(tmp_path), ["81.2.69.70", "10.0.0.1"])

    assert results["81.2.69.70"].status == "disabled"
    assert results["10.0.0.1"].status == "not_applicable"


def test_missing_key_disables_that_provider(tmp_path, monkeypatch):
    monkeypatch.delenv("LLMJACK_ABUSEIPDB_KEY")
    with FakeProvider("abuseipdb") as abuse:
        service = ReputationService(make_settings(tmp_path, abuse))
        try:
            results = service.lookup(["81.2.69.71"])
        finally:
            service.close()
        assert abuse.requests == []

    assert results["81.2.69.71"].status == "disabled"
    assert "LLMJACK_ABUSEIPDB_KEY" in service.problems[0]
