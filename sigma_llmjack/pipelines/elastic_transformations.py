"""Transformations of the Elastic pipeline: case-insensitive values and Kibana rule fix-ups."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaTransformationError
from sigma.processing.conditions.base import ValueProcessingCondition
from sigma.processing.postprocessing import QueryPostprocessingTransformation
from sigma.processing.transformations.base import (
    DetectionItemTransformation,
    StringValueTransformation,
    ValueTransformation,
)
from sigma.rule import SigmaDetectionItem, SigmaRule
from sigma.types import (
    SigmaBool,
    SigmaCasedString,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaString,
    SigmaType,
    SpecialChars,
)

# Characters with a meaning in Lucene regular expressions (also used by ES|QL RLIKE), including
# the optional operators # @ & < > ~ that Elasticsearch enables by default. Lucene reads ^ and $
# literally, but they are escaped too, so the expression means the same in PCRE-like engines.
LUCENE_REGEX_RESERVED = frozenset('.?+*|{}[]()"\\#@&<>~^$')

# Backend names (Backend.name) whose equality tests compare keyword fields case-sensitively.
ESQL_BACKEND = "ES|QL backend"
CASE_SENSITIVE_BACKENDS = frozenset({"Elasticsearch Lucene", ESQL_BACKEND})
FLATTENED_PREFIX = "aws.cloudtrail.flattened."

BOOLEAN_WORDS = frozenset({"true", "false"})
KIBANA_SEVERITIES = ("low", "medium", "high", "critical")
KIBANA_RISK_SCORES = {"low": 21, "medium": 47, "high": 73, "critical": 99}
# NOTE: an estimate, the same 15 minutes the Splunk schedule allows for delivery. CloudTrail does
# not guarantee a delivery time, so a later event can still miss its bucket.
CLOUDTRAIL_DELIVERY_SECONDS = 15 * 60
# Index patterns LuceneBackend uses when no index_names option is given.
LUCENE_DEFAULT_INDEX_PREFIX = "apm-*-transaction*"


@dataclass
class TypedValueCondition(ValueProcessingCondition):
    """Match detection items whose values are of one Sigma type (for example cidr expressions)."""

    value_type: type[SigmaType] = SigmaString
    cond: str = "any"

    def match_value(self, value: SigmaType) -> bool:
        return isinstance(value, self.value_type)


def case_insensitive_regex(value: SigmaString) -> str:
    """Translate a Sigma string into a Lucene regular expression that ignores letter case.

    Lucene regular expressions have no case-insensitive flag, so each letter becomes a class of
    both cases (``a`` -> ``[aA]``). Reserved characters are escaped with a backslash, and the Sigma
    wildcards become ``.*`` and ``.``. Lucene anchors the expression to the whole value.
    """
    pieces: list[str] = []
    for part in value.s:
        if part == SpecialChars.WILDCARD_MULTI:
            pieces.append(".*")
        elif part == SpecialChars.WILDCARD_SINGLE:
            pieces.append(".")
        else:
            pieces.extend(_regex_character(character) for character in str(part))
    return "".join(pieces)


def _regex_character(character: str, fold_case: bool = True) -> str:
    lower, upper = character.lower(), character.upper()
    if fold_case and lower != upper and len(lower) == 1 and len(upper) == 1:
        return f"[{lower}{upper}]"
    if character in LUCENE_REGEX_RESERVED:
        return "\\" + character
    return character


@dataclass
class CaseInsensitiveRegexTransformation(StringValueTransformation):
    """Replace string values with case-insensitive regular expressions where the backend needs it.

    Lucene and ES|QL compare keyword fields case-sensitively, so every value with a letter is
    replaced. EQL's ``:`` operator already ignores case but cannot match a literal ``*`` or ``?``
    (its wildcards have no escape), so on every backend a value with a literal ``*`` or ``?``
    is replaced too; EQL then uses ``regex~``. A value with the ``cased`` modifier stays as is.
    """

    def apply_string_value(self, field: str, val: SigmaString) -> SigmaRegularExpression | None:
        if isinstance(val, SigmaCasedString):
            return None
        text = "".join(part for part in val.s if isinstance(part, str))
        if text.lower() in BOOLEAN_WORDS and len(val.s) == 1:
            # "true"/"false" also match boolean fields, where a regular expression is an error.
            return None
        has_literal_wildcard = "*" in text or "?" in text
        backend = self._pipeline.vars.get("backend") if self._pipeline is not None else None
        has_letter = text.lower() != text.upper()
        if has_literal_wildcard or (has_letter and backend in CASE_SENSITIVE_BACKENDS):
            return SigmaRegularExpression(case_insensitive_regex(val))
        return None


def lucene_regex(regex: str) -> str:
    """Rewrite a rule's (PCRE-style) regular expression for the Lucene regex engine.

    ``"`` is reserved in Lucene regular expressions (it quotes a literal string), so an
    unescaped ``"`` becomes ``\\"``. ``\\/`` becomes ``/``, which means the same character, because
    the Lucene backend escapes every ``/`` itself and would turn ``\\/`` into ``\\\\/``.
    """
    pieces: list[str] = []
    position = 0
    while position < len(regex):
        character = regex[position]
        if character == "\\" and position + 1 < len(regex):
            following = regex[position + 1]
            pieces.append("/" if following == "/" else character + following)
            position += 2
            continue
        pieces.append('\\"' if character == '"' else character)
        position += 1
    return "".join(pieces)


@dataclass
class LuceneRegexTransformation(ValueTransformation):
    """Escape the double quotes of a rule's regular expressions, which Lucene reserves.

    Elasticsearch runs the regular expressions of Lucene queries, EQL ``regex~`` and ES|QL
    ``RLIKE`` with the Lucene engine, where an unescaped ``"`` starts a quoted literal.
    """

    def apply_value(self, field: str | None, val: SigmaType) -> SigmaType | None:
        if not isinstance(val, SigmaRegularExpression):
            return None
        text = str(val.regexp)
        rewritten = lucene_regex(text)
        if rewritten == text:
            return None
        return SigmaRegularExpression(rewritten, flags=set(val.flags))


@dataclass
class KibanaRuleFixupTransformation(QueryPostprocessingTransformation):
    """Repair Kibana detection rules that the Elastic backends emit as dictionaries.

    ``level: informational`` becomes ``severity: informational``, which Kibana rejects, so it is
    mapped to ``low``. CloudTrail reaches Elasticsearch minutes after the API call, and a rule
    that selects events by ``@timestamp`` skips such late events. The rules therefore select by
    ``event.ingested``, as Elastic's own AWS rules do. Tactic names such as ``Initial-Access``
    become ATT&CK's display names (``Initial Access``).

    The look-back (``from``) is the interval plus ``additional_lookback``: one minute for plain
    rules, and for a correlation its timespan plus the CloudTrail delivery delay, because the
    query buckets events by ``@timestamp`` while Kibana selects them by ``event.ingested``.

    The Lucene backend takes index patterns only as a backend option. Its built-in default list is
    replaced with the pipeline's index list, and a single pattern passed as a string (as sigma-cli
    passes one ``-O`` value) is wrapped in a list.
    """

    index: list[str] = field(default_factory=list)
    interval_seconds: int = 300

    def apply(self, rule: SigmaRule | SigmaCorrelationRule, query: Any) -> Any:
        super().apply(rule, query)
        if not isinstance(query, dict):
            return query
        if "rule_id" in query:
            query.setdefault("timestamp_override", "event.ingested")
            lookback = additional_lookback(rule)
            query["from"] = f"now-{duration(self.interval_seconds + lookback)}"
            query.setdefault("meta", {})["from"] = duration(lookback)
        if "severity" in query and query["severity"] not in KIBANA_SEVERITIES:
            query["severity"] = "low"
            query["risk_score"] = KIBANA_RISK_SCORES["low"]
        if "index" in query:
            index = query["index"]
            if isinstance(index, str):
                query["index"] = [index]
            elif isinstance(index, list) and index[:1] == [LUCENE_DEFAULT_INDEX_PREFIX]:
                query["index"] = list(self.index)
        for threat in query.get("threat") or []:
            tactic = threat.get("tactic") if isinstance(threat, dict) else None
            if isinstance(tactic, dict) and isinstance(tactic.get("name"), str):
                short_name = tactic["name"].lower().replace(" ", "-")
                tactic["name"] = _tactic_names().get(short_name, tactic["name"])
        return query


def additional_lookback(rule: SigmaRule | SigmaCorrelationRule) -> int:
    """Return the seconds a Kibana rule looks back beyond its interval.

    Plain rules get one minute, which covers a late start of a run. A correlation counts events in
    buckets of its timespan, which a run must see whole: every event of a bucket was ingested
    within the timespan plus the CloudTrail delivery delay after the bucket started.
    """
    if isinstance(rule, SigmaCorrelationRule) and rule.timespan is not None:
        return rule.timespan.seconds + CLOUDTRAIL_DELIVERY_SECONDS
    return 60


def duration(seconds: int) -> str:
    """Render seconds in Kibana's duration form, in the largest whole unit (``75m``, ``90s``)."""
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


