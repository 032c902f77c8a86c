"""The persistent answer cache: TTLs, what is never cached, file mode, shared use."""

from __future__ import annotations

import multiprocessing
import sqlite3
import stat

import pytest
from fake_services import FakeProvider, json_answer
from online_helpers import (
    cached_rows,
    clear_proxy_environment,
    finish_worker,
    hammer_cache,
    make_settings,
    provider_states,
    settings_section,
    start_worker,
)

from llmjack_enrichment.cache import (
    CacheTTLs,
    CacheUnavailableError,
    ProviderState,
    ReputationCache,
)
from llmjack_enrichment.providers.base import ProviderAnswer
from llmjack_enrichment.reputation import ReputationService

KEY = "abuse-key-4b9e6f20"


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_proxy_environment(monkeypatch)
    monkeypatch.setenv("LLMJACK_ABUSEIPDB_KEY", KEY)
    monkeypatch.setenv("LLMJACK_ISMALICIOUS_KEY", "ism-key-2c81")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_ttl_depends_on_answer_kind(tmp_path):
    clock = FakeClock()
    ttls = CacheTTLs(malicious=1000, benign=500, no_data=100, not_applicable=5000)
    cache = ReputationCache(tmp_path / "c.sqlite3", ttls, clock=clock)
    cache.put_many(
        [
            ProviderAnswer("greynoise", "81.2.69.1", "ok", "malicious", 90),
            ProviderAnswer("greynoise", "81.2.69.2", "ok", "benign", 0),
            ProviderAnswer("greynoise", "81.2.69.3", "no_data"),
            ProviderAnswer("greynoise", "81.2.69.4", "not_applicable"),
        ]
    )
    addresses = ["81.2.69.1", "81.2.69.2", "81.2.69.3", "81.2.69.4"]
    assert sorted(cache.get_many("greynoise", addresses)) == addresses

    clock.now += 101
    assert sorted(cache.get_many("greynoise", addresses)) == ["81.2.69.1", "81.2.69.2", "81.2.69.4"]
    clock.now += 400
    assert sorted(cache.get_many("greynoise", addresses)) == ["81.2.69.1", "81.2.69.4"]
    clock.now += 500
    assert sorted(cache.get_many("greynoise", addresses)) == ["81.2.69.4"]
    cache.close()

    reopened = ReputationCache(tmp_path / "c.sqlite3", ttls, clock=clock)
    assert list(reopened.get_many("greynoise", addresses)) == ["81.2.69.4"]
    reopened.close()


@pytest.mark.parametrize("status", ["rate_limited", "unauthorized", "timeout", "error", "disabled"])
def test_failures_are_never_cached(tmp_path, status):
    cache = ReputationCache(tmp_path / "c.sqlite3", CacheTTLs())
    stored = cache.put_many([ProviderAnswer("abuseipdb", "81.2.69.9", status)])
    assert stored == 0
    assert cache.get_many("abuseipdb", ["81.2.69.9"]) == {}
    cache.close()
    assert cached_rows(tmp_path / "c.sqlite3") == []


def test_provider_state_expires(tmp_path):
    clock = FakeClock()
    cache = ReputationCache(tmp_path / "c.sqlite3", CacheTTLs(), clock=clock)
    cache.set_provider_state(ProviderState("abuseipdb", "rate_limited", clock.now + 60))
    assert cache.provider_state("abuseipdb") == ProviderState(
        "abuseipdb", "rate_limited", clock.now + 60
    )
    clock.now += 61
    assert cache.provider_state("abuseipdb") is None
    cache.close()


def test_cache_file_is_private(tmp_path):
    path = tmp_path / "new" / "c.sqlite3"
    cache = ReputationCache(path, CacheTTLs())
    cache.put_many([ProviderAnswer("abuseipdb", "81.2.69.9", "ok", None, 3)])
    for file in path.parent.iterdir():
        assert stat.S_IMODE(file.stat().st_mode) & 0o077 == 0, file
    cache.close()
    assert stat.S_IMODE(path.parent.stat().st_mode) & 0o077 == 0


