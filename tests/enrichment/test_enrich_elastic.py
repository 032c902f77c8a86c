"""The Elasticsearch enrich export: source index, bulk documents, policy and pipeline."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

# The llmjack command needs click and pySigma, so these tests stay out of the Python 3.9 run.
pytestmark = pytest.mark.cli


def export(python: str, settings: Path, folder: Path) -> subprocess.CompletedProcess:
    environment = {**os.environ, "LLMJACK_ENRICH_CONFIG": str(settings)}
    command = [python, "-m", "sigma_llmjack", "feeds", "export-elastic", "-o", str(folder)]
    return subprocess.run(command, capture_output=True, text=True, env=environment, timeout=60)


def bulk_documents(folder: Path) -> list[tuple[dict, dict]]:
    lines = (folder / "bulk.ndjson").read_text(encoding="utf-8").splitlines()
    assert len(lines) % 2 == 0
    parsed = [json.loads(line) for line in lines]
    return list(zip(parsed[0::2], parsed[1::2], strict=True))


def test_export_files(python: str, settings_file: Path, tmp_path: Path) -> None:
    folder = tmp_path / "es"
    result = export(python, settings_file, folder)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in folder.iterdir()) == [
        "bulk.ndjson",
        "index.json",
        "pipeline.json",
        "policy.json",
    ]
    index = json.loads((folder / "index.json").read_text())
    assert index["mappings"]["properties"]["ip_range"] == {"type": "ip_range"}
    policy = json.loads((folder / "policy.json").read_text())
    assert policy["range"]["match_field"] == "ip_range"
    assert policy["range"]["indices"] == "llmjack-ip-reputation"
    assert "ip_class" in policy["range"]["enrich_fields"]
    pipeline = json.loads((folder / "pipeline.json").read_text())
    processor = pipeline["processors"][0]["enrich"]
    assert processor["field"] == "source.ip"
    assert processor["policy_name"] == "llmjack-ip-reputation"


def test_bulk_documents(python: str, settings_file: Path, tmp_path: Path) -> None:
    folder = tmp_path / "es"
    export(python, settings_file, folder)
    pairs = bulk_documents(folder)
    assert all(action == {"index": {"_index": "llmjack-ip-reputation"}} for action, _ in pairs)
    by_start = {document["ip_range"]["gte"]: document for _, document in pairs}
    ec2 = by_start["3.80.0.0"]
    assert ec2["ip_range"]["lte"] == "3.95.255.255"
    assert ec2["ip_class"] == "cloud"
    assert ec2["ip_service"] == "EC2"
    tor = by_start["185.220.101.1"]
    assert tor["ip_range"]["lte"] == "185.220.101.1"
    assert tor["ip_tags"] == ["tor"]
    assert by_start["2600:1f18::"]["ip_region"] == "us-east-1"
    assert all(document["ip_class"] for document in by_start.values())


def test_export_without_index(python: str, tmp_path: Path) -> None:
    settings = tmp_path / "llmjack_enrichment.conf"
    settings.write_text("[enrichment]\ndata_dir = data\n", encoding="utf-8")
    result = export(python, settings, tmp_path / "es")
    assert result.returncode == 2
    assert "no feed index" in result.stderr
