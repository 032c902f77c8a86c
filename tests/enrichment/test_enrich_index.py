"""The compiled index: most specific prefix per category, family boundaries, damaged files."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from llmjack_enrichment.errors import IndexFileError, IndexMissingError
from llmjack_enrichment.index import HEADER, FeedIndex, IndexEntry, compile_entries, label_text


def entry(cidr: str, category: str, name: str, rank: int = 0) -> IndexEntry:
    network = ipaddress.ip_network(cidr)
    label = label_text({"category": category, "name": name})
    return IndexEntry(network.version, int(network.network_address), network.prefixlen, label, rank)


def names(index: FeedIndex, address: str) -> list[str]:
    return sorted(label["name"] for label in index.lookup(ipaddress.ip_address(address)))


@pytest.fixture
def index() -> FeedIndex:
    entries = [
        entry("3.0.0.0/9", "cloud", "aws-global"),
        entry("3.80.0.0/12", "cloud", "aws-ec2"),
        entry("3.80.5.0/24", "cloud", "aws-bedrock"),
        entry("3.80.5.7/32", "tor", "tor-exit"),
        entry("0.0.0.0/0", "asn", "everything"),
        entry("255.255.255.0/24", "cloud", "top"),
        entry("10.0.0.0/8", "vpn", "plain"),
        entry("10.0.0.0/8", "vpn", "ranked", rank=1),
        entry("2600:1f18::/33", "cloud", "aws-v6"),
        entry("2600:1f18:1::/48", "cloud", "aws-v6-narrow"),
        entry("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/120", "cloud", "v6-top"),
        entry("::/128", "cloud", "v6-bottom"),
    ]
    return FeedIndex(compile_entries(entries, {"feeds": {"test": len(entries)}}), "test")


def test_most_specific_prefix_wins(index: FeedIndex) -> None:
    assert names(index, "3.1.0.1") == ["aws-global", "everything"]
    assert names(index, "3.80.0.1") == ["aws-ec2", "everything"]
    assert names(index, "3.80.5.1") == ["aws-bedrock", "everything"]


def test_categories_are_kept_side_by_side(index: FeedIndex) -> None:
    assert names(index, "3.80.5.7") == ["aws-bedrock", "everything", "tor-exit"]


def test_interval_ends_restore_outer_prefix(index: FeedIndex) -> None:
    assert names(index, "3.80.5.8") == ["aws-bedrock", "everything"]
    assert names(index, "3.80.6.0") == ["aws-ec2", "everything"]
    assert names(index, "3.96.0.0") == ["aws-global", "everything"]
    assert names(index, "3.128.0.0") == ["everything"]


def test_higher_rank_wins_equal_prefix(index: FeedIndex) -> None:
    assert names(index, "10.1.1.1") == ["everything", "ranked"]


def test_ipv4_boundaries(index: FeedIndex) -> None:
    assert names(index, "0.0.0.0") == ["everything"]
    assert names(index, "255.255.255.255") == ["everything", "top"]
    assert names(index, "255.255.254.255") == ["everything"]


def test_ipv6_boundaries(index: FeedIndex) -> None:
    assert names(index, "::") == ["v6-bottom"]
    assert names(index, "::1") == []
    assert names(index, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff") == ["v6-top"]
    assert names(index, "2600:1f18:1::5") == ["aws-v6-narrow"]
    assert names(index, "2600:1f18:2::5") == ["aws-v6"]
    assert names(index, "2600:1f18:8000::") == []


def test_ipv4_prefix_does_not_match_ipv6(index: FeedIndex) -> None:
    assert names(index, "::3.80.5.7") == []


def test_info_round_trips(index: FeedIndex) -> None:
    assert index.info == {"feeds": {"test": 12}}


def test_intervals_cover_labelled_ranges(index: FeedIndex) -> None:
    spans = {
        (version, first, last)
        for version, first, last, labels in index.intervals()
        if any(label["name"] == "tor-exit" for label in labels)
    }
    tor = int(ipaddress.ip_address("3.80.5.7"))
    assert spans == {(4, tor, tor)}


def test_empty_index_answers_nothing() -> None:
    empty = FeedIndex(compile_entries([]), "empty")
    assert empty.lookup(ipaddress.ip_address("8.8.8.8")) == ()
    assert empty.lookup(ipaddress.ip_address("2600::1")) == ()


def test_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "index.idx"
    path.write_bytes(compile_entries([entry("9.9.9.0/24", "hosting", "quad9")]))
    loaded = FeedIndex.load(path)
    assert names(loaded, "9.9.9.9") == ["quad9"]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(IndexMissingError, match="feeds update"):
        FeedIndex.load(tmp_path / "absent.idx")


def test_truncated_file(tmp_path: Path) -> None:
    data = compile_entries([entry("9.9.9.0/24", "hosting", "quad9")])
    path = tmp_path / "index.idx"
    path.write_bytes(data[:-3])
    with pytest.raises(IndexFileError, match="truncated"):
        FeedIndex.load(path)


def test_corrupt_body_fails_verification(tmp_path: Path) -> None:
    data = bytearray(compile_entries([entry("9.9.9.0/24", "hosting", "quad9")]))
    data[HEADER.size + 2] ^= 0xFF
    path = tmp_path / "index.idx"
    path.write_bytes(bytes(data))
    with pytest.raises(IndexFileError, match="corrupt"):
        FeedIndex.load(path, verify=True)


def test_corrupt_label_raises_on_lookup(tmp_path: Path) -> None:
    data = bytearray(compile_entries([entry("9.9.9.0/24", "hosting", "quad9")]))
    data[data.index(b'"category"')] = ord("}")
    path = tmp_path / "index.idx"
    path.write_bytes(bytes(data))
    index = FeedIndex.load(path)
    with pytest.raises(IndexFileError, match="damaged label"):
        index.lookup(ipaddress.ip_address("9.9.9.9"))


def test_corrupt_offsets_detected_on_load(tmp_path: Path) -> None:
    data = bytearray(compile_entries([entry("9.9.9.0/24", "hosting", "quad9")]))
    # The label offsets end with the blob length; make the last one point past it.
    position = bytes(data).rindex(
        (len(label_text({"category": "hosting", "name": "quad9"}))).to_bytes(4, "little")
    )
    data[position] += 1
    path = tmp_path / "index.idx"
    path.write_bytes(bytes(data))
    with pytest.raises(IndexFileError, match="offset tables"):
        FeedIndex.load(path)


def test_other_file_type(tmp_path: Path) -> None:
    path = tmp_path / "index.idx"
    path.write_bytes(b'{"not": "an index"}')
    with pytest.raises(IndexFileError, match="not a llmjack index"):
        FeedIndex.load(path)


def test_other_version(tmp_path: Path) -> None:
    data = bytearray(compile_entries([]))
    data[8] = 99
    path = tmp_path / "index.idx"
    path.write_bytes(bytes(data))
    with pytest.raises(IndexFileError, match="version 99"):
        FeedIndex.load(path)
