"""Convert a rule collection for one target, rule by rule, keeping failures per rule.

pySigma's ``Backend.convert`` stops at the first rule that fails unless errors are collected, and
then returns only the finished output. Converting each rule here with the same backend object
keeps every rule's own finalized queries (for per-rule files) and a reason for every rule that
failed, while the combined output is still made by the backend's own finalization.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaError
from sigma.processing.pipeline import ProcessingPipeline
from sigma.processing.resolver import ProcessingPipelineResolver
from sigma.rule import SigmaRule

from sigma_llmjack.config import SiteConfig
from sigma_llmjack.convert.savedsearches import ScheduleSettings, rule_settings
from sigma_llmjack.convert.targets import ConversionError, OutputFormat, Target

AnyRule = SigmaRule | SigmaCorrelationRule
# Stems of the files that hold every rule, which per-rule files must not take.
RESERVED_STEMS = frozenset({"rules", "savedsearches", "macros", "failures"})


@dataclass
class ConvertedRule:
    """The finalized queries of one rule (strings, or dictionaries for Kibana rules)."""

    rule_id: str
    title: str
    file_stem: str
    queries: list[Any]


@dataclass
class FailedRule:
    """A rule the target could not express, with the reason."""

    rule_id: str
    title: str
    source: str
    reason: str


@dataclass
class ConversionResult:
    """Everything one conversion produced: per-rule queries, failures and the combined output."""

    target: Target
    output_format: OutputFormat
    converted: list[ConvertedRule] = field(default_factory=list)
    failed: list[FailedRule] = field(default_factory=list)
    combined: Any = None


def build_pipeline(target: Target, config: SiteConfig) -> ProcessingPipeline:
    """Combine the site placeholders with the target's pipeline, ordered by priority.

    Adding pipelines with ``+`` keeps the order they are written in and drops their names and
    allowed backends. The resolver sorts by priority as sigma-cli does, so placeholders (10) are
    filled before the field mapping (20) reads the values.
    """
    options = config.splunk if target.name == "splunk" else config.elastic
    pipelines = [config.placeholder_pipeline(), target.pipeline(dict(options))]
    resolver = ProcessingPipelineResolver.from_pipeline_list(pipelines)
    return resolver.resolve([pipeline.name for pipeline in pipelines])


def build_backend(
    target: Target, output_format: OutputFormat, config: SiteConfig, pipeline: ProcessingPipeline
) -> Any:
    """Instantiate the target's backend with the options its output format needs."""
    backend_class = target.load_backend_class()
    options: dict[str, Any] = {}
    if target.name == "splunk" and output_format.name == "savedsearches":
        try:
            schedule = ScheduleSettings.from_mapping(config.splunk)
        except ValueError as error:
            raise ConversionError(f"invalid site option: {error}") from error
        options["query_settings"] = rule_settings(schedule)
        # SplunkBackend writes these into the [default] stanza, which applies to every search of
        # the app, so they repeat the plain window instead of the backend's -30d.
        options["min_time"] = schedule.recent_start()
        options["max_time"] = f"-{schedule.lag_minutes}m@m" if schedule.lag_minutes else "now"
    if target.name in ("lucene", "eql"):
        # A list even for one pattern: a single string ends up as a string in Kibana's "index".
        options["index_names"] = list(pipeline.vars.get("llmjack_elastic_index", []))
    if target.name in ("lucene", "esql"):
        options.update(_kibana_schedule(config))
    return backend_class(pipeline, **options)


def _kibana_schedule(config: SiteConfig) -> dict[str, Any]:
    """Read the Kibana rule interval (``elastic.schedule_interval`` and its unit)."""
    from sigma_llmjack.pipelines.elastic import ElasticOptions

    try:
        options = ElasticOptions.from_mapping(config.elastic)
    except ValueError as error:
        raise ConversionError(f"invalid site option: {error}") from error
    return {
        "schedule_interval": options.schedule_interval,
        "schedule_interval_unit": options.schedule_interval_unit,
    }


def convert_collection(
    collection: SigmaCollection,
    target: Target,
    output_format: OutputFormat,
    config: SiteConfig,
) -> ConversionResult:
    """Convert every rule of ``collection`` for ``target``, which uses the collection up.

    The backend applies the pipeline to the rule objects in place, so the caller passes a freshly
    loaded collection for each conversion.
    """
    from sigma_llmjack.offline import use_bundled_reference_data

    use_bundled_reference_data()
    pipeline = build_pipeline(target, config)
    backend = build_backend(target, output_format, config, pipeline)
    backend.init_processing_pipeline(output_format.backend_format)
    collection.resolve_rule_references()

    result = ConversionResult(target=target, output_format=output_format)
    outputs: list[tuple[AnyRule, list[Any]]] = []
    failed_ids: set[str] = set()
    duplicates = duplicate_reasons(
        collection.rules, stanza_names=output_format.name == "savedsearches"
    )
    for rule in collection.rules:
        reason = duplicates.get(id(rule)) or _failed_reference(rule, failed_ids)
        queries: list[Any] = []
        if reason is None:
            reason, queries = _convert_rule(backend, target, output_format, rule)
        if reason is not None:
            failed_ids.add(_rule_id(rule))
            result.failed.append(_failure(rule, reason))
        elif queries:
            outputs.append((rule, queries))

    stems = _file_stems((rule for rule, _ in outputs), reserved=RESERVED_STEMS)
    for rule, queries in outputs:
        result.converted.append(ConvertedRule(_rule_id(rule), rule.title, stems[id(rule)], queries))
    all_queries = [query for _, queries in outputs for query in queries]
    result.combined = backend.finalize(all_queries, output_format.backend_format)
    return result


