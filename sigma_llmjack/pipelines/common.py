"""Processing items and transformations that the Splunk and Elastic pipelines share."""

from __future__ import annotations

from dataclasses import dataclass, field

from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaTransformationError
from sigma.processing.conditions import LogsourceCondition
from sigma.processing.pipeline import ProcessingItem
from sigma.processing.transformations import PreprocessingTransformation
from sigma.processing.transformations.base import DetectionItemTransformation
from sigma.rule import SigmaDetection, SigmaDetectionItem, SigmaRule
from sigma.types import SigmaQueryExpression

CLOUDTRAIL_PRODUCT = "aws"
CLOUDTRAIL_SERVICE = "cloudtrail"


def cloudtrail_condition() -> LogsourceCondition:
    """Match rules on the CloudTrail log source (product aws, service cloudtrail)."""
    return LogsourceCondition(product=CLOUDTRAIL_PRODUCT, service=CLOUDTRAIL_SERVICE)


@dataclass
class UnsupportedLogsourceFailure(PreprocessingTransformation):
    """Reject a rule whose log source the pipeline has no field mapping for.

    Passing such a rule through would produce a query over the wrong data with unmapped field
    names, which matches nothing without any warning, so conversion fails instead.
    """

    target: str

    def apply(self, rule: SigmaRule | SigmaCorrelationRule) -> None:
        super().apply(rule)
        if not isinstance(rule, SigmaRule):
            return
        logsource = rule.logsource
        described = ", ".join(
            f"{key}: {value}"
            for key, value in (
                ("product", logsource.product),
                ("category", logsource.category),
                ("service", logsource.service),
            )
            if value
        )
        raise SigmaTransformationError(
            f"log source ({described or 'none'}) is not supported by the {self.target} pipeline, "
            f"which only maps product: {CLOUDTRAIL_PRODUCT}, service: {CLOUDTRAIL_SERVICE}",
            source=rule.source,
        )


def unsupported_logsource_item(target: str) -> ProcessingItem:
    """Build the item that rejects every rule outside the CloudTrail log source."""
    return ProcessingItem(
        identifier=f"llmjack_{target.lower()}_unsupported_logsource",
        transformation=UnsupportedLogsourceFailure(target=target),
        rule_conditions=[cloudtrail_condition()],
        rule_condition_negation=True,
    )


@dataclass
class AddQueryExpressionTransformation(PreprocessingTransformation):
    """Prepend a fixed query fragment (such as a Splunk macro call) to every rule condition.

    AddConditionTransformation only adds field-value tests. A fragment that is not a field test,
    like `` `llmjack_cloudtrail_index` ``, is added here as a SigmaQueryExpression, which backends
    copy into the query verbatim. Because it becomes part of the rule's own condition, correlation
    rules that embed the rule's query carry the fragment too.
    """

    expression: str
    name: str = field(default="_llmjack_query_prefix")

    def apply(self, rule: SigmaRule | SigmaCorrelationRule) -> None:
        super().apply(rule)
        if not isinstance(rule, SigmaRule):
            return
        item = SigmaDetectionItem(
            field=None, modifiers=[], value=[SigmaQueryExpression(self.expression, self.name)]
        )
        rule.detection.detections[self.name] = SigmaDetection([item])
        for condition in rule.detection.parsed_condition:
            condition.condition = f"{self.name} and ({condition.condition})"


@dataclass
class UnmappedFieldFailure(DetectionItemTransformation):
    """Reject a detection item whose field the pipeline does not map, naming the field."""

    target: str

    def apply_detection_item(self, detection_item: SigmaDetectionItem) -> None:
        if detection_item.field is None:
            reason = "a keyword (a value without a field) cannot be searched"
        else:
            reason = f"the field '{detection_item.field}' has no mapping"
        raise SigmaTransformationError(
            f"{reason} in the {self.target} pipeline; use a mapped CloudTrail field "
            "(see docs/elastic.md) or extend the pipeline",
            source=detection_item.source,
        )
