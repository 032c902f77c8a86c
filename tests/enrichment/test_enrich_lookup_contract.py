"""The Splunk external-lookup contract, run the way splunkd runs the entry script."""

from __future__ import annotations

import csv
import io
import os
import subprocess
from pathlib import Path

import pytest
from enrichment_helpers import ENTRY_SCRIPT

HEADER = [
    "sourceIPAddress",
    "ip_class",
    "ip_tags",
    "ip_provider",
    "ip_service",
    "ip_region",
    "ip_asn",
    "ip_status",
    "ip_rep_status",
]


def run_lookup(
    python: str, stdin: bytes, settings: Path | None, *arguments: str
) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LLMJACK_")}
    if settings is not None:
        environment["LLMJACK_ENRICH_CONFIG"] = str(settings)
    else:
        environment["LLMJACK_ENRICH_CONFIG"] = os.devnull
    command = [python, str(ENTRY_SCRIPT), *(arguments or ("sourceIPAddress",))]
    return subprocess.run(command, input=stdin, capture_output=True, env=environment, timeout=60)


def csv_bytes(header: list[str], values: list[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for value in values:
        writer.writerow([value] + [""] * (len(header) - 1))
    return buffer.getvalue().encode("utf-8")


def answer(result: subprocess.CompletedProcess) -> list[dict[str, str]]:
    assert result.returncode == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout.decode("utf-8"))))


def one(python: str, settings: Path, value: str) -> dict[str, str]:
    rows = answer(run_lookup(python, csv_bytes(HEADER, [value]), settings))
    assert len(rows) == 1
    assert rows[0]["sourceIPAddress"] == value
    return rows[0]


def test_header_echoed_and_rows_kept(python: str, settings_file: Path) -> None:
    values = ["8.8.8.8", "", "3.80.12.34", "private", "8.8.8.8"]
    result = run_lookup(python, csv_bytes(HEADER, values), settings_file)
    lines = result.stdout.decode("utf-8").splitlines()
    assert lines[0] == ",".join(HEADER)
    rows = answer(result)
    assert [row["sourceIPAddress"] for row in rows] == values


def test_leading_zero_invalid(python: str, settings_file: Path) -> None:
    row = one(python, settings_file, "035.249.253.232")
    assert row["ip_class"] == "invalid"
    assert row["ip_status"].startswith("invalid")


def test_masked_address(python: str, settings_file: Path) -> None:
    row = one(python, settings_file, "81.2.69.***")
    assert row["ip_class"] == "masked"
    assert row["ip_status"] == "masked"


@pytest.mark.parametrize("value", ["bedrock.amazonaws.com", "AWS Internal"])
def test_service_name(python: str, settings_file: Path, value: str) -> None:
    row = one(python, settings_file, value)
    assert row["ip_class"] == "service"
    assert row["ip_status"] == "service_name"


@pytest.mark.parametrize("value", ["private", "gce-internal-ip"])
def test_internal_marker(python: str, settings_file: Path, value: str) -> None:
    row = one(python, settings_file, value)
    assert row["ip_class"] == "internal"
    assert row["ip_status"] == "internal"


def test_ipv6_cloud_address(python: str, settings_file: Path) -> None:
    row = one(python, settings_file, "2600:1f18::1")
    assert row["ip_class"] == "cloud"
    assert row["ip_provider"] == "aws"
    assert row["ip_region"] == "us-east-1"


def test_ipv4_mapped_classified_as_ipv4(python: str, settings_file: Path) -> None:
    mapped = one(python, settings_file, "::ffff:3.80.12.34")
    plain = one(python, settings_file, "3.80.12.34")
    assert mapped["ip_service"] == "EC2"
    for name in HEADER[1:]:
        assert mapped[name] == plain[name], name


def test_undecodable_cell_gets_status(python: str, settings_file: Path) -> None:
    stdin = b"sourceIPAddress,ip_class,ip_status\n1.2.3.\xff,,\n3.80.12.34,,\n\xc3\x28,,\n"
    result = run_lookup(python, stdin, settings_file)
    assert result.returncode == 0
    lines = result.stdout.split(b"\n")
    assert lines[0] == b"sourceIPAddress,ip_class,ip_status"
    assert lines[1] == b"1.2.3.\xff,invalid,invalid: not valid UTF-8"
    assert lines[2] == b"3.80.12.34,cloud,ok"
    assert lines[3] == b"\xc3\x28,invalid,invalid: not valid UTF-8"


def test_multivalue_columns_not_shifted(python: str, settings_file: Path) -> None:
    header = ["__mv_sourceIPAddress", "sourceIPAddress", "ip_class", "__mv_ip_class", "ip_status"]
    stdin = (
        ",".join(header) + "\n$3.80.12.34$;$8.8.8.8$,3.80.12.34,,,\n,185.220.101.1,,,\n"
    ).encode()
    rows = answer(run_lookup(python, stdin, settings_file))
    assert rows[0]["__mv_sourceIPAddress"] == "$3.80.12.34$;$8.8.8.8$"
    assert rows[0]["ip_class"] == "cloud"
    assert rows[0]["__mv_ip_class"] == ""
    assert rows[1]["ip_class"] == "tor"
    assert rows[1]["ip_status"] == "ok"


