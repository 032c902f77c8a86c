"""Log file shapes that replay reads, malformed records and unreadable files."""

from __future__ import annotations

import codecs
import gzip
import json
from pathlib import Path

import pytest
from replay_cases import at, cloudtrail

from sigma_llmjack.replay import Skipped
from sigma_llmjack.replay import scanner as scanner_module
from sigma_llmjack.replay.logs import read_log, read_logs

RECORDS = [cloudtrail("InvokeModel", at(minute), eventID=f"event-{minute}") for minute in range(3)]
IDS = ["event-0", "event-1", "event-2"]


def read(path: Path) -> tuple[list, list[Skipped]]:
    skipped: list[Skipped] = []
    records = list(read_logs([path], skipped))
    return records, skipped


def event_ids(records: list) -> list[str]:
    return [item.record.get("eventID") for item in records]


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


SHAPES = {
    "s3_delivery": json.dumps({"Records": RECORDS}),
    "s3_delivery_pretty": json.dumps({"Records": RECORDS}, indent=2),
    "array_compact": json.dumps(RECORDS),
    "array_pretty": json.dumps(RECORDS, indent=4),
    "array_tabs": json.dumps(RECORDS, indent="\t"),
    "json_lines": "\n".join(json.dumps(record) for record in RECORDS) + "\n",
    "json_lines_crlf": "\r\n".join(json.dumps(record) for record in RECORDS),
    "objects_pretty_tabs": "\n".join(json.dumps(record, indent="\t") for record in RECORDS),
    "s3_deliveries_concatenated": json.dumps({"Records": RECORDS[:2]})
    + "\n"
    + json.dumps({"Records": RECORDS[2:]}),
    "panther_tests": "\n".join(
        json.dumps({"test_name": f"case {i}", "expected_result": True, "log": record})
        for i, record in enumerate(RECORDS)
    ),
    "insights_export": json.dumps(
        [{"@timestamp": "2024-05-01 10:00:00.000", "@message": json.dumps(r)} for r in RECORDS]
    ),
    "cloudwatch_events": json.dumps(
        {"events": [{"timestamp": 1714557600000, "message": json.dumps(r)} for r in RECORDS]}
    ),
    "cloudwatch_s3_export": "\n".join(
        f"2024-05-01T10:0{i}:00.000Z {json.dumps(record)}" for i, record in enumerate(RECORDS)
    ),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_shape_read(tmp_path: Path, shape: str) -> None:
    records, skipped = read(write(tmp_path, f"{shape}.json", SHAPES[shape]))
    assert skipped == []
    assert event_ids(records) == IDS


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_shape_read_gzip_without_suffix(tmp_path: Path, shape: str) -> None:
    path = tmp_path / f"{shape}.json"
    path.write_bytes(gzip.compress(SHAPES[shape].encode("utf-8")))
    records, skipped = read(path)
    assert skipped == []
    assert event_ids(records) == IDS


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("chunk", [1, 7, 64])
def test_shape_read_in_small_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shape: str, chunk: int
) -> None:
    monkeypatch.setattr(scanner_module, "CHUNK_CHARS", chunk)
    records, skipped = read(write(tmp_path, f"{shape}.json", SHAPES[shape]))
    assert skipped == []
    assert event_ids(records) == IDS


def test_single_object(tmp_path: Path) -> None:
    records, skipped = read(write(tmp_path, "one.json", json.dumps(RECORDS[0], indent="\t")))
    assert skipped == []
    assert event_ids(records) == ["event-0"]
    assert records[0].line == 1


def test_byte_order_marks(tmp_path: Path) -> None:
    text = SHAPES["insights_export"]
    utf8 = tmp_path / "utf8.json"
    utf8.write_bytes(codecs.BOM_UTF8 + text.encode("utf-8"))
    utf16 = tmp_path / "utf16.json"
    utf16.write_bytes(text.encode("utf-16"))
    for path in (utf8, utf16):
        records, skipped = read(path)
        assert skipped == []
        assert event_ids(records) == IDS


def test_gzip_suffix(tmp_path: Path) -> None:
    path = tmp_path / "111122223333_CloudTrail_us-east-1_20240501T1000Z_abc.json.gz"
    path.write_bytes(gzip.compress(SHAPES["s3_delivery"].encode()))
    records, _ = read(path)
    assert event_ids(records) == IDS


