"""Parsing of lookup cells and the special-purpose ranges."""

from __future__ import annotations

import ipaddress

import pytest

from llmjack_enrichment import addresses
from llmjack_enrichment.special import special_class


@pytest.mark.parametrize(
    ("cell", "kind"),
    [
        ("035.249.253.232", addresses.INVALID),
        ("1.2.3.04", addresses.INVALID),
        ("::ffff:035.1.2.3", addresses.INVALID),
        ("81.2.69.***", addresses.MASKED),
        ("81.2.69.xxx", addresses.MASKED),
        ("81.2.*.*", addresses.MASKED),
        ("2001:db8::*", addresses.MASKED),
        ("bedrock.amazonaws.com", addresses.SERVICE),
        ("ec2.eu-west-1.AMAZONAWS.com", addresses.SERVICE),
        ("AWS Internal", addresses.SERVICE),
        ("private", addresses.INTERNAL),
        ("gce-internal-ip", addresses.INTERNAL),
        ("", addresses.EMPTY),
        ("   ", addresses.EMPTY),
        ("example.org", addresses.INVALID),
        ("1.2.3", addresses.INVALID),
        ("1.2.3.256", addresses.INVALID),
        ("not an address", addresses.INVALID),
        ("8.8.8.8", addresses.ADDRESS),
        (" 8.8.8.8 ", addresses.ADDRESS),
        ("2600:1f18::1", addresses.ADDRESS),
        ("fe80::1%eth0", addresses.ADDRESS),
    ],
)
def test_parse_cell_kind(cell: str, kind: str) -> None:
    assert addresses.parse_cell(cell).kind == kind


def test_leading_zero_is_not_octal() -> None:
    parsed = addresses.parse_cell("035.249.253.232")
    assert parsed.address is None
    assert "leading zero" in parsed.reason


def test_ipv4_mapped_becomes_ipv4() -> None:
    parsed = addresses.parse_cell("::ffff:3.80.12.34")
    assert parsed.kind == addresses.ADDRESS
    assert parsed.text == "3.80.12.34"
    assert parsed.address == ipaddress.IPv4Address("3.80.12.34")


def test_nat64_becomes_ipv4() -> None:
    assert addresses.parse_cell("64:ff9b::350:c22").text == "3.80.12.34"


def test_ipv6_text_is_compressed() -> None:
    assert addresses.parse_cell("2600:1F18:0000::0001").text == "2600:1f18::1"


def test_undecodable_bytes_are_invalid() -> None:
    cell = b"1.2.3.\xff".decode("utf-8", "surrogateescape")
    parsed = addresses.parse_cell(cell)
    assert parsed.kind == addresses.INVALID
    assert "UTF-8" in parsed.reason


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("100.64.1.1", "shared"),
        ("169.254.169.254", "link_local"),
        ("10.1.2.3", "private"),
        ("172.31.255.255", "private"),
        ("172.32.0.1", None),
        ("192.168.1.1", "private"),
        ("127.0.0.1", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("0.1.2.3", "reserved"),
        ("224.0.0.251", "multicast"),
        ("192.0.2.10", "documentation"),
        ("198.51.100.7", "documentation"),
        ("203.0.113.9", "documentation"),
        ("198.18.0.1", "reserved"),
        ("8.8.8.8", None),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link_local"),
        ("fd00::1", "private"),
        ("ff02::1", "multicast"),
        ("2001:db8::1", "documentation"),
        ("3fff::1", "documentation"),
        ("4000::1", "reserved"),
        ("2600:1f18::1", None),
    ],
)
def test_special_class(address: str, expected: str | None) -> None:
    assert special_class(ipaddress.ip_address(address)) == expected
