"""Correlation rules in replay: event_count, value_count and temporal over sliding windows."""

from __future__ import annotations

from replay_cases import ACCESS_KEY, CORRELATION, at, cloudtrail

from sigma_llmjack.replay import replay_events

BASES = [CORRELATION / "base_invoke.yml", CORRELATION / "base_list_models.yml"]
EVENT_COUNT_ID = "5f0c7b7e-2d5e-4c36-9d7a-0b6a1c1e0041"
VALUE_COUNT_ID = "5f0c7b7e-2d5e-4c36-9d7a-0b6a1c1e0042"
TEMPORAL_ID = "5f0c7b7e-2d5e-4c36-9d7a-0b6a1c1e0043"
OTHER_KEY = "AKIAEXAMPLE000000002"


def run(rule_file: str, events: list[dict]) -> list:
    result = replay_events(events, [*BASES, CORRELATION / rule_file])
    assert result.errors == []
    return result.matches


def invoke(time: str, key: str = ACCESS_KEY, address: str = "198.51.100.7") -> dict:
    record = cloudtrail("InvokeModel", time, sourceIPAddress=address)
    record["userIdentity"] = {"arn": f"arn:aws:iam::111122223333:user/{key}", "accessKeyId": key}
    return record


def test_event_count_burst_across_bucket_boundary() -> None:
    # 10:08, 10:09, 10:11: two in the fixed bucket 10:00-10:10 and one in 10:10-10:20, but
    # three within one 10-minute sliding window.
    matches = run("event_count.yml", [invoke(at(8)), invoke(at(9)), invoke(at(11))])
    assert len(matches) == 1
    match = matches[0]
    assert match.rule_id == EVENT_COUNT_ID
    assert match.correlation is True
    assert match.event_count == 3
    assert match.metric == 3
    assert match.group == {"userIdentity.accessKeyId": ACCESS_KEY}
    assert match.time == "2024-05-01T10:11:00.000Z"
    assert match.window_start == "2024-05-01T10:08:00.000Z"
    assert match.window_end == "2024-05-01T10:11:00.000Z"
    assert match.access_key == ACCESS_KEY


def test_event_count_spread_beyond_window() -> None:
    matches = run("event_count.yml", [invoke(at(0)), invoke(at(11)), invoke(at(22))])
    assert matches == []


def test_event_count_window_edge_inclusive() -> None:
    # Exactly 10 minutes from first to last event is inside a 10-minute window.
    matches = run("event_count.yml", [invoke(at(0)), invoke(at(5)), invoke(at(10))])
    assert len(matches) == 1


def test_event_count_groups_kept_apart() -> None:
    events = [invoke(at(1)), invoke(at(2)), invoke(at(3), key=OTHER_KEY)]
    assert run("event_count.yml", events) == []


def test_event_count_overlapping_alerts_merged() -> None:
    events = [invoke(at(minute)) for minute in range(8)]
    matches = run("event_count.yml", events)
    assert len(matches) == 1
    assert matches[0].event_count == 8
    assert matches[0].time == "2024-05-01T10:02:00.000Z"


def test_event_count_separate_episodes() -> None:
    events = [invoke(at(minute)) for minute in (0, 1, 2, 40, 41, 42)]
    matches = run("event_count.yml", events)
    assert [match.window_start for match in matches] == [
        "2024-05-01T10:00:00.000Z",
        "2024-05-01T10:40:00.000Z",
    ]


def test_event_count_group_value_keeps_case() -> None:
    # The backend groups case-insensitively; the match reports the key as logged.
    events = [invoke(at(1)), invoke(at(2), key=ACCESS_KEY.lower()), invoke(at(3))]
    matches = run("event_count.yml", events)
    assert len(matches) == 1
    assert matches[0].group == {"userIdentity.accessKeyId": ACCESS_KEY}


def test_value_count_distinct_addresses() -> None:
    events = [
        invoke(at(1), address="198.51.100.1"),
        invoke(at(2), address="198.51.100.2"),
        invoke(at(3), address="198.51.100.2"),
        invoke(at(9), address="198.51.100.3"),
    ]
    matches = run("value_count.yml", events)
    assert len(matches) == 1
    assert matches[0].rule_id == VALUE_COUNT_ID
    assert matches[0].metric == 3
    assert matches[0].source_ip == "198.51.100.1, 198.51.100.2, 198.51.100.3"


def test_value_count_repeated_address_not_counted() -> None:
    events = [invoke(at(minute), address="198.51.100.1") for minute in range(5)]
    events.append(invoke(at(6), address="198.51.100.2"))
    assert run("value_count.yml", events) == []


def test_value_count_outside_window() -> None:
    events = [
        invoke(at(0), address="198.51.100.1"),
        invoke(at(8), address="198.51.100.2"),
        invoke(at(19), address="198.51.100.3"),
    ]
    assert run("value_count.yml", events) == []


def test_temporal_both_rules_in_window() -> None:
    listing = cloudtrail("ListFoundationModels", at(9, 30))
    matches = run("temporal.yml", [listing, invoke(at(12))])
    assert len(matches) == 1
    assert matches[0].rule_id == TEMPORAL_ID
    assert matches[0].event_count == 2
    assert matches[0].event_name == "ListFoundationModels, InvokeModel"


