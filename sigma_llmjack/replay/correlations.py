"""Run correlation plans of the sqlite backend and merge their alerts into matches.

The backend evaluates sliding windows: it anchors a window at every matching event and emits an
alert for each anchor whose window meets the condition, so a burst of 100 calls against
``gte: 3`` yields 98 alerts. Replay merges the alerts of one group whose windows overlap into one
match (an episode), with the time the condition was first met and every event that took part.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sigma.backends.sqlite.runtime import execute_plan

from sigma_llmjack.replay.compiler import CompiledRule
from sigma_llmjack.replay.database import (
    ID_COLUMN,
    LINE_COLUMN,
    SOURCE_COLUMN,
    TABLE,
    TIME_COLUMN,
    quote_identifier,
)
from sigma_llmjack.replay.results import REPORT_FIELDS, Match, report_columns
from sigma_llmjack.replay.windows import run_windows

# A correlation match lists at most this many distinct values of one report field.
MAX_LISTED_VALUES = 5


@dataclass
class Episode:
    """Overlapping alerts of one group, merged."""

    group_keys: dict[str, Any]
    start: float
    end: float
    first_time: float
    metric: float
    # Row ids of the records behind the episode in the ``logs`` table.
    row_ids: set[int] = field(default_factory=set)

    def absorb(self, alert: dict[str, Any]) -> None:
        self.end = max(self.end, alert["window_end"])
        self.metric = max(self.metric, alert["metric_value"])
        # The plan names an event "<source table>:<row id>"; replay has one table.
        self.row_ids.update(int(event_id.split(":", 1)[1]) for event_id in alert["event_ids"])


def run_correlation(
    connection: sqlite3.Connection, rule: CompiledRule, stop: Callable[[], bool] = lambda: False
) -> tuple[list[Match], dict[str, int]]:
    """Execute one correlation plan; return one match per episode and the events set aside.

    The second value maps a reason (``invalid_timestamp``, ``missing_group_key``) to the number
    of events that matched a referenced rule but could not be placed in a window or group.
    """
    assert rule.plan is not None
    if rule.prefilter is None:
        episodes, diagnostics = _run_plan(connection, rule, stop)
    else:
        # The plan reads the table by its unqualified name, and SQLite looks a name up in the
        # temp schema first, so this view hands the plan only the rows that can take part.
        connection.execute(
            f"CREATE TEMP VIEW {TABLE} AS SELECT * FROM main.{TABLE} WHERE {rule.prefilter}"
        )
        try:
            episodes, diagnostics = _run_plan(connection, rule, stop)
        finally:
            connection.execute(f"DROP VIEW temp.{TABLE}")
    counted = {reason: count for reason, count in diagnostics.items() if count}

    columns = _event_columns(rule)
    matches = [
        _episode_match(rule, episode, episode_events(connection, episode, columns))
        for episode in episodes
    ]
    return matches, counted


def _run_plan(
    connection: sqlite3.Connection, rule: CompiledRule, stop: Callable[[], bool]
) -> tuple[list[Episode], dict[str, int]]:
    assert rule.plan is not None
    if rule.windows is None:
        alerts, diagnostics = execute_plan(connection, rule.plan, include_events=False)
        return merge_alerts(alerts), diagnostics
    found, diagnostics = run_windows(connection, rule.plan, rule.windows, stop)
    episodes = [
        Episode(
            group_keys=dict(zip(rule.group_by, episode.group_keys, strict=False)),
            start=episode.start,
            end=episode.end,
            first_time=episode.first_time,
            metric=episode.metric,
            row_ids=episode.row_ids,
        )
        for episode in found
    ]
    return episodes, diagnostics


def episode_events(
    connection: sqlite3.Connection, episode: Episode, columns: list[str]
) -> Iterator[dict[str, Any]]:
    """Yield the given columns of the records behind an episode, in order of time and row id.

    The rows stream from SQLite, so an episode of a million records is never held in memory.
    Only its row ids are, as one JSON array parameter.
    """
    select = ", ".join(quote_identifier(column) for column in columns)
    sql = (
        f"SELECT {select} FROM main.{TABLE} "
        f"WHERE {ID_COLUMN} IN (SELECT value FROM json_each(?)) "
        f"ORDER BY COALESCE({quote_identifier(TIME_COLUMN)}, ''), {ID_COLUMN}"
    )
    row_ids = json.dumps(sorted(episode.row_ids))
    for row in connection.execute(sql, (row_ids,)):
        yield dict(zip(columns, row, strict=True))


def _event_columns(rule: CompiledRule) -> list[str]:
    columns = [ID_COLUMN, TIME_COLUMN, SOURCE_COLUMN, LINE_COLUMN, *report_columns()]
    known = {column.lower() for column in columns}
    columns += [column for column in rule.group_by if column.lower() not in known]
    return columns


def merge_alerts(alerts: list[dict[str, Any]]) -> list[Episode]:
    """Merge the alerts of each group whose windows overlap, in order of window start."""
    by_group: dict[str, list[dict[str, Any]]] = {}
    for alert in alerts:
        key = repr(sorted(alert["group_keys"].items()))
        by_group.setdefault(key, []).append(alert)

    episodes: list[Episode] = []
    for group_alerts in by_group.values():
        group_alerts.sort(key=lambda alert: (alert["window_start"], alert["window_end"]))
        current: Episode | None = None
        for alert in group_alerts:
            if current is None or alert["window_start"] > current.end:
                current = Episode(
                    group_keys=alert["group_keys"],
                    start=alert["window_start"],
                    end=alert["window_end"],
                    first_time=alert["occurrence_time"],
                    metric=alert["metric_value"],
                )
                episodes.append(current)
            else:
                current.first_time = min(current.first_time, alert["occurrence_time"])
            current.absorb(alert)
    return episodes


@dataclass
class _Distinct:
    """The distinct values of one report field in order of first appearance."""

    listed: list[str] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)

    def add(self, value: str | None) -> None:
        if value is None or value in self.seen:
            return
        self.seen.add(value)
        if len(self.listed) < MAX_LISTED_VALUES:
            self.listed.append(value)

    def text(self) -> str | None:
        if not self.listed:
            return None
        extra = len(self.seen) - len(self.listed)
        listed = ", ".join(self.listed)
        return f"{listed} (+{extra} more)" if extra > 0 else listed


def _episode_match(rule: CompiledRule, episode: Episode, events: Iterator[dict[str, Any]]) -> Match:
    """Summarise an episode's records, read once in order of time, into one match."""
    distinct = {name: _Distinct() for name in REPORT_FIELDS}
    # The backend lower-cases text group keys; the records keep the original spelling.
    group: dict[str, Any] = dict.fromkeys(rule.group_by)
    first: dict[str, Any] = {}
    last: dict[str, Any] = {}
    for event in events:
        if not first:
            first = event
        last = event
        for name, columns in REPORT_FIELDS.items():
            distinct[name].add(next((event[c] for c in columns if event.get(c) is not None), None))
        for column in rule.group_by:
            if group[column] is None:
                group[column] = event.get(column)
    for column in rule.group_by:
        if group[column] is None:
            group[column] = episode.group_keys.get(column)
    return Match(
        rule_id=rule.rule_id,
        title=rule.title,
        level=rule.level,
        correlation=True,
        time=iso_from_seconds(episode.first_time),
        event_count=len(episode.row_ids),
        metric=episode.metric,
        group=group,
        window_start=first.get(TIME_COLUMN),
        window_end=last.get(TIME_COLUMN),
        source=first.get(SOURCE_COLUMN),
        line=first.get(LINE_COLUMN),
        **{name: values.text() for name, values in distinct.items()},
    )


def iso_from_seconds(seconds: float | None) -> str | None:
    """Format Unix seconds as UTC ``YYYY-MM-DDTHH:MM:SS.mmmZ``, the form of replay's times."""
    if seconds is None:
        return None
    moment = datetime.fromtimestamp(float(seconds), tz=timezone.utc)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"
