"""API keys: where they come from, and that they never leak into logs, errors or files."""

from __future__ import annotations

import logging
import sys

import pytest
from fake_services import FakeProvider, json_answer
from online_helpers import clear_proxy_environment, make_settings

from llmjack_enrichment.providers.abuseipdb import AbuseIPDB
from llmjack_enrichment.providers.base import ScoreThresholds
from llmjack_enrichment.reputation import OnlineSettings, OnlineSettingsError, ReputationService
from llmjack_enrichment.secrets import (
    REDACTED,
    KeyFileError,
    RedactingFilter,
    Secret,
    install_filter,
    load_key,
    remove_filter,
)

KEY = "secret-key-a8f3e2d19c7b4056"


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_proxy_environment(monkeypatch)
    for name in ("ABUSEIPDB", "GREYNOISE", "ISMALICIOUS"):
        monkeypatch.delenv(f"LLMJACK_{name}_KEY", raising=False)


def write_key_file(path, mode: int, text: str = KEY + "\n"):
    path.write_text(text)
    path.chmod(mode)
    return path


def test_key_from_environment_wins(tmp_path, monkeypatch):
    key_file = write_key_file(tmp_path / "abuseipdb.key", 0o600, "file-key\n")
    monkeypatch.setenv("LLMJACK_ABUSEIPDB_KEY", KEY)
    assert load_key("abuseipdb", key_file).reveal() == KEY


def test_key_from_private_file(tmp_path):
    key_file = write_key_file(tmp_path / "abuseipdb.key", 0o600)
    assert load_key("abuseipdb", key_file).reveal() == KEY


def test_no_key_anywhere_is_none(tmp_path):
    assert load_key("abuseipdb", None) is None


@pytest.mark.parametrize("mode", [0o640, 0o644, 0o604, 0o660])
def test_readable_key_file_rejected(tmp_path, mode):
    key_file = write_key_file(tmp_path / "abuseipdb.key", mode)
    with pytest.raises(KeyFileError) as caught:
        load_key("abuseipdb", key_file)
    message = str(caught.value)
    assert str(key_file) in message
    assert f"chmod 600 {key_file}" in message
    assert KEY not in message


def test_missing_and_empty_key_files_rejected(tmp_path):
    with pytest.raises(KeyFileError, match="not found"):
        load_key("abuseipdb", tmp_path / "absent.key")
    empty = write_key_file(tmp_path / "empty.key", 0o600, "\n")
    with pytest.raises(KeyFileError, match="empty"):
        load_key("abuseipdb", empty)


def test_readable_key_file_disables_provider(tmp_path):
    key_file = write_key_file(tmp_path / "abuseipdb.key", 0o644)
    with FakeProvider("abuseipdb", KEY) as abuse:
        settings = make_settings(tmp_path, abuse, abuseipdb_key_file="abuseipdb.key")
        service = ReputationService(settings)
        try:
            results = service.lookup(["81.2.69.80"])
        finally:
            service.close()
        assert abuse.requests == []

    assert results["81.2.69.80"].status == "disabled"
    assert f"chmod 600 {key_file}" in service.problems[0]


def test_key_file_used_for_requests(tmp_path):
    write_key_file(tmp_path / "abuseipdb.key", 0o600)
    with FakeProvider("abuseipdb", KEY) as abuse:
        settings = make_settings(tmp_path, abuse, abuseipdb_key_file="abuseipdb.key")
        service = ReputationService(settings)
        try:
            results = service.lookup(["81.2.69.81"])
        finally:
            service.close()

    assert results["81.2.69.81"].status == "ok"


def test_key_in_settings_file_rejected_without_echo(tmp_path):
    with pytest.raises(OnlineSettingsError) as caught:
        OnlineSettings.from_mapping({"providers": "abuseipdb", "abuseipdb_key": KEY}, tmp_path)
    assert "LLMJACK_ABUSEIPDB_KEY" in str(caught.value)
    assert KEY not in str(caught.value)


