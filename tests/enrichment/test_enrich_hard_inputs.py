"""Hard inputs for the lookup: huge cells, BOMs, line endings, multivalue cells, odd headers,
addresses with zones or embedded IPv4, and damaged or partly invalid lists and feeds."""

from __future__ import annotations

import csv
import io
import json
import logging
from pathlib import Path

import pytest

from llmjack_enrichment.addresses import INVALID, SERVICE, parse_cell
from llmjack_enrichment.classify import Classifier
from llmjack_enrichment.errors import FeedFormatError
from llmjack_enrichment.feeds import parse_feed
from llmjack_enrichment.records import read_records, write_records
from llmjack_enrichment.settings import load_settings
from llmjack_enrichment.splunk_lookup import main
from llmjack_enrichment.userlists import UserListError, load_user_lists


def lookup(settings: Path, stdin: bytes, *arguments: str) -> bytes:
    stdout = io.BytesIO()
    status = main([f"--config={settings}", *arguments], None, io.BytesIO(stdin), stdout)
    assert status == 0
    return stdout.getvalue()


def rows_of(output: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(output.decode("utf-8"), newline="")))


def test_oversized_cell_keeps_other_rows(settings_file: Path) -> None:
    huge = "A" * 200_000
    stdin = f"sourceIPAddress,ip_class,ip_status,note\n3.80.12.34,,,{huge}\n{huge},,,x\n"
    stdin += "185.220.101.1,,,y\n"
    rows = rows_of(lookup(settings_file, stdin.encode(), "sourceIPAddress"))
    assert len(rows) == 3
    assert rows[0]["ip_class"] == "cloud"
    assert rows[0]["note"] == huge
    assert rows[1]["sourceIPAddress"] == huge
    assert rows[1]["ip_status"] == "invalid: too long for an address"
    assert rows[2]["ip_class"] == "tor"


def test_oversized_cell_in_cli_records() -> None:
    huge = "B" * 200_000
    records = read_records(f"src,note\n8.8.8.8,{huge}\n", "csv", "src", "events.csv")
    assert len(records) == 1
    assert records[0].columns["note"] == huge


def test_input_named_like_output_field(settings_file: Path) -> None:
    stdin = b"ip_class,ip_tags,x\n185.220.101.1,,keep\n"
    output = lookup(settings_file, stdin, "ip_class")
    rows = rows_of(output)
    assert rows == [{"ip_class": "185.220.101.1", "ip_tags": "tor", "x": "keep"}]


def test_byte_order_mark_in_lookup_header(settings_file: Path) -> None:
    stdin = "\ufeffsourceIPAddress,ip_class\n185.220.101.1,\n".encode()
    output = lookup(settings_file, stdin, "sourceIPAddress")
    assert output == "\ufeffsourceIPAddress,ip_class\n185.220.101.1,tor\n".encode()


def test_byte_order_mark_in_cli_csv() -> None:
    records = read_records("\ufeffsrc,n\n8.8.8.8,1\n", "auto", "src", "events.csv")
    assert [record.value for record in records] == ["8.8.8.8"]


def test_byte_order_mark_in_geofeed(tmp_path: Path) -> None:
    path = tmp_path / "geofeed.csv"
    path.write_text("\ufeff192.0.2.0/24,NL,NL-NH,Amsterdam,\n", encoding="utf-8")
    [prefix] = parse_feed(path, "geofeed")
    assert str(prefix.network) == "192.0.2.0/24"
    assert prefix.fields["country"] == "NL"


@pytest.mark.parametrize("terminator", [b"\n", b"\r\n"])
def test_output_keeps_line_ending(settings_file: Path, terminator: bytes) -> None:
    lines = [b"sourceIPAddress,ip_class", b"185.220.101.1,", b"8.8.8.8,"]
    output = lookup(settings_file, terminator.join(lines) + terminator, "sourceIPAddress")
    assert output.split(terminator) == [
        b"sourceIPAddress,ip_class",
        b"185.220.101.1,tor",
        b"8.8.8.8,unknown",
        b"",
    ]


def test_splunk_multivalue_cell(settings_file: Path) -> None:
    stdin = (
        b"sourceIPAddress,__mv_sourceIPAddress,ip_class,ip_status\n"
        b'"185.220.101.1\n10.0.0.1",$185.220.101.1$;$10.0.0.1$,,\n'
    )
    [row] = rows_of(lookup(settings_file, stdin, "sourceIPAddress"))
    assert row["sourceIPAddress"] == "185.220.101.1\n10.0.0.1"
    assert row["__mv_sourceIPAddress"] == "$185.220.101.1$;$10.0.0.1$"
    assert row["ip_class"] == "tor"
    assert row["ip_status"] == "multivalue: first of 2"


