"""sigma-cli pipelines of sigma-llmjack: ``sigma convert -p llmjack_splunk_cloudtrail ...``.

sigma-cli finds pipelines in the ``sigma.pipelines`` namespace package, so this module has no
``sigma/__init__.py`` above it. sigma-cli cannot read a site configuration, so these pipelines
fill the rules' placeholders with the shipped defaults (``sigma_llmjack/data/site-defaults.yml``)
and use the default index macro and index pattern. ``llmjack convert --config site.yml`` applies
site values.

Building either pipeline also points pySigma's ATT&CK loader at the data shipped with the package
(``sigma_llmjack.offline``), because the Kibana output formats would otherwise download it.
"""

from __future__ import annotations

from sigma.processing.pipeline import ProcessingPipeline


def llmjack_splunk_cloudtrail_pipeline() -> ProcessingPipeline:
    """Splunk SPL over sourcetype aws:cloudtrail, with the shipped placeholder values."""
    from sigma_llmjack.offline import use_bundled_reference_data
    from sigma_llmjack.pipelines import splunk_cloudtrail_pipeline, with_default_placeholders

    use_bundled_reference_data()
    return with_default_placeholders(splunk_cloudtrail_pipeline())


def llmjack_elastic_cloudtrail_pipeline() -> ProcessingPipeline:
    """Elastic aws integration fields (lucene, esql, eql), with the shipped placeholder values."""
    from sigma_llmjack.offline import use_bundled_reference_data
    from sigma_llmjack.pipelines import elastic_cloudtrail_pipeline, with_default_placeholders

    use_bundled_reference_data()
    return with_default_placeholders(elastic_cloudtrail_pipeline())


pipelines = {
    "llmjack_splunk_cloudtrail": llmjack_splunk_cloudtrail_pipeline,
    "llmjack_elastic_cloudtrail": llmjack_elastic_cloudtrail_pipeline,
}

__all__ = ["llmjack_elastic_cloudtrail_pipeline", "llmjack_splunk_cloudtrail_pipeline", "pipelines"]
