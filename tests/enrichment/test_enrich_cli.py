"""``llmjack enrich`` and ``llmjack feeds`` through the console entry point."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import subprocess
from pathlib import Path

import pytest

# The llmjack command needs click and pySigma, so these tests stay out of the Python 3.9 run.
pytestmark = pytest.mark.cli


def llmjack(
    python: str, settings: Path, *arguments: str, stdin: str = ""
) -> subprocess.CompletedProcess:
    environment = {**os.environ, "LLMJACK_ENRICH_CONFIG": str(settings)}
    command = [python, "-m", "sigma_llmjack", *arguments]
    return subprocess.run(
        command, input=stdin, capture_output=True, text=True, env=environment, timeout=60
    )


def test_enrich_addresses_csv(python: str, settings_file: Path) -> None:
    result = llmjack(python, settings_file, "enrich", "--format", "csv", "3.80.12.34", "035.1.1.1")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows[0]["address"] == "3.80.12.34"
    assert rows[0]["ip_class"] == "cloud"
    assert rows[0]["ip_service"] == "EC2"
    assert rows[1]["ip_class"] == "invalid"


def test_enrich_table(python: str, settings_file: Path) -> None:
    result = llmjack(python, settings_file, "enrich", "185.220.101.1")
    lines = result.stdout.splitlines()
    assert lines[0].split()[:2] == ["address", "ip_class"]
    assert lines[1].split()[:2] == ["185.220.101.1", "tor"]


def test_enrich_csv_file_field(python: str, settings_file: Path, tmp_path: Path) -> None:
    source = tmp_path / "events.csv"
    source.write_text("time,src\n1,51.68.1.1\n2,\n3,gce-internal-ip\n", encoding="utf-8")
    result = llmjack(
        python, settings_file, "enrich", "--field", "src", "--format", "csv", str(source)
    )
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["time"] for row in rows] == ["1", "2", "3"]
    assert rows[0]["ip_class"] == "hosting"
    assert rows[0]["ip_as_org"] == "OVH SAS"
    assert rows[1]["ip_class"] == ""
    assert rows[2]["ip_class"] == "internal"


def test_enrich_jsonl_stdin(python: str, settings_file: Path) -> None:
    stdin = '{"source": {"ip": "2600:1f18::1"}}\n{"broken\n{"source": {"ip": "8.8.8.8"}}\n'
    result = llmjack(
        python,
        settings_file,
        "enrich",
        "--field",
        "source.ip",
        "--format",
        "json",
        "-",
        stdin=stdin,
    )
    assert result.returncode == 0, result.stderr
    documents = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(documents) == 3
    assert documents[0]["source"] == {"ip": "2600:1f18::1"}
    assert documents[0]["ip_class"] == "cloud"
    assert documents[1]["ip_status"].startswith("error: - line 2 is not JSON")
    assert documents[2]["ip_class"] == "unknown"
    assert documents[2]["ip_rep_status"] == "offline"


def test_enrich_missing_column(python: str, settings_file: Path, tmp_path: Path) -> None:
    source = tmp_path / "events.csv"
    source.write_text("time,src\n1,8.8.8.8\n", encoding="utf-8")
    result = llmjack(python, settings_file, "enrich", "--field", "source_ip", str(source))
    assert result.returncode == 2
    assert "no column 'source_ip'" in result.stderr
    assert "Traceback" not in result.stderr


def test_enrich_binary_file_message_short(python: str, settings_file: Path, tmp_path: Path) -> None:
    source = tmp_path / "events.json.gz"
    source.write_bytes(gzip.compress(b'{"sourceIPAddress": "8.8.8.8"}\n' * 2000))
    result = llmjack(python, settings_file, "enrich", "--field", "sourceIPAddress", str(source))
    assert result.returncode == 2
    assert "no column 'sourceIPAddress'" in result.stderr
    assert len(result.stderr) < 600
    assert r"\udc" not in result.stderr


def test_enrich_missing_file(python: str, settings_file: Path, tmp_path: Path) -> None:
    result = llmjack(
        python, settings_file, "enrich", "--field", "src", str(tmp_path / "absent.csv")
    )
    assert result.returncode == 2
    assert "cannot read" in result.stderr


def test_enrich_without_arguments(python: str, settings_file: Path) -> None:
    result = llmjack(python, settings_file, "enrich")
    assert result.returncode == 2
    assert "give at least one ADDRESS" in result.stderr


def test_feeds_status(python: str, settings_file: Path) -> None:
    result = llmjack(python, settings_file, "feeds", "status")
    assert result.returncode == 0, result.stderr
    tor_line = next(line for line in result.stdout.splitlines() if line.startswith("tor "))
    assert tor_line.split()[4] == "5"
    assert "intervals" in result.stdout.splitlines()[-1]


def test_feeds_compile_reports_bad_feed(python: str, settings_file: Path) -> None:
    feed = settings_file.parent / "data" / "feeds" / "vpn-exits.txt"
    feed.write_text("not a prefix\n", encoding="utf-8")
    result = llmjack(python, settings_file, "feeds", "compile")
    assert result.returncode == 2, result.stderr
    assert "vpn: left out:" in result.stdout
    assert (result.stdout + result.stderr).count("line 1") == 1
    assert "tor: 5 entries" in result.stdout
    assert "feeds left out of the index: vpn" in result.stderr
    assert (settings_file.parent / "data" / "llmjack-ip.idx").is_file()


def test_feeds_compile_without_feed_files(python: str, settings_file: Path) -> None:
    for feed in (settings_file.parent / "data" / "feeds").iterdir():
        feed.unlink()
    result = llmjack(python, settings_file, "feeds", "compile")
    assert result.returncode == 2
    assert "index is empty" in result.stderr
    assert "llmjack feeds update" in result.stderr


def test_bad_settings_message(python: str, tmp_path: Path) -> None:
    settings = tmp_path / "bad.conf"
    settings.write_text("[feed:x]\nformat = yaml\n", encoding="utf-8")
    result = llmjack(python, settings, "feeds", "status")
    assert result.returncode == 2
    assert "section [feed:x]: format 'yaml' is not one of" in result.stdout
    assert "invalid feed settings: x" in result.stderr or "missing or damaged" in result.stderr
    assert "Traceback" not in result.stderr


def run_bytes(
    python: str, settings: Path, *arguments: bytes, stdin: bytes = b""
) -> subprocess.CompletedProcess:
    environment = {**os.environ, "LLMJACK_ENRICH_CONFIG": str(settings)}
    command = [python.encode(), b"-m", b"sigma_llmjack", *arguments]
    return subprocess.run(command, input=stdin, capture_output=True, env=environment, timeout=60)


@pytest.mark.parametrize("style", [b"table", b"csv", b"json"])
def test_enrich_undecodable_argument(python: str, settings_file: Path, style: bytes) -> None:
    result = run_bytes(python, settings_file, b"enrich", b"--format", style, b"\xff1.2.3.4")
    assert result.returncode == 0, result.stderr
    assert b"Traceback" not in result.stderr
    assert b"invalid: not valid UTF-8" in result.stdout
    if style != b"json":
        assert b"\xff1.2.3.4" in result.stdout


def test_enrich_undecodable_csv_cell(python: str, settings_file: Path, tmp_path: Path) -> None:
    source = tmp_path / "events.csv"
    source.write_bytes(b"src\n\xff\xfe\n8.8.8.8\n")
    result = run_bytes(
        python, settings_file, b"enrich", b"--field", b"src", b"--format", b"json", bytes(source)
    )
    assert result.returncode == 0, result.stderr
    documents = [json.loads(line) for line in result.stdout.splitlines()]
    assert documents[0]["ip_status"] == "invalid: not valid UTF-8"
    assert documents[1]["ip_class"] == "unknown"


def test_enrich_lone_surrogate_json(python: str, settings_file: Path) -> None:
    stdin = b'{"source":{"ip":"\\ud800"}}\n'
    for style in (b"json", b"table", b"csv"):
        result = run_bytes(
            python,
            settings_file,
            b"enrich",
            b"--field",
            b"source.ip",
            b"--format",
            style,
            b"-",
            stdin=stdin,
        )
        assert result.returncode == 0, result.stderr
        assert b"invalid: not valid UTF-8" in result.stdout


def test_enrich_empty_input(python: str, settings_file: Path, tmp_path: Path) -> None:
    source = tmp_path / "empty.csv"
    source.write_bytes(b"")
    result = llmjack(python, settings_file, "enrich", "--field", "src", str(source))
    assert result.returncode == 0
    assert result.stdout == ""
    assert "no records" in result.stderr


def test_enrich_null_field_blank(python: str, settings_file: Path) -> None:
    stdin = '{"source":{"ip":null}}\n{"other":1}\n'
    result = llmjack(
        python,
        settings_file,
        "enrich",
        "--field",
        "source.ip",
        "--format",
        "json",
        "-",
        stdin=stdin,
    )
    documents = [json.loads(line) for line in result.stdout.splitlines()]
    assert [document["ip_status"] for document in documents] == ["", ""]
    assert [document["ip_rep_status"] for document in documents] == ["", ""]


def test_enrich_messages_are_plain(python: str, tmp_path: Path) -> None:
    settings = tmp_path / "empty.conf"
    settings.write_text(f"[enrichment]\ndata_dir = {tmp_path / 'none'}\n", encoding="utf-8")
    result = llmjack(python, settings, "enrich", "8.8.8.8")
    assert result.returncode == 0
    assert "llmjack: warning: no feed index at" in result.stderr
    assert "llmjack_enrichment." not in result.stderr


def test_feeds_status_damaged_index(python: str, settings_file: Path) -> None:
    index = settings_file.parent / "data" / "llmjack-ip.idx"
    index.write_bytes(index.read_bytes()[:-7])
    result = llmjack(python, settings_file, "feeds", "status")
    assert result.returncode == 2
    assert "truncated" in result.stdout
    assert "tor " in result.stdout
    assert "missing or damaged" in result.stderr


def test_export_checks_index_checksum(python: str, settings_file: Path, tmp_path: Path) -> None:
    index = settings_file.parent / "data" / "llmjack-ip.idx"
    data = bytearray(index.read_bytes())
    data[-3] ^= 0xFF
    index.write_bytes(bytes(data))
    result = llmjack(python, settings_file, "feeds", "export-elastic", "-o", str(tmp_path / "es"))
    assert result.returncode == 2
    assert "checksum mismatch" in result.stderr
    assert "llmjack feeds compile" in result.stderr
    assert not (tmp_path / "es" / "bulk.ndjson").exists()


def test_export_unwritable_folder(python: str, settings_file: Path) -> None:
    result = llmjack(python, settings_file, "feeds", "export-elastic", "-o", "/proc/llmjack-x")
    assert result.returncode == 2
    assert "cannot write to /proc/llmjack-x" in result.stderr
    assert "Traceback" not in result.stderr
