"""Scheduling and alert settings of the Splunk saved searches, and the index macro stanza.

The schedule itself (interval, lag, window) is ``ScheduleSettings`` in
``sigma_llmjack/pipelines/schedule.py``, which the Splunk pipeline also reads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sigma.correlations import SigmaCorrelationRule
from sigma.rule import SigmaRule

from sigma_llmjack.pipelines.new_terms import NewTermsSpec
from sigma_llmjack.pipelines.schedule import ScheduleSettings
from sigma_llmjack.pipelines.splunk import SplunkOptions

# Sigma level -> Splunk alert.severity (1 debug, 2 info, 3 warn, 4 error, 5 severe, 6 fatal).
ALERT_SEVERITY = {"informational": 2, "low": 3, "medium": 4, "high": 5, "critical": 6}


def rule_settings(
    schedule: ScheduleSettings,
) -> Callable[[SigmaRule | SigmaCorrelationRule], dict[str, str]]:
    """Build the per-rule settings callback that SplunkBackend's savedsearches format calls."""

    def settings(rule: SigmaRule | SigmaCorrelationRule) -> dict[str, str]:
        end = schedule.lag_minutes
        window = schedule.window_minutes(rule)
        first_seen = NewTermsSpec.from_rule(rule)
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
        if first_seen is not None:
            # The search reads the whole history and keeps groups first seen in the newest window.
            values["dispatch.earliest_time"] = f"-{first_seen.history}@m"
        elif window > schedule.interval_minutes:
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