def _convert_rule(
    backend: Any, target: Target, output_format: OutputFormat, rule: AnyRule
) -> tuple[str | None, list[Any]]:
    """Return (reason of failure, queries) for one rule."""
    if isinstance(rule, SigmaCorrelationRule) and target.correlation_refusal is not None:
        return target.correlation_refusal, []
    try:
        if isinstance(rule, SigmaRule):
            return None, backend.convert_rule(rule, output_format.backend_format)
        return None, backend.convert_correlation_rule(rule, output_format.backend_format)
    except SigmaError as error:
        return str(error), []
    except (NotImplementedError, ValueError, KeyError, TypeError) as error:
        # pySigma backends raise these for constructs they do not implement.
        return f"the {target.name} backend cannot convert this rule: {error}", []


def _failed_reference(rule: AnyRule, failed_ids: set[str]) -> str | None:
    """Return why a correlation cannot be converted when a rule it references failed."""
    if not isinstance(rule, SigmaCorrelationRule):
        return None
    for reference in rule.rules:
        referenced = getattr(reference, "rule", None)
        if referenced is not None and _rule_id(referenced) in failed_ids:
            return (
                f"it references the rule {_rule_id(referenced)} ({referenced.title}), which failed"
            )
    return None


def _source(rule: AnyRule) -> str:
    return str(rule.source.path) if rule.source is not None and rule.source.path else "-"


def duplicate_reasons(rules: list[AnyRule], stanza_names: bool) -> dict[int, str]:
    """Return why each rule that shares its id (or its stanza name) with another rule fails.

    Kibana keeps one rule per ``rule_id``, and Splunk merges stanzas of the same name (the title
    without brackets) into one saved search, so either way one detection would be lost without
    notice. Every rule of such a group fails, and its reason names the other files.
    """
    groups: dict[tuple[str, str], list[AnyRule]] = {}
    for rule in rules:
        if rule.id is not None:
            groups.setdefault(("id", str(rule.id)), []).append(rule)
        if stanza_names:
            groups.setdefault(("stanza", stanza_name(rule)), []).append(rule)
    reasons: dict[int, str] = {}
    for (kind, value), members in groups.items():
        if len(members) < 2:
            continue
        for rule in members:
            others = ", ".join(_source(other) for other in members if other is not rule)
            what = f"id {value}" if kind == "id" else f"savedsearches.conf stanza name [{value}]"
            reasons.setdefault(
                id(rule), f"the {what} is also used by {others}; give each rule its own"
            )
    return reasons


def stanza_name(rule: AnyRule) -> str:
    """Return the savedsearches.conf stanza name SplunkBackend gives a rule (title minus [])."""
    return rule.title.translate({ord(c): None for c in "[]"})


def _failure(rule: AnyRule, reason: str) -> FailedRule:
    source = _source(rule)
    # pySigma errors end with " in <rule file>", which FailedRule.source already holds.
    reason = re.sub(r" in \S+\.ya?ml$", "", reason)
    return FailedRule(_rule_id(rule), rule.title, source, reason)


def _rule_id(rule: AnyRule) -> str:
    return str(rule.id) if rule.id is not None else (rule.name or rule.title)


def _file_stems(rules: Iterable[AnyRule], reserved: frozenset[str]) -> dict[int, str]:
    """Name each rule's output file after its rule file, made unique within the run.

    A file can hold several rules that produce output, so later rules of the same file get their
    Sigma ``name`` or the start of their id appended. The ``reserved`` stems belong to the
    combined files (``rules.ndjson``, ``savedsearches.conf``, ``macros.conf``), so a rule file
    called ``rules.yml`` gets a suffix instead of being overwritten by the combined file.
    """
    stems: dict[int, str] = {}
    used: set[str] = set(reserved)
    for rule in rules:
        base = Path(str(rule.source.path)).stem if rule.source and rule.source.path else "rule"
        stem = base
        if stem in used:
            stem = f"{base}-{rule.name or _rule_id(rule)[:8]}"
        counter = 2
        while stem in used:
            stem = f"{base}-{counter}"
            counter += 1
        used.add(stem)
        stems[id(rule)] = stem
    return stems
