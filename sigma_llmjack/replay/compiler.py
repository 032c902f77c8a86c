"""Convert Sigma rules into SQLite queries with the pySigma sqlite backend.

Each rule is converted on its own, so one rule the backend rejects is reported by id and reason
while the others still run. Detection rules come first, because a correlation rule is compiled
from the predicates of the rules it references.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sigma.backends.sqlite import sqliteBackend
from sigma.backends.sqlite.correlation import numeric
from sigma.collection import SigmaCollection
from sigma.conditions import ConditionFieldEqualsValueExpression
from sigma.conversion.state import ConversionState
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaError
from sigma.rule import SigmaRule

from sigma_llmjack.config import SiteConfig
from sigma_llmjack.replay.database import CIDR_FUNCTION, ID_COLUMN, TABLE, TIME_COLUMN
from sigma_llmjack.replay.first_seen import FirstSeen
from sigma_llmjack.replay.windows import WindowPlan, window_plan

OUTPUT_FORMAT = "zircolite"


class ReplayBackend(sqliteBackend):
    """The sqlite backend with numeric comparisons that read text columns as numbers.

    Replay stores every value as text so that string matching can be case-insensitive. The
    backend's ``field > 10`` would then compare text with a number, which SQLite orders by type,
    not by value. Wrapping the field in the backend's own JSON-number reader compares the numbers
    and reads text that is not a number as NULL, so the comparison is false.
    """

    compare_op_expression = "(" + numeric("{field}") + ") {operator} {value}"

    def convert_condition_field_eq_val_cidr(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        """Match a CIDR network with replay's SQL function instead of text prefixes.

        The sqlite backend expands a network into ``LIKE`` prefixes, which only match
        addresses written in canonical form, so ``2001:0db8::1`` escaped ``2001:db8::/32``.
        """
        network = str(cond.value.network)
        return f"{CIDR_FUNCTION}({self.escape_and_quote_field(cond.field)}, '{network}')"


@dataclass
class RuleError:
    """A rule that replay could not evaluate, and why."""

    rule_id: str
    title: str
    reason: str
    source: str | None = None


@dataclass
class CompiledRule:
    """One rule ready to run: plain SQL for a detection rule, a plan for a correlation."""

    rule_id: str
    title: str
    level: str
    correlation: bool
    queries: list[str] = field(default_factory=list)
    plan: dict[str, Any] | None = None
    # SQL condition true for every event that any detection under the correlation matches.
    prefilter: str | None = None
    group_by: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    source: str | None = None
    # The plan's windows, when replay slides them itself instead of the backend's SQL.
    windows: WindowPlan | None = None
    # For a first-seen rule, the fields whose values must be new and the history window.
    first_seen: FirstSeen | None = None


@dataclass
class CompiledPack:
    """All rules of one replay: those ready to run and those that could not be converted."""

    rules: list[CompiledRule] = field(default_factory=list)
    errors: list[RuleError] = field(default_factory=list)
    not_generated: int = 0

    def fields(self) -> list[str]:
        """Return every field name any rule reads, sorted."""
        names: set[str] = set()
        for rule in self.rules:
            names.update(rule.fields)
        return sorted(names)


def make_backend(config: SiteConfig) -> ReplayBackend:
    """Build the backend with the site's placeholder pipeline and replay's table layout."""
    backend = ReplayBackend(
        processing_pipeline=config.placeholder_pipeline(),
        table=TABLE,
        timestamp_field=TIME_COLUMN,
        event_id_field=ID_COLUMN,
    )
    backend.init_processing_pipeline(OUTPUT_FORMAT)
    return backend


def compile_collection(collection: SigmaCollection, config: SiteConfig) -> CompiledPack:
    """Convert every rule of ``collection``; failures become RuleError entries, not exceptions."""
    backend = make_backend(config)
    pack = CompiledPack()
    detections = [rule for rule in collection.rules if isinstance(rule, SigmaRule)]
    correlations = [rule for rule in collection.rules if isinstance(rule, SigmaCorrelationRule)]

    for rule in detections:
        compiled = _convert(backend, rule, pack)
        if compiled is not None:
            pack.rules.append(compiled)
    for rule in correlations:
        compiled = _convert(backend, rule, pack)
        if compiled is not None:
            pack.rules.append(compiled)
    return pack


def _convert(
    backend: ReplayBackend, rule: SigmaRule | SigmaCorrelationRule, pack: CompiledPack
) -> CompiledRule | None:
    try:
        if isinstance(rule, SigmaCorrelationRule):
            outputs = backend.convert_correlation_rule(rule, OUTPUT_FORMAT)
        else:
            outputs = backend.convert_rule(rule, OUTPUT_FORMAT)
    except Exception as error:  # pySigma raises SigmaError, ValueError, NotImplementedError...
        pack.errors.append(_rule_error(rule, error))
        return None
    if not outputs:
        # A detection that only feeds correlations (generate: false) has no output of its own.
        pack.not_generated += 1
        return None
    try:
        return _compiled(rule, outputs)
    except SigmaError as error:  # an invalid llmjack_new_terms attribute
        pack.errors.append(_rule_error(rule, error))
        return None


def _compiled(rule: SigmaRule | SigmaCorrelationRule, outputs: list[Any]) -> CompiledRule:
    first = outputs[0]
    compiled = CompiledRule(
        rule_id=_rule_id(rule),
        title=rule.title or "",
        level=first.get("level") or "",
        correlation=isinstance(rule, SigmaCorrelationRule),
        source=_source(rule),
    )
    if compiled.correlation:
        compiled.plan = first["correlation_plan"]
        compiled.group_by = list(rule.group_by or [])
        compiled.fields = sorted(
            {name for names in compiled.plan["required_fields"].values() for name in names}
        )
        compiled.prefilter = correlation_prefilter(rule, compiled.plan)
        compiled.windows = window_plan(compiled.plan)
    else:
        compiled.queries = [query for output in outputs for query in output["rule"]]
        compiled.fields = list(first.get("required_fields") or [])
        compiled.first_seen = FirstSeen.from_rule(rule)
        if compiled.first_seen is not None:
            compiled.fields += [f for f in compiled.first_seen.fields if f not in compiled.fields]
    return compiled


def correlation_prefilter(rule: SigmaCorrelationRule, plan: dict[str, Any]) -> str | None:
    """Return the OR of the predicates of every detection a correlation reads, if it may be used.

    The plan's first stage computes a payload and a time for every row of the table, although
    only rows that some referenced detection matches take part, unless the correlation has a
    negated condition. There the backend opens a window at events no detection matched and
    reads the latest event time of the whole input, so None is returned and every row is kept.
    """
    if "incomplete_window" in plan["diagnostics"]:
        return None
    predicates: list[str] = []
    for detection in _referenced_detections(rule):
        queries = detection.get_conversion_result()
        if not queries or not all(isinstance(query, str) for query in queries):
            return None
        predicates.extend(f"({query})" for query in queries)
    return " OR ".join(predicates) or None


def _referenced_detections(rule: SigmaCorrelationRule) -> list[SigmaRule]:
    found: list[SigmaRule] = []
    for reference in rule.referenced_rules:
        if isinstance(reference.rule, SigmaCorrelationRule):
            found.extend(_referenced_detections(reference.rule))
        else:
            found.append(reference.rule)
    return found


def _rule_error(rule: SigmaRule | SigmaCorrelationRule, error: Exception) -> RuleError:
    reason = str(error).strip() or type(error).__name__
    return RuleError(
        rule_id=_rule_id(rule), title=rule.title or "", reason=reason, source=_source(rule)
    )


def _rule_id(rule: SigmaRule | SigmaCorrelationRule) -> str:
    return str(rule.id) if rule.id else (rule.name or rule.title or "")


def _source(rule: SigmaRule | SigmaCorrelationRule) -> str | None:
    path = getattr(rule.source, "path", None)
    return str(path) if isinstance(path, (str, Path)) else None


def compile_paths(paths: Iterable[str | Path], config: SiteConfig) -> CompiledPack:
    """Load the rules at ``paths`` (the bundled pack when empty) and convert them."""
    from sigma_llmjack.pack import load_collection

    return compile_collection(load_collection(paths), config)
