"""The Splunk external lookup: CSV with a header on stdin, the same CSV enriched on stdout.

splunkd starts the script with the arguments of ``external_cmd`` (here: the input field name,
optionally followed by the output fields to fill, and ``--online``) and writes every input row
with the input column filled and the output columns empty. The script writes the header exactly
as received and one row per input row, with the input values unchanged. Columns are found by
name, so multivalue columns (``__mv_<field>``) pass through untouched. Bytes that are not
UTF-8 survive the round trip through ``surrogateescape`` and give that row an invalid status.
The process exits 0 after any error in the lookup, and diagnostics go to stderr.

NOTE: splunkd is expected to keep that stderr in the search job's search.log; this has not
been checked against a running Splunk instance.
"""

from __future__ import annotations

import csv
import gc
import io
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

from llmjack_enrichment.addresses import NUL_STAND_IN
from llmjack_enrichment.classify import OUTPUT_FIELDS, Verdict
from llmjack_enrichment.records import raise_field_size_limit

logger = logging.getLogger("llmjack_enrichment.lookup")

DEFAULT_INPUT_FIELD = "sourceIPAddress"
BOM = "\ufeff"
LOG_FORMAT = "llmjack_ip_reputation: %(levelname)s %(message)s"
USAGE = "usage: llmjack_ip_reputation.py [--online] [--config=FILE] INPUT_FIELD [OUTPUT_FIELD...]"


def main(
    argv: Sequence[str] | None = None,
    app_dir: Path | None = None,
    stdin: BinaryIO | None = None,
    stdout: BinaryIO | None = None,
) -> int:
    """Run the lookup over stdin and stdout; always returns 0."""
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format=LOG_FORMAT)
    arguments = list(sys.argv[1:] if argv is None else argv)
    source = io.TextIOWrapper(
        stdin or sys.stdin.buffer, encoding="utf-8", errors="surrogateescape", newline=""
    )
    sink = io.TextIOWrapper(
        stdout or sys.stdout.buffer, encoding="utf-8", errors="surrogateescape", newline=""
    )
    try:
        run(arguments, source, sink, app_dir)
    except Exception:
        # splunkd fails the whole search on a non-zero exit, so even a bug must end with 0.
        logger.exception("lookup failed; rows written so far are kept")
    finally:
        try:
            sink.flush()
        except OSError as error:
            logger.error("cannot write to stdout: %s", error)
        sink.detach()
    return 0


def _options(arguments: Sequence[str]) -> tuple[bool, Path | None, list[str]]:
    online = False
    config = None
    fields = []
    for argument in arguments:
        if argument == "--online":
            online = True
        elif argument.startswith("--config="):
            config = Path(argument[len("--config=") :])
        elif argument.startswith("--"):
            logger.warning("ignoring unknown option %s; %s", argument, USAGE)
        else:
            fields.append(argument)
    return online, config, fields


def run(
    arguments: Sequence[str], source: io.TextIOBase, sink: io.TextIOBase, app_dir: Path | None
) -> None:
    """Read every row, enrich the distinct input values, and write the rows back."""
    # Every row stays in memory until every value is classified. The cyclic garbage collector
    # would scan those rows again each time the run allocates more objects, which costs more
    # than the lookup itself, and the run creates no reference cycles that need it.
    collecting = gc.isenabled()
    gc.disable()
    try:
        _run(arguments, source, sink, app_dir)
    finally:
        if collecting:
            gc.enable()


def _run(
    arguments: Sequence[str], source: io.TextIOBase, sink: io.TextIOBase, app_dir: Path | None
) -> None:
    started = time.monotonic()
    online, config, fields = _options(arguments)
    text = source.read()
    if text.startswith(BOM):
        # A byte order mark is not part of the first column's name; it goes back out unchanged.
        text = text[len(BOM) :]
        sink.write(BOM)
    if "\x00" in text:
        # Python 3.9's csv module rejects NUL, so it travels as a stand-in and comes back.
        text = text.replace("\x00", NUL_STAND_IN)
        sink = _NulRestoringSink(sink)
    raise_field_size_limit()
    reader = csv.reader(io.StringIO(text, newline=""))
    writer = csv.writer(sink, lineterminator=line_terminator(text))
    header = next(reader, None)
    if header is None:
        logger.warning("no CSV header on stdin; nothing to do")
        return
    writer.writerow(header)
    rows = list(reader)
    _log_merged_lines(text, len(rows))

    input_name = fields[0] if fields else _guess_input(header)
    if input_name not in header:
        logger.error(
            "input field %r is not in the header %s; rows pass through", input_name, header
        )
        writer.writerows(rows)
        return
    position = header.index(input_name)
    outputs = _output_columns(header, position, fields[1:])

    verdicts = _classify(rows, position, len(header), online, config, app_dir)
    answers = {}
    for value, verdict in verdicts.items():
        fields = verdict.fields()
        answers[value] = [(column, fields[name]) for name, column in outputs]
    whole_rows = {column for _, column in outputs} | {position} == set(range(len(header)))
    if whole_rows and all(len(row) == len(header) for row in rows):
        sink.write(_render_whole_rows(rows, position, writer.dialect, answers))
    else:
        _fill_columns(rows, position, answers)
        writer.writerows(rows)
    elapsed = (time.monotonic() - started) * 1000
    logger.info("wrote %d rows in %.0f ms (online=%s)", len(rows), elapsed, online)


