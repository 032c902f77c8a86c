"""Online mode of the lookup: one reputation call per run, only for addresses left open."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from llmjack_enrichment import reputation
from llmjack_enrichment.reputation import Reputation
from llmjack_enrichment.splunk_lookup import main

ANSWERS = {
    "203.0.114.5": Reputation("203.0.114.5", "ok", "malicious", 95, ("abuseipdb",)),
    "73.1.2.3": Reputation("73.1.2.3", "ok", "suspicious", 60, ("greynoise", "ismalicious")),
    "9.9.9.9": Reputation("9.9.9.9", "ok", "benign", 0, ("greynoise",)),
    "2a01:4f8::1": Reputation("2a01:4f8::1", "rate_limited", None, None, ("abuseipdb",)),
}


class FakeService:
    """Stands in for ReputationService and records every lookup call."""

    calls: list[list[str]] = []
    closed = 0

    def __init__(self, settings: object) -> None:
        self.settings = settings

    def lookup(self, addresses: Sequence[str]) -> dict[str, Reputation]:
        FakeService.calls.append(list(addresses))
        return {address: ANSWERS[address] for address in addresses if address in ANSWERS}

    def close(self) -> None:
        FakeService.closed += 1


class BrokenService(FakeService):
    def lookup(self, addresses: Sequence[str]) -> dict[str, Reputation]:
        raise RuntimeError("provider module bug")


def run(settings: Path, values: list[str], *arguments: str) -> list[dict[str, str]]:
    header = ["sourceIPAddress", "ip_class", "ip_tags", "ip_rep_score", "ip_rep_sources"]
    header += ["ip_rep_status", "ip_status"]
    lines = [",".join(header)] + [value + "," * (len(header) - 1) for value in values]
    stdin = io.BytesIO(("\n".join(lines) + "\n").encode())
    stdout = io.BytesIO()
    status = main(list(arguments) or ["--online", "sourceIPAddress"], None, stdin, stdout)
    assert status == 0
    return list(csv.DictReader(io.StringIO(stdout.getvalue().decode())))


@pytest.fixture
def fake_service(monkeypatch: pytest.MonkeyPatch, settings_file: Path) -> Path:
    monkeypatch.setenv("LLMJACK_ENRICH_CONFIG", str(settings_file))
    monkeypatch.setattr(reputation, "ReputationService", FakeService)
    FakeService.calls = []
    FakeService.closed = 0
    return settings_file


VALUES = [
    "203.0.114.5",
    "73.1.2.3",
    "9.9.9.9",
    "203.0.114.5",
    "::ffff:203.0.114.5",
    "2a01:4f8::1",
    "3.80.12.34",
    "185.220.101.1",
    "169.254.169.254",
    "100.64.1.1",
    "240.0.0.1",
    "private",
    "",
]


def test_one_call_for_open_addresses(fake_service: Path) -> None:
    run(fake_service, VALUES)
    assert FakeService.calls == [["203.0.114.5", "2a01:4f8::1", "73.1.2.3", "9.9.9.9"]]
    assert FakeService.closed == 1


def test_answers_fold_into_rows(fake_service: Path) -> None:
    rows = {row["sourceIPAddress"]: row for row in run(fake_service, VALUES)}
    assert rows["203.0.114.5"]["ip_class"] == "malicious"
    assert rows["203.0.114.5"]["ip_rep_score"] == "95"
    assert rows["::ffff:203.0.114.5"]["ip_class"] == "malicious"
    assert rows["73.1.2.3"]["ip_class"] == "suspicious"
    assert rows["73.1.2.3"]["ip_tags"] == "residential;suspicious"
    assert rows["73.1.2.3"]["ip_rep_sources"] == "greynoise;ismalicious"
    assert rows["9.9.9.9"]["ip_class"] == "unknown"
    assert rows["9.9.9.9"]["ip_rep_status"] == "ok"
    assert rows["2a01:4f8::1"]["ip_rep_status"] == "rate_limited"
    assert rows["3.80.12.34"]["ip_rep_status"] == "skipped"
    assert rows["169.254.169.254"]["ip_rep_status"] == "skipped"


def test_offline_mode_makes_no_call(fake_service: Path) -> None:
    rows = run(fake_service, VALUES, "sourceIPAddress")
    assert FakeService.calls == []
    assert rows[0]["ip_rep_status"] == "offline"


def test_service_failure_still_answers(
    fake_service: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(reputation, "ReputationService", BrokenService)
    rows = run(fake_service, ["203.0.114.5", "3.80.12.34"])
    assert rows[0]["ip_class"] == "unknown"
    assert rows[0]["ip_rep_status"] == "error"
    assert rows[1]["ip_class"] == "cloud"
    assert "online lookup of 1 addresses failed" in caplog.text


def test_invalid_online_settings(
    fake_service: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def reject(section: Mapping[str, str], base_dir: Path) -> None:
        raise reputation.OnlineSettingsError("time_budget must be positive, not '-1'")

    monkeypatch.setattr(reputation.OnlineSettings, "from_mapping", staticmethod(reject))
    rows = run(fake_service, ["203.0.114.5"])
    assert rows[0]["ip_rep_status"] == "error: online settings invalid"
    assert "invalid [online] settings" in caplog.text
    assert FakeService.calls == []


def test_service_construction_failure(
    fake_service: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(settings: object) -> None:
        raise ImportError("No module named 'requests'")

    monkeypatch.setattr(reputation, "ReputationService", explode)
    rows = run(fake_service, ["203.0.114.5", "3.80.12.34"])
    assert rows[0]["ip_rep_status"] == "error"
    assert rows[1]["ip_class"] == "cloud"
    assert "online lookup of 1 addresses failed" in caplog.text


def test_classifier_failure_keeps_rows(
    fake_service: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from llmjack_enrichment import engine

    def explode(*arguments: object) -> None:
        raise RuntimeError("settings loader bug")

    monkeypatch.setattr(engine.Enricher, "open", explode)
    rows = run(fake_service, ["203.0.114.5", "", "3.80.12.34"], "sourceIPAddress")
    assert [row["sourceIPAddress"] for row in rows] == ["203.0.114.5", "", "3.80.12.34"]
    assert rows[0]["ip_status"] == "error: lookup failed, see the lookup log"
    assert rows[1]["ip_status"] == ""
    assert "classifying 2 values failed" in caplog.text
