"""Parsers for line-oriented feeds: Tor exit lists, CIDR lists, RFC 8805 geofeeds, ASN lists."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from llmjack_enrichment.errors import FeedFormatError
from llmjack_enrichment.feeds.base import (
    FeedPrefix,
    parse_network,
    read_text_lines,
    require_entries,
    strip_comment,
)

TOR_KEYWORDS = frozenset({"ExitNode", "Published", "LastStatus", "ExitAddress"})
ASN_KINDS = frozenset({"hosting", "vpn", "proxy", "residential", "isp"})


def parse_tor_bulk_list(path: Path) -> list[FeedPrefix]:
    """Parse the Tor bulk exit list: one exit address per line, a plain address list."""
    return parse_cidr_list(path)


def parse_tor_exit_addresses(path: Path) -> list[FeedPrefix]:
    """Parse the TorDNSEL ``exit-addresses`` format, keeping every ``ExitAddress`` line."""
    prefixes = []
    for number, line in read_text_lines(path):
        words = line.split()
        if not words:
            continue
        if words[0] not in TOR_KEYWORDS:
            raise FeedFormatError(str(path), f"unknown keyword {words[0]!r}", number)
        if words[0] == "ExitAddress":
            if len(words) < 2:
                raise FeedFormatError(str(path), "ExitAddress without an address", number)
            prefixes.append(FeedPrefix(parse_network(words[1], str(path), number)))
    return require_entries(prefixes, path)


def parse_cidr_list(path: Path) -> list[FeedPrefix]:
    """Parse a plain list of addresses or prefixes (FireHOL netsets, Cloudflare ips-v4/v6).

    Comments start with ``#`` or ``;``; blank lines are skipped.
    """
    prefixes = []
    for number, line in read_text_lines(path):
        value = strip_comment(line)
        if value:
            prefixes.append(FeedPrefix(parse_network(value, str(path), number)))
    return require_entries(prefixes, path)


def parse_geofeed(path: Path) -> list[FeedPrefix]:
    """Parse an RFC 8805 geofeed: ``prefix,country,region,city,postal code`` per line."""
    prefixes = []
    for number, line in read_text_lines(path):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = [cell.strip() for cell in next(csv.reader(io.StringIO(line)))]
        if len(cells) < 2:
            raise FeedFormatError(str(path), "expected prefix,country,region,city", number)
        cells += [""] * (4 - len(cells))
        fields = {"country": cells[1].upper(), "geo_region": cells[2], "city": cells[3]}
        network = parse_network(cells[0], str(path), number)
        prefixes.append(FeedPrefix(network, {k: v for k, v in fields.items() if v}))
    return require_entries(prefixes, path)


def parse_asn_list(path: Path, default_kind: str = "hosting") -> dict[int, tuple[str, str]]:
    """Parse a list of ASNs with their kind: ``AS16509,hosting,Amazon`` or just ``AS16509``.

    Returns a mapping of AS number to (kind, name). Kinds: hosting, vpn, proxy, residential, isp.
    """
    numbers: dict[int, tuple[str, str]] = {}
    for number, line in read_text_lines(path):
        value = line.split("#", 1)[0].strip()
        if not value:
            continue
        cells = [cell.strip() for cell in next(csv.reader(io.StringIO(value)))]
        asn = parse_asn(cells[0], str(path), number)
        kind = cells[1].lower() if len(cells) > 1 and cells[1] else default_kind
        if kind not in ASN_KINDS:
            allowed = ", ".join(sorted(ASN_KINDS))
            raise FeedFormatError(str(path), f"unknown ASN kind {kind!r} (use {allowed})", number)
        numbers[asn] = (kind, cells[2] if len(cells) > 2 else "")
    if not numbers:
        raise FeedFormatError(str(path), "contains no AS numbers (empty list)")
    return numbers


def parse_asn(text: str, source: str, line: int | None = None) -> int:
    """Parse ``AS16509``, ``as16509`` or ``16509`` into 16509."""
    value = text.strip()
    digits = value[2:] if value[:2].upper() == "AS" else value
    if not digits.isdigit() or not 0 < int(digits) < 1 << 32:
        raise FeedFormatError(source, f"invalid AS number {value!r}", line)
    return int(digits)
