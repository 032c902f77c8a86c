"""Evaluate event_count, value_count and temporal correlations with one pass over sorted events.

The sqlite backend measures each sliding window with a subquery over the events inside it and
gathers every window's events as JSON. One group with n events in a window therefore costs
about n squared steps, and one access key behind a million calls ran for half an hour.
Replay runs the plan's first stages, which select the events with their group keys, rule slot
and value in SQL, and then slides the windows in Python, which costs linear time per group.

The result is the same as the backend's after replay merges overlapping alerts: a window is
anchored at each distinct event time t and covers [t - timespan, t], both ends included; its
metric is the number of distinct events (event_count), distinct values compared with SQLite's
NOCASE folding (value_count) or distinct rules (temporal). Plans this module does not recognise,
such as temporal_ordered or negated conditions, run through the backend.
"""

from __future__ import annotations

import operator
import re
import sqlite3
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from sigma.backends.sqlite.runtime import ensure_fields

# The Python loop asks whether to stop every this many rows.
STOP_CHECK_ROWS = 1 << 16
_METRIC_NAME = re.compile(r"'(event_count|value_count|temporal)' AS metric_name")
_QUALIFIED = re.compile(r"WHERE metric (>=|<=|!=|<>|>|<|=) (-?[0-9]+(?:\.[0-9]+)?)$")
_ANCHOR_START = re.compile(r"SELECT DISTINCT ts - (-?[0-9]+(?:\.[0-9]+)?) AS start")
_GROUP_COLUMN = re.compile(r"\bg([0-9]+)\b")
_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "=": operator.eq,
    "!=": operator.ne,
    "<>": operator.ne,
}
# SQLite's NOCASE collation folds only ASCII letters.
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


@dataclass(frozen=True)
class WindowPlan:
    """The parts of a backend plan that replay needs to slide its windows itself."""

    kind: str
    seconds: float
    compare: str
    threshold: float
    group_columns: int
    # The plan's stages up to and including the table of matching events.
    stages: tuple[dict[str, Any], ...]
    matches_table: str


@dataclass
class Episode:
    """Overlapping qualifying windows of one group, merged; event ids are table row ids."""

    group_keys: tuple[Any, ...]
    start: float
    end: float
    first_time: float
    metric: float
    row_ids: set[int] = field(default_factory=set)


def window_plan(plan: dict[str, Any]) -> WindowPlan | None:
    """Return the window plan of a backend correlation plan, or None to run it as it is."""
    if plan.get("version") != 2 or "incomplete_window" in plan["diagnostics"]:
        return None
    kind = _METRIC_NAME.search(plan["query"])
    names = [stage["name"] for stage in plan["prepare"]]
    matches = [name for name in names if name.endswith("_n0_matches")]
    if kind is None or len(matches) != 1 or any("_n1_" in name for name in names):
        return None
    by_name = {stage["name"]: stage["select"] for stage in plan["prepare"]}
    prefix = matches[0][: -len("_n0_matches")]
    anchors = _ANCHOR_START.search(by_name.get(prefix + "_n0_t0_anchors", ""))
    qualified = _QUALIFIED.search(by_name.get(prefix + "_n0_t0_qualified", "").strip())
    if anchors is None or qualified is None:
        return None
    last = names.index(matches[0])
    groups = {int(number) for number in _GROUP_COLUMN.findall(by_name[prefix + "_n0_t0_anchors"])}
    return WindowPlan(
        kind=kind.group(1),
        seconds=float(anchors.group(1)),
        compare=qualified.group(1),
        threshold=float(qualified.group(2)),
        group_columns=len(groups),
        stages=tuple(plan["prepare"][: last + 1]),
        matches_table=matches[0],
    )