def test_secret_repr_hides_value():
    secret = Secret(KEY)
    provider = AbuseIPDB(None, secret, ScoreThresholds())
    request = provider.build_request("81.2.69.82")
    assert KEY not in repr(secret)
    assert KEY not in str(secret)
    assert KEY not in repr(request)
    assert KEY not in f"{request}"
    assert request.headers["Key"] == KEY


def test_filter_redacts_key_in_any_record(caplog):
    # Module loggers exist before a service installs its filter, as here.
    log = logging.getLogger("llmjack_enrichment.providers.abuseipdb")
    log_filter = RedactingFilter([Secret(KEY)])
    install_filter(log_filter, ["llmjack_enrichment.providers"])
    caplog.set_level(logging.DEBUG)
    try:
        log.warning("header was %s", KEY)
        try:
            raise ValueError("bad key " + KEY)
        except ValueError:
            log.exception("failed")
    finally:
        remove_filter(log_filter)

    assert KEY not in caplog.text
    assert REDACTED in caplog.text
    assert "bad key" in caplog.text


def test_key_never_leaves_process(tmp_path, monkeypatch, caplog, capfd):
    """Drive every failure path with logging at DEBUG, then search every output for the key."""
    monkeypatch.setenv("LLMJACK_ABUSEIPDB_KEY", KEY)
    monkeypatch.setenv("LLMJACK_GREYNOISE_KEY", KEY + "-grey")
    monkeypatch.setenv("LLMJACK_ISMALICIOUS_KEY", KEY + "-ism")
    caplog.set_level(logging.DEBUG)
    handler = logging.StreamHandler(sys.stderr)
    logging.getLogger().addHandler(handler)
    addresses = [f"81.2.74.{n}" for n in range(1, 9)]
    try:
        with (
            FakeProvider("abuseipdb", "another-key") as abuse,
            FakeProvider("greynoise") as grey,
            FakeProvider("ismalicious") as ism,
        ):
            grey.set_default(json_answer(500, {"message": "echo " + KEY + "-grey"}))
            ism.set_answer(addresses[0], json_answer(429, {"message": KEY}))
            settings = make_settings(tmp_path, abuse, grey, ism, max_concurrency="2")
            service = ReputationService(settings)
            try:
                results = service.lookup(addresses)
            finally:
                service.close()
        failing = make_settings(tmp_path, abuse, ismalicious_url="http://127.0.0.1:9")
        service = ReputationService(failing)
        try:
            service.lookup(addresses[:1])
        finally:
            service.close()
    finally:
        logging.getLogger().removeHandler(handler)

    captured = capfd.readouterr()
    assert results[addresses[0]].status != "ok"
    for value in (KEY, KEY + "-grey", KEY + "-ism"):
        assert value not in caplog.text
        assert value not in captured.err
        assert value not in captured.out
        assert value not in " ".join(service.problems)
    files = [p for p in tmp_path.iterdir() if p.name.startswith("cache.sqlite3")]
    assert files
    for path in files:
        assert KEY.encode() not in path.read_bytes()


@pytest.mark.parametrize("value", ["two words", "caf\u00e9-key", "key\x07tail"])
def test_key_unfit_for_header_rejected(tmp_path, monkeypatch, value):
    monkeypatch.setenv("LLMJACK_ABUSEIPDB_KEY", value)
    with pytest.raises(KeyFileError) as caught:
        load_key("abuseipdb", None)
    assert "LLMJACK_ABUSEIPDB_KEY" in str(caught.value)
    assert value not in str(caught.value)

    key_file = write_key_file(tmp_path / "abuseipdb.key", 0o600, value + "\n")
    monkeypatch.delenv("LLMJACK_ABUSEIPDB_KEY")
    with pytest.raises(KeyFileError) as caught:
        load_key("abuseipdb", key_file)
    assert str(key_file) in str(caught.value)
