"""Scheduling and alert settings of the Splunk saved searches, and the index macro stanza.

CloudTrail delivers events to S3 up to about 15 minutes after the API call, and the add-on needs
time to index them, so each run searches a window that ends ``lag_minutes`` in the past. The
window is as long as the schedule interval, or as long as a correlation rule's timespan when that
is longer, so consecutive runs cover every minute once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sigma.correlations import SigmaCorrelationRule
from sigma.rule import SigmaRule

from sigma_llmjack.pipelines.splunk import SplunkOptions

INDEX_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_*][A-Za-z0-9_*-]*$")

# Sigma level -> Splunk alert.severity (1 debug, 2 info, 3 warn, 4 error, 5 severe, 6 fatal).
ALERT_SEVERITY = {"informational": 2, "low": 3, "medium": 4, "high": 5, "critical": 6}


@dataclass(frozen=True)
class ScheduleSettings:
    """How often the saved searches run and how far back each run looks."""

    interval_minutes: int = 15
    lag_minutes: int = 15
    index: tuple[str, ...] = ("aws",)

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any]) -> ScheduleSettings:
        """Read ``schedule_minutes``, ``lag_minutes`` and ``index`` from the splunk section."""
        interval = options.get("schedule_minutes", cls.interval_minutes)
        lag = options.get("lag_minutes", cls.lag_minutes)
        for name, value in (("schedule_minutes", interval), ("lag_minutes", lag)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"splunk.{name} must be a whole number of minutes, got {value!r}")
        if not 1 <= interval <= 59 or 60 % interval:
            raise ValueError(
                f"splunk.schedule_minutes must divide 60 (1, 5, 10, 15, 20, 30), got {interval}"
            )
        index = options.get("index", "aws")
        indexes = [index] if isinstance(index, str) else list(index or [])
        if not indexes or not all(
            isinstance(name, str) and INDEX_NAME_PATTERN.match(name) for name in indexes
        ):
            raise ValueError(f"splunk.index must be an index name or a list of them, got {index!r}")
        return cls(interval_minutes=interval, lag_minutes=lag, index=tuple(indexes))

    def window_minutes(self, rule: SigmaRule | SigmaCorrelationRule) -> int:
        """Return how many minutes one run of ``rule`` searches."""
        if isinstance(rule, SigmaCorrelationRule) and rule.timespan is not None:
            return max(self.interval_minutes, -(-rule.timespan.seconds // 60))
        return self.interval_minutes


def rule_settings(
    schedule: ScheduleSettings,
) -> Callable[[SigmaRule | SigmaCorrelationRule], dict[str, str]]:
    """Build the per-rule settings callback that SplunkBackend's savedsearches format calls."""

    def settings(rule: SigmaRule | SigmaCorrelationRule) -> dict[str, str]:
        end = schedule.lag_minutes
        window = schedule.window_minutes(rule)
        level = rule.level.name.lower() if rule.level is not None else "medium"
        values = {
            "enableSched": "1",
            "cron_schedule": f"*/{schedule.interval_minutes} * * * *",
            "dispatch.earliest_time": f"-{end + window}m@m",
            "dispatch.latest_time": f"-{end}m@m" if end else "now",
            "alert.track": "1",
            "alert.severity": str(ALERT_SEVERITY.get(level, 4)),
            "alert.suppress": "0",
            "counttype": "number of events",
            "relation": "greater than",
            "quantity": "0",
        }
        if window > schedule.interval_minutes:
            # Windows longer than the interval overlap, so the same group would alert again on
            # the next runs. Repeats are suppressed per group for one window.
            values["alert.suppress"] = "1"
            values["alert.suppress.period"] = f"{window}m"
            group_by = getattr(rule, "group_by", None) or []
            if group_by:
                values["alert.suppress.fields"] = ",".join(group_by)
        return values

    return settings


def macros_conf(options: Mapping[str, Any]) -> str:
    """Render the macros.conf stanza that sets which index the saved searches read."""
    macro = SplunkOptions.from_mapping(options).index_macro
    indexes = ScheduleSettings.from_mapping(options).index
    clause = " OR ".join(f'index="{name}"' for name in indexes)
    if len(indexes) > 1:
        clause = f"({clause})"
    return (
        "# Which index holds aws:cloudtrail events. Change the definition, not the searches.\n"
        f"[{macro}]\n"
        f"definition = {clause}\n"
        "iseval = 0\n"
    )
