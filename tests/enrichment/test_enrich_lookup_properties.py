"""Property tests: any bytes in any cell give one output row per input row, same header."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmjack_enrichment.splunk_lookup import main

HEADER = ["sourceIPAddress", "ip_class", "ip_status", "host"]


def encode_row(cells: list[bytes]) -> bytes:
    quoted = []
    for cell in cells:
        quoted.append(b'"' + cell.replace(b'"', b'""') + b'"')
    return b",".join(quoted) + b"\r\n"


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("lookup")
    path = folder / "llmjack_enrichment.conf"
    path.write_text("[enrichment]\ndata_dir = data\n", encoding="utf-8")
    return path


def parse(output: bytes) -> list[list[bytes]]:
    """Parse the lookup's output CSV into byte cells (Python 3.9's csv rejects NUL)."""
    text = output.decode("utf-8", "surrogateescape").replace("\x00", "\udc00")
    rows = csv.reader(io.StringIO(text, newline=""))
    return [
        [cell.replace("\udc00", "\x00").encode("utf-8", "surrogateescape") for cell in row]
        for row in rows
    ]


def run(config: Path, stdin: bytes) -> bytes:
    stdout = io.BytesIO()
    arguments = [f"--config={config}", "sourceIPAddress"]
    assert main(arguments, None, io.BytesIO(stdin), stdout) == 0
    return stdout.getvalue()


cells = st.one_of(
    st.binary(max_size=40),
    st.sampled_from([b"035.249.253.232", b"81.2.69.***", b"::ffff:3.80.12.34", b"", b"private"]),
    st.ip_addresses().map(lambda address: str(address).encode()),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(cells, cells), min_size=0, max_size=12))
def test_one_output_row_per_input(config: Path, rows: list[tuple[bytes, bytes]]) -> None:
    stdin = encode_row([name.encode() for name in HEADER])
    for address, other in rows:
        stdin += encode_row([address, b"", b"", other])
    parsed = parse(run(config, stdin))

    assert parsed[0] == [name.encode() for name in HEADER]
    assert len(parsed) == len(rows) + 1
    for (address, other), row in zip(rows, parsed[1:]):  # noqa: B905 - lengths asserted
        assert len(row) == len(HEADER)
        assert row[0] == address
        assert row[3] == other
        if address.decode("utf-8", "surrogateescape").strip():
            assert row[1] != b""
            assert row[2] != b""


@settings(max_examples=100, deadline=None)
@given(st.lists(cells, min_size=0, max_size=12))
def test_whole_row_path_keeps_rows(config: Path, values: list[bytes]) -> None:
    header = ["ip_class", "sourceIPAddress", "ip_status"]
    stdin = encode_row([name.encode() for name in header])
    for value in values:
        stdin += encode_row([b"", value, b""])
    parsed = parse(run(config, stdin))

    assert parsed[0] == [name.encode() for name in header]
    assert len(parsed) == len(values) + 1
    for value, row in zip(values, parsed[1:]):  # noqa: B905 - lengths asserted
        assert row[1] == value
        assert (row[0] != b"") == bool(value.decode("utf-8", "surrogateescape").strip())