def test_multivalue_keeps_first_problem() -> None:
    verdict = Classifier().classify("bad\n8.8.8.8\n\n10.0.0.1")
    assert verdict.ip_class == "invalid"
    assert verdict.status == "invalid: not an IP address (multivalue: first of 3)"


def test_json_array_is_multivalue() -> None:
    text = '{"source":{"ip":["10.0.0.1","8.8.8.8"]}}\n'
    [record] = read_records(text, "jsonl", "source.ip", "events.jsonl")
    verdict = Classifier().classify(record.value)
    assert verdict.ip_class == "private"
    assert verdict.status == "multivalue: first of 2"


def test_unbalanced_quote_logged(settings_file: Path, caplog: pytest.LogCaptureFixture) -> None:
    stdin = b'sourceIPAddress,ip_class\n"8.8.8.8,\n185.220.101.1,\n'
    with caplog.at_level(logging.WARNING):
        rows = rows_of(lookup(settings_file, stdin, "sourceIPAddress"))
    assert len(rows) == 1
    assert "read 1 rows from 3 lines" in caplog.text


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("3.80.1.1%eth0", "a zone index (%) is valid on IPv6 only"),
        ("185.220.101.1%", "a zone index (%) is valid on IPv6 only"),
        ("2600:1f18::1%", "invalid IPv6 zone index"),
        ("2600:1f18::1%%", "invalid IPv6 zone index"),
        ("0x7f.1", "not a valid IP address"),
        ("127.1", "not a valid IP address"),
        ("example.org", "host name, not an IP address"),
    ],
)
def test_invalid_cell_reasons(cell: str, reason: str) -> None:
    parsed = parse_cell(cell)
    assert parsed.kind == INVALID
    assert parsed.reason == reason


def test_ipv6_zone_still_accepted() -> None:
    parsed = parse_cell("fe80::1%eth0")
    assert parsed.text == "fe80::1"


def test_service_name_with_trailing_dot() -> None:
    assert parse_cell("bedrock.amazonaws.com.").kind == SERVICE


@pytest.mark.parametrize(
    ("cell", "address", "ip_class"),
    [
        ("2002:a9fe:a9fe::1", "169.254.169.254", "link_local"),
        ("2002:0a00:0001::5", "10.0.0.1", "private"),
        ("2002:0808:0808::1", "8.8.8.8", "unknown"),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "", "reserved"),
    ],
)
def test_6to4_and_teredo_stay_local(cell: str, address: str, ip_class: str) -> None:
    verdict = Classifier().classify(cell)
    assert verdict.ip_class == ip_class
    if address:
        assert verdict.address == address
    assert verdict.needs_online == (ip_class == "unknown")


def test_empty_value_gives_empty_fields() -> None:
    fields = Classifier().classify("  ").fields()
    assert set(fields.values()) == {""}


def test_null_json_field_gives_empty_fields() -> None:
    [record] = read_records('{"source":{"ip":null}}\n', "jsonl", "source.ip", "-")
    fields = Classifier().classify(record.value).fields()
    assert fields["ip_status"] == ""
    assert fields["ip_rep_status"] == ""


def test_json_error_message_has_position() -> None:
    [record] = read_records('{"a": 1,}\n', "jsonl", "a", "-")
    assert "line 1 column 9" in record.problem


@pytest.mark.parametrize("style", ["table", "csv", "json"])
def test_unencodable_values_written(style: str) -> None:
    records = read_records('{"src":"\\ud800"}\n', "jsonl", "src", "-")
    records += read_records("src\n\udcff\udcfe\n", "csv", "src", "-")
    for record in records:
        record.fields = Classifier().classify(record.value).fields()
    buffer = io.BytesIO()
    stream = io.TextIOWrapper(buffer, encoding="utf-8", errors="surrogateescape", newline="")
    write_records(stream, records, style)
    stream.flush()
    text = buffer.getvalue().decode("utf-8", "surrogateescape")
    assert text.count("invalid: not valid UTF-8") == 2
    if style == "json":
        lines = [json.loads(line) for line in text.splitlines()]
        assert lines[0]["src"] == "\ud800"
    else:
        assert b"\xff\xfe" in buffer.getvalue()


def test_bad_allow_line_keeps_deny_list(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "allow.csv").write_text(
        "cidr,label\n203.0.113.0/24,lab\nnot-a-prefix,oops\n", encoding="utf-8"
    )
    (data / "deny.csv").write_text("198.51.100.7/32,incident\n", encoding="utf-8")
    settings = tmp_path / "enrichment.conf"
    settings.write_text("[enrichment]\ndata_dir = data\n", encoding="utf-8")
    with caplog.at_level(logging.ERROR):
        lists = load_user_lists(load_settings(settings))
    assert lists is not None
    assert "allow.csv, line 3" in caplog.text
    labels = [dict(label) for label in lists.lookup(parse_cell("198.51.100.7").address)]
    assert labels[0]["list_label"] == "incident"
    labels = [dict(label) for label in lists.lookup(parse_cell("203.0.113.9").address)]
    assert labels[0]["list_label"] == "lab"


