"""Benchmark the offline Splunk lookup: index load, throughput against a CSV copy, start-up.

Usage: .venv/bin/python benchmarks/lookup_bench.py [--prefixes 500000] [--rows 100000]
       [--distinct 5000] [--repeat 5]

Everything is generated in a temporary folder: an index compiled from random IPv4 and IPv6
prefixes in several categories, and a lookup request CSV whose address column repeats a fixed
set of distinct addresses. Results are printed as Markdown table rows.
"""

from __future__ import annotations

import argparse
import csv
import io
import ipaddress
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "enrichment"))

from llmjack_enrichment.classify import OUTPUT_FIELDS, summarise  # noqa: E402
from llmjack_enrichment.index import FeedIndex, IndexEntry, compile_entries, label_text  # noqa: E402
from llmjack_enrichment.splunk_lookup import run  # noqa: E402

ENTRY_SCRIPT = REPO / "enrichment" / "bin" / "llmjack_ip_reputation.py"
CATEGORIES = ("cloud", "cloud", "cloud", "hosting", "vpn", "tor", "asn", "asn")


def random_entries(count: int, rng: random.Random) -> list[IndexEntry]:
    """Return ``count`` random prefixes: 90% IPv4 (/12 to /32), 10% IPv6 (/28 to /64)."""
    entries = []
    for number in range(count):
        category = rng.choice(CATEGORIES)
        label = {"category": category, "provider": f"p{number % 40}", "region": f"r{number % 25}"}
        if category == "asn":
            label = {
                "category": "asn",
                "asn": str(number % 60000),
                "as_org": f"AS org {number % 60000}",
            }
        if rng.random() < 0.9:
            length = rng.randint(12, 32)
            first = rng.getrandbits(32) >> (32 - length) << (32 - length)
            entries.append(IndexEntry(4, first, length, label_text(label)))
        else:
            length = rng.randint(28, 64)
            first = (0x2 << 125 | rng.getrandbits(125)) >> (128 - length) << (128 - length)
            entries.append(IndexEntry(6, first, length, label_text(label)))
    return entries


def request_csv(rows: int, distinct: int, rng: random.Random) -> bytes:
    """Return a lookup request: header with the output fields, ``rows`` rows, empty outputs."""
    addresses = []
    for _ in range(distinct):
        if rng.random() < 0.9:
            addresses.append(str(ipaddress.IPv4Address(rng.getrandbits(32))))
        else:
            addresses.append(str(ipaddress.IPv6Address(0x2 << 125 | rng.getrandbits(125))))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["sourceIPAddress", *OUTPUT_FIELDS])
    empty = [""] * len(OUTPUT_FIELDS)
    for _ in range(rows):
        writer.writerow([rng.choice(addresses), *empty])
    return buffer.getvalue().encode("utf-8")


def csv_copy(data: bytes) -> None:
    """Copy CSV with csv.reader and csv.writer, the floor any lookup pays."""
    source = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline="")
    sink = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="")
    csv.writer(sink).writerows(csv.reader(source))
    sink.flush()


def lookup(data: bytes, config: Path) -> None:
    """Run the lookup in this interpreter, including settings and index load."""
    source = io.TextIOWrapper(
        io.BytesIO(data), encoding="utf-8", errors="surrogateescape", newline=""
    )
    sink = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="surrogateescape", newline="")
    run([f"--config={config}", "sourceIPAddress"], source, sink, None)
    sink.flush()


def best_of(repeat: int, action: Callable[[], object]) -> float:
    """Return the shortest wall time of ``repeat`` calls, in seconds.

    The minimum is the figure least disturbed by other processes on a shared machine.
    """
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def process_time(command: list[str], stdin: bytes, repeat: int) -> float:
    """Return the shortest wall time of running a command to completion, in seconds."""
    return best_of(
        repeat, lambda: subprocess.run(command, input=stdin, capture_output=True, check=True)
    )


def main() -> None:
    """Generate the data, run the measurements and print Markdown table rows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefixes", type=int, default=500_000)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--distinct", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    rng = random.Random(20261204)

    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        config = data_dir / "llmjack_enrichment.conf"
        config.write_text(f"[enrichment]\ndata_dir = {data_dir}\n", encoding="utf-8")

        started = time.perf_counter()
        blob = compile_entries(random_entries(options.prefixes, rng), None, summarise)
        compile_seconds = time.perf_counter() - started
        index_path = data_dir / "llmjack-ip.idx"
        index_path.write_bytes(blob)
        index = FeedIndex.load(index_path)
        load = best_of(options.repeat * 4, lambda: FeedIndex.load(index_path))
        verified = best_of(options.repeat, lambda: FeedIndex.load(index_path, verify=True))

        request = request_csv(options.rows, options.distinct, rng)
        copy = best_of(options.repeat, lambda: csv_copy(request))
        enrich = best_of(options.repeat, lambda: lookup(request, config))

        one_row = request_csv(1, 1, rng)
        bare = process_time([sys.executable, "-c", "pass"], b"", options.repeat * 2)
        script = [sys.executable, str(ENTRY_SCRIPT), f"--config={config}", "sourceIPAddress"]
        startup = process_time(script, one_row, options.repeat * 2)

    print(
        f"| prefixes compiled | {options.prefixes:,} in {compile_seconds:.1f} s, "
        f"{index.interval_count:,} intervals, {len(blob) / 1e6:.1f} MB |"
    )
    print(f"| index load, mapped (best of {options.repeat * 4}) | {load * 1000:.2f} ms |")
    print(f"| index load with CRC-32 check | {verified * 1000:.1f} ms |")
    print(f"| csv copy of {options.rows:,} rows | {copy * 1000:.0f} ms |")
    rows = f"{options.rows:,} rows ({options.distinct:,} distinct)"
    print(f"| lookup of {rows} | {enrich * 1000:.0f} ms |")
    print(f"| lookup speed / copy speed | {copy / enrich:.2f} (goal >= 0.5) |")
    print(f"| python -c pass | {bare * 1000:.0f} ms |")
    print(
        f"| entry script, 1 row, index loaded | {startup * 1000:.0f} ms "
        f"(+{(startup - bare) * 1000:.0f} ms, goal <= 100 ms) |"
    )


if __name__ == "__main__":
    main()
