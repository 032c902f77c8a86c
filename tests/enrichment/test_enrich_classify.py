"""Classification precedence and the folding of online results into verdicts."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pytest

from llmjack_enrichment.classify import OUTPUT_FIELDS, Classifier, summarise, with_reputation
from llmjack_enrichment.index import FeedIndex, IndexEntry, compile_entries, label_text


def feed_index(*prefixes: tuple[str, dict], summaries: bool = False) -> FeedIndex:
    entries = []
    for cidr, label in prefixes:
        network = ipaddress.ip_network(cidr)
        first = int(network.network_address)
        rank = 1 if label.get("list") == "denylist" else 0
        text = label_text(label)
        entries.append(IndexEntry(network.version, first, network.prefixlen, text, rank))
    return FeedIndex(compile_entries(entries, None, summarise if summaries else None), "test")


CLOUD = {"category": "cloud", "provider": "aws", "service": "EC2", "region": "us-east-1"}
TOR = {"category": "tor"}
VPN = {"category": "vpn", "provider": "vpn-list"}
PROXY = {"category": "proxy"}
HOSTING = {"category": "hosting"}
RESIDENTIAL = {"category": "residential"}


def asn(number: int, kind: str = "") -> dict:
    label = {"category": "asn", "asn": str(number), "as_org": f"AS{number} org"}
    if kind:
        label["asn_kind"] = kind
    return label


FEEDS = (
    ("20.0.0.0/8", CLOUD),
    ("20.1.0.0/16", TOR),
    ("20.1.2.0/24", VPN),
    ("20.2.0.0/16", PROXY),
    ("30.0.0.0/8", HOSTING),
    ("40.0.0.0/8", asn(100, "hosting")),
    ("41.0.0.0/8", asn(101, "vpn")),
    ("42.0.0.0/8", asn(102, "residential")),
    ("43.0.0.0/8", asn(103)),
    ("44.0.0.0/8", RESIDENTIAL),
    ("20.0.0.0/6", asn(200, "hosting")),
    ("10.0.0.0/8", CLOUD),
)


@pytest.fixture
def classifier() -> Classifier:
    feeds = feed_index(*FEEDS)
    lists = feed_index(
        ("20.9.0.0/16", {"category": "user", "list": "allowlist", "list_label": "corp"}),
        ("20.9.9.0/24", {"category": "user", "list": "denylist", "list_label": "bad"}),
        ("20.9.8.0/24", {"category": "user", "list": "allowlist", "list_label": "a"}),
        ("20.9.8.0/24", {"category": "user", "list": "denylist", "list_label": "d"}),
    )
    return Classifier(feeds, lists)


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("20.1.2.3", "tor"),
        ("20.1.3.3", "tor"),
        ("20.2.0.1", "proxy"),
        ("20.3.0.1", "cloud"),
        ("30.0.0.1", "hosting"),
        ("40.0.0.1", "hosting"),
        ("41.0.0.1", "vpn"),
        ("42.0.0.1", "residential"),
        ("43.0.0.1", "unknown"),
        ("44.0.0.1", "residential"),
        ("50.0.0.1", "unknown"),
        ("20.9.1.1", "allowlist"),
        ("20.9.9.1", "denylist"),
        ("20.9.8.1", "denylist"),
        ("10.1.1.1", "private"),
    ],
)
def test_precedence(classifier: Classifier, address: str, expected: str) -> None:
    assert classifier.classify(address).ip_class == expected


def test_tags_keep_all_evidence(classifier: Classifier) -> None:
    verdict = classifier.classify("20.1.2.3")
    assert verdict.tags == ("tor", "vpn", "cloud", "hosting")
    assert verdict.provider == "vpn-list"
    assert verdict.asn == "200"


def test_cloud_details(classifier: Classifier) -> None:
    fields = classifier.classify("20.3.0.1").fields()
    assert fields["ip_provider"] == "aws"
    assert fields["ip_service"] == "EC2"
    assert fields["ip_region"] == "us-east-1"
    assert fields["ip_tags"] == "cloud;hosting"


def test_user_list_label(classifier: Classifier) -> None:
    verdict = classifier.classify("20.9.9.1")
    assert verdict.label == "bad"
    assert verdict.tags[0] == "denylist"


def test_only_open_addresses_need_online(classifier: Classifier) -> None:
    assert classifier.classify("50.0.0.1").needs_online
    assert classifier.classify("42.0.0.1").needs_online
    assert not classifier.classify("20.3.0.1").needs_online
    assert not classifier.classify("169.254.169.254").needs_online
    assert not classifier.classify("240.0.0.1").needs_online
    assert not classifier.classify("100.64.1.1").needs_online
    assert not classifier.classify("bedrock.amazonaws.com").needs_online


def test_residential_needs_evidence() -> None:
    assert Classifier().classify("73.1.2.3").ip_class == "unknown"


def test_problems_in_status() -> None:
    verdict = Classifier(problems=["no feed index"]).classify("8.8.8.8")
    assert verdict.status == "local_only: no feed index"
    assert Classifier(problems=["no feed index"]).classify("10.0.0.1").status == "ok"


def test_fields_have_stable_names(classifier: Classifier) -> None:
    assert tuple(classifier.classify("8.8.8.8").fields()) == OUTPUT_FIELDS


@dataclass(frozen=True)
class FakeReputation:
    address: str
    status: str
    verdict: str | None
    score: int | None
    sources: tuple[str, ...]


def test_malicious_answer_sets_class(classifier: Classifier) -> None:
    verdict = classifier.classify("42.0.0.1")
    answer = FakeReputation("42.0.0.1", "ok", "malicious", 97, ("abuseipdb", "greynoise"))
    combined = with_reputation(verdict, answer)
    assert combined.ip_class == "malicious"
    assert combined.tags == ("residential", "malicious")
    assert combined.rep_score == "97"
    assert combined.rep_sources == "abuseipdb;greynoise"
    assert combined.rep_status == "ok"


def test_benign_answer_keeps_class(classifier: Classifier) -> None:
    verdict = classifier.classify("50.0.0.1")
    combined = with_reputation(verdict, FakeReputation("50.0.0.1", "ok", "benign", 0, ("x",)))
    assert combined.ip_class == "unknown"
    assert combined.rep_score == "0"


def test_no_data_answer(classifier: Classifier) -> None:
    verdict = classifier.classify("50.0.0.1")
    combined = with_reputation(verdict, FakeReputation("50.0.0.1", "no_data", None, None, ()))
    assert combined.ip_class == "unknown"
    assert combined.rep_status == "no_data"
    assert combined.rep_score == ""


def test_open_verdicts_say_offline(classifier: Classifier) -> None:
    assert classifier.classify("50.0.0.1").rep_status == "offline"
    assert classifier.classify("20.3.0.1").rep_status == "skipped"


@pytest.mark.parametrize(
    "address",
    ["20.1.2.3", "20.2.0.1", "20.3.0.1", "30.0.0.1", "40.0.0.1", "41.0.0.1", "42.0.0.1"]
    + ["43.0.0.1", "44.0.0.1", "50.0.0.1", "2600::1"],
)
def test_summaries_match_labels(address: str) -> None:
    from_labels = Classifier(feed_index(*FEEDS)).classify(address)
    from_summary = Classifier(feed_index(*FEEDS, summaries=True)).classify(address)
    assert from_summary.fields() == from_labels.fields()
    assert from_summary.needs_online == from_labels.needs_online
    assert from_summary.address == from_labels.address
