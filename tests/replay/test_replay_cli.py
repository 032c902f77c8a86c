"""``llmjack replay`` end to end, through the installed console script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from replay_cases import CORRELATION, DETECTION, at, cloudtrail

LLMJACK = Path(sys.executable).parent / "llmjack"
NOT_DENIED_ID = "5f0c7b7e-2d5e-4c36-9d7a-0b6a1c1e0001"
REGION_ID = "5f0c7b7e-2d5e-4c36-9d7a-0b6a1c1e0017"
BURST_ID = "5f0c7b7e-2d5e-4c36-9d7a-0b6a1c1e0041"


def llmjack(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LLMJACK), "replay", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def write_lines(path: Path, records: list[dict], extra: str = "") -> Path:
    path.write_text("\n".join(json.dumps(record) for record in records) + "\n" + extra)
    return path


def test_text_output(tmp_path: Path) -> None:
    log = write_lines(tmp_path / "trail.jsonl", [cloudtrail(time=at(1))], "{broken\n")
    done = llmjack("--rules", str(DETECTION / "invoke_not_denied.yml"), str(log))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert f"[low] Test Bedrock InvokeModel Not Denied ({NOT_DENIED_ID}, event)" in out
    assert "time: 2024-05-01T10:01:00.000Z  event: InvokeModel" in out
    assert "identity: arn:aws:iam::111122223333:user/dev" in out
    assert "access key: AKIAEXAMPLE000000001" in out
    assert "source address: 198.51.100.7  region: us-east-1" in out
    assert f"record: {log}, line 1" in out
    assert "records read: 1 from 1 file(s)" in out
    assert "records skipped: 1" in out
    assert f"{log}, line 2: invalid JSON" in out
    assert "rules evaluated: 1 of 1" in out
    assert "Traceback" not in done.stderr


def test_json_output(tmp_path: Path) -> None:
    events = [cloudtrail(time=at(minute)) for minute in (1, 2, 3)]
    log = write_lines(tmp_path / "trail.jsonl", events)
    rules = [str(CORRELATION), "--rules", str(DETECTION / "invoke_not_denied.yml")]
    done = llmjack("--format", "json", "--rules", *rules, str(log))
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    summary = document["summary"]
    assert summary["records_read"] == 3
    assert summary["records_skipped"] == []
    assert summary["matches_per_rule"] == {NOT_DENIED_ID: 3, BURST_ID: 1}
    burst = [m for m in document["matches"] if m["rule_id"] == BURST_ID][0]
    assert burst["correlation"] is True
    assert burst["event_count"] == 3
    assert burst["group"] == {"userIdentity.accessKeyId": "AKIAEXAMPLE000000001"}


def test_bad_file_named_and_others_read(tmp_path: Path) -> None:
    log = write_lines(tmp_path / "trail.jsonl", [cloudtrail()])
    missing = tmp_path / "missing.json.gz"
    corrupt = tmp_path / "corrupt.json.gz"
    corrupt.write_bytes(b"\x1f\x8b\x08\x00garbage")
    rules = str(DETECTION / "invoke_not_denied.yml")
    done = llmjack("--format", "json", "--rules", rules, str(missing), str(corrupt), str(log))
    assert done.returncode == 2
    assert f"llmjack: error: {missing}: no such file" in done.stderr
    assert f"llmjack: error: {corrupt}:" in done.stderr
    assert "Traceback" not in done.stderr
    document = json.loads(done.stdout)
    assert document["summary"]["records_read"] == 1
    assert len(document["matches"]) == 1
    errors = document["summary"]["file_errors"]
    assert [error["source"] for error in errors] == [str(missing), str(corrupt)]
    assert all(error["line"] is None for error in errors)
    assert document["summary"]["records_skipped"] == []

    text = llmjack("--rules", rules, str(missing), str(log)).stdout
    assert "files not read or cut short: 1" in text
    assert f"    {missing}: no such file" in text
    assert "records skipped: 0" in text


def test_fail_on_match_status(tmp_path: Path) -> None:
    log = write_lines(tmp_path / "trail.jsonl", [cloudtrail()])
    rules = str(DETECTION / "invoke_not_denied.yml")
    assert llmjack("--fail-on-match", "--rules", rules, str(log)).returncode == 1
    quiet = write_lines(tmp_path / "quiet.jsonl", [cloudtrail("ListFoundationModels")])
    assert llmjack("--fail-on-match", "--rules", rules, str(quiet)).returncode == 0


def test_standard_input() -> None:
    text = json.dumps({"Records": [cloudtrail(), cloudtrail()]})
    rules = str(DETECTION / "invoke_not_denied.yml")
    done = llmjack("--format", "json", "--rules", rules, "-", stdin=text)
    assert done.returncode == 0, done.stderr
    matches = json.loads(done.stdout)["matches"]
    assert [match["source"] for match in matches] == ["-", "-"]


def test_site_config_fills_placeholder(tmp_path: Path) -> None:
    log = write_lines(tmp_path / "trail.jsonl", [cloudtrail(awsRegion="ap-southeast-2")])
    rules = str(DETECTION / "unexpected_region.yml")
    default = json.loads(llmjack("--format", "json", "--rules", rules, str(log)).stdout)
    assert default["summary"]["matches_per_rule"] == {REGION_ID: 1}

    site = tmp_path / "site.yml"
    site.write_text("placeholders:\n  bedrock_expected_regions: ['ap-southeast-2']\n")
    done = llmjack("--format", "json", "--config", str(site), "--rules", rules, str(log))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["summary"]["matches_per_rule"] == {}


def test_unconvertible_rule_reported(tmp_path: Path) -> None:
    log = write_lines(tmp_path / "trail.jsonl", [cloudtrail()])
    done = llmjack("--rules", str(tmp_path.parent / "nothing-here"), str(log))
    assert done.returncode == 2
    assert "llmjack: error:" in done.stderr
    assert "nothing-here" in done.stderr

    broken = str(DETECTION.parent / "broken" / "keywords.yml")
    done = llmjack("--rules", broken, str(log))
    assert done.returncode == 0
    assert "5f0c7b7e-2d5e-4c36-9d7a-0b6a1c1e0021" in done.stderr
    assert "rules not evaluated: 1" in done.stdout
    assert "not supported by the backend" in done.stdout


def test_usage_error_status() -> None:
    done = llmjack()
    assert done.returncode == 2
    assert "LOGFILE" in done.stderr


def test_many_skipped_records_capped(tmp_path: Path) -> None:
    log = tmp_path / "noisy.jsonl"
    log.write_text("\n".join(["{broken"] * 30 + [json.dumps(cloudtrail())]) + "\n")
    rules = str(DETECTION / "invoke_not_denied.yml")
    text = llmjack("--rules", rules, str(log)).stdout
    assert "records skipped: 30" in text
    assert f"{log}, line 20: invalid JSON" in text
    assert f"{log}, line 21:" not in text
    assert "... and 10 more (--format json lists every one)" in text
    document = json.loads(llmjack("--format", "json", "--rules", rules, str(log)).stdout)
    assert len(document["summary"]["records_skipped"]) == 30
    assert document["summary"]["records_read"] == 1


def test_stdin_named_twice_rejected(tmp_path: Path) -> None:
    done = llmjack("-", "-", stdin=json.dumps(cloudtrail(time=at(1))))
    assert done.returncode == 2
    assert "standard input" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_folder_counted_as_unreadable_only(tmp_path: Path) -> None:
    log = write_lines(tmp_path / "trail.jsonl", [cloudtrail(time=at(1))])
    folder = tmp_path / "folder"
    folder.mkdir()
    done = llmjack("--rules", str(DETECTION / "invoke_not_denied.yml"), str(folder), str(log))
    assert done.returncode == 2
    assert "records read: 1 from 1 file(s)" in done.stdout
    assert "files not read or cut short: 1" in done.stdout
    assert "records skipped: 0" in done.stdout
    assert f"{folder}: is a folder" in done.stderr


def test_empty_rules_folder_rejected(tmp_path: Path) -> None:
    log = write_lines(tmp_path / "trail.jsonl", [cloudtrail()])
    empty = tmp_path / "no-rules"
    empty.mkdir()
    done = llmjack("--rules", str(empty), str(log))
    assert done.returncode == 2
    assert str(empty) in done.stderr
    assert "rules evaluated" not in done.stdout


def test_deeply_nested_request_skipped(tmp_path: Path) -> None:
    nested = '{"a":' * 100_000 + "1" + "}" * 100_000
    deep = json.dumps(cloudtrail(time=at(2)))[:-1] + ', "requestParameters": ' + nested + "}"
    log = write_lines(tmp_path / "trail.jsonl", [cloudtrail(time=at(1))], deep + "\n")
    log.write_text(log.read_text() + json.dumps(cloudtrail(time=at(3))) + "\n")
    done = llmjack("--rules", str(DETECTION / "invoke_not_denied.yml"), str(log))
    assert done.returncode == 0, done.stderr[-500:]
    assert "records read: 2 from 1 file(s)" in done.stdout
    assert "records skipped: 1" in done.stdout
    assert f"{log}, line 2: JSON nested too deeply to decode" in done.stdout
    assert "Traceback" not in done.stderr
