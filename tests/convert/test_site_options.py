"""Site options of the Splunk and Elastic targets: accepted values and error messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from convert_paths import CASES_DIR
from test_cli import run_llmjack

from sigma_llmjack.pipelines.elastic import ElasticOptions
from sigma_llmjack.pipelines.schedule import ScheduleSettings

RULE = CASES_DIR / "c01_model_id.yml"


@pytest.mark.parametrize("target", ["lucene", "esql", "eql"])
def test_elastic_index_number_rejected(tmp_path: Path, target: str) -> None:
    site = tmp_path / "el1.yml"
    site.write_text("elastic: {index: 5}\n", encoding="utf-8")
    completed = run_llmjack("-t", target, "-c", site, RULE)
    assert completed.returncode == 2
    assert "elastic.index must be an index pattern or a list of them, got 5" in completed.stderr
    assert "Traceback" not in completed.stderr


@pytest.mark.parametrize(
    "pattern",
    ["logs-*, evil | drop x", 'a"b', "Logs-Upper", "a b", "_private", "+plus", "..", "a/b"],
)
def test_elastic_index_unsafe_pattern_rejected(pattern: str) -> None:
    with pytest.raises(ValueError, match="invalid index pattern") as caught:
        ElasticOptions.from_mapping({"index": ["logs-*", pattern]})
    assert repr(pattern) in str(caught.value)


@pytest.mark.parametrize("value", [{"a": 1}, [], 5, None, [7]])
def test_elastic_index_other_type_rejected(value: object) -> None:
    with pytest.raises(ValueError, match="elastic.index"):
        ElasticOptions.from_mapping({"index": value})


def test_elastic_index_valid_patterns() -> None:
    patterns = ["logs-aws.cloudtrail-*", "-logs-aws.cloudtrail-test*", "remote:logs-*", ".ds-a"]
    assert ElasticOptions.from_mapping({"index": patterns}).index == tuple(patterns)


def test_esql_from_clause_patterns(tmp_path: Path) -> None:
    site = tmp_path / "site.yml"
    site.write_text("elastic: {index: [remote:logs-*, -logs-test*]}\n", encoding="utf-8")
    completed = run_llmjack("-t", "esql", "-c", site, RULE)
    assert completed.returncode == 0, completed.stderr
    clause = completed.stdout.split(" metadata ")[0]
    assert sorted(clause.removeprefix("from ").split(",")) == ["-logs-test*", "remote:logs-*"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"lag_minutes": -5}, "splunk.lag_minutes must not be negative, got -5"),
        ({"schedule_minutes": -1}, "splunk.schedule_minutes must not be negative, got -1"),
        (
            {"schedule_minutes": 60},
            "splunk.schedule_minutes must be one of 1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30",
        ),
        ({"schedule_minutes": "5"}, "splunk.schedule_minutes must be a whole number"),
    ],
)
def test_splunk_schedule_error_messages(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError) as caught:
        ScheduleSettings.from_mapping(options)
    assert message in str(caught.value)


@pytest.mark.parametrize("minutes", [2, 3, 4, 6, 12])
def test_splunk_schedule_hour_divisors(minutes: int) -> None:
    assert ScheduleSettings.from_mapping({"schedule_minutes": minutes}).interval_minutes == minutes