def test_missing_output_field_keeps_header(python: str, settings_file: Path) -> None:
    stdin = b"sourceIPAddress,ip_class\n3.80.12.34,\n,\n"
    result = run_lookup(python, stdin, settings_file, "sourceIPAddress", "ip_class", "ip_region")
    assert result.stdout.decode().splitlines() == [
        "sourceIPAddress,ip_class",
        "3.80.12.34,cloud",
        ",",
    ]


def test_empty_input_passes_through(python: str, settings_file: Path) -> None:
    rows = answer(run_lookup(python, csv_bytes(HEADER, ["", " "]), settings_file))
    assert rows[0] == {name: "" for name in HEADER}
    assert rows[1]["sourceIPAddress"] == " "


@pytest.mark.parametrize(
    ("value", "expected"),
    [("240.0.0.1", "reserved"), ("100.64.1.1", "shared"), ("169.254.169.254", "link_local")],
)
def test_special_ranges_local(python: str, settings_file: Path, value: str, expected: str) -> None:
    row = one(python, settings_file, value)
    assert row["ip_class"] == expected
    assert row["ip_rep_status"] == "skipped"


def test_input_field_absent_passes_rows(python: str, settings_file: Path) -> None:
    stdin = b"clientip,ip_class\n3.80.12.34,\n"
    result = run_lookup(python, stdin, settings_file, "sourceIPAddress")
    assert result.returncode == 0
    assert result.stdout == stdin
    assert b"not in the header" in result.stderr


def test_other_input_field_name(python: str, settings_file: Path) -> None:
    stdin = b"clientip,ip_class\n185.220.101.1,\n"
    rows = answer(run_lookup(python, stdin, settings_file, "clientip"))
    assert rows == [{"clientip": "185.220.101.1", "ip_class": "tor"}]


def test_empty_stdin(python: str, settings_file: Path) -> None:
    result = run_lookup(python, b"", settings_file)
    assert result.returncode == 0
    assert result.stdout == b""


def test_no_index_answers_local_only(python: str, tmp_path: Path) -> None:
    settings = tmp_path / "llmjack_enrichment.conf"
    settings.write_text("[enrichment]\ndata_dir = data\n", encoding="utf-8")
    rows = answer(run_lookup(python, csv_bytes(HEADER, ["8.8.8.8", "10.0.0.1"]), settings))
    assert rows[0]["ip_class"] == "unknown"
    assert rows[0]["ip_status"] == "local_only: no feed index"
    assert rows[1]["ip_class"] == "private"
    assert rows[1]["ip_status"] == "ok"


def test_corrupt_index_answers_local_only(python: str, settings_file: Path) -> None:
    index = settings_file.parent / "data" / "llmjack-ip.idx"
    index.write_bytes(index.read_bytes()[:100])
    result = run_lookup(python, csv_bytes(HEADER, ["3.80.12.34"]), settings_file)
    rows = answer(result)
    assert rows[0]["ip_class"] == "unknown"
    assert rows[0]["ip_status"] == "local_only: feed index unusable"
    assert b"truncated" in result.stderr


def test_bad_settings_still_answers(python: str, tmp_path: Path) -> None:
    settings = tmp_path / "llmjack_enrichment.conf"
    settings.write_text("[enrichment]\ndownload_timeout = soon\n", encoding="utf-8")
    result = run_lookup(python, csv_bytes(HEADER, ["8.8.8.8", "100.64.1.1"]), settings)
    rows = answer(result)
    assert rows[0]["ip_status"] == "local_only: settings invalid"
    assert rows[1]["ip_class"] == "shared"
    assert b"download_timeout must be a positive, finite number" in result.stderr


def test_ragged_rows_are_padded(python: str, settings_file: Path) -> None:
    stdin = b"sourceIPAddress,ip_class,ip_status\n3.80.12.34\n"
    rows = answer(run_lookup(python, stdin, settings_file))
    assert rows == [{"sourceIPAddress": "3.80.12.34", "ip_class": "cloud", "ip_status": "ok"}]


def test_damaged_label_fails_rows_not_run(python: str, settings_file: Path) -> None:
    index = settings_file.parent / "data" / "llmjack-ip.idx"
    data = bytearray(index.read_bytes())
    # Remove a tab from every summary that mentions EC2 and spoil the matching labels too.
    for marker in (b'"EC2"', b"\tEC2\t"):
        start = 0
        while (start := data.find(marker, start)) >= 0:
            data[start] = ord("\x00")
            start += 1
    index.write_bytes(bytes(data))
    result = run_lookup(
        python, csv_bytes(HEADER, ["3.80.12.34", "185.220.101.1", "10.0.0.1"]), settings_file
    )
    rows = answer(result)
    assert len(rows) == 3
    assert rows[1]["ip_class"] == "tor"
    assert rows[2]["ip_class"] == "private"
    assert rows[0]["ip_class"] == "unknown"
    assert rows[0]["ip_status"] == "local_only: feed index damaged; run llmjack feeds compile"
    assert result.stderr.count(b"damaged summary") == 1


def test_nul_byte_cell(python: str, settings_file: Path) -> None:
    stdin = b"sourceIPAddress,ip_class,ip_status\n1.2.3.4\x00,,\n3.80.12.34,,\n"
    result = run_lookup(python, stdin, settings_file)
    lines = result.stdout.split(b"\n")
    assert lines[1] == b"1.2.3.4\x00,invalid,invalid: contains a NUL byte"
    assert lines[2] == b"3.80.12.34,cloud,ok"
