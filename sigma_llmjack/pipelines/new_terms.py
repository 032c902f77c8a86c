"""First-seen ("new terms") rules: alert on the first appearance of a combination of values.

Sigma has no correlation type for "first seen", so a rule requests it with a custom attribute::

    llmjack_new_terms:
        fields: [userIdentity.accessKeyId, awsRegion]   # one to three CloudTrail fields
        history: 14d                                    # how far back "seen before" looks

The rule's detection selects the events. Kibana gets a ``new_terms`` detection rule (Lucene
query), and Splunk a search over the history window that keeps only the groups whose first
event falls in the newest run's window. Other targets cannot express it and reject the rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaTransformationError
from sigma.processing.postprocessing import QueryPostprocessingTransformation
from sigma.processing.transformations import PreprocessingTransformation
from sigma.rule import SigmaRule

NEW_TERMS_ATTRIBUTE = "llmjack_new_terms"
HISTORY_PATTERN = re.compile(r"^[1-9][0-9]*[mhd]$")
ATTRIBUTE_KEYS = frozenset({"fields", "history"})
# Kibana's new_terms rules accept at most three fields.
MAX_FIELDS = 3
# (Backend.name, output format) pairs that can express a first-seen rule.
SUPPORTED_OUTPUTS = frozenset(
    {
        ("Splunk SPL & tstats data model queries", "default"),
        ("Splunk SPL & tstats data model queries", "savedsearches"),
        ("Elasticsearch Lucene", "siem_rule_ndjson"),
    }
)


@dataclass(frozen=True)
class NewTermsSpec:
    """The fields whose value combination must be new, and the history window (``14d``)."""

    fields: tuple[str, ...]
    history: str

    @classmethod
    def from_rule(cls, rule: SigmaRule | SigmaCorrelationRule) -> NewTermsSpec | None:
        """Read the rule's attribute, or return None when the rule is not a first-seen rule.

        This is the one validation of the attribute: the converter, ``llmjack check`` and replay
        all call it, so they accept the same rules. An invalid attribute raises
        SigmaTransformationError.
        """
        if not isinstance(rule, SigmaRule):
            return None
        value = rule.custom_attributes.get(NEW_TERMS_ATTRIBUTE)
        if value is None:
            return None
        unknown = (
            sorted(set(map(str, value)) - ATTRIBUTE_KEYS) if isinstance(value, Mapping) else []
        )
        if unknown:
            raise SigmaTransformationError(
                f"{NEW_TERMS_ATTRIBUTE} has the unknown key(s) {', '.join(unknown)}; "
                f"use only {', '.join(sorted(ATTRIBUTE_KEYS))}",
                source=rule.source,
            )
        fields = value.get("fields") if isinstance(value, Mapping) else None
        history = str(value.get("history", "")) if isinstance(value, Mapping) else ""
        valid_fields = (
            isinstance(fields, list)
            and 1 <= len(fields) <= MAX_FIELDS
            and all(isinstance(name, str) and name for name in fields)
        )
        if not valid_fields or not HISTORY_PATTERN.match(history):
            raise SigmaTransformationError(
                f"{NEW_TERMS_ATTRIBUTE} must have 'fields' (1 to {MAX_FIELDS} field names) and "
                f"'history' (a number with m, h or d, like 14d), got {value!r}",
                source=rule.source,
            )
        return cls(fields=tuple(fields), history=history)


@dataclass
class NewTermsOutputCheck(PreprocessingTransformation):
    """Reject a first-seen rule for a target and format that cannot express it."""

    def apply(self, rule: SigmaRule | SigmaCorrelationRule) -> None:
        super().apply(rule)
        if NewTermsSpec.from_rule(rule) is None:
            return
        variables = self._pipeline.vars if self._pipeline is not None else {}
        output = (variables.get("backend"), variables.get("output_format"))
        if output not in SUPPORTED_OUTPUTS:
            raise SigmaTransformationError(
                f"{rule.title} is a first-seen rule ({NEW_TERMS_ATTRIBUTE}), which only Kibana "
                "new_terms rules and Splunk searches express; convert it with --target lucene "
                "--format ndjson or --target splunk",
                source=rule.source,
            )


@dataclass
class KibanaNewTermsTransformation(QueryPostprocessingTransformation):
    """Turn the Kibana query rule of a first-seen rule into a ``new_terms`` rule."""

    field_names: dict[str, str] = field(default_factory=dict)
    prefixes: dict[str, str] = field(default_factory=dict)

    def apply(self, rule: SigmaRule | SigmaCorrelationRule, query: Any) -> Any:
        super().apply(rule, query)
        spec = NewTermsSpec.from_rule(rule)
        if spec is None or not isinstance(query, dict):
            return query
        query["type"] = "new_terms"
        query["new_terms_fields"] = [self._elastic_name(name) for name in spec.fields]
        query["history_window_start"] = f"now-{spec.history}"
        return query

    def _elastic_name(self, name: str) -> str:
        if name in self.field_names:
            return self.field_names[name]
        for prefix, replacement in self.prefixes.items():
            if name.startswith(prefix):
                return replacement + name[len(prefix) :]
        return name


@dataclass
class SplunkFirstSeenTransformation(QueryPostprocessingTransformation):
    """Append the first-seen test to the Splunk search of a first-seen rule.

    The search must read the whole history window, as the saved search's dispatch window does.
    ``recent_start`` is where the newest run's window starts, for example ``-30m@m``.
    """

    recent_start: str = "-30m@m"

    def apply(self, rule: SigmaRule | SigmaCorrelationRule, query: Any) -> Any:
        super().apply(rule, query)
        spec = NewTermsSpec.from_rule(rule)
        if spec is None or not isinstance(query, str):
            return query
        commands = [
            f"| stats min(_time) as first_seen, max(_time) as last_seen, count by "
            f"{' '.join(spec.fields)}",
            f'| where first_seen >= relative_time(now(), "{self.recent_start}")',
        ]
        output_format = self._pipeline.vars.get("output_format") if self._pipeline else None
        if output_format == "savedsearches":
            # The search is the last setting of the stanza, so the commands continue its value.
            return query + "".join(" \\\n" + command for command in commands)
        return query + "".join("\n" + command for command in commands)