def run_windows(
    connection: sqlite3.Connection,
    plan: dict[str, Any],
    windows: WindowPlan,
    stop: Callable[[], bool] = lambda: False,
) -> tuple[list[Episode], dict[str, int]]:
    """Run the plan's selection stages in SQL and the windows in Python; return the episodes.

    The second value counts the events set aside by reason, from the plan's own diagnostics.
    """
    created: list[str] = []
    try:
        ensure_fields(connection, plan["required_fields"])
        for stage in windows.stages:
            connection.execute(f"CREATE TEMP TABLE {stage['name']} AS {stage['select']}").close()
            created.append(stage["name"])
            for index, columns in enumerate(stage["indexes"]):
                quoted = ", ".join(f'"{column}"' for column in columns)
                connection.execute(
                    f"CREATE INDEX temp.{stage['name']}_i{index} ON {stage['name']} ({quoted})"
                ).close()
        diagnostics: dict[str, int] = {}
        if plan["diagnostics"]:
            for reason, count in connection.execute(plan["diagnostics"]):
                diagnostics[reason] = diagnostics.get(reason, 0) + count
        episodes = list(_episodes(connection, windows, stop))
    finally:
        for name in reversed(created):
            connection.execute(f"DROP TABLE IF EXISTS temp.{name}").close()
    return episodes, diagnostics


def _episodes(
    connection: sqlite3.Connection, windows: WindowPlan, stop: Callable[[], bool]
) -> Iterator[Episode]:
    groups = [f"g{index}" for index in range(windows.group_columns)]
    order = ", ".join([*groups, "ts"])
    selected = ", ".join(["eid", "ts", "slot", "v", *groups])
    rows = connection.execute(f"SELECT {selected} FROM {windows.matches_table} ORDER BY {order}")
    for key, group_rows in groupby(rows, key=lambda row: tuple(row[4:])):
        yield from _group_episodes(key, group_rows, windows, stop)


def _group_episodes(
    key: tuple[Any, ...],
    rows: Iterator[tuple[Any, ...]],
    windows: WindowPlan,
    stop: Callable[[], bool],
) -> Iterator[Episode]:
    """Slide the window over one group's rows (sorted by time) and merge qualifying windows.

    Only the rows inside the current window are kept, so a group of any size takes memory for
    one window. Raises sqlite3.OperationalError("interrupted") once ``stop`` returns True.
    """
    qualifies = _OPERATORS[windows.compare]
    measure = _MEASURES[windows.kind]
    window: deque[tuple[int, float, Any, int]] = deque()
    counts: Counter[Any] = Counter()
    episode: Episode | None = None
    added = 0  # rows before this index are in the episode already
    following = 0  # index of the next row to read
    for time, same_time in groupby(_rows_with_index(rows), key=lambda item: item[1]):
        for item in same_time:
            window.append(item)
            counts[measure(item)] += 1
            following = item[0] + 1
            if following % STOP_CHECK_ROWS == 0 and stop():
                raise sqlite3.OperationalError("interrupted")
        start = time - windows.seconds
        while window[0][1] < start:
            counts_key = measure(window.popleft())
            counts[counts_key] -= 1
            if counts[counts_key] == 0:
                del counts[counts_key]
        metric = len(counts) - (1 if None in counts else 0)
        if not qualifies(metric, windows.threshold):
            continue
        if episode is None or start > episode.end:
            if episode is not None:
                yield episode
            episode = Episode(key, start, time, time, metric)
        episode.end = time
        episode.metric = max(episode.metric, metric)
        for item in reversed(window):
            if item[0] < added:
                break
            episode.row_ids.add(item[3])
        added = following
    if episode is not None:
        yield episode


def _rows_with_index(rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[int, float, Any, int]]:
    # (index in the group, time, (slot, value, row id), row id). The plan's eid is
    # "e:<table>:<row id>".
    for index, (eid, time, slot, value, *_groups) in enumerate(rows):
        row_id = int(eid.rsplit(":", 1)[1])
        yield index, time, (slot, value, row_id), row_id


def _event(item: tuple[int, float, Any, int]) -> Any:
    return item[3]


def _value(item: tuple[int, float, Any, int]) -> Any:
    value = item[2][1]
    return value.translate(_ASCII_LOWER) if isinstance(value, str) else value


def _slot(item: tuple[int, float, Any, int]) -> Any:
    return item[2][0]


_MEASURES: dict[str, Callable[[tuple[int, float, Any, int]], Any]] = {
    "event_count": _event,
    "value_count": _value,
    "temporal": _slot,
}
