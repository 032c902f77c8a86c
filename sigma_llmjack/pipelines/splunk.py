"""Splunk pipeline for CloudTrail as the Splunk Add-on for AWS indexes it.

The add-on keeps the raw CloudTrail JSON field names (``eventSource``, ``userIdentity.arn``,
``requestParameters.modelId``) on sourcetype ``aws:cloudtrail``, so the rules' field names pass
through unchanged. The index is never written into a query: every search starts with a macro
(``llmjack_cloudtrail_index`` by default) that the site defines, for example as ``index=aws``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline, QueryPostprocessingItem
from sigma.processing.transformations import AddConditionTransformation
from sigma.processing.transformations.base import StringValueTransformation
from sigma.types import (
    SigmaRegularExpression,
    SigmaRegularExpressionFlag,
    SigmaString,
    SpecialChars,
)

from sigma_llmjack.pipelines.common import (
    AddQueryExpressionTransformation,
    cloudtrail_condition,
    unsupported_logsource_item,
)
from sigma_llmjack.pipelines.new_terms import NewTermsOutputCheck, SplunkFirstSeenTransformation
from sigma_llmjack.pipelines.schedule import ScheduleSettings
from sigma_llmjack.pipelines.splunk_search import SplunkBaseSearchFirstTransformation

DEFAULT_INDEX_MACRO = "llmjack_cloudtrail_index"
DEFAULT_SOURCETYPE = "aws:cloudtrail"
SPLUNK_PRIORITY = 20
SPLUNK_OPTION_NAMES = frozenset(
    {"index", "index_macro", "sourcetype", "schedule_minutes", "lag_minutes"}
)
MACRO_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_]+(\([0-9]+\))?$")


@dataclass(frozen=True)
class SplunkOptions:
    """Site options of the Splunk pipeline (the ``splunk`` section of a site file)."""

    index_macro: str = DEFAULT_INDEX_MACRO
    sourcetype: str = DEFAULT_SOURCETYPE

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any]) -> SplunkOptions:
        """Read the pipeline's options from the site's splunk section, rejecting unknown keys."""
        unknown = sorted(set(map(str, options)) - SPLUNK_OPTION_NAMES)
        if unknown:
            raise ValueError(
                f"unknown splunk option(s) {', '.join(unknown)}; "
                f"known options are {', '.join(sorted(SPLUNK_OPTION_NAMES))}"
            )
        macro = str(options.get("index_macro", DEFAULT_INDEX_MACRO))
        if not MACRO_NAME_PATTERN.match(macro):
            raise ValueError(
                f"splunk.index_macro '{macro}' is not a valid Splunk macro name; "
                "use letters, digits and underscores"
            )
        return cls(index_macro=macro, sourcetype=str(options.get("sourcetype", DEFAULT_SOURCETYPE)))

    def base_search(self) -> str:
        """Return the terms every search starts with, as SplunkBackend renders them."""
        sourcetype = self.sourcetype.replace("\\", "\\\\").replace('"', '\\"')
        return f'`{self.index_macro}` sourcetype="{sourcetype}"'


def exact_regex(value: SigmaString) -> str:
    """Translate a Sigma string into an anchored regular expression.

    Sigma wildcards become ``.*`` and ``.``. Every literal character is escaped, so a literal
    asterisk stays a literal. The caller adds the case-insensitive flag.
    """
    parts = []
    for part in value.s:
        if part == SpecialChars.WILDCARD_MULTI:
            parts.append(".*")
        elif part == SpecialChars.WILDCARD_SINGLE:
            parts.append(".")
        else:
            parts.append(re.escape(str(part)))
    return "^" + "".join(parts) + "$"


@dataclass
class ExactRegexTransformation(StringValueTransformation):
    """Turn a value that SPL cannot match exactly into an exact regular expression test.

    SPL has no escape for ``*``: ``"a\\*b"`` in a search still matches ``a`` followed by anything
    and ``b``. SPL has no one-character wildcard either, and the backend would widen Sigma's
    ``?`` into ``*``. A regular expression keeps such a value exact, and the Splunk backend emits
    a ``| regex`` command after the search for it.
    """

    def apply_string_value(self, field: str, val: SigmaString) -> SigmaRegularExpression | None:
        has_literal_asterisk = any(isinstance(part, str) and "*" in part for part in val.s)
        has_single_wildcard = SpecialChars.WILDCARD_SINGLE in val.s
        if not (has_literal_asterisk or has_single_wildcard):
            return None
        regex = SigmaRegularExpression(exact_regex(val))
        regex.add_flag(SigmaRegularExpressionFlag.IGNORECASE)
        return regex


def splunk_cloudtrail_pipeline(options: Mapping[str, Any] | None = None) -> ProcessingPipeline:
    """Build the pipeline that turns CloudTrail rules into searches over ``aws:cloudtrail``.

    A rule with another log source fails with a message naming its log source, because the pack's
    field names only exist in CloudTrail.
    """
    settings = SplunkOptions.from_mapping(options or {})
    schedule = ScheduleSettings.from_mapping(options or {})
    return ProcessingPipeline(
        name="sigma-llmjack Splunk CloudTrail",
        priority=SPLUNK_PRIORITY,
        allowed_backends=frozenset({"splunk"}),
        items=[
            unsupported_logsource_item("Splunk"),
            ProcessingItem(
                identifier="llmjack_splunk_new_terms_check",
                transformation=NewTermsOutputCheck(),
            ),
            ProcessingItem(
                identifier="llmjack_splunk_exact_regex",
                transformation=ExactRegexTransformation(),
                rule_conditions=[cloudtrail_condition()],
            ),
            ProcessingItem(
                identifier="llmjack_splunk_sourcetype",
                transformation=AddConditionTransformation(
                    conditions={"sourcetype": settings.sourcetype},
                    name="_llmjack_sourcetype",
                ),
                rule_conditions=[cloudtrail_condition()],
            ),
            ProcessingItem(
                identifier="llmjack_splunk_index_macro",
                transformation=AddQueryExpressionTransformation(
                    expression=f"`{settings.index_macro}`", name="_llmjack_index_macro"
                ),
                rule_conditions=[cloudtrail_condition()],
            ),
        ],
        postprocessing_items=[
            QueryPostprocessingItem(
                identifier="llmjack_splunk_base_search_first",
                transformation=SplunkBaseSearchFirstTransformation(base=settings.base_search()),
            ),
            QueryPostprocessingItem(
                identifier="llmjack_splunk_first_seen",
                transformation=SplunkFirstSeenTransformation(recent_start=schedule.recent_start()),
            ),
        ],
    )
