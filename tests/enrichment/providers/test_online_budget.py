"""The run's time budget: a provider that never answers does not hold the lookup."""

from __future__ import annotations

import pytest
from fake_services import Answer, FakeProvider
from online_helpers import (
    cached_rows,
    clear_proxy_environment,
    finish_worker,
    make_settings,
    settings_section,
    start_worker,
)

from llmjack_enrichment.reputation import ReputationService

KEY = "abuse-key-77d0a3e1"


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_proxy_environment(monkeypatch)
    monkeypatch.setenv("LLMJACK_ABUSEIPDB_KEY", KEY)
    monkeypatch.setenv("LLMJACK_ISMALICIOUS_KEY", "ism-key-2c81")


def test_silent_provider_times_out_within_budget(tmp_path):
    with FakeProvider("abuseipdb", KEY) as abuse, FakeProvider("ismalicious") as ism:
        abuse.set_answer("81.2.69.160", Answer(hold=True))
        settings = make_settings(tmp_path, abuse, ism, time_budget="1")
        service = ReputationService(settings)
        try:
            results = service.lookup(["81.2.69.160", "81.2.69.161"])
            # The held request is still open on the server: lookup() did not wait for it.
            assert abuse.completed == 1
            assert "81.2.69.160" in abuse.addresses_requested()
        finally:
            service.close()
        abuse.release.set()

    assert results["81.2.69.160"].status == "ok"
    assert results["81.2.69.160"].sources == ("ismalicious",)
    assert results["81.2.69.161"].status == "ok"
    assert {row[:2] for row in cached_rows(settings.cache_path)} == {
        ("abuseipdb", "81.2.69.161"),
        ("ismalicious", "81.2.69.160"),
        ("ismalicious", "81.2.69.161"),
    }


def test_only_provider_silent_gives_timeout_status(tmp_path):
    with FakeProvider("abuseipdb", KEY) as abuse:
        abuse.set_default(Answer(hold=True))
        settings = make_settings(tmp_path, abuse, time_budget="0.5")
        service = ReputationService(settings)
        try:
            results = service.lookup(["81.2.69.170", "81.2.69.171"])
            assert abuse.completed == 0
        finally:
            service.close()

        abuse.set_default(None)
        abuse.release.set()
        service = ReputationService(settings)
        try:
            again = service.lookup(["81.2.69.170"])
        finally:
            service.close()

    assert results["81.2.69.170"].status == "timeout"
    assert results["81.2.69.171"].status == "timeout"
    assert results["81.2.69.170"].sources == ("abuseipdb",)
    assert again["81.2.69.170"].status == "ok"


def test_silent_provider_never_blocks_another(tmp_path):
    addresses = [f"81.2.71.{n}" for n in range(1, 6)]
    with FakeProvider("abuseipdb", KEY) as abuse, FakeProvider("greynoise") as grey:
        abuse.set_default(Answer(hold=True))
        settings = make_settings(
            tmp_path, abuse, grey, time_budget="2", request_timeout="30", max_concurrency="1"
        )
        service = ReputationService(settings)
        try:
            results = service.lookup(addresses)
        finally:
            service.close()
        grey_requested = grey.addresses_requested()

    assert grey_requested == addresses
    for address in addresses:
        assert results[address].status in ("ok", "no_data")
        assert results[address].sources == ("greynoise",)


def test_queue_left_at_deadline_times_out(tmp_path):
    addresses = [f"81.2.70.{n}" for n in range(1, 41)]
    with FakeProvider("abuseipdb", KEY, latency=0.2) as abuse:
        settings = make_settings(tmp_path, abuse, time_budget="1", max_concurrency="2")
        service = ReputationService(settings)
        try:
            results = service.lookup(addresses)
        finally:
            service.close()
        requested = len(abuse.requests)

    statuses = [results[address].status for address in addresses]
    assert set(statuses) <= {"ok", "timeout"}
    assert "timeout" in statuses
    assert requested < len(addresses)
    assert len(cached_rows(settings.cache_path)) == statuses.count("ok")


def test_process_exits_while_request_open(tmp_path):
    with FakeProvider("abuseipdb", KEY) as abuse:
        abuse.set_default(Answer(hold=True))
        section = settings_section(tmp_path, abuse, time_budget="1", request_timeout="30")
        output, _ = finish_worker(start_worker(tmp_path, "silent", section, ["81.2.69.175"]))
        # The process has exited although its request is still waiting on the service.
        assert abuse.completed == 0
        assert abuse.addresses_requested() == ["81.2.69.175"]

    assert output["81.2.69.175"][0] == "timeout"


def test_connections_reused_across_runs(tmp_path):
    with FakeProvider("abuseipdb", KEY) as abuse:
        service = ReputationService(make_settings(tmp_path, abuse, max_concurrency="2"))
        try:
            for run in range(3):
                service.lookup([f"81.2.75.{run * 10 + n}" for n in range(1, 11)])
        finally:
            service.close()
        ports = {received.client_port for received in abuse.requests}

    assert len(abuse.requests) == 30
    assert len(ports) <= 2
