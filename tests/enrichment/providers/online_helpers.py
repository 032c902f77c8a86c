"""Helpers shared by the online reputation tests: settings and cache inspection."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from fake_services import PROXY_VARIABLES, FakeProvider

from llmjack_enrichment.reputation import OnlineSettings

WORKER = Path(__file__).with_name("lookup_worker.py")


def settings_section(tmp_path: Path, *servers: FakeProvider, **extra: str) -> dict[str, str]:
    section = {
        "providers": ", ".join(server.kind for server in servers),
        "cache_path": str(tmp_path / "cache.sqlite3"),
        "time_budget": "20",
        "max_concurrency": "4",
    }
    for server in servers:
        section[f"{server.kind}_url"] = server.url
    section.update(extra)
    return section


def make_settings(tmp_path: Path, *servers: FakeProvider, **extra: str) -> OnlineSettings:
    return OnlineSettings.from_mapping(settings_section(tmp_path, *servers, **extra), tmp_path)


def clear_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def cached_rows(cache_path: Path) -> list[tuple]:
    with sqlite3.connect(str(cache_path)) as db:
        return db.execute(
            "SELECT provider, address, status, verdict, score, stored_at, expires_at "
            "FROM answers ORDER BY provider, address"
        ).fetchall()


def provider_states(cache_path: Path) -> dict[str, tuple[str, float]]:
    with sqlite3.connect(str(cache_path)) as db:
        rows = db.execute("SELECT provider, status, until FROM provider_state").fetchall()
    return {provider: (status, until) for provider, status, until in rows}


def start_worker(tmp_path: Path, name: str, section: dict[str, str], addresses: list[str]):
    """Start a separate lookup process; keys reach it through the environment only."""
    job = tmp_path / f"{name}.json"
    job.write_text(
        json.dumps({"section": section, "base_dir": str(tmp_path), "addresses": addresses})
    )
    env = dict(os.environ)
    for variable in PROXY_VARIABLES:
        env.pop(variable, None)
    return subprocess.Popen(
        [sys.executable, str(WORKER), str(job)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )


def finish_worker(process: subprocess.Popen) -> tuple[dict[str, list], str]:
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    return json.loads(stdout), stderr


def hammer_cache(path: str, worker: int, rounds: int) -> None:
    """Write and read the cache file in many short transactions (a child process body)."""
    from llmjack_enrichment.cache import CacheTTLs, ProviderState, ReputationCache
    from llmjack_enrichment.providers.base import ProviderAnswer

    cache = ReputationCache(Path(path), CacheTTLs(), busy_timeout=5.0)
    for round_number in range(rounds):
        addresses = [f"81.{worker}.{round_number}.{n}" for n in range(1, 21)]
        cache.put_many(
            ProviderAnswer("abuseipdb", a, "ok", None, n) for n, a in enumerate(addresses)
        )
        assert len(cache.get_many("abuseipdb", addresses)) == len(addresses)
        cache.set_provider_state(ProviderState(f"p{worker}", "rate_limited", 4e9))
    cache.close()
