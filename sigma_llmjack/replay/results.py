"""The values a replay returns: matches, skipped records and the overall result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sigma_llmjack.replay.compiler import RuleError

# Match attribute -> fields shown for every match, the first one a record has. CloudTrail fields
# come first; Bedrock model-invocation logs name the caller "identity.arn", the region "region"
# and the API call "operation".
REPORT_FIELDS = {
    "identity": ("userIdentity.arn", "identity.arn"),
    "access_key": ("userIdentity.accessKeyId",),
    "source_ip": ("sourceIPAddress",),
    "region": ("awsRegion", "region"),
    "event_name": ("eventName", "operation"),
}


def report_columns() -> list[str]:
    """Return every field that REPORT_FIELDS names, in order."""
    return [column for columns in REPORT_FIELDS.values() for column in columns]


@dataclass
class Match:
    """One rule hit: a single record for a detection rule, a window of records for a correlation.

    ``event_count`` is the number of records behind the match. ``metric`` is the largest value
    the correlation measured: events for event_count, distinct values for value_count, rules
    seen for temporal. For a correlation, the report fields (identity, access key, ...) hold the
    value shared by all its records, or the distinct values joined by ``", "`` when they differ.
    ``time`` is when the condition was first met; ``window_start`` and ``window_end`` are the
    times of the first and last record of the match. Alerts of one group whose sliding windows
    overlap are merged into one match.
    """

    rule_id: str
    title: str
    level: str
    correlation: bool
    time: str | None
    identity: str | None = None
    access_key: str | None = None
    source_ip: str | None = None
    region: str | None = None
    event_name: str | None = None
    event_count: int = 1
    metric: float | None = None
    group: dict[str, str | None] = field(default_factory=dict)
    window_start: str | None = None
    window_end: str | None = None
    source: str | None = None
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the match as a JSON-ready dictionary."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass
class Skipped:
    """A record that was not loaded, with its file and line, or a file (line None) not read.

    ``unreadable`` marks a file that could not be read at all, as opposed to one cut short.
    """

    source: str | None
    line: int | None
    reason: str
    unreadable: bool = False


@dataclass
class ReplayResult:
    """Everything one replay produced: matches, rules not evaluated and records skipped."""

    matches: list[Match] = field(default_factory=list)
    errors: list[RuleError] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    records: int = 0
    rules_evaluated: int = 0
    # Rule id -> reason -> count of events the correlation SQL set aside (no time, no group key).
    diagnostics: dict[str, dict[str, int]] = field(default_factory=dict)
    # Rule id -> number of matches and title, also when the matches were streamed, not kept.
    match_counts: dict[str, int] = field(default_factory=dict)
    match_titles: dict[str, str] = field(default_factory=dict)

    def count_match(self, match: Match) -> None:
        """Count one match of its rule."""
        self.match_counts[match.rule_id] = self.match_counts.get(match.rule_id, 0) + 1
        self.match_titles.setdefault(match.rule_id, match.title)

    def file_errors(self) -> list[Skipped]:
        """Return the notes about whole files: not readable, or cut short by damaged data."""
        return [skipped for skipped in self.skipped if skipped.line is None]

    def skipped_records(self) -> list[Skipped]:
        """Return the records that were skipped, each with its line."""
        return [skipped for skipped in self.skipped if skipped.line is not None]

    def matches_per_rule(self) -> dict[str, int]:
        """Return the number of matches of each rule id that matched at least once."""
        return dict(self.match_counts)


@dataclass(slots=True)
class SourcedRecord:
    """A parsed record and where it came from (file and line, or None for in-memory events)."""

    record: Any
    source: str | None
    line: int | None
