"""Decode a stream of JSON text value by value, keeping only a window of it in memory.

The scanner reads text in chunks and decodes each value with ``json.JSONDecoder.raw_decode`` at
the position where it starts. Top-level arrays and the CloudTrail ``{"Records": [...]}`` wrapper
are entered rather than decoded whole, so their elements come out one at a time.

Telling a value cut off at the end of the window from a malformed one: ``raw_decode`` reports an
error within a few characters of the end of the text for a cut value, or an unterminated string.
Then the window grows and decoding is retried; any other error is a malformed value. After a
malformed value, decoding resumes at the next line that starts a value at the same indentation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import IO, Any

# Text is read in chunks of this many characters. When a gzip stream turns out truncated, the
# chunk being read is lost, so records up to one chunk before the cut are kept.
CHUNK_CHARS = 1 << 16
# A value larger than this is reported as malformed instead of growing the window further.
MAX_VALUE_CHARS = 64 << 20
# An error this close to the end of the window may be a value cut off by the window.
_CUT_SLACK = 16

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_WHITESPACE_CHARS = frozenset(" \t\n\r")
_RECORDS_PREFIX = re.compile(r'\{[ \t\n\r]*"Records"[ \t\n\r]*:[ \t\n\r]*\[')
# "2024-05-01T10:00:00.000Z {...}": a line of a CloudWatch Logs export to S3.
_LINE_PREFIX = re.compile(r"[^\s{\[\]},\"]\S* (?=\{)")
# Start of the next top-level value after a malformed one: a line beginning with "{" or "[",
# or with a CloudWatch export time stamp followed by "{".
_TOP_LEVEL_START = re.compile(r"\n(?=[{\[]|[^\s{\[\]},\"]\S* \{)")


class ScanError(Exception):
    """The text cannot be read any further (for example an array that is never closed)."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


class MalformedValue(ScanError):
    """One value is not valid JSON; the scanner can resume after it."""

    def __init__(self, line: int, reason: str, start: int) -> None:
        super().__init__(line, reason)
        self.start = start


