"""Scheduled correlation searches read every time bucket whole in at least one run."""

from __future__ import annotations

import pytest
from convert_paths import CASES_DIR
from sigma.collection import SigmaCollection

from sigma_llmjack.convert.savedsearches import rule_settings
from sigma_llmjack.pipelines.schedule import ScheduleSettings

CASE_TEXT = (CASES_DIR / "c08_correlation_group_by.yml").read_text(encoding="utf-8")


def relative_minutes(value: str) -> int:
    """Read ``-40m@m`` as 40 and ``now`` as 0."""
    return 0 if value == "now" else int(value.removeprefix("-").removesuffix("m@m"))


@pytest.mark.parametrize("span", [5, 10, 25, 30, 60])
@pytest.mark.parametrize(("interval", "lag"), [(15, 15), (5, 0), (30, 10), (20, 15)])
def test_correlation_bucket_inside_one_run(span: int, interval: int, lag: int) -> None:
    correlation = SigmaCollection.from_yaml(
        CASE_TEXT.replace("timespan: 1h", f"timespan: {span}m")
    ).rules[1]
    schedule = ScheduleSettings.from_mapping({"schedule_minutes": interval, "lag_minutes": lag})
    settings = rule_settings(schedule)(correlation)
    earliest = relative_minutes(settings["dispatch.earliest_time"])
    latest = relative_minutes(settings["dispatch.latest_time"])
    # Runs start at multiples of the interval, and buckets at multiples of the span (bin _time).
    runs = [(run - earliest, run - latest) for run in range(0, 2 * 24 * 60, interval)]
    for bucket_start in range(6 * 60, 24 * 60, span):
        bucket = (bucket_start, bucket_start + span)
        assert any(start <= bucket[0] and bucket[1] <= end for start, end in runs), (
            f"bucket {bucket} is split between runs {settings['dispatch.earliest_time']}"
        )
    assert settings["alert.suppress"] == "1"
    assert settings["alert.suppress.period"] == f"{interval + span}m"
