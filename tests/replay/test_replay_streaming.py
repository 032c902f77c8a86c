"""Matches written as they are found, the per-rule print cap, and stopping a run by signal."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import threading
from pathlib import Path

import pytest
from replay_cases import CORRELATION, DETECTION, at, cloudtrail
from test_replay_cli import LLMJACK, NOT_DENIED_ID, llmjack, write_lines

from sigma_llmjack.replay import (
    Match,
    ReplayInterrupted,
    SourcedRecord,
    StopRequest,
    replay_records,
)

NOT_DENIED = DETECTION / "invoke_not_denied.yml"


def test_on_match_receives_matches_in_order() -> None:
    events = [cloudtrail(time=at(minute)) for minute in (3, 1, 2)]
    records = [SourcedRecord(event, "trail", line) for line, event in enumerate(events, 1)]
    received: list[Match] = []
    result = replay_records(records, [NOT_DENIED, CORRELATION], on_match=received.append)
    assert result.matches == []
    assert [match.line for match in received if not match.correlation] == [2, 3, 1]
    assert result.match_counts[NOT_DENIED_ID] == 3
    assert result.matches_per_rule() == {
        match.rule_id: sum(1 for m in received if m.rule_id == match.rule_id) for match in received
    }
    rule_ids = [match.rule_id for match in received]
    assert rule_ids == sorted(rule_ids)


def test_max_matches_per_rule_caps_text(tmp_path: Path) -> None:
    log = write_lines(tmp_path / "trail.jsonl", [cloudtrail(time=at(m)) for m in range(4)])
    done = llmjack("--max-matches-per-rule", "1", "--rules", str(NOT_DENIED), str(log))
    assert done.returncode == 0, done.stderr
    assert done.stdout.count(f"({NOT_DENIED_ID}, event)") == 1
    assert "matches: 4" in done.stdout
    assert "3 not printed (--max-matches-per-rule)" in done.stdout


def test_json_output_without_matches_valid(tmp_path: Path) -> None:
    log = write_lines(tmp_path / "quiet.jsonl", [cloudtrail("ListFoundationModels")])
    done = llmjack("--format", "json", "--rules", str(NOT_DENIED), str(log))
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["matches"] == []
    assert document["summary"]["records_read"] == 1


def test_stop_request_interrupts_running_statement(tmp_path: Path) -> None:
    stop = StopRequest()
    connection = sqlite3.connect(tmp_path / "stop.sqlite3")
    stop.watch(connection)
    endless = (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT 10000000000) "
        "SELECT count(*) FROM n"
    )
    timer = threading.Timer(0.2, stop.request, args=(signal.SIGTERM,))
    timer.start()
    with pytest.raises(sqlite3.OperationalError, match="interrupted"):
        connection.execute(endless).fetchone()
    timer.join()
    with pytest.raises(ReplayInterrupted) as raised:
        stop.check()
    assert raised.value.signal_number == signal.SIGTERM
    # A statement started after the request is aborted by the progress handler.
    with pytest.raises(sqlite3.OperationalError, match="interrupted"):
        connection.execute(endless.replace("10000000000", "1000000")).fetchone()
    connection.close()


@pytest.mark.parametrize(("signal_number", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_stops_run_and_removes_database(
    tmp_path: Path, signal_number: int, status: int
) -> None:
    environment = dict(os.environ, TMPDIR=str(tmp_path))
    process = subprocess.Popen(
        [str(LLMJACK), "replay", "--rules", str(NOT_DENIED), "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment,
        text=True,
    )
    assert process.stdin is not None
    process.stdin.write(json.dumps(cloudtrail()) + "\n")
    process.stdin.flush()
    # The database folder exists once the rules are compiled and reading has begun.
    while not list(tmp_path.glob("llmjack-replay-*/events.sqlite3")):
        assert process.poll() is None, process.communicate()
        threading.Event().wait(0.05)
    process.send_signal(signal_number)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == status, stderr
    assert "llmjack: interrupted" in stderr
    assert "Traceback" not in stderr
    assert list(tmp_path.glob("llmjack-replay-*")) == []


def test_json_writer_writes_each_match_at_once() -> None:
    import io

    from sigma_llmjack.replay import ReplayResult
    from sigma_llmjack.replay.output import JsonWriter

    stream = io.StringIO()
    writer = JsonWriter(stream)
    result = ReplayResult()
    for line in (1, 2):
        match = Match("rule-1", "Rule One", "low", False, at(line), line=line)
        result.count_match(match)
        writer.write(match)
        assert stream.getvalue().count('"rule_id"') == line
    writer.finish(result, files=1)
    document = json.loads(stream.getvalue())
    assert [match["line"] for match in document["matches"]] == [1, 2]
    assert document["summary"]["matches_per_rule"] == {"rule-1": 2}
    assert document["summary"]["files"] == 1


def test_window_loop_stops_on_request(monkeypatch: pytest.MonkeyPatch) -> None:
    from sigma_llmjack.replay import windows

    monkeypatch.setattr(windows, "STOP_CHECK_ROWS", 2)
    plan = windows.WindowPlan("event_count", 600.0, ">=", 1.0, 1, (), "matches")
    rows = iter([(f"e:0:{index}", float(index), 0, None, "key") for index in range(10)])
    episodes = windows._group_episodes(("key",), rows, plan, stop=lambda: True)
    with pytest.raises(sqlite3.OperationalError, match="interrupted"):
        list(episodes)
