"""The public replay API: match fields, ordering, defaults and the bundled pack."""

from __future__ import annotations

from replay_cases import ACCESS_KEY, ARN, CORRELATION, DETECTION, at, cloudtrail

from sigma_llmjack.replay import Match, ReplayResult, replay_events

NOT_DENIED_ID = "5f0c7b7e-2d5e-4c36-9d7a-0b6a1c1e0001"


def test_detection_match_fields() -> None:
    result = replay_events([cloudtrail(time=at(1))], [DETECTION / "invoke_not_denied.yml"])
    assert isinstance(result, ReplayResult)
    assert len(result.matches) == 1
    match = result.matches[0]
    assert isinstance(match, Match)
    assert match.rule_id == NOT_DENIED_ID
    assert match.title == "Test Bedrock InvokeModel Not Denied"
    assert match.level == "low"
    assert match.correlation is False
    assert match.time == "2024-05-01T10:01:00.000Z"
    assert match.identity == ARN
    assert match.access_key == ACCESS_KEY
    assert match.source_ip == "198.51.100.7"
    assert match.region == "us-east-1"
    assert match.event_name == "InvokeModel"
    assert match.event_count == 1
    assert match.group == {}
    assert match.line == 1
    assert match.source is None


def test_matches_sorted_by_rule_then_time() -> None:
    events = [cloudtrail(time=at(minute)) for minute in (30, 5, 20)]
    result = replay_events(
        events, [DETECTION / "invoke_not_denied.yml", DETECTION / "lower_case_value.yml"]
    )
    keys = [(match.rule_id, match.time) for match in result.matches]
    assert keys == sorted(keys)
    assert len(keys) == 6
    assert [match.line for match in result.matches[:3]] == [2, 3, 1]


def test_generator_input_accepted() -> None:
    events = (cloudtrail(time=at(minute)) for minute in range(3))
    result = replay_events(events, [DETECTION / "invoke_not_denied.yml"])
    assert result.records == 3
    assert len(result.matches) == 3


def test_referenced_rule_has_no_own_matches() -> None:
    # A detection that only feeds a correlation (generate is false by default) reports nothing
    # of its own; the correlation reports the events.
    result = replay_events(
        [cloudtrail()], [CORRELATION / "base_invoke.yml", CORRELATION / "event_count.yml"]
    )
    assert result.matches == []
    assert result.errors == []
    assert result.rules_evaluated == 1


def test_standalone_base_rule_matches() -> None:
    result = replay_events([cloudtrail()], [CORRELATION / "base_invoke.yml"])
    assert len(result.matches) == 1


def test_empty_input() -> None:
    result = replay_events([], [DETECTION])
    assert result.records == 0
    assert result.matches == []
    assert result.rules_evaluated + len(result.errors) == 11


def test_bundled_pack_used_by_default() -> None:
    result = replay_events([cloudtrail()])
    assert result.records == 1
    assert result.rules_evaluated + len(result.errors) > 0


def test_threads_give_same_result() -> None:
    from sigma_llmjack.config import load_config
    from sigma_llmjack.replay.compiler import compile_paths
    from sigma_llmjack.replay.database import EventStore
    from sigma_llmjack.replay.engine import evaluate, load_store, store_fields
    from sigma_llmjack.replay.results import ReplayResult, SourcedRecord

    events = [cloudtrail(time=at(minute), awsRegion="eu-north-1") for minute in range(5)]
    pack = compile_paths([DETECTION, CORRELATION], load_config())
    outputs = []
    for workers in (1, 2, 4):
        result = ReplayResult()
        with EventStore(store_fields(pack)) as store:
            records = (SourcedRecord(event, None, line) for line, event in enumerate(events, 1))
            load_store(store, records, result)
            evaluate(store, pack, result, workers=workers)
        outputs.append(result)
    first = outputs[0]
    assert len(first.matches) > 5
    assert any(match.correlation for match in first.matches)
    for other in outputs[1:]:
        assert other.matches == first.matches
        assert other.errors == first.errors
        assert other.rules_evaluated == first.rules_evaluated