@functools.cache
def _tactic_names() -> dict[str, str]:
    from sigma_llmjack.offline import attack_tactic_names

    return attack_tactic_names()


def map_entry_regex(key: str, value: SigmaString) -> str:
    """Build a Lucene regex for ``key=value`` inside a Java map rendered as ``{k=v, k2=v2}``.

    Sigma wildcards stop at the ``,`` or ``}`` that ends the entry, so a wildcard cannot run into
    the next key. The key is matched exactly (CloudTrail spells it one way), and the value ignores
    letter case, as Sigma compares values.
    """
    pieces = [".*[{ ]", *(_regex_character(c, fold_case=False) for c in key), "="]
    for part in value.s:
        if part == SpecialChars.WILDCARD_MULTI:
            pieces.append("[^,}]*")
        elif part == SpecialChars.WILDCARD_SINGLE:
            pieces.append("[^,}]")
        else:
            pieces.extend(_regex_character(c) for c in str(part))
    pieces.append("[,}].*")
    return "".join(pieces)


@dataclass
class FlattenedToStringFieldTransformation(DetectionItemTransformation):
    """Rewrite tests on ``aws.cloudtrail.flattened.*`` for ES|QL, which cannot read those fields.

    ES|QL in Elasticsearch 8.x does not support the ``flattened`` field type, and later versions
    read a key only through ``FIELD_EXTRACT``, so ``aws.cloudtrail.flattened.request_parameters
    .modelId`` is not a column. The integration also keeps each of
    these objects as a keyword string in Java map form (``aws.cloudtrail.request_parameters`` is
    ``{modelId=anthropic.claude-v2, accept=*/*}``), and the test becomes a regex on that string.
    Other backends keep the flattened field.

    NOTE: only the last key of a nested path is matched, and a value that itself contains ``,``
    or ``}`` cannot match. A null test (key absent) has no string form and is rejected.
    """

    def apply_detection_item(self, detection_item: SigmaDetectionItem) -> SigmaDetectionItem | None:
        backend = self._pipeline.vars.get("backend") if self._pipeline is not None else None
        field = detection_item.field
        if backend != ESQL_BACKEND or field is None or not field.startswith(FLATTENED_PREFIX):
            return None
        container, _, key_path = field[len(FLATTENED_PREFIX) :].partition(".")
        key = key_path.rsplit(".", 1)[-1]
        values: list[SigmaType] = []
        for value in detection_item.value:
            if isinstance(value, (SigmaNumber, SigmaBool)):
                value = SigmaString(
                    str(value).lower() if isinstance(value, SigmaBool) else str(value)
                )
            if not isinstance(value, SigmaString):
                raise SigmaTransformationError(
                    f"the field '{field}' is compared with {type(value).__name__}, which ES|QL "
                    f"cannot test on the string form aws.cloudtrail.{container}",
                    source=detection_item.source,
                )
            values.append(SigmaRegularExpression(map_entry_regex(key, value)))
        detection_item.field = f"aws.cloudtrail.{container}"
        detection_item.value = values
        return detection_item
