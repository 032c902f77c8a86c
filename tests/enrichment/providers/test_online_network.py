"""Proxies from the environment and a custom CA bundle, with a local proxy and TLS service."""

from __future__ import annotations

import pytest
from fake_services import Answer, FakeProvider, FakeProxy, make_self_signed_cert
from online_helpers import clear_proxy_environment, make_settings

from llmjack_enrichment.reputation import Reputation, ReputationService

KEY = "abuse-key-0e6b1d93"
ADDRESS = "81.2.69.90"


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_proxy_environment(monkeypatch)
    monkeypatch.setenv("LLMJACK_ABUSEIPDB_KEY", KEY)


@pytest.fixture
def certificate(tmp_path):
    folder = tmp_path / "tls"
    folder.mkdir()
    return make_self_signed_cert(folder)


def lookup_one(settings) -> Reputation:
    service = ReputationService(settings)
    try:
        return service.lookup([ADDRESS])[ADDRESS]
    finally:
        service.close()


def test_http_proxy_from_environment(tmp_path, monkeypatch):
    with FakeProvider("abuseipdb", KEY) as abuse, FakeProxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        result = lookup_one(make_settings(tmp_path, abuse))
        assert len(abuse.requests) == 1

    assert result.status == "ok"
    assert proxy.seen == [f"GET {abuse.url}/api/v2/check?ipAddress={ADDRESS}&maxAgeInDays=90"]


def test_no_proxy_bypasses_proxy(tmp_path, monkeypatch):
    with FakeProvider("abuseipdb", KEY) as abuse, FakeProxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        result = lookup_one(make_settings(tmp_path, abuse))
        assert len(abuse.requests) == 1

    assert result.status == "ok"
    assert proxy.seen == []


def test_trust_env_off_ignores_proxy(tmp_path, monkeypatch):
    with FakeProvider("abuseipdb", KEY) as abuse, FakeProxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        result = lookup_one(make_settings(tmp_path, abuse, trust_env="false"))

    assert result.status == "ok"
    assert proxy.seen == []


def test_unreachable_proxy_is_an_error(tmp_path, monkeypatch, caplog):
    with FakeProvider("abuseipdb", KEY) as abuse:
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
        result = lookup_one(make_settings(tmp_path, abuse))
        assert abuse.requests == []

    assert result.status == "error"
    assert "connection to the proxy in HTTP_PROXY failed" in caplog.text


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("http://", "it has no host"),
        ("http://user:pa55word@:8080", "it has no host"),
        ("::::", "the host or port is not valid"),
        ("http://127.0.0.1:notaport", "the host or port is not valid"),
        ("ftp://127.0.0.1:9", "the scheme 'ftp' is not supported"),
        ("socks5://127.0.0.1:9", "the scheme 'socks5' is not supported"),
    ],
)
@pytest.mark.parametrize("variable", ["HTTPS_PROXY", "https_proxy"])
def test_invalid_proxy_url_names_variable(tmp_path, monkeypatch, caplog, value, problem, variable):
    monkeypatch.setenv(variable, value)
    settings = make_settings(tmp_path, providers="abuseipdb", abuseipdb_url="https://127.0.0.1:9")
    result = lookup_one(settings)

    assert result.status == "error"
    assert f"invalid proxy URL in {variable}: {problem}" in caplog.text
    assert "pa55word" not in caplog.text
    assert "InvalidURL" not in caplog.text


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_proxy_auth_required_explained(tmp_path, monkeypatch, caplog, certificate, scheme):
    tls = certificate if scheme == "https" else None
    with FakeProvider("abuseipdb", KEY, tls=tls) as abuse, FakeProxy(require_auth=True) as proxy:
        monkeypatch.setenv(f"{scheme.upper()}_PROXY", proxy.url)
        settings = make_settings(tmp_path, abuse, ca_bundle=str(certificate[0]))
        result = lookup_one(settings)
        assert abuse.requests == []

    assert len(proxy.seen) == 1
    assert result.status == "error"
    expected = (
        f"the proxy in {scheme.upper()}_PROXY rejected the request: "
        "proxy authentication required (HTTP 407)"
    )
    assert expected in caplog.text
    assert "non-JSON body" not in caplog.text


def test_407_without_proxy_variable_explained(tmp_path, caplog):
    with FakeProvider("abuseipdb", KEY) as abuse:
        abuse.set_default(Answer(407, b"<html>Proxy Authentication Required</html>"))
        result = lookup_one(make_settings(tmp_path, abuse))

    assert result.status == "error"
    assert "a proxy on the way rejected the request" in caplog.text
    assert "non-JSON body" not in caplog.text


def test_ca_bundle_accepts_self_signed_service(tmp_path, certificate):
    with FakeProvider("abuseipdb", KEY, tls=certificate) as abuse:
        result = lookup_one(make_settings(tmp_path, abuse, ca_bundle=str(certificate[0])))
        assert len(abuse.requests) == 1

    assert abuse.url.startswith("https://")
    assert result.status == "ok"


def test_self_signed_service_rejected_without_bundle(tmp_path, certificate, caplog):
    with FakeProvider("abuseipdb", KEY, tls=certificate) as abuse:
        result = lookup_one(make_settings(tmp_path, abuse))
        assert abuse.requests == []

    assert result.status == "error"
    assert "TLS certificate verification failed" in caplog.text


def test_ca_bundle_setting_beats_environment(tmp_path, monkeypatch, certificate):
    other_folder = tmp_path / "other"
    other_folder.mkdir()
    other_cert, _ = make_self_signed_cert(other_folder)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(other_cert))
    with FakeProvider("abuseipdb", KEY, tls=certificate) as abuse:
        result = lookup_one(make_settings(tmp_path, abuse, ca_bundle=str(certificate[0])))

    assert result.status == "ok"


def test_https_proxy_tunnels_with_ca_bundle(tmp_path, monkeypatch, certificate):
    with FakeProvider("abuseipdb", KEY, tls=certificate) as abuse, FakeProxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        result = lookup_one(make_settings(tmp_path, abuse, ca_bundle=str(certificate[0])))
        assert len(abuse.requests) == 1

    assert result.status == "ok"
    assert proxy.seen == [f"CONNECT {abuse.url.removeprefix('https://')}"]
