"""Time the pack's correlation rules on one large group: every event from one access key.

Events are one second apart, so an hour-long window holds up to 3,600 of them. The script runs
the bundled correlation rules twice on the same records: with replay's sliding windows and with
the sqlite backend's own correlation SQL, which measures every window with a subquery. The
backend run is skipped above ``--backend-max`` events because it grows with the square.

    .venv/bin/python benchmarks/replay_correlation_bench.py [--sizes 5000 20000 100000]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from sigma_llmjack.config import load_config
from sigma_llmjack.replay import replay_records
from sigma_llmjack.replay.compiler import compile_paths
from sigma_llmjack.replay.results import SourcedRecord

REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"]


def record(index: int) -> dict[str, Any]:
    """Return one Bedrock call of the single access key, ``index`` seconds after 10:00."""
    hours, rest = divmod(index, 3600)
    minutes, seconds = divmod(rest, 60)
    name = "ListFoundationModels" if index % 100 == 0 else "InvokeModel"
    return {
        "eventSource": "bedrock.amazonaws.com",
        "eventName": name,
        "eventTime": f"2024-05-{1 + hours // 24:02d}T{hours % 24:02d}:{minutes:02d}:{seconds:02d}Z",
        "awsRegion": REGIONS[index % len(REGIONS)],
        "errorCode": "AccessDenied" if index % 7 == 0 else None,
        "userIdentity": {"arn": "arn:aws:iam::111122223333:user/ci", "accessKeyId": "AKIAONE"},
    }


def timed(size: int, sliding: bool) -> tuple[float, int]:
    """Replay the correlation rules of the pack on ``size`` records; return seconds and matches."""
    pack = compile_paths([], load_config())
    pack.rules = [rule for rule in pack.rules if rule.correlation]
    if not sliding:
        for rule in pack.rules:
            rule.windows = None
    records = (SourcedRecord(record(index), None, index + 1) for index in range(size))
    start = time.perf_counter()
    result = replay_records(records, pack=pack)
    return time.perf_counter() - start, len(result.matches)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 20000, 100000])
    parser.add_argument("--backend-max", type=int, default=20000)
    arguments = parser.parse_args()
    print(f"{'events':>8}  {'sliding s':>9}  {'backend s':>9}  matches")
    for size in arguments.sizes:
        sliding, matches = timed(size, sliding=True)
        backend = "-"
        if size <= arguments.backend_max:
            seconds, backend_matches = timed(size, sliding=False)
            backend = f"{seconds:.2f}"
            assert backend_matches == matches, (backend_matches, matches)
        print(f"{size:>8}  {sliding:>9.2f}  {backend:>9}  {matches}")


if __name__ == "__main__":
    main()
