"""Evaluate compiled rules on a loaded event store and turn the results into matches."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sigma.backends.sqlite.runtime import execute_plan

from sigma_llmjack.replay.compiler import CompiledPack, CompiledRule, RuleError
from sigma_llmjack.replay.database import (
    ID_COLUMN,
    LINE_COLUMN,
    SOURCE_COLUMN,
    TIME_COLUMN,
    EventStore,
    quote_identifier,
)
from sigma_llmjack.replay.timestamps import record_time

# Match attribute -> CloudTrail field shown for every match.
REPORT_FIELDS = {
    "identity": "userIdentity.arn",
    "access_key": "userIdentity.accessKeyId",
    "source_ip": "sourceIPAddress",
    "region": "awsRegion",
    "event_name": "eventName",
}
# A correlation match lists at most this many distinct values of one report field.
MAX_LISTED_VALUES = 5


@dataclass
class Match:
    """One rule hit: a single record for a detection rule, a window of records for a correlation.

    For a correlation the report fields (identity, access key, ...) hold the value shared by all
    records in the window, or the distinct values joined by ``", "`` when they differ.
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
    """A record that was not loaded, with the file and line it came from."""

    source: str | None
    line: int | None
    reason: str


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

    def matches_per_rule(self) -> dict[str, int]:
        """Return the number of matches of each rule id that matched at least once."""
        counts: dict[str, int] = {}
        for match in self.matches:
            counts[match.rule_id] = counts.get(match.rule_id, 0) + 1
        return counts


@dataclass
class SourcedRecord:
    """A parsed record and where it came from (file and line, or None for in-memory events)."""

    record: Any
    source: str | None
    line: int | None


def store_fields(pack: CompiledPack) -> list[str]:
    """Return the columns the store needs: report fields first, then every rule field."""
    return list(REPORT_FIELDS.values()) + pack.fields()


def load_store(store: EventStore, records: Iterable[SourcedRecord], result: ReplayResult) -> None:
    """Insert records into ``store``; a record that is not a JSON object is skipped and noted."""

    def rows() -> Iterable[tuple[Any, ...]]:
        extract = store.extractor.row
        for item in records:
            record = item.record
            if not isinstance(record, Mapping):
                reason = f"record is a JSON {type(record).__name__}, not an object"
                result.skipped.append(Skipped(item.source, item.line, reason))
                continue
            yield (record_time(record), item.source, item.line, *extract(record))

    store.insert(rows())
    result.records = store.count


def evaluate(store: EventStore, pack: CompiledPack, result: ReplayResult) -> None:
    """Run every compiled rule on ``store`` and add matches and failures to ``result``."""
    result.errors.extend(pack.errors)
    for rule in pack.rules:
        try:
            if rule.correlation:
                matches = _run_correlation(store, rule, result)
            else:
                matches = _run_detection(store, rule)
        except sqlite3.Error as error:
            result.errors.append(
                RuleError(rule.rule_id, rule.title, f"SQLite failed: {error}", rule.source)
            )
            continue
        result.rules_evaluated += 1
        result.matches.extend(matches)
    result.matches.sort(key=_match_order)
    result.errors.sort(key=lambda error: error.rule_id)


def _match_order(match: Match) -> tuple[Any, ...]:
    return (match.rule_id, match.time or "", match.source or "", match.line or 0)


def _selected_columns() -> str:
    names = [ID_COLUMN, TIME_COLUMN, SOURCE_COLUMN, LINE_COLUMN, *REPORT_FIELDS.values()]
    return ", ".join(quote_identifier(name) for name in names)


def _run_detection(store: EventStore, rule: CompiledRule) -> list[Match]:
    seen: set[int] = set()
    matches = []
    for query in rule.queries:
        sql = f"SELECT {_selected_columns()} FROM ({query})"
        for row in store.connection.execute(sql):
            row_id, time, source, line, *values = row
            if row_id in seen:
                continue
            seen.add(row_id)
            report = dict(zip(REPORT_FIELDS, values, strict=True))
            matches.append(
                Match(
                    rule_id=rule.rule_id,
                    title=rule.title,
                    level=rule.level,
                    correlation=False,
                    time=time,
                    source=source,
                    line=line,
                    **report,
                )
            )
    return matches


def _run_correlation(store: EventStore, rule: CompiledRule, result: ReplayResult) -> list[Match]:
    assert rule.plan is not None
    alerts, diagnostics = execute_plan(store.connection, rule.plan, include_events=True)
    counted = {reason: count for reason, count in diagnostics.items() if count}
    if counted:
        result.diagnostics[rule.rule_id] = counted
    return [_correlation_match(rule, alert) for alert in alerts]


def _correlation_match(rule: CompiledRule, alert: dict[str, Any]) -> Match:
    events = sorted(
        (item["event"] for item in alert.get("evidence", [])),
        key=lambda event: (event.get(TIME_COLUMN) or "", event.get(ID_COLUMN) or 0),
    )
    report = {name: _summary(events, column) for name, column in REPORT_FIELDS.items()}
    group = {}
    for column in rule.group_by:
        original = next((e[column] for e in events if e.get(column) is not None), None)
        group[column] = original if original is not None else alert["group_keys"].get(column)
    first = events[0] if events else {}
    return Match(
        rule_id=rule.rule_id,
        title=rule.title,
        level=rule.level,
        correlation=True,
        time=_iso_from_seconds(alert["occurrence_time"]),
        event_count=int(alert["event_count"]),
        group=group,
        window_start=_iso_from_seconds(alert["window_start"]),
        window_end=_iso_from_seconds(alert["window_end"]),
        source=first.get(SOURCE_COLUMN),
        line=first.get(LINE_COLUMN),
        **report,
    )


def _summary(events: list[dict[str, Any]], column: str) -> str | None:
    distinct: list[str] = []
    for event in events:
        value = event.get(column)
        if value is not None and value not in distinct:
            distinct.append(value)
    if not distinct:
        return None
    listed = ", ".join(distinct[:MAX_LISTED_VALUES])
    extra = len(distinct) - MAX_LISTED_VALUES
    return f"{listed} (+{extra} more)" if extra > 0 else listed


def _iso_from_seconds(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    moment = datetime.fromtimestamp(float(seconds), tz=timezone.utc)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"
