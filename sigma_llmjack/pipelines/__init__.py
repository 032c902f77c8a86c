"""Processing pipelines that map the rule pack's CloudTrail fields onto Splunk and Elastic."""

from __future__ import annotations

from sigma.processing.pipeline import ProcessingPipeline

from sigma_llmjack.pipelines.elastic import elastic_cloudtrail_pipeline
from sigma_llmjack.pipelines.splunk import splunk_cloudtrail_pipeline

__all__ = ["elastic_cloudtrail_pipeline", "splunk_cloudtrail_pipeline", "with_default_placeholders"]


def with_default_placeholders(pipeline: ProcessingPipeline) -> ProcessingPipeline:
    """Return one pipeline that fills the shipped placeholder values, then runs ``pipeline``.

    sigma-cli takes a pipeline by name and cannot read a site file, so the placeholder items are
    put in front of the target's items here. The result keeps the target pipeline's name, priority
    and allowed backends, which sigma-cli checks against the chosen backend.
    """
    from sigma_llmjack.config import default_config

    # `+` keeps the written order, which is the intended one here (placeholders first), but drops
    # the name, priority and allowed backends, so they are copied back.
    combined = default_config().placeholder_pipeline() + pipeline
    combined.name = pipeline.name
    combined.priority = pipeline.priority
    combined.allowed_backends = pipeline.allowed_backends
    return combined