def test_json_lines_line_numbers(tmp_path: Path) -> None:
    text = "\n" + SHAPES["json_lines"].replace("\n", "\n\n", 1)
    records, _ = read(write(tmp_path, "lines.jsonl", text))
    assert [item.line for item in records] == [2, 4, 5]


def test_pretty_array_line_numbers(tmp_path: Path) -> None:
    records, _ = read(write(tmp_path, "array.json", json.dumps(RECORDS[:2], indent=1)))
    first_length = len(json.dumps(RECORDS[0], indent=1).splitlines())
    assert [item.line for item in records] == [2, 2 + first_length]


def test_malformed_json_lines_skipped(tmp_path: Path) -> None:
    lines = [json.dumps(RECORDS[0]), '{"eventName": "InvokeModel", ', json.dumps(RECORDS[1])]
    lines += ["not json at all", json.dumps(RECORDS[2])]
    records, skipped = read(write(tmp_path, "lines.jsonl", "\n".join(lines)))
    assert event_ids(records) == IDS
    assert [(item.source, item.line) for item in skipped] == [
        (str(tmp_path / "lines.jsonl"), 2),
        (str(tmp_path / "lines.jsonl"), 4),
    ]
    assert all("invalid JSON" in item.reason for item in skipped)


def test_malformed_element_in_pretty_array(tmp_path: Path) -> None:
    broken = json.dumps([RECORDS[0], {"BROKEN": 1}, RECORDS[1], RECORDS[2]], indent=2)
    broken = broken.replace('"BROKEN": 1', '"BROKEN": 1,,')
    records, skipped = read(write(tmp_path, "array.json", broken))
    assert event_ids(records) == IDS
    assert len(skipped) == 1
    assert "array element 2" in skipped[0].reason
    assert skipped[0].line == broken[: broken.index('"BROKEN"')].count("\n")


def test_malformed_element_in_s3_delivery(tmp_path: Path) -> None:
    text = SHAPES["s3_delivery"].replace('"eventID": "event-1"', '"eventID": event-1')
    records, skipped = read(write(tmp_path, "delivery.json", text))
    assert event_ids(records) == ["event-0", "event-2"]
    assert len(skipped) == 1
    assert skipped[0].line == 1
    assert "array element 2" in skipped[0].reason


def test_truncated_s3_delivery(tmp_path: Path) -> None:
    text = SHAPES["s3_delivery"]
    records, skipped = read(write(tmp_path, "cut.json", text[: text.index("event-2") + 3]))
    assert event_ids(records) == ["event-0", "event-1"]
    assert len(skipped) == 1
    assert "array element 3" in skipped[0].reason


def test_unclosed_array(tmp_path: Path) -> None:
    text = json.dumps(RECORDS, indent=2).rstrip("]\n ")
    records, skipped = read(write(tmp_path, "open.json", text))
    assert event_ids(records) == IDS
    assert [item.reason for item in skipped] == ["the JSON array is not closed"]


def test_invalid_utf8_replaced(tmp_path: Path) -> None:
    path = tmp_path / "bytes.jsonl"
    line = json.dumps(cloudtrail(userAgent="agent-X")).encode().replace(b"X", b"\xff\xfe")
    path.write_bytes(line + b"\n" + json.dumps(RECORDS[0]).encode())
    records, skipped = read(path)
    assert skipped == []
    assert records[0].record["userAgent"] == "agent-\ufffd\ufffd"
    assert len(records) == 2


