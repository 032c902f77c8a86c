"""The [online] settings: defaults, units, paths and errors that name key and value."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmjack_enrichment.reputation import OnlineSettings, OnlineSettingsError


def test_defaults_without_providers(tmp_path):
    settings = OnlineSettings.from_mapping({}, tmp_path)
    assert settings.providers == ()
    assert settings.time_budget == 10.0
    assert settings.max_concurrency == 16
    assert settings.cache_path == tmp_path / "reputation-cache.sqlite3"
    assert settings.ttls.no_data < settings.ttls.malicious
    assert settings.trust_env is True


def test_full_section(tmp_path):
    (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    settings = OnlineSettings.from_mapping(
        {
            "providers": "AbuseIPDB, greynoise ismalicious",
            "time_budget": "30s",
            "max_concurrency": "16",
            "cache_path": "state/cache.sqlite3",
            "ttl_malicious": "7d",
            "ttl_no_data": "90m",
            "unauthorized_cooldown": "2h",
            "malicious_score": "80",
            "suspicious_score": "40",
            "ca_bundle": "ca.pem",
            "trust_env": "no",
            "greynoise_url": "http://127.0.0.1:8080/",
            "abuseipdb_key_file": "/etc/llmjack/abuseipdb.key",
            "abuseipdb_max_age_days": "30",
        },
        tmp_path,
    )

    assert settings.providers == ("abuseipdb", "greynoise", "ismalicious")
    assert settings.time_budget == 30.0
    assert settings.max_concurrency == 16
    assert settings.cache_path == tmp_path / "state" / "cache.sqlite3"
    assert settings.ttls.malicious == 7 * 86400
    assert settings.ttls.no_data == 5400
    assert settings.unauthorized_cooldown == 7200

    assert settings.thresholds.malicious == 80
    assert settings.thresholds.suspicious == 40
    assert settings.ca_bundle == tmp_path / "ca.pem"
    assert settings.trust_env is False

    assert settings.urls == {"greynoise": "http://127.0.0.1:8080/"}
    assert settings.key_files == {"abuseipdb": Path("/etc/llmjack/abuseipdb.key")}
    assert settings.provider_options == {"abuseipdb": {"max_age_days": "30"}}


def test_enabled_false_turns_providers_off(tmp_path):
    settings = OnlineSettings.from_mapping({"providers": "abuseipdb", "enabled": "false"}, tmp_path)
    assert settings.providers == ()


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("providers", "abuseipdb, shodan", "'abuseipdb, shodan' is invalid"),
        ("time_budget", "0", "time_budget = '0' is invalid"),
        ("time_budget", "ten", "number of seconds above 0"),
        ("time_budget", "1e9", "at most 3600 (1h)"),
        ("time_budget", "2h", "at most 3600 (1h)"),
        ("time_budget", "nan", "number of seconds above 0"),
        ("time_budget", "inf", "number of seconds above 0"),
        ("request_timeout", "1e999", "at most 300 (5m)"),
        ("ttl_malicious", "400d", "at most 31536000 (365d)"),
        ("rate_limit_cooldown", "-5", "number of seconds above 0"),
        ("max_concurrency", "0", "whole number from 1"),
        ("malicious_score", "150", "malicious_score = '150'"),
        ("trust_env", "maybe", "true or false"),
        ("greynoise_url", "ftp://example", "http:// or https://"),
        ("ca_bundle", "missing.pem", "missing.pem not found"),
        ("ca_bundle", "~no-such-user-5c2e/ca.pem", "~user names a user"),
        ("cache_path", "~no-such-user-5c2e/c.sqlite3", "~user names a user"),
        ("abuseipdb_key_file", "~no-such-user-5c2e/k", "~user names a user"),
        ("cache_path", "cache\x00.sqlite3", "without NUL characters"),
    ],
)
def test_invalid_value_named(tmp_path, key, value, expected):
    with pytest.raises(OnlineSettingsError) as caught:
        OnlineSettings.from_mapping({key: value}, tmp_path)
    assert expected in str(caught.value)
    assert key in str(caught.value)


@pytest.mark.parametrize(
    ("value", "seconds"), [("1e2", 100.0), ("2.5m", 150.0), (".5", 0.5), ("1h", 3600.0)]
)
def test_duration_forms_accepted(tmp_path, value, seconds):
    settings = OnlineSettings.from_mapping({"time_budget": value}, tmp_path)
    assert settings.time_budget == seconds


@pytest.mark.parametrize(
    "section",
    [
        {"time_budget": "1e9"},
        {"providers": "shodan"},
        {"suspicious_score": "90"},
        {"ca_bundle": "missing.pem"},
        {"abuseipdb_key": "k"},
        {"greynoise_url": "ftp://x"},
    ],
)
def test_messages_omit_section_prefix(tmp_path, section):
    with pytest.raises(OnlineSettingsError) as caught:
        OnlineSettings.from_mapping(section, tmp_path)
    message = str(caught.value)
    assert not message.startswith("[online]")
    assert next(iter(section)) in message


def test_thresholds_in_wrong_order(tmp_path):
    with pytest.raises(OnlineSettingsError, match="suspicious_score 90 is above"):
        OnlineSettings.from_mapping({"suspicious_score": "90"}, tmp_path)


def test_unknown_key_ignored_with_warning(tmp_path, caplog):
    settings = OnlineSettings.from_mapping({"timebudget": "5"}, tmp_path)
    assert settings.time_budget == 10.0
    assert "timebudget is not a known setting" in caplog.text
