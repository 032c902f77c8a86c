"""Special-purpose address ranges, classified locally and never sent to an online provider.

The table follows the IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and
later additions such as RFC 9637's 3fff::/20). It is explicit instead of relying on the
``ipaddress`` flags, because ``is_private`` and ``is_reserved`` changed between Python 3.9 and
3.13. More specific ranges come first, so the first match is the most specific.
"""

from __future__ import annotations

import ipaddress

from llmjack_enrichment.addresses import IPAddress

UNSPECIFIED = "unspecified"
LOOPBACK = "loopback"
PRIVATE = "private"
SHARED = "shared"
LINK_LOCAL = "link_local"
MULTICAST = "multicast"
DOCUMENTATION = "documentation"
RESERVED = "reserved"

SPECIAL_RANGES: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/32", UNSPECIFIED),
    ("0.0.0.0/8", RESERVED),
    ("10.0.0.0/8", PRIVATE),
    ("100.64.0.0/10", SHARED),
    ("127.0.0.0/8", LOOPBACK),
    ("169.254.0.0/16", LINK_LOCAL),
    ("172.16.0.0/12", PRIVATE),
    ("192.0.0.0/24", RESERVED),
    ("192.0.2.0/24", DOCUMENTATION),
    ("192.88.99.0/24", RESERVED),
    ("192.168.0.0/16", PRIVATE),
    ("198.18.0.0/15", RESERVED),
    ("198.51.100.0/24", DOCUMENTATION),
    ("203.0.113.0/24", DOCUMENTATION),
    ("224.0.0.0/4", MULTICAST),
    ("240.0.0.0/4", RESERVED),
    ("::/128", UNSPECIFIED),
    ("::1/128", LOOPBACK),
    ("64:ff9b:1::/48", RESERVED),
    ("100::/64", RESERVED),
    ("2001:db8::/32", DOCUMENTATION),
    ("2001::/23", RESERVED),
    ("3fff::/20", DOCUMENTATION),
    ("fc00::/7", PRIVATE),
    ("fe80::/10", LINK_LOCAL),
    ("fec0::/10", RESERVED),
    ("ff00::/8", MULTICAST),
)

# Only 2000::/3 is allocated for global unicast; everything else in IPv6 is reserved.
GLOBAL_UNICAST_V6 = (0x2000 << 112, (0x4000 << 112) - 1)

# (version, first, last, class) per range, built on first use.
_ranges: list[tuple[int, int, int, str]] = []


def special_class(address: IPAddress) -> str | None:
    """Return the special-purpose class of an address, or None for a global address."""
    if not _ranges:
        for cidr, name in SPECIAL_RANGES:
            network = ipaddress.ip_network(cidr)
            first = int(network.network_address)
            _ranges.append((network.version, first, int(network.broadcast_address), name))

    version = address.version
    value = int(address)
    for range_version, first, last, name in _ranges:
        if range_version == version and first <= value <= last:
            return name
    if version == 6 and not GLOBAL_UNICAST_V6[0] <= value <= GLOBAL_UNICAST_V6[1]:
        return RESERVED
    return None
