"""Input and output records of ``llmjack enrich``: CSV or JSON Lines in, table, CSV or JSON out."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from llmjack_enrichment.errors import EnrichmentError

BOM = "\ufeff"
MULTIVALUE_SEPARATOR = "\n"


class InputFormatError(EnrichmentError):
    """An input file cannot be read as the requested format."""


@dataclass
class Record:
    """One input record: its columns in order, and the value of the address field."""

    columns: dict[str, Any]
    value: str
    problem: str = ""
    order: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)


def detect_format(text: str) -> str:
    """Return "jsonl" when the first non-blank character opens a JSON object, else "csv"."""
    stripped = text.lstrip()
    return "jsonl" if stripped.startswith("{") else "csv"


def read_records(text: str, input_format: str, field_name: str, source: str) -> list[Record]:
    """Parse the input; a bad line becomes a record with a problem, never an exception."""
    if text.startswith(BOM):
        text = text[len(BOM) :]
    if input_format == "auto":
        input_format = detect_format(text)
    if input_format == "jsonl":
        return list(_json_records(text, field_name, source))
    return _csv_records(text, field_name, source)


def raise_field_size_limit() -> None:
    """Let the csv module read cells of any size that fits in memory.

    Its default limit of 131,072 characters makes the reader raise on the first longer cell,
    which would lose every row of the input. Such a cell is still never an address.
    """
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def _describe_header(header: list[str]) -> str:
    """Return the header's columns for a message: printable, at most 200 characters.

    A binary or compressed file read as CSV has a "header" of arbitrary bytes, which would
    otherwise fill the terminal.
    """
    text = ", ".join(header)
    printable = "".join(char if char.isprintable() else "?" for char in text)
    return printable if len(printable) <= 200 else printable[:200] + "..."


def _csv_records(text: str, field_name: str, source: str) -> list[Record]:
    raise_field_size_limit()
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        return []
    if field_name not in header:
        raise InputFormatError(
            f"{source}: no column {field_name!r} in the header ({_describe_header(header)}); "
            "give a CSV file with a header row or a JSON Lines file"
        )
    position = header.index(field_name)
    records = []
    for row in reader:
        row = row + [""] * (len(header) - len(row))
        columns = {name: row[i] for i, name in enumerate(header)}
        records.append(Record(columns, row[position], order=list(header)))
    return records


def _json_records(text: str, field_name: str, source: str) -> Iterator[Record]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            document = json.loads(line)
        except ValueError as error:
            problem = f"error: {source} line {number} is not JSON ({error})"
            yield Record({"line": number}, "", problem)
            continue
        if not isinstance(document, dict):
            yield Record({"line": number}, "", f"error: {source} line {number} is not an object")
            continue
        yield Record(document, _field_value(document, field_name))


def _field_value(document: dict[str, Any], name: str) -> str:
    # A flat key ("source.ip") wins over the nested path (source -> ip).
    if name in document:
        value: Any = document[name]
    else:
        value = document
        for part in name.split("."):
            value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, list):
        # The classifier reads newline-separated values as a multivalue field.
        return MULTIVALUE_SEPARATOR.join("" if item is None else str(item) for item in value)
    return "" if value is None else str(value)


def write_records(output: TextIO, records: Sequence[Record], style: str) -> None:
    """Write records with their output fields as "table", "csv" or "json" (JSON Lines)."""
    if style == "json":
        for record in records:
            merged = {**record.columns, **record.fields}
            line = json.dumps(merged, ensure_ascii=False)
            if not _is_encodable(line):
                # Lone surrogates (undecodable input bytes, "\ud800" escapes) cannot be
                # written as UTF-8, so the line carries them as JSON escapes instead.
                line = json.dumps(merged)
            output.write(line + "\n")
        return

    names = _column_names(records)
    rows = []
    for record in records:
        merged = {**record.columns, **record.fields}
        rows.append([_text(merged.get(name)) for name in names])
    if style == "csv":
        writer = csv.writer(output, lineterminator="\n")
        writer.writerow(names)
        writer.writerows(rows)
        return
    _write_table(output, names, rows)


def _column_names(records: Sequence[Record]) -> list[str]:
    names: list[str] = []
    for record in records:
        for name in (record.order or list(record.columns)) + list(record.fields):
            if name not in names:
                names.append(name)
    return names


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    text = str(value)
    if not _is_encodable(text, "surrogateescape"):
        # Surrogates that surrogateescape cannot turn back into bytes ("\ud800" from JSON)
        # are shown as backslash escapes; undecodable input bytes are written back unchanged.
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _is_encodable(text: str, errors: str = "strict") -> bool:
    try:
        text.encode("utf-8", errors)
    except UnicodeEncodeError:
        return False
    return True


def _write_table(output: TextIO, names: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    # Columns that are empty in every row are left out, so the table fits a terminal.
    positions = [p for p in range(len(names)) if any(row[p] for row in rows)] or list(
        range(len(names))
    )
    widths = {p: max([len(names[p])] + [len(row[p]) for row in rows]) for p in positions}
    output.write("  ".join(names[p].ljust(widths[p]) for p in positions).rstrip() + "\n")
    for row in rows:
        output.write("  ".join(row[p].ljust(widths[p]) for p in positions).rstrip() + "\n")


def address_records(addresses: Sequence[str]) -> list[Record]:
    """Wrap command-line addresses as records with one column, ``address``."""
    return [Record({"address": value}, value, order=["address"]) for value in addresses]


def output_fields(verdict: Any | None, problem: str) -> dict[str, str]:
    """Return the output fields of a record: the verdict's, or empty ones with a problem."""
    from llmjack_enrichment.classify import OUTPUT_FIELDS

    if verdict is not None and not problem:
        return verdict.fields()
    fields = dict.fromkeys(OUTPUT_FIELDS, "")
    fields["ip_status"] = problem
    return fields
