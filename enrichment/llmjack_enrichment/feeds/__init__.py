"""Feed formats: a parser per published format, looked up by the name used in the settings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from llmjack_enrichment.errors import FeedFormatError
from llmjack_enrichment.feeds.base import FeedPrefix

Parser = Callable[[Path], list[FeedPrefix]]


def parsers() -> dict[str, Parser]:
    """Return the prefix parsers by format name (the ASN list has its own parser)."""
    from llmjack_enrichment.feeds import cloud, mmdb, text

    return {
        "tor-exit-list": text.parse_tor_bulk_list,
        "tor-exit-addresses": text.parse_tor_exit_addresses,
        "cidr": text.parse_cidr_list,
        "geofeed": text.parse_geofeed,
        "aws": cloud.parse_aws,
        "gcp": cloud.parse_gcp,
        "azure": cloud.parse_azure,
        "oracle": cloud.parse_oracle,
        "mmdb-asn": mmdb.parse_mmdb_asn,
    }


FORMAT_NAMES = (
    "tor-exit-list",
    "tor-exit-addresses",
    "cidr",
    "geofeed",
    "aws",
    "gcp",
    "azure",
    "oracle",
    "mmdb-asn",
    "asn-list",
)


def parse_feed(path: Path, format_name: str) -> list[FeedPrefix]:
    """Parse a feed file of the named format, raising FeedFormatError when it is malformed."""
    parser = parsers().get(format_name)
    if parser is None:
        raise FeedFormatError(str(path), f"unknown feed format {format_name!r}")
    return parser(path)