def test_truncated_gzip_keeps_records(tmp_path: Path) -> None:
    lines = "\n".join(json.dumps(cloudtrail(eventID=str(i))) for i in range(2000))
    path = tmp_path / "cut.json.gz"
    data = gzip.compress(lines.encode())
    path.write_bytes(data[: len(data) // 2])
    records, skipped = read(path)
    assert 0 < len(records) < 2000
    assert len(skipped) >= 1
    assert skipped[-1].line is None
    assert "truncated" in skipped[-1].reason


def test_corrupt_gzip_reported(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.json.gz"
    path.write_bytes(b"\x1f\x8b" + b"this is not deflate data" * 10)
    records, skipped = read(path)
    assert records == []
    assert len(skipped) == 1
    assert skipped[0].source == str(path)
    assert "gzip" in skipped[0].reason


def test_missing_file_and_folder_reported(tmp_path: Path) -> None:
    good = write(tmp_path, "good.jsonl", SHAPES["json_lines"])
    skipped: list[Skipped] = []
    paths = [tmp_path / "missing.json", tmp_path, good]
    records = list(read_logs(paths, skipped))
    assert event_ids(records) == IDS
    assert [(item.source, item.reason) for item in skipped] == [
        (str(tmp_path / "missing.json"), "no such file"),
        (str(tmp_path), "is a folder; pass the log files inside it"),
    ]


def test_empty_file(tmp_path: Path) -> None:
    skipped: list[Skipped] = []
    assert list(read_log(write(tmp_path, "empty.json", "  \n"), skipped)) == []
    assert skipped == []


def test_records_are_streamed(tmp_path: Path) -> None:
    # The first record comes out before the reader reaches the end of a large delivery.
    many = [cloudtrail(eventID=str(i)) for i in range(5000)]
    path = write(tmp_path, "big.json", json.dumps({"Records": many}))
    skipped: list[Skipped] = []
    with path.open("rb") as handle:
        size = len(handle.read())
    iterator = read_log(path, skipped)
    first = next(iterator)
    assert first.record["eventID"] == "0"
    assert size > scanner_module.CHUNK_CHARS
    assert sum(1 for _ in iterator) == 4999


def test_deeply_nested_record_skipped(tmp_path: Path) -> None:
    deep = '{"a":' * 100_000 + "1" + "}" * 100_000
    text = "\n".join([json.dumps(RECORDS[0]), deep, json.dumps(RECORDS[1])])
    records, skipped = read(write(tmp_path, "deep.jsonl", text))
    assert event_ids(records) == ["event-0", "event-1"]
    assert [(item.line, item.reason) for item in skipped] == [
        (2, "JSON nested too deeply to decode")
    ]


def test_lone_surrogate_escape_stored(tmp_path: Path) -> None:
    from replay_cases import DETECTION

    from sigma_llmjack.replay import replay_records

    text = json.dumps(RECORDS[0]).replace("Boto3", "\\ud800Boto3") + "\n" + json.dumps(RECORDS[1])
    skipped: list[Skipped] = []
    records = read_logs([write(tmp_path, "surrogate.jsonl", text)], skipped)
    rules = [DETECTION / "user_agent_regex.yml"]
    result = replay_records(records, rules, skipped=skipped)
    assert result.skipped == []
    assert result.records == 2
    assert [match.line for match in result.matches] == [2]


@pytest.mark.parametrize("value", ['{"a": 1}', "null", '"text"', "3"])
def test_records_not_a_list_reported(tmp_path: Path, value: str) -> None:
    text = json.dumps(RECORDS[0]) + '\n{"Records": ' + value + "}\n" + json.dumps(RECORDS[1])
    records, skipped = read(write(tmp_path, "records.jsonl", text))
    assert event_ids(records) == ["event-0", "event-1"]
    assert len(skipped) == 1
    assert skipped[0].line == 2
    assert skipped[0].reason.startswith('"Records" is not a list')


def test_binary_file_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "image.bin"
    path.write_bytes(bytes(range(256)) * 8)
    records, skipped = read(path)
    assert records == []
    assert len(skipped) == 1
    assert skipped[0].line is None
    assert skipped[0].unreadable
    assert "not JSON text" in skipped[0].reason


def test_undecodable_bytes_inside_log_still_read(tmp_path: Path) -> None:
    text = json.dumps(RECORDS[0]).encode() + b"\n" + json.dumps(RECORDS[1]).encode()
    path = tmp_path / "damaged.jsonl"
    path.write_bytes(text.replace(b"Boto3", b"Bo\xfft\xfe3"))
    records, skipped = read(path)
    assert event_ids(records) == ["event-0", "event-1"]
    assert skipped == []


def test_long_string_decoded_few_times(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    long_record = dict(RECORDS[1], requestParameters={"prompt": "x" * (4 << 20)})
    text = "\n".join(json.dumps(record) for record in (RECORDS[0], long_record, RECORDS[2]))
    path = write(tmp_path, "long.jsonl", text)
    calls = 0
    original = scanner_module.json.JSONDecoder.raw_decode

    def counting(self: json.JSONDecoder, *args: object) -> object:
        nonlocal calls
        calls += 1
        return original(self, *args)

    monkeypatch.setattr(scanner_module.json.JSONDecoder, "raw_decode", counting)
    records, skipped = read(path)
    assert event_ids(records) == IDS
    assert skipped == []
    assert len(records[1].record["requestParameters"]["prompt"]) == 4 << 20
    # One chunk at a time would retry the cut value 4 MiB / 64 KiB = 64 times.
    assert calls < 16
