"""Feed parsers on each fixture format, and their errors on malformed files."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from enrichment_helpers import FEEDS, write_asn_mmdb

from llmjack_enrichment.errors import FeedFormatError
from llmjack_enrichment.feeds import parse_feed
from llmjack_enrichment.feeds.text import parse_asn_list


def by_network(prefixes: list) -> dict:
    return {str(prefix.network): prefix for prefix in prefixes}


def test_tor_bulk_list() -> None:
    prefixes = by_network(parse_feed(FEEDS / "tor-exit-list.txt", "tor-exit-list"))
    assert "185.220.101.1/32" in prefixes
    assert "2001:67c:e60:c0c:192:42:116:16/128" in prefixes
    assert len(prefixes) == 5


def test_tor_exit_addresses() -> None:
    prefixes = by_network(parse_feed(FEEDS / "tor-exit-addresses.txt", "tor-exit-addresses"))
    assert sorted(prefixes) == ["185.220.101.1/32", "192.42.116.16/32", "192.42.116.17/32"]


def test_tor_exit_addresses_unknown_keyword() -> None:
    path = FEEDS / "tor-exit-addresses-bad.txt"
    with pytest.raises(FeedFormatError, match=r"tor-exit-addresses-bad.txt, line 3: .*ExitAdress"):
        parse_feed(path, "tor-exit-addresses")


def test_aws_named_service_outranks_amazon() -> None:
    prefixes = parse_feed(FEEDS / "aws-ip-ranges.json", "aws")
    ec2 = [p for p in prefixes if str(p.network) == "3.80.0.0/12"]
    ranks = {p.fields["service"]: p.rank for p in ec2}
    assert ranks["EC2"] > ranks["AMAZON"]
    assert ec2[0].fields["region"] == "us-east-1"
    assert ec2[0].fields["provider"] == "aws"


def test_aws_reads_ipv6_prefixes() -> None:
    networks = {str(p.network) for p in parse_feed(FEEDS / "aws-ip-ranges.json", "aws")}
    assert "2600:1f18::/33" in networks


def test_aws_truncated_json_names_line() -> None:
    with pytest.raises(
        FeedFormatError, match=r"aws-ip-ranges-truncated.json, line \d+: invalid JSON"
    ):
        parse_feed(FEEDS / "aws-ip-ranges-truncated.json", "aws")


def test_aws_wrong_document() -> None:
    with pytest.raises(FeedFormatError, match="a list under 'prefixes'"):
        parse_feed(FEEDS / "oracle-ip-ranges.json", "aws")


def test_gcp_prefixes() -> None:
    prefixes = by_network(parse_feed(FEEDS / "gcp-cloud.json", "gcp"))
    assert prefixes["35.184.0.0/13"].fields == {
        "provider": "gcp",
        "service": "Google Cloud",
        "region": "us-central1",
    }
    assert "2600:1900:4000::/44" in prefixes


def test_azure_keeps_most_specific_tag() -> None:
    prefixes = by_network(parse_feed(FEEDS / "azure-service-tags.json", "azure"))
    assert prefixes["20.42.0.0/15"].fields["region"] == "eastus"
    assert prefixes["20.42.0.0/15"].fields["service"] == "AzureCloud"
    assert prefixes["20.42.4.0/24"].fields["service"] == "CognitiveServicesManagement"
    assert prefixes["2603:1030::/40"].fields["region"] == ""


def test_azure_missing_prefixes() -> None:
    with pytest.raises(FeedFormatError, match=r"values\[0\]: missing properties.addressPrefixes"):
        parse_feed(FEEDS / "azure-missing-prefixes.json", "azure")


def test_oracle_tags_and_region() -> None:
    prefixes = by_network(parse_feed(FEEDS / "oracle-ip-ranges.json", "oracle"))
    assert prefixes["134.70.8.0/21"].fields["service"] == "OSN,OBJECT_STORAGE"
    assert prefixes["130.61.0.0/16"].fields["region"] == "eu-frankfurt-1"


def test_oracle_tags_not_a_list() -> None:
    with pytest.raises(FeedFormatError, match="tags is not a list"):
        parse_feed(FEEDS / "oracle-bad-tags.json", "oracle")


@pytest.mark.parametrize(
    ("file_name", "expected"),
    [
        ("firehol-datacenters.netset", {"5.2.64.0/20", "45.95.168.0/22", "194.26.29.0/24"}),
        ("vpn-exits.txt", {"89.187.160.0/19", "146.70.0.0/16", "2a0d:5600:24::/48"}),
        ("cloudflare-ips-v4.txt", {"173.245.48.0/20", "103.21.244.0/22", "104.16.0.0/13"}),
        ("cloudflare-ips-v6.txt", {"2400:cb00::/32", "2606:4700::/32"}),
    ],
)
def test_cidr_lists(file_name: str, expected: set) -> None:
    assert set(by_network(parse_feed(FEEDS / file_name, "cidr"))) == expected


def test_cidr_bad_line_is_named() -> None:
    with pytest.raises(FeedFormatError, match=r"cidr-bad-line.txt, line 3: .*89.187.300.0/19"):
        parse_feed(FEEDS / "cidr-bad-line.txt", "cidr")


@pytest.mark.parametrize(
    "format_name", ["cidr", "tor-exit-list", "tor-exit-addresses", "geofeed", "aws", "gcp"]
)
def test_empty_file_is_rejected(format_name: str) -> None:
    with pytest.raises(FeedFormatError, match="empty"):
        parse_feed(FEEDS / "empty.txt", format_name)


def test_geofeed_fields() -> None:
    prefixes = by_network(parse_feed(FEEDS / "geofeed.csv", "geofeed"))
    assert prefixes["193.27.13.0/24"].fields == {
        "country": "NL",
        "geo_region": "NL-NH",
        "city": "Amsterdam",
    }
    assert prefixes["2a0e:dc0::/32"].fields == {"country": "SE"}


def test_geofeed_bad_prefix() -> None:
    with pytest.raises(FeedFormatError, match=r"geofeed-bad.csv, line 2"):
        parse_feed(FEEDS / "geofeed-bad.csv", "geofeed")


def test_asn_list() -> None:
    kinds = parse_asn_list(FEEDS / "hosting-asns.csv")
    assert kinds[16276] == ("hosting", "OVH SAS")
    assert kinds[9009] == ("vpn", "M247 Europe")
    assert kinds[7922][0] == "residential"


def test_asn_list_unknown_kind() -> None:
    with pytest.raises(FeedFormatError, match=r"hosting-asns-bad.csv, line 2: unknown ASN kind"):
        parse_asn_list(FEEDS / "hosting-asns-bad.csv")


def test_mmdb_asn(tmp_path: Path) -> None:
    path = tmp_path / "asn.mmdb"
    write_asn_mmdb(path)
    prefixes = by_network(parse_feed(path, "mmdb-asn"))
    assert prefixes["51.68.0.0/16"].fields == {"asn": "16276", "as_org": "OVH SAS"}
    assert prefixes["2a01:4f8::/32"].fields["asn"] == "24940"
    assert all(not str(network).startswith("::") for network in prefixes)


def test_mmdb_ipv4_networks_are_ipv4(tmp_path: Path) -> None:
    path = tmp_path / "asn.mmdb"
    write_asn_mmdb(path)
    networks = [prefix.network for prefix in parse_feed(path, "mmdb-asn")]
    assert ipaddress.ip_network("9.9.9.0/24") in networks


def test_mmdb_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "asn.mmdb"
    path.write_bytes(b"this is not a MaxMind database")
    with pytest.raises(FeedFormatError, match="asn.mmdb: not a readable MMDB database"):
        parse_feed(path, "mmdb-asn")


def test_unknown_format() -> None:
    with pytest.raises(FeedFormatError, match="unknown feed format 'csv'"):
        parse_feed(FEEDS / "geofeed.csv", "csv")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_bytes(b"1.2.3.0/24\n\xff\xfe\n")
    with pytest.raises(FeedFormatError, match="not UTF-8"):
        parse_feed(path, "cidr")
