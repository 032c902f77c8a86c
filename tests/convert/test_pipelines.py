"""Unit tests of the pipeline building blocks: regex builders, options and Kibana fix-ups."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sigma.types import SigmaString

from sigma_llmjack.convert.savedsearches import ScheduleSettings, macros_conf
from sigma_llmjack.pipelines.elastic import ElasticOptions
from sigma_llmjack.pipelines.elastic_transformations import (
    KibanaRuleFixupTransformation,
    case_insensitive_regex,
    map_entry_regex,
)
from sigma_llmjack.pipelines.splunk import SplunkOptions, exact_regex

# Printable ASCII without the characters Sigma gives a meaning (wildcards and the escape).
PLAIN_TEXT = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=126, blacklist_characters="*?\\"),
    min_size=1,
    max_size=40,
)


@given(PLAIN_TEXT)
def test_case_insensitive_regex_matches_any_case(text: str) -> None:
    # Python's re reads this subset of Lucene regex syntax the same way.
    regex = case_insensitive_regex(SigmaString(text))
    assert re.fullmatch(regex, text)
    assert re.fullmatch(regex, text.swapcase())
    assert re.fullmatch(regex, text.upper())


@given(PLAIN_TEXT, PLAIN_TEXT)
def test_case_insensitive_regex_is_exact(text: str, other: str) -> None:
    regex = case_insensitive_regex(SigmaString(text))
    if other.lower() != text.lower():
        assert re.fullmatch(regex, other) is None


def test_case_insensitive_regex_keeps_literal_asterisk() -> None:
    regex = case_insensitive_regex(SigmaString("a\\*b"))
    assert re.fullmatch(regex, "A*B")
    assert re.fullmatch(regex, "AxB") is None


def test_case_insensitive_regex_translates_wildcards() -> None:
    regex = case_insensitive_regex(SigmaString("*cli/2 ?ython*"))
    assert re.fullmatch(regex, "aws-CLI/2 Python/3.11")
    assert re.fullmatch(regex, "aws-cli/3 python") is None


@given(PLAIN_TEXT)
def test_splunk_asterisk_regex_exact(text: str) -> None:
    value = SigmaString(text.replace("a", "\\*"))
    literal = text.replace("a", "*")
    regex = exact_regex(value)
    assert re.fullmatch(regex, literal, re.IGNORECASE)
    if "a" in text:
        assert re.fullmatch(regex, text.replace("a", "xy"), re.IGNORECASE) is None


@pytest.mark.parametrize(
    ("map_text", "matches"),
    [
        # The form the Elastic aws integration stores in aws.cloudtrail.request_parameters.
        ("{modelId=anthropic.claude-3-5-sonnet-20240620-v1:0}", True),
        ("{accept=*/*, modelId=anthropic.claude-3-5-sonnet-20240620-v1:0, contentType=x}", True),
        ("{modelId=anthropic.claude-3-5-sonnet-20240620-v1:0-extra}", False),
        ("{othermodelId=anthropic.claude-3-5-sonnet-20240620-v1:0}", False),
        ("{modelId=ANTHROPIC.Claude-3-5-Sonnet-20240620-V1:0}", True),
        ("{MODELID=anthropic.claude-3-5-sonnet-20240620-v1:0}", False),
    ],
)
def test_map_entry_regex(map_text: str, matches: bool) -> None:
    regex = map_entry_regex("modelId", SigmaString("anthropic.claude-3-5-sonnet-20240620-v1:0"))
    assert bool(re.fullmatch(regex, map_text)) is matches


def test_map_entry_wildcard_stays_in_entry() -> None:
    regex = map_entry_regex("modelId", SigmaString("*claude*"))
    assert re.fullmatch(regex, "{modelId=us.anthropic.claude-v2, accept=x}")
    assert re.fullmatch(regex, "{modelId=amazon.titan, accept=claude}") is None


def test_schedule_window_of_correlation() -> None:
    from convert_paths import CASES_DIR
    from sigma.collection import SigmaCollection

    text = (CASES_DIR / "c08_correlation_group_by.yml").read_text(encoding="utf-8")
    collection = SigmaCollection.from_yaml(text)
    schedule = ScheduleSettings()
    assert schedule.window_minutes(collection.rules[0]) == 15
    assert schedule.window_minutes(collection.rules[1]) == 75


@pytest.mark.parametrize(
    "options",
    [{"schedule_minutes": 7}, {"schedule_minutes": 0}, {"lag_minutes": -1}, {"index": "a b"}],
)
def test_schedule_settings_invalid(options: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ScheduleSettings.from_mapping(options)


def test_macros_conf_lists_indexes() -> None:
    text = macros_conf({"index_macro": "corp_ct", "index": ["a", "b"]})
    assert '[corp_ct]\ndefinition = (index="a" OR index="b")\n' in text


def test_splunk_macro_name_checked() -> None:
    with pytest.raises(ValueError, match="not a valid Splunk macro name"):
        SplunkOptions.from_mapping({"index_macro": "x` | delete"})


def test_elastic_index_string_becomes_tuple() -> None:
    assert ElasticOptions.from_mapping({"index": "logs-x"}).index == ("logs-x",)
    with pytest.raises(ValueError):
        ElasticOptions.from_mapping({"index": []})


def test_kibana_fixup_informational_and_index() -> None:
    fixup = KibanaRuleFixupTransformation(index=["logs-aws.cloudtrail-*"])
    rule = {"rule_id": "x", "severity": "informational", "risk_score": 1, "index": "logs-y"}
    fixed = fixup.apply(None, rule)  # type: ignore[arg-type]
    assert fixed["severity"] == "low"
    assert fixed["risk_score"] == 21
    assert fixed["index"] == ["logs-y"]
    assert fixed["timestamp_override"] == "event.ingested"


@pytest.mark.parametrize(
    "query",
    [
        '`m` sourcetype="s" a=1',
        "\n| rex x\n| search other=1",
        "\n| rex x",
    ],
)
def test_base_search_unchanged_without_match(query: str) -> None:
    from sigma_llmjack.pipelines.splunk_search import move_base_search_first

    assert move_base_search_first(query, '`m` sourcetype="s"') == query
