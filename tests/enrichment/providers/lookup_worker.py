"""Run one online lookup in its own process and print the results as JSON.

Usage: python lookup_worker.py JOB.json, where the job names the [online] settings,
the base folder and the addresses. Keys come from the environment.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

from llmjack_enrichment.reputation import OnlineSettings, ReputationService


def main() -> None:
    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    job = json.loads(Path(sys.argv[1]).read_text())
    settings = OnlineSettings.from_mapping(job["section"], Path(job["base_dir"]))
    service = ReputationService(settings)
    try:
        results = service.lookup(job["addresses"])
    finally:
        service.close()
    output = {
        address: [r.status, r.verdict, r.score, list(r.sources)] for address, r in results.items()
    }
    json.dump(output, sys.stdout)


if __name__ == "__main__":
    main()
