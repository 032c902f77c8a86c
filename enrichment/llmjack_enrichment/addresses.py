"""Parse one lookup cell into a normalised IP address, or into the reason it is not one.

Log sources put more than addresses in their source-address fields: CloudTrail writes service
names (``bedrock.amazonaws.com``, ``AWS Internal``), GCP writes ``private`` or
``gce-internal-ip``, and Azure OpenAI request logs mask the last octet (``81.2.69.***``).
Those are recognised here, before any feed or provider receives the value.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Union

IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]  # noqa: UP007 (Python 3.9)

# Cell kinds returned by parse_cell.
EMPTY = "empty"
ADDRESS = "address"
INVALID = "invalid"
MASKED = "masked"
SERVICE = "service"
INTERNAL = "internal"

INTERNAL_MARKERS = frozenset({"private", "gce-internal-ip", "internal"})
SERVICE_MARKERS = frozenset({"aws internal", "amazonaws.com"})
SERVICE_SUFFIXES = (".amazonaws.com",)

# Patterns stay strings: the re module compiles and caches them on first use, not at import.
MASKED_PATTERN = r"(?i)^(\d{1,3}\.){1,3}(\*+|x+)(\.(\*+|x+))*$"
HOSTNAME_PATTERN = r"(?i)^(?=.*[a-z])[a-z0-9-]+(\.[a-z0-9-]+)+\.?$"
DOTTED_QUAD = r"(\d+)\.(\d+)\.(\d+)\.(\d+)$"
DIGITS = frozenset("0123456789")
NUMERIC_LABELS = r"(?i)^(0x[0-9a-f]*|\d+)(\.(0x[0-9a-f]*|\d+))*\.?$"
# No address is this long; longer cells are cut in messages and never parsed further.
MAX_CELL_LENGTH = 256
# The lookup replaces NUL with this lone surrogate before CSV parsing. Decoding with
# surrogateescape yields only U+DC80..U+DCFF, so U+DC00 cannot come from the input.
NUL_STAND_IN = "\udc00"

# NAT64 well-known prefix (RFC 6052): the last 32 bits are an IPv4 address.
NAT64_FIRST = 0x0064_FF9B << 96
# 6to4 prefix 2002::/16 (RFC 3056): the next 32 bits are an IPv4 address.
SIX_TO_FOUR_PREFIX = 0x2002


@dataclass
class ParsedCell:
    """One cell after parsing: its kind, and the address when the cell contains one.

    ``text`` is the normalised address (an IPv4-mapped or NAT64 IPv6 address becomes its IPv4
    address) or the stripped cell for other kinds. ``reason`` explains an invalid cell.
    """

    kind: str
    text: str
    address: IPAddress | None = None
    reason: str = ""


def parse_cell(raw: str) -> ParsedCell:
    """Parse a lookup cell. Any text gives a result, never an exception."""
    text = raw.strip()
    if not text:
        return ParsedCell(EMPTY, "")
    quad = _plain_ipv4(text)
    if quad is not None:
        return ParsedCell(ADDRESS, text, quad)
    if NUL_STAND_IN in text or "\x00" in text:
        return ParsedCell(INVALID, text, reason="contains a NUL byte")
    if not _is_encodable(text):
        return ParsedCell(INVALID, text, reason="not valid UTF-8")

    if len(text) > MAX_CELL_LENGTH:
        return ParsedCell(INVALID, text[:MAX_CELL_LENGTH], reason="too long for an address")

    lowered = text.lower()
    if lowered in INTERNAL_MARKERS:
        return ParsedCell(INTERNAL, text)
    # A fully qualified name may end in a dot: "bedrock.amazonaws.com.".
    domain = lowered.rstrip(".")
    if domain in SERVICE_MARKERS or domain.endswith(SERVICE_SUFFIXES):
        return ParsedCell(SERVICE, text)
    if "*" in text or re.match(MASKED_PATTERN, text):
        return ParsedCell(MASKED, text, reason="address is masked")
    return _parse_address(text)


def _parse_address(text: str) -> ParsedCell:
    candidate = text
    if "%" in candidate:
        # An IPv6 zone index ("fe80::1%eth0") names an interface, not part of the address.
        # RFC 4007 allows it on IPv6 only, and it is never empty.
        candidate, zone = candidate.split("%", 1)
        if ":" not in candidate:
            return ParsedCell(INVALID, text, reason="a zone index (%) is valid on IPv6 only")
        if not zone or "%" in zone:
            return ParsedCell(INVALID, text, reason="invalid IPv6 zone index")

    quad = re.search(DOTTED_QUAD, candidate)
    if quad and any(len(octet) > 1 and octet.startswith("0") for octet in quad.groups()):
        # Some parsers read a leading zero as octal (035 == 29), others as decimal.
        return ParsedCell(INVALID, text, reason="leading zero in an IPv4 octet is ambiguous")

    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        if _is_host_name(text):
            return ParsedCell(INVALID, text, reason="host name, not an IP address")
        if re.match(NUMERIC_LABELS, text):
            # "0x7f.1" or "127.1": inet_aton forms that ipaddress rightly rejects.
            return ParsedCell(INVALID, text, reason="not a valid IP address")
        return ParsedCell(INVALID, text, reason="not an IP address")

    address = embedded_ipv4(address)
    return ParsedCell(ADDRESS, str(address), address)


def embedded_ipv4(address: IPAddress) -> IPAddress:
    """Return the IPv4 address inside an IPv4-mapped, NAT64 or 6to4 address, else the address.

    A 6to4 address (2002::/16, RFC 3056) carries its IPv4 address in bits 16-47, so
    2002:a9fe:a9fe::1 is classified as 169.254.169.254. Teredo (2001::/32) obscures the client
    address and stays in the special-purpose table instead.
    """
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        value = int(address)
        if value >> 32 == NAT64_FIRST >> 32:
            return ipaddress.IPv4Address(value & 0xFFFFFFFF)
        if value >> 112 == SIX_TO_FOUR_PREFIX:
            return ipaddress.IPv4Address((value >> 80) & 0xFFFFFFFF)
    return address


def _is_host_name(text: str) -> bool:
    if not re.match(HOSTNAME_PATTERN, text):
        return False
    # The last label of a host name is a top-level domain: never numeric, never hexadecimal.
    last = text.rstrip(".").rsplit(".", 1)[-1].lower()
    return not (last.isdigit() or last.startswith("0x"))


def _plain_ipv4(text: str) -> ipaddress.IPv4Address | None:
    """Parse the common case, a dotted quad without leading zeros, faster than ipaddress."""
    parts = text.split(".")
    if len(parts) != 4:
        return None
    value = 0
    for part in parts:
        if not part or len(part) > 3 or not DIGITS.issuperset(part):
            return None
        if len(part) > 1 and part[0] == "0":
            return None
        octet = int(part)
        if octet > 255:
            return None
        value = value << 8 | octet
    return ipaddress.IPv4Address(value)


def _is_encodable(text: str) -> bool:
    # Cells are decoded with errors="surrogateescape", so undecodable bytes become lone surrogates.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
