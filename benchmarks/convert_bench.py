"""Time ``llmjack convert`` against ``sigma convert`` on the bundled pack, for every target.

Each command runs as its own process, as a user runs it, so the times include interpreter start
and pySigma imports. Both tools convert the same rule files with the same pipelines: sigma-cli
uses the ``llmjack_*`` pipelines from ``sigma/pipelines/llmjack``. Usage::

    .venv/bin/python benchmarks/convert_bench.py [--repeats 5]

The script prints a Markdown table of median wall times in seconds.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TARGETS = {
    "splunk": "llmjack_splunk_cloudtrail",
    "lucene": "llmjack_elastic_cloudtrail",
    "esql": "llmjack_elastic_cloudtrail",
    "eql": "llmjack_elastic_cloudtrail",
}


def copy_pack(folder: Path) -> tuple[Path, Path]:
    """Copy the pack twice: with correlations in a subfolder and without correlations.

    sigma-cli converts rules in the order Path.glob lists them, and glob lists a folder's files
    before its subfolders', so the base rules of a correlation come first. sigma-cli stops at a
    correlation on Lucene even with --skip-unsupported, so Lucene gets the copy without them.
    """
    sys.path.insert(0, str(REPO_ROOT))
    from sigma_llmjack.pack import rule_files

    rules = folder / "rules"
    base_rules = folder / "base-rules"
    (rules / "correlations").mkdir(parents=True)
    base_rules.mkdir()
    for path in rule_files():
        if path.name.startswith("correlation_"):
            shutil.copy(path, rules / "correlations" / path.name)
        else:
            shutil.copy(path, rules / path.name)
            shutil.copy(path, base_rules / path.name)
    return rules, base_rules


def time_command(command: list[str], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, env=env, cwd=cwd, check=False)
    elapsed = time.perf_counter() - started
    if completed.returncode not in (0, 1) or not completed.stdout:
        raise RuntimeError(f"{' '.join(command)} failed: {completed.stderr.decode()[-500:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs per command (default 5)")
    arguments = parser.parse_args()

    # sigma-cli lists the sigma.pipelines namespace with pkgutil, which does not see modules that
    # an editable install serves through an import hook. The repository root on PYTHONPATH works.
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    with tempfile.TemporaryDirectory() as scratch:
        workdir = Path(scratch)
        rules, base_rules = copy_pack(workdir)
        rows = []
        for target, pipeline in TARGETS.items():
            ours = [str(BIN / "llmjack"), "convert", "-t", target, str(rules)]
            sigma_input = base_rules if target == "lucene" else rules
            theirs = [str(BIN / "sigma"), "convert", "-s", "-t", target, "-p", pipeline]
            theirs.append(str(sigma_input))
            ours_times, theirs_times = [], []
            for _ in range(arguments.repeats):
                ours_times.append(time_command(ours, env, workdir))
                theirs_times.append(time_command(theirs, env, workdir))
            rows.append((target, statistics.median(ours_times), statistics.median(theirs_times)))

    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {arguments.repeats} runs each, median seconds"
    )
    print()
    print("| target | llmjack convert | sigma convert | ratio |")
    print("|---|---|---|---|")
    for target, ours, theirs in rows:
        print(f"| {target} | {ours:.2f} | {theirs:.2f} | {ours / theirs:.2f} |")
    total_ours = sum(row[1] for row in rows)
    total_theirs = sum(row[2] for row in rows)
    print(f"| all four | {total_ours:.2f} | {total_theirs:.2f} | {total_ours / total_theirs:.2f} |")


if __name__ == "__main__":
    main()
