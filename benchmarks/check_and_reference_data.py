#!/usr/bin/env python3
"""Time ``llmjack check``, ``llmjack rules`` and the first load of the shipped reference data.

Each measurement runs in a fresh Python process, because the reference data is loaded once per
process and the first load is what a CLI run pays. Prints the median of ``--runs`` runs of each.

Usage: ``.venv/bin/python benchmarks/check_and_reference_data.py [--runs N]``
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

# Each snippet prints the seconds it spent, measured inside the process after imports.
SNIPPETS = {
    "first ATT&CK access (use_bundled_reference_data + parse 18.1 bundle)": """
import time
from sigma.data import mitre_attack
from sigma_llmjack.offline import use_bundled_reference_data
start = time.perf_counter()
use_bundled_reference_data()
assert mitre_attack.mitre_attack_techniques["T1496.004"]
print(time.perf_counter() - start)
""",
    "check_rules on the bundled pack": """
import time
from sigma_llmjack.config import load_config
from sigma_llmjack.validation import check_rules
start = time.perf_counter()
report = check_rules([], load_config())
assert report.rules > 0
print(time.perf_counter() - start)
""",
    "build_catalogue on the bundled pack": """
import time
from sigma_llmjack.catalogue import build_catalogue
from sigma_llmjack.pack import load_collection
start = time.perf_counter()
entries = build_catalogue(load_collection())
assert entries
print(time.perf_counter() - start)
""",
}


def time_snippet(code: str) -> float:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return float(result.stdout.strip().splitlines()[-1])


def time_command(arguments: list[str]) -> float:
    code = (
        "import subprocess, sys, time\n"
        "start = time.perf_counter()\n"
        f"subprocess.run([sys.executable, '-m', 'sigma_llmjack', *{arguments!r}], "
        "stdout=subprocess.DEVNULL, check=True)\n"
        "print(time.perf_counter() - start)\n"
    )
    return time_snippet(code)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (default 5)")
    runs = parser.parse_args().runs

    measurements = {name: (time_snippet, code) for name, code in SNIPPETS.items()}
    measurements["llmjack check (whole process)"] = (time_command, ["check"])
    measurements["llmjack rules --format json (whole process)"] = (
        time_command,
        ["rules", "--format", "json"],
    )
    for name, (function, argument) in measurements.items():
        seconds = [function(argument) for _ in range(runs)]
        print(f"{name}: median {statistics.median(seconds) * 1000:.0f} ms over {runs} runs")


if __name__ == "__main__":
    main()
