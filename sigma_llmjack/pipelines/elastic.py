"""Elastic pipeline for CloudTrail as the Elastic ``aws`` integration indexes it.

Field names follow the integration's ``cloudtrail`` data stream: its ``fields.yml`` and ingest
pipeline (elastic/integrations, ``packages/aws/data_stream/cloudtrail``) and its pipeline test
``test-converse-json.log-expected.json``, which shows a Bedrock ``Converse`` event with
``tls.client.server_name`` holding ``tlsDetails.clientProvidedHostHeader`` and
``source.address``/``source.ip`` both set from ``sourceIPAddress``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sigma.processing.conditions import ExcludeFieldCondition, IsSigmaRuleCondition
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline, QueryPostprocessingItem
from sigma.processing.transformations import (
    FieldMappingTransformation,
    FieldPrefixMappingTransformation,
    SetStateTransformation,
)
from sigma.types import SigmaCIDRExpression

from sigma_llmjack.pipelines.common import (
    UnmappedFieldFailure,
    cloudtrail_condition,
    unsupported_logsource_item,
)
from sigma_llmjack.pipelines.elastic_transformations import (
    CaseInsensitiveRegexTransformation,
    FlattenedToStringFieldTransformation,
    KibanaRuleFixupTransformation,
    LuceneRegexTransformation,
    TypedValueCondition,
)
from sigma_llmjack.pipelines.new_terms import KibanaNewTermsTransformation, NewTermsOutputCheck

DEFAULT_INDEX = "logs-aws.cloudtrail-*"
ELASTIC_PRIORITY = 20
ELASTIC_OPTION_NAMES = frozenset({"index", "schedule_interval", "schedule_interval_unit"})
ELASTIC_BACKENDS = frozenset({"lucene", "esql", "eql", "elasticsearch"})

# Raw CloudTrail field -> field of the Elastic aws integration. All are keyword fields except
# aws.cloudtrail.read_only (boolean).
CLOUDTRAIL_FIELDS: dict[str, str] = {
    "eventSource": "event.provider",
    "eventName": "event.action",
    "eventID": "event.id",
    "eventType": "aws.cloudtrail.event_type",
    "eventCategory": "aws.cloudtrail.event_category",
    "eventVersion": "aws.cloudtrail.event_version",
    "errorCode": "aws.cloudtrail.error_code",
    "errorMessage": "aws.cloudtrail.error_message",
    "awsRegion": "cloud.region",
    "recipientAccountId": "aws.cloudtrail.recipient_account_id",
    "requestID": "aws.cloudtrail.request_id",
    "readOnly": "aws.cloudtrail.read_only",
    "managementEvent": "aws.cloudtrail.management_event",
    "vpcEndpointId": "aws.cloudtrail.vpc_endpoint_id",
    # NOTE: taken from Elastic's prebuilt ES|QL rules, which query this name; the integration's
    # exported-fields table does not list it, so on an older integration it may be missing.
    "sessionCredentialFromConsole": "aws.cloudtrail.session_credential_from_console",
    # A service name such as "bedrock.amazonaws.com" stays in source.address; the integration
    # copies only real addresses into the ip-typed source.ip, which cidr tests use.
    "sourceIPAddress": "source.address",
    "userAgent": "user_agent.original",
    "userIdentity.type": "aws.cloudtrail.user_identity.type",
    "userIdentity.arn": "aws.cloudtrail.user_identity.arn",
    "userIdentity.accessKeyId": "aws.cloudtrail.user_identity.access_key_id",
    "userIdentity.accountId": "cloud.account.id",
    "userIdentity.principalId": "user.id",
    "userIdentity.userName": "user.name",
    "userIdentity.invokedBy": "aws.cloudtrail.user_identity.invoked_by",
    "userIdentity.sessionContext.sessionIssuer.arn": (
        "aws.cloudtrail.user_identity.session_context.session_issuer.arn"
    ),
    "userIdentity.sessionContext.sessionIssuer.type": (
        "aws.cloudtrail.user_identity.session_context.session_issuer.type"
    ),
    "userIdentity.sessionContext.attributes.mfaAuthenticated": (
        "aws.cloudtrail.user_identity.session_context.mfa_authenticated"
    ),
    "tlsDetails.clientProvidedHostHeader": "tls.client.server_name",
    "tlsDetails.cipherSuite": "tls.cipher",
}

# Nested objects the integration keeps as `flattened` fields, so any key below them is searchable.
CLOUDTRAIL_PREFIXES: dict[str, str] = {
    "requestParameters.": "aws.cloudtrail.flattened.request_parameters.",
    "additionalEventData.": "aws.cloudtrail.flattened.additional_eventdata.",
    "responseElements.": "aws.cloudtrail.flattened.response_elements.",
}

ADDRESS_FIELD = "source.ip"


# An Elasticsearch index name or pattern as a site file may write it: lower case letters, digits and
# . _ - + (not first, except a leading . of hidden indexes), the wildcard *, a leading - to
# exclude a pattern and a "cluster:" prefix for cross-cluster search. Everything else, notably
# spaces, commas, quotes and |, is refused: the names are written into ES|QL FROM clauses.
INDEX_PATTERN = re.compile(r"^-?(?:[a-z0-9*][a-z0-9_*-]*:)?[a-z0-9*.][a-z0-9._+*-]*$")
MAX_INDEX_LENGTH = 255
INTERVAL_UNITS = ("s", "m", "h", "d")


def _index_patterns(index: Any) -> tuple[str, ...]:
    """Validate ``elastic.index`` (one pattern or a list) and return the patterns."""
    if isinstance(index, str):
        patterns: list[Any] = [index]
    elif isinstance(index, list):
        patterns = list(index)
    else:
        raise ValueError(f"elastic.index must be an index pattern or a list of them, got {index!r}")
    if not patterns:
        raise ValueError("elastic.index must name at least one index pattern, got []")
    for pattern in patterns:
        valid = (
            isinstance(pattern, str)
            and len(pattern) <= MAX_INDEX_LENGTH
            and INDEX_PATTERN.match(pattern) is not None
            and pattern.lstrip("-") not in (".", "..")
        )
        if not valid:
            raise ValueError(
                f"elastic.index has the invalid index pattern {pattern!r}; use lower-case "
                "Elasticsearch index names with *, an optional leading - and cluster: prefix, "
                "and no spaces, commas, quotes or |"
            )
    return tuple(patterns)


@dataclass(frozen=True)
class ElasticOptions:
    """Site options of the Elastic pipeline (the ``elastic`` section of a site file)."""

    index: tuple[str, ...] = (DEFAULT_INDEX,)
    schedule_interval: int = 5
    schedule_interval_unit: str = "m"

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any]) -> ElasticOptions:
        """Read and validate the options; ValueError names the option and the value."""
        unknown = sorted(set(map(str, options)) - ELASTIC_OPTION_NAMES)
        if unknown:
            raise ValueError(
                f"unknown elastic option(s) {', '.join(unknown)}; "
                f"known options are {', '.join(sorted(ELASTIC_OPTION_NAMES))}"
            )
        interval = options.get("schedule_interval", cls.schedule_interval)
        unit = options.get("schedule_interval_unit", cls.schedule_interval_unit)
        if not isinstance(interval, int) or isinstance(interval, bool) or interval < 1:
            raise ValueError(
                f"elastic.schedule_interval must be a positive whole number, got {interval!r}"
            )
        if unit not in INTERVAL_UNITS:
            raise ValueError(f"elastic.schedule_interval_unit must be s, m, h or d, got {unit!r}")
        index = _index_patterns(options.get("index", DEFAULT_INDEX))
        return cls(index=index, schedule_interval=interval, schedule_interval_unit=unit)

    def interval_seconds(self) -> int:
        """Return the Kibana rule interval in seconds."""
        factor = {"s": 1, "m": 60, "h": 3600, "d": 86400}[self.schedule_interval_unit]
        return self.schedule_interval * factor


def _mapped_fields() -> list[str]:
    return sorted({*CLOUDTRAIL_FIELDS.values(), ADDRESS_FIELD})


def _field_mapping_items() -> list[ProcessingItem]:
    return [
        ProcessingItem(
            identifier="llmjack_elastic_cidr_address",
            transformation=FieldMappingTransformation({"sourceIPAddress": ADDRESS_FIELD}),
            rule_conditions=[cloudtrail_condition(), IsSigmaRuleCondition()],
            detection_item_conditions=[TypedValueCondition(value_type=SigmaCIDRExpression)],
        ),
        ProcessingItem(
            identifier="llmjack_elastic_fields",
            transformation=FieldMappingTransformation(dict(CLOUDTRAIL_FIELDS)),
            rule_conditions=[cloudtrail_condition()],
        ),
        ProcessingItem(
            identifier="llmjack_elastic_flattened_fields",
            transformation=FieldPrefixMappingTransformation(dict(CLOUDTRAIL_PREFIXES)),
            rule_conditions=[cloudtrail_condition()],
        ),
        ProcessingItem(
            identifier="llmjack_elastic_unmapped_field",
            transformation=UnmappedFieldFailure(target="Elastic"),
            rule_conditions=[cloudtrail_condition()],
            field_name_conditions=[
                ExcludeFieldCondition(fields=_mapped_fields()),
                ExcludeFieldCondition(fields=[r"aws\.cloudtrail\.flattened\..+"], mode="re"),
            ],
        ),
    ]


def elastic_cloudtrail_pipeline(options: Mapping[str, Any] | None = None) -> ProcessingPipeline:
    """Build the pipeline that maps CloudTrail rules onto the Elastic aws integration.

    Elasticsearch compares keyword fields case-sensitively, Sigma case-insensitively. For Lucene and
    ES|QL, string values on keyword fields become regular expressions with a character class per
    letter (``[iI][nN]...``). EQL's ``:`` operator already ignores case.
    """
    settings = ElasticOptions.from_mapping(options or {})
    items = [
        unsupported_logsource_item("Elastic"),
        ProcessingItem(
            identifier="llmjack_elastic_new_terms_check", transformation=NewTermsOutputCheck()
        ),
        *_field_mapping_items(),
        # Before the items below, which build regular expressions that are escaped already.
        ProcessingItem(
            identifier="llmjack_elastic_regex_quotes",
            transformation=LuceneRegexTransformation(),
            rule_conditions=[cloudtrail_condition()],
        ),
    ]
    items.append(
        ProcessingItem(
            identifier="llmjack_esql_flattened_as_string",
            transformation=FlattenedToStringFieldTransformation(),
            rule_conditions=[cloudtrail_condition()],
        )
    )
    items.append(
        ProcessingItem(
            identifier="llmjack_elastic_case_insensitive",
            transformation=CaseInsensitiveRegexTransformation(),
            rule_conditions=[cloudtrail_condition()],
            field_name_conditions=[
                ExcludeFieldCondition(fields=[ADDRESS_FIELD]),
                ExcludeFieldCondition(fields=[r"aws\.cloudtrail\.flattened\..+"], mode="re"),
            ],
        )
    )
    items.append(
        ProcessingItem(
            identifier="llmjack_elastic_index",
            transformation=SetStateTransformation("index", list(settings.index)),
        )
    )
    return ProcessingPipeline(
        name="sigma-llmjack Elastic CloudTrail",
        priority=ELASTIC_PRIORITY,
        allowed_backends=ELASTIC_BACKENDS,
        items=items,
        postprocessing_items=[
            QueryPostprocessingItem(
                identifier="llmjack_kibana_rule_fixup",
                transformation=KibanaRuleFixupTransformation(
                    index=list(settings.index), interval_seconds=settings.interval_seconds()
                ),
            ),
            QueryPostprocessingItem(
                identifier="llmjack_kibana_new_terms",
                transformation=KibanaNewTermsTransformation(
                    field_names=dict(CLOUDTRAIL_FIELDS), prefixes=dict(CLOUDTRAIL_PREFIXES)
                ),
            ),
        ],
        vars={"llmjack_elastic_index": list(settings.index)},
    )


__all__ = [
    "CLOUDTRAIL_FIELDS",
    "CLOUDTRAIL_PREFIXES",
    "DEFAULT_INDEX",
    "ElasticOptions",
    "elastic_cloudtrail_pipeline",
]