class JsonScanner:
    """Yield the values of a JSON text stream, entering top-level arrays and Records wrappers."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.buffer = ""
        self.pos = 0
        self.eof = False
        self._decoder = json.JSONDecoder()
        self._line_pos = 0
        self._line = 1
        # State of the array being streamed, if any.
        self._in_array = False
        self._close_object = False
        self._expect_comma = False
        self._element_start: re.Pattern[str] | None = None
        self._element_index = 0

    # Reading and positions

    def _fill(self, size: int = CHUNK_CHARS) -> bool:
        chunk = self.stream.read(size)
        if not chunk:
            self.eof = True
            return False
        if self.pos > CHUNK_CHARS:
            self.line_at(self.pos)
            self.buffer = self.buffer[self.pos :]
            self._line_pos -= self.pos
            self.pos = 0
        self.buffer += chunk
        return True

    def line_at(self, pos: int) -> int:
        """Return the 1-based line number of buffer position ``pos`` (not before the last one)."""
        if pos > self._line_pos:
            self._line += self.buffer.count("\n", self._line_pos, pos)
            self._line_pos = pos
        return self._line

    def _peek(self) -> str | None:
        if self.pos < len(self.buffer):
            char = self.buffer[self.pos]
            if char not in _WHITESPACE_CHARS:
                return char
        while True:
            self.pos = _WHITESPACE.match(self.buffer, self.pos).end()
            if self.pos < len(self.buffer):
                return self.buffer[self.pos]
            if not self._fill():
                return None

    def _ensure(self, count: int) -> None:
        while len(self.buffer) - self.pos < count and self._fill():
            pass

    # Values

    def values(self) -> Iterator[tuple[Any, int]]:
        """Yield (value, line of its start) until the text ends.

        Raises MalformedValue for a value that is not valid JSON: call ``recover`` with it and
        call ``values`` again to go on. Raises ScanError when nothing more can be read.
        """
        while True:
            if self._in_array:
                yield from self._array_elements()
                continue
            char = self._peek()
            if char is None:
                return
            if char == "[":
                self._enter_array(close_object=False)
                continue
            if char == "{":
                self._ensure(256)
                prefix = _RECORDS_PREFIX.match(self.buffer, self.pos)
                if prefix is not None:
                    self.pos = prefix.end() - 1
                    self._enter_array(close_object=True)
                    continue
            else:
                self._ensure(256)
                prefix = _LINE_PREFIX.match(self.buffer, self.pos)
                if prefix is not None:
                    self.pos = prefix.end()
            yield self._decode()

    def _enter_array(self, close_object: bool) -> None:
        self.pos += 1  # the "["
        self._in_array = True
        self._close_object = close_object
        self._expect_comma = False
        self._element_index = 0
        self._element_start = None
        if self._peek() == "{":
            self._element_start = _element_start_pattern(self.buffer, self.pos)

    def _array_elements(self) -> Iterator[tuple[Any, int]]:
        while True:
            char = self._peek()
            if char is None:
                self._in_array = False
                raise ScanError(self.line_at(self.pos), "the JSON array is not closed")
            if char == "]":
                self.pos += 1
                self._leave_array()
                return
            if self._expect_comma:
                if char != ",":
                    raise MalformedValue(
                        self.line_at(self.pos),
                        f"expected ',' or ']' after array element {self._element_index}",
                        self.pos,
                    )
                self.pos += 1
                self._expect_comma = False
                continue
            self._element_index += 1
            value = self._decode()
            self._expect_comma = True
            yield value

    def _leave_array(self) -> None:
        self._in_array = False
        if self._close_object:
            if self._peek() == "}":
                self.pos += 1
            else:
                raise MalformedValue(
                    self.line_at(self.pos),
                    'keys after the "Records" array are not read',
                    self.pos,
                )

    def _decode(self) -> tuple[Any, int]:
        line = self.line_at(self.pos)
        while True:
            try:
                value, end = self._decoder.raw_decode(self.buffer, self.pos)
            except json.JSONDecodeError as error:
                # Reading as much again as the value has so far keeps a long value linear:
                # every retry decodes from the value's start, and retries double the window.
                more = max(CHUNK_CHARS, len(self.buffer) - self.pos)
                if self._may_be_cut(error) and self._fill(more):
                    continue
                reason = f"{self._where()}invalid JSON: {error.msg}"
                raise MalformedValue(line, reason, self.pos) from None
            except RecursionError:
                reason = f"{self._where()}JSON nested too deeply to decode"
                raise MalformedValue(line, reason, self.pos) from None
            self.pos = end
            return value, line

    def _where(self) -> str:
        return f"array element {self._element_index}: " if self._in_array else ""

    def _may_be_cut(self, error: json.JSONDecodeError) -> bool:
        if self.eof or len(self.buffer) - self.pos > MAX_VALUE_CHARS:
            return False
        return error.pos >= len(self.buffer) - _CUT_SLACK or error.msg.startswith(
            "Unterminated string"
        )

    # Recovery

    def recover(self, error: MalformedValue) -> None:
        """Move past the malformed value to the next place a value starts."""
        if self._in_array:
            pattern = self._element_start
            self._expect_comma = False
        else:
            pattern = _TOP_LEVEL_START
        if pattern is None or not self._search(pattern, error.start):
            # Nothing to resume at inside the array: end it and read on at the top level.
            self._in_array = False
            if not self._search(_TOP_LEVEL_START, error.start):
                self.pos = len(self.buffer)

    def _search(self, pattern: re.Pattern[str], start: int) -> bool:
        origin = start + 1
        while True:
            found = pattern.search(self.buffer, origin)
            if found is not None:
                self.pos = found.end()
                return True
            # Let the window move past text already searched.
            origin = max(origin, len(self.buffer) - 256)
            self.pos = origin
            if not self._fill():
                self.pos = len(self.buffer)
                return False
            origin = self.pos


def _element_start_pattern(buffer: str, pos: int) -> re.Pattern[str]:
    """Return the pattern of the start of an array element, from the first element at ``pos``.

    In a pretty-printed array every element starts on its own line at the same indentation. In a
    compact array, or when the line start is no longer in the buffer, elements follow ``},``.
    """
    newline = buffer.rfind("\n", 0, pos)
    indent = buffer[newline + 1 : pos]
    if newline == -1 or indent.strip(" \t"):
        return re.compile(r"\}[ \t\r\n]*,[ \t\r\n]*(?=\{)")
    return re.compile(r"\n" + re.escape(indent) + r"(?=\{)")