def line_terminator(text: str) -> str:
    """Return "\\n" for input without any carriage return, else "\\r\\n".

    The csv writer quotes a cell that contains "\\r" only when "\\r" is part of the line
    terminator, so input with a carriage return anywhere keeps CRLF to stay readable.
    """
    return "\r\n" if "\r" in text else "\n"


def _log_merged_lines(text: str, row_count: int) -> None:
    # A quoted cell may span lines in a Splunk multivalue cell. An unbalanced quote also merges
    # every following line into one row, so the log shows both counts.
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    if lines != row_count + 1:
        logger.warning(
            "read %d rows from %d lines: a quoted cell spans lines "
            "(a multivalue cell, or an unbalanced quote that merged rows)",
            row_count,
            lines,
        )


def _output_columns(
    header: Sequence[str], position: int, requested_names: Sequence[str]
) -> list[tuple[str, int]]:
    """Return (output field, column) pairs to fill: never the input column, never another."""
    requested = set(requested_names) or set(OUTPUT_FIELDS)
    missing = sorted(requested - set(header) - {header[position]})
    if missing and requested_names:
        logger.info("header lacks output fields %s; they are not written", ", ".join(missing))
    return [
        (name, header.index(name))
        for name in OUTPUT_FIELDS
        if name in header and name in requested and header.index(name) != position
    ]


class _NulRestoringSink:
    """A text sink that turns the NUL stand-in back into NUL on every write."""

    def __init__(self, sink: io.TextIOBase) -> None:
        self._sink = sink

    def write(self, text: str) -> int:
        return self._sink.write(text.replace(NUL_STAND_IN, "\x00"))


def _guess_input(header: Sequence[str]) -> str:
    if DEFAULT_INPUT_FIELD in header:
        return DEFAULT_INPUT_FIELD
    for name in header:
        if name not in OUTPUT_FIELDS and not name.startswith("__mv_"):
            return name
    return DEFAULT_INPUT_FIELD


def _classify(
    rows: list[list[str]],
    position: int,
    width: int,
    online: bool,
    config: Path | None,
    app_dir: Path | None,
) -> dict[str, Verdict]:
    """Pad short rows and classify the distinct non-empty input values."""
    from llmjack_enrichment.engine import Enricher

    for row in [row for row in rows if len(row) < width]:
        row.extend([""] * (width - len(row)))
    values = {row[position] for row in rows}
    values.discard("")
    try:
        enricher = Enricher.open(config, app_dir, online)
        try:
            return enricher.enrich(values)
        finally:
            enricher.close()
    except Exception:
        # Rows are written whatever happens, each with an error status, so no event is lost.
        logger.exception("classifying %d values failed", len(values))
        failed = Verdict("error", status="error: lookup failed, see the lookup log")
        return dict.fromkeys(values, failed)


def _render_whole_rows(
    rows: list[list[str]],
    position: int,
    dialect: Any,
    answers: dict[str, list[tuple[int, str]]],
) -> str:
    """Return the CSV text of all rows when every column but the input is an output.

    Such a row depends on its input value alone, so each distinct row is formatted once. Rows
    with an empty input are formatted as they are. Every row must have as many cells as the
    header, and every column but the input must be an output column.
    """
    width = len(rows[0]) if rows else 0
    buffer = io.StringIO()
    line_writer = csv.writer(buffer, dialect)

    def render(row: list[str]) -> str:
        buffer.seek(0)
        buffer.truncate()
        line_writer.writerow(row)
        return buffer.getvalue()

    lines = {}
    for value, answer in answers.items():
        row = [value] * width
        for column, text in answer:
            row[column] = text
        lines[value] = render(row)
    return "".join([lines.get(row[position]) or render(row) for row in rows])


def _fill_columns(
    rows: list[list[str]], position: int, answers: dict[str, list[tuple[int, str]]]
) -> None:
    """Write the output cells into rows that carry other columns beside the outputs."""
    for row in rows:
        answer = answers.get(row[position])
        if answer is not None:
            for column, text in answer:
                row[column] = text
