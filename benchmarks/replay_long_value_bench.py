"""Time reading one record with a very long string field, against ``json.loads`` of the text.

The record is a CloudTrail InvokeModel call whose ``requestParameters.prompt`` holds the given
number of MiB of text. Replay's reader decodes in a window that grows while a value is cut off,
so its time should stay a small multiple of ``json.loads``.

    .venv/bin/python benchmarks/replay_long_value_bench.py [--mib 5 20 50]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from sigma_llmjack.replay.logs import read_logs


def measure(mib: int, folder: Path) -> tuple[float, float]:
    """Return the seconds of json.loads and of replay's reader for one record of ``mib`` MiB."""
    record = {
        "eventTime": "2024-05-01T10:00:00Z",
        "eventName": "InvokeModel",
        "requestParameters": {"prompt": "x" * (mib << 20)},
    }
    text = json.dumps(record) + "\n" + json.dumps({"eventName": "ListFoundationModels"}) + "\n"
    path = folder / f"long-{mib}.jsonl"
    path.write_text(text)

    start = time.perf_counter()
    for line in path.read_text().splitlines():
        json.loads(line)
    baseline = time.perf_counter() - start

    start = time.perf_counter()
    skipped: list = []
    records = sum(1 for _ in read_logs([path], skipped))
    reader = time.perf_counter() - start
    assert records == 2 and not skipped, (records, skipped)
    return baseline, reader


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, nargs="+", default=[5, 20, 50])
    arguments = parser.parse_args()
    print(f"{'MiB':>4}  {'json.loads s':>12}  {'replay reader s':>15}")
    with tempfile.TemporaryDirectory() as folder:
        for mib in arguments.mib:
            baseline, reader = measure(mib, Path(folder))
            print(f"{mib:>4}  {baseline:>12.2f}  {reader:>15.2f}")


if __name__ == "__main__":
    main()
