"""Conversion targets (a pySigma backend plus a pipeline) and the output formats of each."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sigma.processing.pipeline import ProcessingPipeline

from sigma_llmjack.errors import LLMjackError


class ConversionError(LLMjackError):
    """A conversion was asked for with an unknown target or format, or invalid site options."""


@dataclass(frozen=True)
class OutputFormat:
    """One way of writing a target's queries.

    ``backend_format`` is the pySigma output format. ``suffix`` names the per-rule files, and
    ``combined_name`` the file that contains every rule, for formats that have one.
    """

    name: str
    backend_format: str
    description: str
    suffix: str
    combined_name: str | None = None


@dataclass(frozen=True)
class Target:
    """A query language the pack converts to: backend class, pipeline and formats.

    ``correlation_refusal`` is the reason a correlation rule is rejected on this target, or None
    when the backend converts correlations faithfully.
    """

    name: str
    description: str
    backend_class: str
    pipeline_factory: str
    formats: dict[str, OutputFormat] = field(default_factory=dict)
    correlation_refusal: str | None = None

    def load_backend_class(self) -> type[Any]:
        """Import the pySigma backend class, which is slow, only when a conversion runs."""
        module_name, class_name = self.backend_class.split(":")
        return getattr(importlib.import_module(module_name), class_name)

    def pipeline(self, options: dict[str, Any]) -> ProcessingPipeline:
        """Build the target's pipeline from the site options of its section."""
        module_name, function_name = self.pipeline_factory.split(":")
        factory: Callable[[dict[str, Any]], ProcessingPipeline] = getattr(
            importlib.import_module(module_name), function_name
        )
        try:
            return factory(options)
        except ValueError as error:
            raise ConversionError(f"invalid site option: {error}") from error

    def output_format(self, name: str | None) -> OutputFormat:
        """Return the named format, or the plain queries when no name is given."""
        name = name or "plain"
        try:
            return self.formats[name]
        except KeyError:
            raise ConversionError(
                f"unknown format '{name}' for target {self.name}; "
                f"valid formats: {', '.join(self.formats)}"
            ) from None


def _plain(suffix: str) -> OutputFormat:
    return OutputFormat("plain", "default", "one query per rule", suffix)


def _kibana(description: str) -> OutputFormat:
    return OutputFormat(
        "ndjson",
        "siem_rule_ndjson",
        description,
        ".ndjson",
        combined_name="rules.ndjson",
    )


SPLUNK_PIPELINE = "sigma_llmjack.pipelines.splunk:splunk_cloudtrail_pipeline"
ELASTIC_PIPELINE = "sigma_llmjack.pipelines.elastic:elastic_cloudtrail_pipeline"

TARGETS: dict[str, Target] = {
    "splunk": Target(
        name="splunk",
        description="Splunk SPL over sourcetype aws:cloudtrail",
        backend_class="sigma_llmjack.convert.splunk_backend:LLMjackSplunkBackend",
        pipeline_factory=SPLUNK_PIPELINE,
        formats={
            "plain": _plain(".spl"),
            "savedsearches": OutputFormat(
                "savedsearches",
                "savedsearches",
                "scheduled saved searches for savedsearches.conf",
                ".conf",
                combined_name="savedsearches.conf",
            ),
        },
    ),
    "lucene": Target(
        name="lucene",
        description="Elasticsearch Lucene query strings",
        backend_class="sigma.backends.elasticsearch:LuceneBackend",
        pipeline_factory=ELASTIC_PIPELINE,
        formats={
            "plain": _plain(".lucene"),
            "ndjson": _kibana("Kibana detection rules (query type) for rule import"),
        },
        correlation_refusal=(
            "Lucene query strings cannot count or group events, so correlation rules have no "
            "Lucene form; convert this rule with --target splunk or --target esql"
        ),
    ),
    "esql": Target(
        name="esql",
        description="Elasticsearch ES|QL queries",
        backend_class="sigma_llmjack.convert.elastic_backends:LLMjackESQLBackend",
        pipeline_factory=ELASTIC_PIPELINE,
        formats={
            "plain": _plain(".esql"),
            "ndjson": _kibana("Kibana detection rules (esql type) for rule import"),
        },
    ),
    "eql": Target(
        name="eql",
        description="Elasticsearch EQL queries",
        backend_class="sigma_llmjack.convert.elastic_backends:LLMjackEqlBackend",
        pipeline_factory=ELASTIC_PIPELINE,
        formats={"plain": _plain(".eql")},
        # pySigma-backend-elasticsearch 2.1.1 converts correlations into EQL sequences that drop
        # the comparison operator and the time window and count repeats instead of distinct
        # values, so the result would not match what the rule describes.
        correlation_refusal=(
            "the EQL backend drops the threshold operator and time window of correlation rules, "
            "so its output would not match the rule; convert this rule with --target splunk or "
            "--target esql"
        ),
    ),
}


def get_target(name: str) -> Target:
    """Return the target called ``name`` or raise ConversionError listing the valid ones."""
    try:
        return TARGETS[name]
    except KeyError:
        raise ConversionError(
            f"unknown target '{name}'; valid targets: {', '.join(TARGETS)}"
        ) from None
