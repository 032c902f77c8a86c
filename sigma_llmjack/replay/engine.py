"""Evaluate compiled rules on a loaded event store and turn the results into matches."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any

from sigma_llmjack.replay.compiler import CompiledPack, CompiledRule, RuleError
from sigma_llmjack.replay.correlations import run_correlation
from sigma_llmjack.replay.database import (
    ID_COLUMN,
    LINE_COLUMN,
    SOURCE_COLUMN,
    TIME_COLUMN,
    EventStore,
    quote_identifier,
)
from sigma_llmjack.replay.results import (
    REPORT_FIELDS,
    Match,
    ReplayResult,
    Skipped,
    SourcedRecord,
)
from sigma_llmjack.replay.timestamps import record_time


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
                matches = run_correlation(store.connection, rule, result)
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
