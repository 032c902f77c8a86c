"""Evaluate compiled rules on a loaded event store and turn the results into matches."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sigma_llmjack.replay.compiler import CompiledPack, CompiledRule, RuleError
from sigma_llmjack.replay.correlations import run_correlation
from sigma_llmjack.replay.database import (
    ID_COLUMN,
    LINE_COLUMN,
    SOURCE_COLUMN,
    TABLE,
    TIME_COLUMN,
    EventStore,
    StopRequest,
    quote_identifier,
)
from sigma_llmjack.replay.first_seen import FirstSeenFilter
from sigma_llmjack.replay.results import (
    REPORT_FIELDS,
    Match,
    ReplayResult,
    Skipped,
    SourcedRecord,
    report_columns,
)
from sigma_llmjack.replay.timestamps import record_time

MatchSink = Callable[[Match], None]
# Correlation rules are evaluated in at most this many threads.
MAX_WORKERS = 4
# Python type of a decoded JSON value -> its JSON name, for messages.
JSON_TYPE_NAMES = {
    list: "array",
    str: "string",
    int: "number",
    float: "number",
    bool: "boolean",
    type(None): "null",
}


def store_fields(pack: CompiledPack) -> list[str]:
    """Return the columns the store needs: report fields first, then every rule field."""
    return report_columns() + pack.fields()


def load_store(store: EventStore, records: Iterable[SourcedRecord], result: ReplayResult) -> None:
    """Insert records into ``store``; a record that is not a JSON object is skipped and noted."""

    def rows() -> Iterable[list[Any]]:
        extract = store.extractor.row
        for item in records:
            record = item.record
            if type(record) is not dict and isinstance(record, Mapping):
                record = dict(record)
            if type(record) is not dict:
                kind = JSON_TYPE_NAMES.get(type(record), type(record).__name__)
                reason = f"record is a JSON {kind}, not an object"
                result.skipped.append(Skipped(item.source, item.line, reason))
                continue
            try:
                yield extract(record, [record_time(record), item.source, item.line])
            except RecursionError:
                reason = "record nested too deeply to store a field of it"
                result.skipped.append(Skipped(item.source, item.line, reason))

    store.insert(rows())
    result.records = store.count


@dataclass
class RuleOutcome:
    """The matches of one evaluated rule, or the reason it could not be evaluated."""

    rule: CompiledRule
    matches: list[Match] = field(default_factory=list)
    diagnostics: dict[str, int] = field(default_factory=dict)
    error: RuleError | None = None


def evaluate(
    store: EventStore,
    pack: CompiledPack,
    result: ReplayResult,
    workers: int | None = None,
    on_match: MatchSink | None = None,
) -> None:
    """Run every compiled rule on ``store``, passing each match to ``on_match`` as it is made.

    Matches come in order of rule id, then time. Without ``on_match`` they are collected in
    ``result.matches``; either way ``result`` counts them per rule. Correlations run first in
    up to ``workers`` threads (default: one per CPU, at most MAX_WORKERS), each with its own
    connection, because SQLite releases the GIL while a statement runs. Detection rules stream
    their rows on the store's own connection meanwhile, so a rule with millions of matches never
    keeps them in memory.
    """
    result.errors.extend(pack.errors)
    sink = on_match if on_match is not None else result.matches.append

    def emit(match: Match) -> None:
        result.count_match(match)
        sink(match)

    rules = sorted(pack.rules, key=lambda rule: rule.rule_id)
    correlations = [rule for rule in rules if rule.correlation]
    if workers is None:
        workers = min(MAX_WORKERS, os.cpu_count() or 1)
    workers = max(1, min(workers, len(correlations)))
    local = threading.local()

    def run_in_thread(rule: CompiledRule) -> RuleOutcome:
        if store.stop.requested is not None:
            return RuleOutcome(rule, error=RuleError(rule.rule_id, rule.title, "interrupted"))
        connection = getattr(local, "connection", None)
        if connection is None:
            connection = local.connection = store.open_reader()
        return run_rule(connection, rule, stop=store.stop)

    with ThreadPoolExecutor(workers, thread_name_prefix="llmjack-replay") as pool:
        pending = {id(rule): pool.submit(run_in_thread, rule) for rule in correlations}
        try:
            for rule in rules:
                store.stop.check()
                if rule.correlation:
                    outcome = pending[id(rule)].result()
                else:
                    outcome = run_rule(store.connection, rule, emit, store.stop)
                store.stop.check()
                _record_outcome(outcome, result, emit)
        finally:
            for future in pending.values():
                future.cancel()
    result.errors.sort(key=lambda error: error.rule_id)


def _record_outcome(outcome: RuleOutcome, result: ReplayResult, emit: MatchSink) -> None:
    if outcome.error is not None:
        result.errors.append(outcome.error)
        return
    result.rules_evaluated += 1
    for match in sorted(outcome.matches, key=_match_order):
        emit(match)
    if outcome.diagnostics:
        result.diagnostics[outcome.rule.rule_id] = outcome.diagnostics


def run_rule(
    connection: sqlite3.Connection,
    rule: CompiledRule,
    emit: MatchSink | None = None,
    stop: StopRequest | None = None,
) -> RuleOutcome:
    """Evaluate one rule on ``connection``; an SQLite failure becomes the outcome's error.

    A detection rule passes its matches to ``emit`` as it reads them, or collects them in the
    outcome when ``emit`` is None. A correlation always collects its matches (one per episode).
    """
    outcome = RuleOutcome(rule)
    try:
        if rule.correlation:
            stopping = stop.is_requested if stop is not None else (lambda: False)
            outcome.matches, outcome.diagnostics = run_correlation(connection, rule, stopping)
        else:
            _run_detection(connection, rule, emit or outcome.matches.append)
    except sqlite3.Error as error:
        reason = f"SQLite failed: {error}"
        outcome.error = RuleError(rule.rule_id, rule.title, reason, rule.source)
    except (ValueError, RuntimeError, KeyError) as error:
        # The backend's plan runner raises these for a plan it cannot run, for example on an
        # SQLite older than 3.38. One such rule must not end the whole replay.
        reason = f"evaluation failed: {type(error).__name__}: {error}"
        outcome.error = RuleError(rule.rule_id, rule.title, reason, rule.source)
    return outcome


def _match_order(match: Match) -> tuple[Any, ...]:
    return (match.rule_id, match.time or "", match.source or "", match.line or 0)


def _selected_columns() -> str:
    names = [ID_COLUMN, TIME_COLUMN, SOURCE_COLUMN, LINE_COLUMN]
    selected = [quote_identifier(name) for name in names]
    for columns in REPORT_FIELDS.values():
        quoted = ", ".join(quote_identifier(column) for column in columns)
        selected.append(f"COALESCE({quoted})" if len(columns) > 1 else quoted)
    return ", ".join(selected)


def _run_detection(connection: sqlite3.Connection, rule: CompiledRule, emit: MatchSink) -> None:
    if len(rule.queries) == 1:
        rows = f"({rule.queries[0]})"
    else:
        # A record that several queries of one rule match is one match.
        ids = " UNION ".join(f"SELECT {ID_COLUMN} FROM ({query})" for query in rule.queries)
        rows = f"(SELECT * FROM main.{TABLE} WHERE {ID_COLUMN} IN ({ids}))"
    order = f"COALESCE({quote_identifier(TIME_COLUMN)}, ''), COALESCE({SOURCE_COLUMN}, ''), "
    order += f"COALESCE({LINE_COLUMN}, 0), {ID_COLUMN}"
    selected = _selected_columns()
    first_seen = FirstSeenFilter(rule.first_seen) if rule.first_seen is not None else None
    if first_seen is not None:
        selected += ", " + ", ".join(quote_identifier(name) for name in first_seen.rule.fields)
    sql = f"SELECT {selected} FROM {rows} ORDER BY {order}"
    for row in connection.execute(sql):
        _row_id, time, source, line, *values = row
        if first_seen is not None:
            terms = values[len(REPORT_FIELDS) :]
            values = values[: len(REPORT_FIELDS)]
            if not first_seen.is_new(time, terms):
                continue
        report = dict(zip(REPORT_FIELDS, values, strict=True))
        emit(
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