def test_readable_cache_file_is_tightened(tmp_path):
    path = tmp_path / "c.sqlite3"
    path.touch()
    path.chmod(0o644)
    ReputationCache(path, CacheTTLs()).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_unusable_cache_does_not_stop_lookup(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with FakeProvider("abuseipdb", KEY) as abuse:
        settings = make_settings(tmp_path, abuse, cache_path=str(blocker / "c.sqlite3"))
        service = ReputationService(settings)
        try:
            results = service.lookup(["81.2.69.12"])
        finally:
            service.close()

    assert results["81.2.69.12"].status == "ok"
    assert "cache" in service.problems[0]


def test_corrupt_cache_does_not_stop_lookup(tmp_path):
    path = tmp_path / "c.sqlite3"
    path.write_bytes(b"this is not a SQLite database" * 100)
    path.chmod(0o600)
    with FakeProvider("abuseipdb", KEY) as abuse:
        service = ReputationService(make_settings(tmp_path, abuse, cache_path=str(path)))
        try:
            results = service.lookup(["81.2.69.13"])
        finally:
            service.close()

    assert results["81.2.69.13"].status == "ok"
    assert service.problems


def make_database(path, *statements: str) -> None:
    with sqlite3.connect(str(path)) as db:
        for statement in statements:
            db.execute(statement)
    path.chmod(0o600)


@pytest.mark.parametrize(
    "statements",
    [
        ["CREATE TABLE answers (provider TEXT, address TEXT, verdict TEXT, expiry REAL)"],
        [
            "CREATE TABLE answers (provider TEXT, address TEXT, status TEXT, verdict TEXT, "
            "score INTEGER, stored_at REAL, expires_at REAL, PRIMARY KEY (provider, address))",
            "CREATE TABLE provider_state (provider TEXT PRIMARY KEY, until REAL)",
        ],
        ["CREATE TABLE provider_state (provider TEXT PRIMARY KEY, until REAL)"],
    ],
)
def test_old_cache_layout_recreated(tmp_path, caplog, statements):
    path = tmp_path / "old.sqlite3"
    make_database(path, *statements)
    cache = ReputationCache(path, CacheTTLs())
    try:
        cache.put_many([ProviderAnswer("abuseipdb", "81.2.69.14", "ok", None, 3)])
        cache.set_provider_state(ProviderState("greynoise", "rate_limited", 4e9))
        found = cache.get_many("abuseipdb", ["81.2.69.14"])
    finally:
        cache.close()

    assert found["81.2.69.14"].score == 3
    assert f"cache file {path} has an unexpected layout" in caplog.text
    assert "tables were recreated" in caplog.text
    assert provider_states(path) == {"greynoise": ("rate_limited", 4e9)}


def test_missing_cache_table_created(tmp_path, caplog):
    path = tmp_path / "c.sqlite3"
    first = ReputationCache(path, CacheTTLs())
    first.put_many([ProviderAnswer("abuseipdb", "81.2.69.17", "ok", None, 5)])
    first.close()
    with sqlite3.connect(str(path)) as db:
        db.execute("DROP TABLE provider_state")
    second = ReputationCache(path, CacheTTLs())
    try:
        second.set_provider_state(ProviderState("greynoise", "unauthorized", 4e9))
        found = second.get_many("abuseipdb", ["81.2.69.17"])
    finally:
        second.close()

    assert found["81.2.69.17"].score == 5
    assert provider_states(path) == {"greynoise": ("unauthorized", 4e9)}
    assert "unexpected layout" not in caplog.text


def test_current_cache_layout_kept(tmp_path, caplog):
    path = tmp_path / "c.sqlite3"
    first = ReputationCache(path, CacheTTLs())
    first.put_many([ProviderAnswer("abuseipdb", "81.2.69.15", "ok", None, 4)])
    first.close()
    second = ReputationCache(path, CacheTTLs())
    try:
        found = second.get_many("abuseipdb", ["81.2.69.15"])
    finally:
        second.close()

    assert found["81.2.69.15"].score == 4
    assert "unexpected layout" not in caplog.text


def test_old_cache_layout_in_lookup(tmp_path):
    path = tmp_path / "cache.sqlite3"
    make_database(path, "CREATE TABLE answers (provider TEXT, address TEXT, verdict TEXT)")
    with FakeProvider("abuseipdb", KEY) as abuse:
        settings = make_settings(tmp_path, abuse)
        first = ReputationService(settings)
        try:
            results = first.lookup(["81.2.69.16"])
        finally:
            first.close()

    assert results["81.2.69.16"].status == "ok"
    assert first.problems == []
    assert [row[:3] for row in cached_rows(path)] == [("abuseipdb", "81.2.69.16", "ok")]


def test_foreign_database_left_untouched(tmp_path):
    path = tmp_path / "app.sqlite3"
    make_database(path, "CREATE TABLE users (name TEXT)", "INSERT INTO users VALUES ('ann')")
    with pytest.raises(CacheUnavailableError) as caught:
        ReputationCache(path, CacheTTLs())

    message = str(caught.value)
    assert f"cache file {path} contains tables that a reputation cache does not have" in message
    assert "(users)" in message
    assert "set cache_path to another file" in message
    with sqlite3.connect(str(path)) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master")]
        users = db.execute("SELECT name FROM users").fetchall()
    assert tables == ["users"]
    assert users == [("ann",)]


def test_non_database_file_named(tmp_path):
    path = tmp_path / "c.sqlite3"
    path.write_bytes(b"this is not a SQLite database" * 100)
    path.chmod(0o600)
    with pytest.raises(CacheUnavailableError) as caught:
        ReputationCache(path, CacheTTLs())

    assert f"cache file {path} is not a SQLite database" in str(caught.value)
    assert path.read_bytes().startswith(b"this is not")


def test_second_run_served_from_cache(tmp_path):
    addresses = [f"81.2.71.{n}" for n in range(1, 31)]
    with FakeProvider("abuseipdb", KEY) as abuse, FakeProvider("ismalicious") as ism:
        settings = make_settings(tmp_path, abuse, ism)
        for _ in range(2):
            service = ReputationService(settings)
            try:
                results = service.lookup(addresses)
            finally:
                service.close()
        assert len(abuse.requests) == len(addresses)
        assert len(ism.requests) == len(addresses)

    assert {r.status for r in results.values()} == {"ok"}
    assert len(cached_rows(settings.cache_path)) == 2 * len(addresses)


def test_processes_share_cache_file(tmp_path):
    addresses = [f"81.2.72.{n}" for n in range(1, 121)]
    with FakeProvider("abuseipdb", KEY, latency=0.005) as abuse, FakeProvider("ismalicious") as ism:
        section = settings_section(tmp_path, abuse, ism, max_concurrency="8")
        workers = [
            start_worker(tmp_path, f"w{i}", section, addresses[i * 20 : i * 20 + 60])
            for i in range(4)
        ]
        outputs = [finish_worker(worker)[0] for worker in workers]
        requests_after_workers = len(abuse.requests) + len(ism.requests)

        final, _ = finish_worker(start_worker(tmp_path, "final", section, addresses))
        assert len(abuse.requests) + len(ism.requests) == requests_after_workers

    for i, output in enumerate(outputs):
        assert sorted(output) == sorted(addresses[i * 20 : i * 20 + 60])
        assert {value[0] for value in output.values()} == {"ok"}
    assert {value[0] for value in final.values()} == {"ok"}
    with sqlite3.connect(str(tmp_path / "cache.sqlite3")) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    rows = cached_rows(tmp_path / "cache.sqlite3")
    assert len(rows) == 2 * len(addresses)
    for output in outputs:
        for address, (_, verdict, score, _) in output.items():
            assert final[address][1:3] == [verdict, score]


def test_breaker_shared_across_processes(tmp_path):
    with FakeProvider("abuseipdb", KEY) as abuse:
        abuse.set_default(json_answer(429, {"errors": []}, **{"Retry-After": "86400"}))
        section = settings_section(tmp_path, abuse, max_concurrency="1")
        first, _ = finish_worker(start_worker(tmp_path, "a", section, ["81.2.73.1", "81.2.73.2"]))
        assert len(abuse.requests) == 1

        abuse.set_default(None)
        second, stderr = finish_worker(start_worker(tmp_path, "b", section, ["81.2.73.3"]))
        assert len(abuse.requests) == 1

    assert first["81.2.73.1"][0] == "rate_limited"
    assert first["81.2.73.2"][0] == "rate_limited"
    assert second["81.2.73.3"][0] == "rate_limited"
    assert "stored by an earlier lookup" in stderr
    assert provider_states(tmp_path / "cache.sqlite3")["abuseipdb"][0] == "rate_limited"
    assert cached_rows(tmp_path / "cache.sqlite3") == []


def test_locked_database_is_waited_for(tmp_path):
    path = tmp_path / "c.sqlite3"
    cache = ReputationCache(path, CacheTTLs(), busy_timeout=2.0)
    holder = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO provider_state VALUES ('x', 'rate_limited', 0, 0)")

    import threading

    released = threading.Timer(0.3, lambda: holder.execute("COMMIT"))
    released.start()
    stored = cache.put_many([ProviderAnswer("abuseipdb", "81.2.69.14", "ok", None, 1)])
    released.join()
    holder.close()

    assert stored == 1
    assert list(cache.get_many("abuseipdb", ["81.2.69.14"])) == ["81.2.69.14"]
    cache.close()


def test_cache_locked_throughout_lookup(tmp_path, caplog):
    path = tmp_path / "cache.sqlite3"
    ReputationCache(path, CacheTTLs()).close()
    holder = sqlite3.connect(str(path), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with FakeProvider("abuseipdb", KEY) as abuse:
            settings = make_settings(tmp_path, abuse, time_budget="2")
            service = ReputationService(settings)
            try:
                results = service.lookup(["81.2.69.15", "81.2.69.16"])
            finally:
                service.close()
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    assert results["81.2.69.15"].status == "ok"
    assert results["81.2.69.16"].status == "ok"
    assert service.problems == []
    assert "cache write failed" in caplog.text
    assert "locked" in caplog.text
    assert cached_rows(path) == []


def test_breaker_kept_without_cache_file(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with FakeProvider("abuseipdb", KEY) as abuse:
        abuse.set_default(json_answer(429, {"errors": []}, **{"Retry-After": "3600"}))
        settings = make_settings(
            tmp_path, abuse, cache_path=str(blocker / "c.sqlite3"), max_concurrency="1"
        )
        service = ReputationService(settings)
        try:
            first = service.lookup(["81.2.69.17"])
            abuse.set_default(None)
            second = service.lookup(["81.2.69.18"])
        finally:
            service.close()
        assert len(abuse.requests) == 1

    assert first["81.2.69.17"].status == "rate_limited"
    assert second["81.2.69.18"].status == "rate_limited"


def test_concurrent_writers_lose_nothing(tmp_path):
    path = tmp_path / "cache.sqlite3"
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=hammer_cache, args=(str(path), worker, 40)) for worker in range(6)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)

    assert [worker.exitcode for worker in workers] == [0] * 6
    with sqlite3.connect(str(path)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert len(cached_rows(path)) == 6 * 40 * 20
    assert sorted(provider_states(path)) == [f"p{worker}" for worker in range(6)]
