"""Read log records from files in the shapes users have them, without loading a file whole.

Recognised shapes, mixed freely in one run:

- CloudTrail S3 delivery ``{"Records": [...]}``, also several of them concatenated;
- a JSON array of records, compact or pretty-printed with spaces or tabs;
- JSON Lines, a single object, or several pretty-printed objects one after another;
- wrappers around a record: Panther test cases (``{"test_name": ..., "log": {...}}``),
  CloudWatch Logs Insights exports (``{"@message": "<record JSON>"}``), CloudWatch events
  (``{"message": "<record JSON>"}``, also inside ``{"events": [...]}``) and lines of a CloudWatch
  export to S3 (``2024-05-01T10:00:00.000Z {...}``);
- any of these gzip-compressed (recognised by its first bytes, whatever the file is called), with
  a UTF-8 or UTF-16 byte-order mark, or on standard input as ``-``.

Text is read in chunks and each value is decoded with ``json.JSONDecoder.raw_decode`` where it
starts, so a 2 GB ``{"Records": [...]}`` file never sits in memory. A malformed record is reported
with its file and line and skipped; reading continues at the next line that starts a record.
Bytes that are not valid UTF-8 are replaced by U+FFFD rather than failing the file.
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import sys
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sigma_llmjack.replay.results import Skipped, SourcedRecord
from sigma_llmjack.replay.scanner import JsonScanner, MalformedValue, ScanError

GZIP_MAGIC = b"\x1f\x8b"
STDIN_NAME = "-"
# Keys whose presence may mean a value wraps records rather than being one; see ``unwrap``.
WRAPPER_KEYS = frozenset({"Records", "events", "log", "@message", "message"})
_ABSENT = object()
# Python type name of a decoded JSON value -> its JSON name, for messages.
_JSON_KINDS = {"dict": "an object", "str": "a string", "int": "a number", "float": "a number"}
_JSON_KINDS |= {"bool": "a boolean", "null": "null"}


# Bytes read from the start of a file to tell JSON text from binary data.
SNIFF_BYTES = 4096
# First bytes of a text log after optional whitespace: an object, an array, or the time stamp
# of a CloudWatch export line.
_TEXT_STARTS = frozenset(b"{[0123456789")


class LogReadError(Exception):
    """A log file could not be opened or decoded at all."""


@dataclass(frozen=True)
class NotRecords:
    """A CloudTrail wrapper ``{"Records": ...}`` whose value is not a list of records."""

    reason: str


def read_logs(paths: Iterable[str | Path], skipped: list[Skipped]) -> Iterator[SourcedRecord]:
    """Yield the records of every file in turn; files that cannot be read are noted and passed."""
    for path in paths:
        name = str(path)
        try:
            yield from read_log(name, skipped)
        except LogReadError as error:
            skipped.append(Skipped(name, None, str(error), unreadable=True))


def read_log(path: str | Path, skipped: list[Skipped]) -> Iterator[SourcedRecord]:
    """Yield the records of one file and add each malformed record to ``skipped``.

    Raises LogReadError when the file cannot be opened or its gzip data is corrupt before the
    first record. Corruption found later ends the file with a note in ``skipped``, and the
    records read before it are kept.
    """
    name = str(path)
    raw, binary = _open_binary(name)
    text: IO[str] | None = None
    try:
        text = _text_stream(binary, name)
        scanner = JsonScanner(text)
        try:
            for value, line in _values(scanner, name, skipped):
                if type(value) is dict and WRAPPER_KEYS.isdisjoint(value.keys()):
                    yield SourcedRecord(value, name, line)
                    continue
                for record in unwrap(value):
                    if isinstance(record, NotRecords):
                        skipped.append(Skipped(name, line, record.reason))
                        continue
                    yield SourcedRecord(record, name, line)
        except (OSError, EOFError, zlib.error) as error:
            reason = f"reading stopped at line {scanner.line_at(scanner.pos)}: {_describe(error)}"
            skipped.append(Skipped(name, None, reason))
    finally:
        # Detached, the text layer cannot close standard input when it is collected.
        if text is not None:
            text.detach()
        if binary is not raw:
            binary.close()
        if raw is not sys.stdin.buffer:
            raw.close()


def _open_binary(name: str) -> tuple[IO[bytes], IO[bytes]]:
    """Return the opened file and the stream to read, which decompresses gzip data."""
    if name == STDIN_NAME:
        raw: IO[bytes] = sys.stdin.buffer
    else:
        path = Path(name)
        if path.is_dir():
            raise LogReadError("is a folder; pass the log files inside it")
        try:
            raw = path.open("rb")
        except FileNotFoundError as error:
            raise LogReadError("no such file") from error
        except OSError as error:
            raise LogReadError(f"cannot open: {error.strerror or error}") from error

    buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)
    try:
        head = buffered.peek(2)[:2]
    except OSError as error:
        if raw is not sys.stdin.buffer:
            raw.close()
        raise LogReadError(f"cannot read: {error.strerror or error}") from error
    if head == GZIP_MAGIC:
        return buffered, gzip.GzipFile(fileobj=buffered, mode="rb")  # type: ignore[return-value]
    return buffered, buffered


def _text_stream(binary: IO[bytes], name: str) -> IO[str]:
    try:
        head = binary.peek(SNIFF_BYTES)[:SNIFF_BYTES] if hasattr(binary, "peek") else b""
    except (OSError, EOFError, zlib.error) as error:
        raise LogReadError(f"cannot decompress: {_describe(error)}") from error
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
        if _looks_binary(head):
            raise LogReadError("is not JSON text (binary data); pass JSON or gzip-compressed JSON")
    return io.TextIOWrapper(binary, encoding=encoding, errors="replace", newline="")


def _looks_binary(head: bytes) -> bool:
    """Tell binary data from UTF-8 JSON text by the first bytes of a file.

    A NUL byte never occurs in UTF-8 JSON text. Bytes that are not UTF-8 count only when the text
    does not start like a log either, so a log with a few damaged bytes is still read.
    """
    if b"\x00" in head:
        return True
    text = head.removeprefix(codecs.BOM_UTF8)
    try:
        # The last few bytes may be a character cut by the sniffing window.
        text[:-4].decode("utf-8")
    except UnicodeDecodeError:
        stripped = text.lstrip(b" \t\r\n")
        return not stripped or stripped[0] not in _TEXT_STARTS
    return False


def _describe(error: BaseException) -> str:
    if isinstance(error, gzip.BadGzipFile | zlib.error):
        return f"gzip data is corrupt ({error})"
    if isinstance(error, EOFError):
        return "gzip data is truncated"
    return str(error)


def _values(scanner: JsonScanner, name: str, skipped: list[Skipped]) -> Iterator[tuple[Any, int]]:
    """Yield (value, line) for every top-level value, streaming into arrays and Records."""
    while True:
        try:
            yield from scanner.values()
            return
        except MalformedValue as error:
            skipped.append(Skipped(name, error.line, error.reason))
            scanner.recover(error)
        except ScanError as error:
            skipped.append(Skipped(name, error.line, error.reason))
            return


def unwrap(value: Any) -> Iterator[Any]:
    """Yield the log records a decoded value contains (itself, or what a wrapper holds).

    A ``{"Records": ...}`` wrapper whose value is not a list yields a NotRecords note instead.
    """
    if isinstance(value, list):
        for element in value:
            yield from unwrap(element)
        return
    if not isinstance(value, dict):
        yield value
        return

    records = value.get("Records", _ABSENT)
    if len(value) == 1 and records is not _ABSENT:
        if isinstance(records, list):
            yield from records
        else:
            kind = type(records).__name__ if records is not None else "null"
            yield NotRecords(f'"Records" is not a list (it is {_JSON_KINDS.get(kind, kind)})')
        return
    events = value.get("events")
    if isinstance(events, list) and all(isinstance(e, dict) and "message" in e for e in events):
        for event in events:
            yield from unwrap(event)
        return
    inner = _wrapped_record(value)
    yield inner if inner is not None else value


def _wrapped_record(value: dict[str, Any]) -> dict[str, Any] | None:
    log = value.get("log")
    if isinstance(log, dict) and ("test_name" in value or "log_type" in value):
        return log
    for key in ("@message", "message"):
        message = value.get(key)
        if isinstance(message, str) and message.lstrip().startswith("{"):
            if key == "message" and "eventName" in value:
                return None
            try:
                inner = json.loads(message)
            except ValueError:
                return None
            return inner if isinstance(inner, dict) else None
    return None
