"""Benchmark the online reputation lookup against local stand-in providers.

Each provider is a stand-in service (tests/enrichment/providers/fake_services.py) in its
own process on 127.0.0.1 that waits ``--latency`` seconds before every response. The
first run looks up ``--addresses`` uncached public addresses; the second run, in a new
ReputationService with an empty in-memory cache, must be served from the SQLite cache.

Usage: .venv/bin/python benchmarks/online_bench.py [--addresses 1000] [--latency 0.05]
       [--budget 10] [--concurrency 16] [--providers abuseipdb]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "enrichment" / "providers"))

KEY = "benchmark-key-not-secret"


def serve(kind: str, latency: float, commands, replies) -> None:
    """Run one stand-in provider; reply to "count" with its request count until "stop"."""
    from fake_services import FakeProvider

    with FakeProvider(kind, KEY, latency=latency) as provider:
        replies.put(provider.url)
        while commands.get() == "count":
            replies.put(len(provider.requests))


def request_count(channels) -> int:
    total = 0
    for commands, replies in channels:
        commands.put("count")
        total += replies.get(timeout=30)
    return total


def public_addresses(count: int) -> list[str]:
    """Return ``count`` distinct globally routable IPv4 addresses (in 81.0.0.0/8)."""
    return [f"81.{1 + i // 62500}.{(i // 250) % 250 + 1}.{i % 250 + 1}" for i in range(count)]


def run_once(settings, addresses: list[str]) -> tuple[float, Counter]:
    from llmjack_enrichment.reputation import ReputationService

    service = ReputationService(settings)
    try:
        started = time.perf_counter()
        results = service.lookup(addresses)
        elapsed = time.perf_counter() - started
    finally:
        service.close()
    return elapsed, Counter(result.status for result in results.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--addresses", type=int, default=1000)
    parser.add_argument(
        "--latency", type=float, default=0.05, help="delay before each response, in seconds"
    )
    parser.add_argument(
        "--budget", type=float, default=10.0, help="time budget of each run, in seconds"
    )
    parser.add_argument(
        "--concurrency", type=int, default=16, help="max_concurrency: requests per provider"
    )
    parser.add_argument("--providers", default="abuseipdb", help="comma-separated provider names")
    args = parser.parse_args()
    kinds = [name.strip() for name in args.providers.split(",") if name.strip()]

    from llmjack_enrichment.reputation import OnlineSettings

    context = multiprocessing.get_context("spawn")
    channels = [(context.Queue(), context.Queue()) for _ in kinds]
    servers = [
        context.Process(target=serve, args=(kind, args.latency, *channel))
        for kind, channel in zip(kinds, channels, strict=True)
    ]
    for server in servers:
        server.start()
    section = {"providers": ",".join(kinds)}
    for kind, (_, replies) in zip(kinds, channels, strict=True):
        section[f"{kind}_url"] = replies.get(timeout=30)
        os.environ[f"LLMJACK_{kind.upper()}_KEY"] = KEY

    addresses = public_addresses(args.addresses)
    with tempfile.TemporaryDirectory() as folder:
        section.update(
            time_budget=str(args.budget),
            max_concurrency=str(args.concurrency),
            cache_path=str(Path(folder) / "cache.sqlite3"),
        )
        settings = OnlineSettings.from_mapping(section, Path(folder))
        first_time, first = run_once(settings, addresses)
        first_requests = request_count(channels)
        second_time, second = run_once(settings, addresses)
        second_requests = request_count(channels) - first_requests

    for commands, _ in channels:
        commands.put("stop")
    for server in servers:
        server.join()

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(
        f"providers: {', '.join(kinds)}; latency {args.latency * 1000:.0f} ms per request; "
        f"budget {args.budget:g} s; max_concurrency {args.concurrency} per provider"
    )
    print(f"addresses: {len(addresses)}")
    print(
        f"first run (uncached): {first_time:.2f} s, {first_requests} requests, "
        f"statuses {dict(first)}"
    )
    print(
        f"second run (cached):  {second_time:.3f} s, {second_requests} requests, "
        f"statuses {dict(second)}"
    )


if __name__ == "__main__":
    main()