def test_unreadable_allow_list_keeps_deny_list(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "allow.csv").write_bytes(b"\xff\xfe not text\n")
    (data / "deny.csv").write_text("198.51.100.7/32,incident\n", encoding="utf-8")
    settings = tmp_path / "enrichment.conf"
    settings.write_text("[enrichment]\ndata_dir = data\n", encoding="utf-8")
    with pytest.raises(UserListError) as caught:
        load_user_lists(load_settings(settings))
    assert "allowlist" in str(caught.value)
    assert caught.value.index is not None
    assert caught.value.index.lookup(parse_cell("198.51.100.7").address)


def test_azure_region_from_covering_tag(tmp_path: Path) -> None:
    document = {
        "values": [
            {
                "name": "AzureCloud.westeurope",
                "properties": {"region": "westeurope", "addressPrefixes": ["20.50.0.0/16"]},
            },
            {
                "name": "CognitiveServicesManagement",
                "properties": {
                    "systemService": "CognitiveServicesManagement",
                    "region": "",
                    "addressPrefixes": ["20.50.1.0/24", "20.50.2.0/24", "40.1.0.0/24"],
                },
            },
            {
                "name": "AzureCloud.westeurope",
                "properties": {"region": "westeurope", "addressPrefixes": ["20.50.2.0/24"]},
            },
        ]
    }
    path = tmp_path / "azure.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    prefixes = {str(prefix.network): prefix.fields for prefix in parse_feed(path, "azure")}
    assert prefixes["20.50.1.0/24"]["service"] == "CognitiveServicesManagement"
    assert prefixes["20.50.1.0/24"]["region"] == "westeurope"
    assert prefixes["20.50.2.0/24"]["region"] == "westeurope"
    assert prefixes["40.1.0.0/24"]["region"] == ""


def test_aws_file_without_ipv6_prefixes(tmp_path: Path) -> None:
    path = tmp_path / "aws.json"
    document = {"prefixes": [{"ip_prefix": "3.80.0.0/12", "region": "us-east-1", "service": "EC2"}]}
    path.write_text(json.dumps(document), encoding="utf-8")
    [prefix] = parse_feed(path, "aws")
    assert prefix.fields["service"] == "EC2"


def test_json_feed_error_has_column(tmp_path: Path) -> None:
    path = tmp_path / "aws.json"
    path.write_text('{"prefixes": [}', encoding="utf-8")
    with pytest.raises(FeedFormatError, match="at column 15"):
        parse_feed(path, "aws")


def test_compile_skips_bad_stanza_only(tmp_path: Path) -> None:
    from enrichment_helpers import write_settings

    from llmjack_enrichment.compiler import compile_index
    from llmjack_enrichment.index import FeedIndex

    feeds = {"tor": ("tor-exit-list", "tor", "tor-exit-list.txt", "")}
    path = write_settings(tmp_path, feeds, "[feed:broken]\nformat = yaml\n")
    report = compile_index(load_settings(path))
    assert report.malformed == ["broken"]
    assert "format 'yaml' is not one of" in report.skipped["broken"]
    assert report.entries["tor"] == 5
    index = FeedIndex.load(report.path, verify=True)
    assert index.lookup(parse_cell("185.220.101.1").address)


def test_index_read_error_falls_back(settings_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from llmjack_enrichment.engine import Enricher
    from llmjack_enrichment.index import FeedIndex

    def broken(self: FeedIndex, address: object) -> str:
        raise IndexError("index out of bounds on dimension 1")

    monkeypatch.setattr(FeedIndex, "summary", broken)
    enricher = Enricher.open(settings_file)
    verdicts = enricher.enrich(["3.80.12.34", "10.0.0.1"])
    enricher.close()
    assert verdicts["3.80.12.34"].ip_class == "unknown"
    assert verdicts["3.80.12.34"].status == (
        "local_only: feed index damaged; run llmjack feeds compile"
    )
    assert verdicts["10.0.0.1"].ip_class == "private"


def test_bad_feed_stanza_keeps_lookup(settings_file: Path) -> None:
    text = settings_file.read_text(encoding="utf-8")
    settings_file.write_text(text + "\n[feed:broken]\nformat = yaml\n", encoding="utf-8")
    stdin = b"sourceIPAddress,ip_class,ip_status\n185.220.101.1,,\n"
    [row] = rows_of(lookup(settings_file, stdin, "sourceIPAddress"))
    assert row["ip_class"] == "tor"
    assert row["ip_status"] == "ok"
