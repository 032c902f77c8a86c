"""Every Bedrock rule converts on the plain pySigma backends that the rule catalogue lists.

The backends run with the site placeholder pipeline only, no field mapping, so a failure here is
a problem of the rule, not of a target pipeline. Lucene cannot express correlation rules. The
test asserts that refusal, so a backend version that starts to support them fails here and the
support table in docs/rules.md gets updated.
"""

from __future__ import annotations

import pytest
from rule_event_cases import referenced_rule_files, rule_files
from sigma.backends.elasticsearch import ESQLBackend, LuceneBackend
from sigma.backends.splunk import SplunkBackend
from sigma.backends.sqlite import sqliteBackend

from sigma_llmjack.config import load_config
from sigma_llmjack.pack import load_collection

BACKENDS = {
    "splunk": SplunkBackend,
    "lucene": LuceneBackend,
    "esql": ESQLBackend,
    "sqlite": sqliteBackend,
}
# Backends that reject every correlation rule, with the exception they raise.
NO_CORRELATIONS = {"lucene": NotImplementedError}


def _is_correlation(rule_file) -> bool:
    return bool(referenced_rule_files(rule_file))


def _convert(target: str, rule_file) -> list:
    collection = load_collection([rule_file, *referenced_rule_files(rule_file)])
    backend = BACKENDS[target](processing_pipeline=load_config().placeholder_pipeline())
    return backend.convert(collection)


@pytest.mark.parametrize("target", sorted(BACKENDS))
@pytest.mark.parametrize("rule_file", rule_files(), ids=lambda path: path.stem)
def test_rule_converts(target: str, rule_file) -> None:
    if _is_correlation(rule_file) and target in NO_CORRELATIONS:
        with pytest.raises(NO_CORRELATIONS[target]):
            _convert(target, rule_file)
        return

    queries = _convert(target, rule_file)
    assert queries, f"{target} produced no query"
    text = "\n".join(map(str, queries))
    assert "%bedrock_" not in text, "a placeholder was left unfilled"
    assert "%llmjack_" not in text, "a placeholder was left unfilled"
