"""Read a MaxMind-format ASN database (GeoLite2-ASN, ipinfo) into prefixes with AS labels.

The ``maxminddb`` package is optional: only compiling the index needs it, and the compiled
index carries the AS number and organisation, so the Splunk lookup never imports it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from llmjack_enrichment.errors import FeedFormatError
from llmjack_enrichment.feeds.base import FeedPrefix, Network, require_entries
from llmjack_enrichment.feeds.text import parse_asn

# In an IPv6 database the IPv4 space sits at ::/96; 6to4 and Teredo alias parts of it.
IPV4_SUBTREE = ipaddress.IPv6Network("::/96")
IPV4_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
ALIASES = (ipaddress.IPv6Network("2002::/16"), ipaddress.IPv6Network("2001::/32"))


def parse_mmdb_asn(path: Path) -> list[FeedPrefix]:
    """Parse every network of an ASN database into prefixes with ``asn`` and ``as_org``."""
    try:
        import maxminddb
    except ImportError:
        raise FeedFormatError(
            str(path), "reading MMDB files needs the maxminddb package: pip install maxminddb"
        ) from None

    try:
        reader = maxminddb.open_database(str(path))
    except (OSError, ValueError, maxminddb.InvalidDatabaseError) as error:
        raise FeedFormatError(str(path), f"not a readable MMDB database: {error}") from None

    prefixes = []
    try:
        for network, record in reader:
            prefix = _prefix(network, record, str(path))
            if prefix is not None:
                prefixes.append(prefix)
    except maxminddb.InvalidDatabaseError as error:
        raise FeedFormatError(str(path), f"corrupt MMDB database: {error}") from None
    finally:
        reader.close()
    return require_entries(prefixes, path)


def _prefix(network: Network, record: Any, source: str) -> FeedPrefix | None:
    normalised = _normalise(network)
    if normalised is None:
        return None
    asn, organisation = _asn_fields(record, source, str(network))
    if asn is None:
        return None
    return FeedPrefix(normalised, {"asn": str(asn), "as_org": organisation})


def _normalise(network: Network) -> Network | None:
    """Return the IPv4 network of the IPv4 subtree, None for an alias, else the network."""
    if network.version == 4:
        return network
    for alias in ALIASES:
        if network.subnet_of(alias):
            return None
    for subtree in (IPV4_SUBTREE, IPV4_MAPPED):
        if network.prefixlen >= 96 and network.subnet_of(subtree):
            first = int(network.network_address) & 0xFFFFFFFF
            return ipaddress.IPv4Network((first, network.prefixlen - 96))
    return network


def _asn_fields(record: Any, source: str, where: str) -> tuple[int | None, str]:
    if not isinstance(record, Mapping):
        raise FeedFormatError(source, f"record for {where} is not a map")
    if "autonomous_system_number" in record:
        number = record["autonomous_system_number"]
        return int(number), str(record.get("autonomous_system_organization", ""))
    if "asn" in record:
        name = record.get("as_name", record.get("name", ""))
        return parse_asn(str(record["asn"]), source), str(name)
    return None, ""
