"""Schedule of the Splunk saved searches: how often they run and which window each run reads.

CloudTrail delivers events to S3 up to about 15 minutes after the API call, and the add-on needs
time to index them, so each run searches a window that ends ``lag_minutes`` in the past. A plain
rule's window is as long as the schedule interval, so consecutive runs cover every minute once.

A correlation counts events in fixed time buckets as long as its timespan (``bin _time``), and
the buckets start at multiples of the span, not at the start of a run's window. Its window is
therefore the interval plus the timespan: every bucket that ends within the newest interval lies
wholly inside the window, so no bucket is split between two runs. A bucket can then be complete
in more than one run, and the saved search suppresses a repeated alert for the same group.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sigma.correlations import SigmaCorrelationRule
from sigma.rule import SigmaRule

INDEX_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_*][A-Za-z0-9_*-]*$")
# Intervals that `*/N * * * *` runs evenly: N must divide 60 and be below 60.
SCHEDULE_MINUTES = (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30)


def timespan_minutes(rule: SigmaRule | SigmaCorrelationRule) -> int:
    """Return a correlation's timespan in whole minutes (rounded up), 0 for other rules."""
    if isinstance(rule, SigmaCorrelationRule) and rule.timespan is not None:
        return -(-rule.timespan.seconds // 60)
    return 0


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
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"splunk.{name} must be a whole number of minutes, got {value!r}")
            if value < 0:
                raise ValueError(f"splunk.{name} must not be negative, got {value}")
        if interval not in SCHEDULE_MINUTES:
            allowed = ", ".join(map(str, SCHEDULE_MINUTES))
            raise ValueError(
                f"splunk.schedule_minutes must be one of {allowed} (a cron step that divides the "
                f"hour), got {interval}"
            )
        index = options.get("index", "aws")
        indexes = [index] if isinstance(index, str) else list(index or [])
        if not indexes or not all(
            isinstance(name, str) and INDEX_NAME_PATTERN.match(name) for name in indexes
        ):
            raise ValueError(f"splunk.index must be an index name or a list of them, got {index!r}")
        return cls(interval_minutes=interval, lag_minutes=lag, index=tuple(indexes))

    def window_minutes(self, rule: SigmaRule | SigmaCorrelationRule) -> int:
        """Return how many minutes one run of ``rule`` searches (interval plus any timespan)."""
        return self.interval_minutes + timespan_minutes(rule)

    def recent_start(self) -> str:
        """Return the relative time at which the newest run's window starts, like ``-30m@m``."""
        return f"-{self.lag_minutes + self.interval_minutes}m@m"