def test_temporal_too_far_apart() -> None:
    listing = cloudtrail("ListFoundationModels", at(0))
    assert run("temporal.yml", [listing, invoke(at(15))]) == []


def test_temporal_one_rule_only() -> None:
    assert run("temporal.yml", [invoke(at(1)), invoke(at(2))]) == []


def test_temporal_different_keys() -> None:
    listing = cloudtrail("ListFoundationModels", at(1))
    assert run("temporal.yml", [listing, invoke(at(2), key=OTHER_KEY)]) == []


def test_events_without_time_set_aside() -> None:
    events = [invoke(at(1)), invoke(at(2)), invoke("yesterday"), invoke(at(3))]
    events[2]["eventTime"] = "not a time"
    result = replay_events(events, [*BASES, CORRELATION / "event_count.yml"])
    assert len(result.matches) == 1
    assert result.matches[0].event_count == 3
    assert result.diagnostics[EVENT_COUNT_ID] == {"invalid_timestamp": 1}


def test_prefilter_keeps_results() -> None:
    from sigma_llmjack.config import load_config
    from sigma_llmjack.replay import replay_records
    from sigma_llmjack.replay.compiler import compile_paths
    from sigma_llmjack.replay.results import SourcedRecord

    events = [invoke(at(minute), address=f"198.51.100.{minute % 4}") for minute in range(12)]
    events += [cloudtrail("ListFoundationModels", at(5)), cloudtrail("GetObject", at(6))]
    pack = compile_paths([CORRELATION], load_config())
    assert all(rule.prefilter for rule in pack.rules)

    def replay() -> list:
        records = (SourcedRecord(event, None, line) for line, event in enumerate(events, 1))
        return replay_records(records, pack=pack).matches

    filtered = replay()
    for rule in pack.rules:
        rule.prefilter = None
    unfiltered = replay()
    assert len(filtered) == 3
    assert filtered == unfiltered


EXTENDED = CORRELATION.parent / "correlation_extended"


def run_extended(rule_file: str, events: list[dict]) -> list:
    result = replay_events(events, [*BASES, EXTENDED / rule_file])
    assert result.errors == []
    return result.matches


def test_temporal_ordered_in_order() -> None:
    events = [cloudtrail("ListFoundationModels", at(1)), invoke(at(3))]
    matches = run_extended("list_then_invoke_ordered.yml", events)
    assert len(matches) == 1
    assert matches[0].event_count == 2
    assert matches[0].window_start == "2024-05-01T10:01:00.000Z"


def test_temporal_ordered_wrong_order() -> None:
    events = [invoke(at(1)), cloudtrail("ListFoundationModels", at(3))]
    assert run_extended("list_then_invoke_ordered.yml", events) == []


def test_negated_temporal_fires_without_listing() -> None:
    # Each invocation opens a 10-minute window after it; it fires when no listing by the same
    # key falls inside. The last invocation's window runs past the end of the input, so it is
    # left open and counted instead of reported.
    events = [
        invoke(at(1)),
        cloudtrail("ListFoundationModels", at(30)),
        invoke(at(25)),
        invoke(at(60)),
        invoke(at(100)),
    ]
    result = replay_events(events, [*BASES, EXTENDED / "invoke_without_listing.yml"])
    assert result.errors == []
    assert [match.line for match in result.matches] == [1, 4]
    assert result.diagnostics == {"5f0c7b7e-2d5e-4c36-9d7a-0b6a1c1e0044": {"incomplete_window": 1}}


def test_negated_temporal_reads_every_row() -> None:
    from sigma_llmjack.config import load_config
    from sigma_llmjack.replay.compiler import compile_paths

    pack = compile_paths([*BASES, EXTENDED / "invoke_without_listing.yml"], load_config())
    assert [rule.prefilter for rule in pack.rules] == [None]


def test_sliding_windows_equal_backend_sql() -> None:
    import random

    from sigma_llmjack.config import load_config
    from sigma_llmjack.replay import replay_records
    from sigma_llmjack.replay.compiler import compile_paths
    from sigma_llmjack.replay.results import SourcedRecord

    generator = random.Random(7)
    events = []
    for _ in range(300):
        minute, second = generator.randrange(180), generator.choice([0, 0, 30])
        key = generator.choice([ACCESS_KEY, OTHER_KEY, ACCESS_KEY.lower()])
        address = f"198.51.100.{generator.randrange(4)}"
        if generator.random() < 0.2:
            record = cloudtrail("ListFoundationModels", at(minute, second))
            record["userIdentity"] = {"accessKeyId": key}
        else:
            record = invoke(at(minute, second), key=key, address=address.upper())
        events.append(record)
    pack = compile_paths([CORRELATION], load_config())
    assert len([rule for rule in pack.rules if rule.windows is not None]) == 3

    def replay() -> list:
        records = (SourcedRecord(event, None, line) for line, event in enumerate(events, 1))
        return replay_records(records, pack=pack).matches

    sliding = replay()
    for rule in pack.rules:
        rule.windows = None
    backend = replay()
    assert len(sliding) > 3
    assert {match.rule_id for match in sliding} == {EVENT_COUNT_ID, VALUE_COUNT_ID, TEMPORAL_ID}
    assert sliding == backend
