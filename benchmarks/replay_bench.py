"""Measure ``llmjack replay`` throughput against plain ``json`` parsing, and its peak memory.

For each size (50,000 and 200,000 records by default) the script writes a synthetic CloudTrail
S3 delivery file with ``cloudtrail_synth.py``, then runs in fresh subprocesses, several times:

- baseline: ``json.load`` of the whole file, the least work any reader must do;
- replay: the bundled rule pack with a site configuration that allows the generator's models and
  regions, through the same code path as ``llmjack replay`` (read, load into SQLite, evaluate).

It prints the best wall-clock and CPU time of each and their ratio, the split of replay time into
start-up (imports and rule conversion), loading and evaluating, the ratio without the start-up,
and the peak resident memory (``ru_maxrss``) of each subprocess. Replay passes each match on
and keeps only counts, as ``llmjack replay`` does when it writes matches as they are found. A
second, "quiet" file of the same size, where ordinary users only call inference APIs and few
records match, shows the memory that reading and loading take.

    .venv/bin/python benchmarks/replay_bench.py [--sizes 50000 200000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cloudtrail_synth import MODELS, REGIONS, write  # noqa: E402

SITE_CONFIG = {
    "placeholders": {
        "bedrock_expected_regions": REGIONS[:2],
        "bedrock_allowed_models": MODELS,
    }
}


def child_baseline(path: Path) -> dict[str, Any]:
    """Parse the file with json.load and return the timings."""
    wall, cpu = time.perf_counter(), time.process_time()
    with path.open("rb") as handle:
        document = json.load(handle)
    records = len(document["Records"])
    return {
        "wall": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
        "records": records,
    }


def child_replay(path: Path, config_path: Path) -> dict[str, Any]:
    """Replay the bundled pack on the file, as ``llmjack replay`` does, and return the timings."""
    wall, cpu = time.perf_counter(), time.process_time()
    from sigma_llmjack.config import load_config
    from sigma_llmjack.replay.compiler import compile_paths
    from sigma_llmjack.replay.database import EventStore
    from sigma_llmjack.replay.engine import evaluate, load_store, store_fields
    from sigma_llmjack.replay.logs import read_logs
    from sigma_llmjack.replay.results import ReplayResult

    pack = compile_paths([], load_config(config_path))
    result = ReplayResult()
    with EventStore(store_fields(pack)) as store:
        load_start = time.perf_counter()
        load_store(store, read_logs([path], result.skipped), result)
        evaluate_start = time.perf_counter()
        evaluate(store, pack, result, on_match=lambda match: None)
        end = time.perf_counter()
    return {
        "wall": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
        "load": evaluate_start - load_start,
        "evaluate": end - evaluate_start,
        "records": result.records,
        "matches": sum(result.match_counts.values()),
        "rules": result.rules_evaluated,
        "rule_errors": len(result.errors),
        "skipped": len(result.skipped),
    }


def run_child(mode: str, path: Path, config_path: Path) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", mode, str(path), str(config_path)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return min(runs, key=lambda run: run["wall"])


def measure(size: int, folder: Path, runs: int, config_path: Path) -> dict[str, Any]:
    """Time json.load and replay on the mixed file, and replay on the inference-only file."""
    path = folder / f"trail-{size}.json"
    quiet_path = folder / f"quiet-{size}.json"
    if not path.exists():
        write(path, size, "s3")
    if not quiet_path.exists():
        write(quiet_path, size, "s3", inference_only=True)
    baseline = best([run_child("baseline", path, config_path) for _ in range(runs)])
    replay = best([run_child("replay", path, config_path) for _ in range(runs)])
    quiet = best([run_child("replay", quiet_path, config_path) for _ in range(runs)])
    return {
        "size": size,
        "bytes": path.stat().st_size,
        "baseline": baseline,
        "replay": replay,
        "quiet": quiet,
    }


def report(rows: list[dict[str, Any]]) -> None:
    print(
        f"{'records':>8} {'MB':>5} {'json s':>7} {'replay s':>9} {'ratio':>6} {'CPU ratio':>9} "
        f"{'start s':>8} {'load s':>7} {'eval s':>7} {'ratio w/o start':>15} "
        f"{'json RSS':>9} {'replay RSS':>11} {'matches':>8} {'quiet RSS':>10} {'matches':>8}"
    )
    for row in rows:
        base, replay, quiet = row["baseline"], row["replay"], row["quiet"]
        work = replay["load"] + replay["evaluate"]
        print(
            f"{row['size']:>8} {row['bytes'] / 1e6:>5.0f} {base['wall']:>7.2f} "
            f"{replay['wall']:>9.2f} {replay['wall'] / base['wall']:>6.2f} "
            f"{replay['cpu'] / base['cpu']:>9.2f} {replay['wall'] - work:>8.2f} "
            f"{replay['load']:>7.2f} {replay['evaluate']:>7.2f} {work / base['wall']:>15.2f} "
            f"{base['maxrss_mb']:>7.0f}MB {replay['maxrss_mb']:>9.0f}MB {replay['matches']:>8} "
            f"{quiet['maxrss_mb']:>8.0f}MB {quiet['matches']:>8}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50_000, 200_000])
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement; best is kept")
    parser.add_argument("--folder", type=Path, help="where to keep generated files (temporary)")
    parser.add_argument(
        "--child", nargs=3, metavar=("MODE", "FILE", "CONFIG"), help=argparse.SUPPRESS
    )
    arguments = parser.parse_args()

    if arguments.child:
        mode, path, config_path = arguments.child
        if mode == "baseline":
            measured = child_baseline(Path(path))
        else:
            measured = child_replay(Path(path), Path(config_path))
        measured["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(measured))
        return

    with tempfile.TemporaryDirectory(prefix="llmjack-bench-") as scratch:
        folder = arguments.folder or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        config_path = folder / "site.yml"
        config_path.write_text(json.dumps(SITE_CONFIG))
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, files in {folder}")
        rows = [measure(size, folder, arguments.runs, config_path) for size in arguments.sizes]
        report(rows)
        print(json.dumps(rows, indent=1), file=sys.stderr)


if __name__ == "__main__":
    main()
