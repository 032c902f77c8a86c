"""Run correlation plans of the sqlite backend and merge their alerts into matches.

The backend evaluates sliding windows: it anchors a window at every matching event and emits an
alert for each anchor whose window meets the condition, so a burst of 100 calls against
``gte: 3`` yields 98 alerts. Replay merges the alerts of one group whose windows overlap into one
match (an episode), with the time the condition was first met and every event that took part.
"""

from __future__ import annotations

import json
import sqlite3
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
# Evidence events are fetched this many row ids per query.
FETCH_CHUNK = 10_000


@dataclass
class Episode:
    """Overlapping alerts of one group, merged."""

    group_keys: dict[str, Any]
    start: float
    end: float
    first_time: float
    metric: float
    event_ids: set[str] = field(default_factory=set)

    def absorb(self, alert: dict[str, Any]) -> None:
        self.end = max(self.end, alert["window_end"])
        self.metric = max(self.metric, alert["metric_value"])
        self.event_ids.update(alert["event_ids"])


def run_correlation(
    connection: sqlite3.Connection, rule: CompiledRule
) -> tuple[list[Match], dict[str, int]]:
    """Execute one correlation plan; return one match per episode and the events set aside.

    The second value maps a reason (``invalid_timestamp``, ``missing_group_key``) to the number
    of events that matched a referenced rule but could not be placed in a window or group.
    """
    assert rule.plan is not None
    if rule.prefilter is None:
        episodes, diagnostics = _run_plan(connection, rule)
    else:
        # The plan reads the table by its unqualified name, and SQLite looks a name up in the
        # temp schema first, so this view hands the plan only the rows that can take part.
        connection.execute(
            f"CREATE TEMP VIEW {TABLE} AS SELECT * FROM main.{TABLE} WHERE {rule.prefilter}"
        )
        try:
            episodes, diagnostics = _run_plan(connection, rule)
        finally:
            connection.execute(f"DROP VIEW temp.{TABLE}")
    counted = {reason: count for reason, count in diagnostics.items() if count}

    wanted = set().union(*(episode.event_ids for episode in episodes))
    events = fetch_events(connection, wanted, _event_columns(rule))
    return [_episode_match(rule, episode, events) for episode in episodes], counted


def _run_plan(
    connection: sqlite3.Connection, rule: CompiledRule
) -> tuple[list[Episode], dict[str, int]]:
    assert rule.plan is not None
    if rule.windows is None:
        alerts, diagnostics = execute_plan(connection, rule.plan, include_events=False)
        return merge_alerts(alerts), diagnostics
    found, diagnostics = run_windows(connection, rule.plan, rule.windows)
    episodes = [
        Episode(
            group_keys=dict(zip(rule.group_by, episode.group_keys, strict=False)),
            start=episode.start,
            end=episode.end,
            first_time=episode.first_time,
            metric=episode.metric,
            event_ids={f"0:{row_id}" for row_id in episode.row_ids},
        )
        for episode in found
    ]
    return episodes, diagnostics


def fetch_events(
    connection: sqlite3.Connection, event_ids: set[str], columns: list[str]
) -> dict[str, dict[str, Any]]:
    """Return the given columns of the evidence events, by the plan's event id.

    The plan names an event ``<source table>:<row id>``. Replay has one table, so the row id is
    the table's integer primary key and each chunk of ids is one indexed lookup.
    """
    row_ids = sorted({int(event_id.split(":", 1)[1]) for event_id in event_ids})
    select = ", ".join(quote_identifier(column) for column in columns)
    sql = f"SELECT {select} FROM main.{TABLE} WHERE {ID_COLUMN} IN (SELECT value FROM json_each(?))"
    events: dict[str, dict[str, Any]] = {}
    for start in range(0, len(row_ids), FETCH_CHUNK):
        chunk = json.dumps(row_ids[start : start + FETCH_CHUNK])
        for row in connection.execute(sql, (chunk,)):
            events[f"0:{row[0]}"] = dict(zip(columns, row, strict=True))
    return events


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


def _episode_match(
    rule: CompiledRule, episode: Episode, events_by_id: dict[str, dict[str, Any]]
) -> Match:
    found = [events_by_id[event_id] for event_id in episode.event_ids if event_id in events_by_id]
    events = sorted(
        found,
        key=lambda event: (event.get(TIME_COLUMN) or "", event.get(ID_COLUMN) or 0),
    )
    report = {name: _summary(events, columns) for name, columns in REPORT_FIELDS.items()}
    group = {}
    for column in rule.group_by:
        # The backend lower-cases text group keys; the events hold the original spelling.
        original = next((e[column] for e in events if e.get(column) is not None), None)
        group[column] = original if original is not None else episode.group_keys.get(column)
    first = events[0] if events else {}
    return Match(
        rule_id=rule.rule_id,
        title=rule.title,
        level=rule.level,
        correlation=True,
        time=iso_from_seconds(episode.first_time),
        event_count=len(episode.event_ids),
        metric=episode.metric,
        group=group,
        window_start=first.get(TIME_COLUMN),
        window_end=events[-1].get(TIME_COLUMN) if events else None,
        source=first.get(SOURCE_COLUMN),
        line=first.get(LINE_COLUMN),
        **report,
    )


def _summary(events: list[dict[str, Any]], columns: tuple[str, ...]) -> str | None:
    distinct: list[str] = []
    for event in events:
        value = next((event[c] for c in columns if event.get(c) is not None), None)
        if value is not None and value not in distinct:
            distinct.append(value)
    if not distinct:
        return None
    listed = ", ".join(distinct[:MAX_LISTED_VALUES])
    extra = len(distinct) - MAX_LISTED_VALUES
    return f"{listed} (+{extra} more)" if extra > 0 else listed


def iso_from_seconds(seconds: float | None) -> str | None:
    """Format Unix seconds as UTC ``YYYY-MM-DDTHH:MM:SS.mmmZ``, the form of replay's times."""
    if seconds is None:
        return None
    moment = datetime.fromtimestamp(float(seconds), tz=timezone.utc)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"
