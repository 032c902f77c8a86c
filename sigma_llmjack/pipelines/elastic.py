"""Elastic pipeline for CloudTrail as the Elastic ``aws`` integration indexes it.

Field names follow the integration's ``cloudtrail`` data stream: its ``fields.yml`` and ingest
pipeline (elastic/integrations, ``packages/aws/data_stream/cloudtrail``) and its pipeline test
``test-converse-json.log-expected.json``, which shows a Bedrock ``Converse`` event with
``tls.client.server_name`` holding ``tlsDetails.clientProvidedHostHeader`` and
``source.address``/``source.ip`` both set from ``sourceIPAddress``.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class ElasticOptions:
    """Site options of the Elastic pipeline (the ``elastic`` section of a site file)."""

    index: tuple[str, ...] = (DEFAULT_INDEX,)

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any]) -> ElasticOptions:
        """Read the options, accepting one index pattern as a string or several as a list."""
        unknown = sorted(set(map(str, options)) - ELASTIC_OPTION_NAMES)
        if unknown:
            raise ValueError(
                f"unknown elastic option(s) {', '.join(unknown)}; "
                f"known options are {', '.join(sorted(ELASTIC_OPTION_NAMES))}"
            )
        index = options.get("index", DEFAULT_INDEX)
        patterns = [index] if isinstance(index, str) else list(index or [])
        if not patterns or not all(isinstance(p, str) and p for p in patterns):
            raise ValueError(
                f"elastic.index must be an index pattern or a list of them, got {index!r}"
            )
        return cls(index=tuple(patterns))


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
                transformation=KibanaRuleFixupTransformation(index=list(settings.index)),
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
