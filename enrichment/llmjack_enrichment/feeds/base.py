"""Shared pieces of the feed parsers: the parsed prefix and strict network parsing."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

from llmjack_enrichment.errors import FeedFormatError

Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]  # noqa: UP007 (Python 3.9)


@dataclass(frozen=True)
class FeedPrefix:
    """One prefix from a feed with the attributes the feed gives it (provider, service, ...).

    ``rank`` orders entries of equal prefixes: a feed that lists one prefix under a general and
    a specific name (AWS ``AMAZON`` and ``EC2``) gives the specific one the higher rank.
    """

    network: Network
    fields: dict[str, str] = field(default_factory=dict)
    rank: int = 0


def parse_network(text: str, source: str, line: int | None = None) -> Network:
    """Parse a CIDR prefix or a single address, raising FeedFormatError with the location."""
    value = text.strip()
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise FeedFormatError(source, f"invalid address or prefix {value!r}", line) from None


def read_text_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Yield (line number, line) pairs of a UTF-8 text file, with errors naming the file."""
    try:
        # utf-8-sig drops a byte order mark at the start, which spreadsheet exports write.
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for number, line in enumerate(handle, start=1):
                yield number, line.rstrip("\r\n")
    except UnicodeDecodeError as error:
        raise FeedFormatError(str(path), f"not UTF-8 text ({error.reason})") from None
    except OSError as error:
        raise FeedFormatError(str(path), f"cannot read: {error.strerror}") from None


def strip_comment(line: str) -> str:
    """Remove a ``#`` or ``;`` comment and surrounding blanks from a list line."""
    for marker in ("#", ";"):
        position = line.find(marker)
        if position >= 0:
            line = line[:position]
    return line.strip()


def require_entries(prefixes: list, path: Path) -> list:
    """Return the parsed prefixes, or raise when the file held none."""
    if not prefixes:
        raise FeedFormatError(str(path), "contains no prefixes (empty feed)")
    return prefixes
