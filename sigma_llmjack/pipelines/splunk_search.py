"""Query post-processing for Splunk: keep the index macro and sourcetype at the search's start."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sigma.correlations import SigmaCorrelationRule
from sigma.processing.postprocessing import QueryPostprocessingTransformation
from sigma.rule import SigmaRule

SEARCH_MARKER = "\n| search "
SAVEDSEARCH_KEY = "\nsearch = "
CONTINUATION = " \\\n"


def move_base_search_first(query: str, base: str) -> str:
    """Put ``base`` in front of the ``rex``/``eval`` commands the backend placed first.

    For a regular expression inside an OR, SplunkBackend emits ``| rex ... | eval ...`` and then
    ``| search <condition>``. A search string cannot start with ``| rex``, so without a base
    search in front Splunk rejects it. The macro and sourcetype terms are ANDed with the whole
    condition, so they can filter before the commands.

    NOTE: only the start of the whole search is repaired. A rule like this inside the
    ``| multisearch`` of a temporal correlation still yields a subsearch starting with ``| rex``.
    """
    if not query.startswith("\n| ") or SEARCH_MARKER not in query:
        return query
    position = query.index(SEARCH_MARKER)
    commands, condition = query[:position], query[position + len(SEARCH_MARKER) :]
    if not condition.startswith(base + " "):
        return query
    return base + commands + SEARCH_MARKER + condition[len(base) + 1 :]


@dataclass
class SplunkBaseSearchFirstTransformation(QueryPostprocessingTransformation):
    """Apply ``move_base_search_first`` to plain searches and to savedsearches.conf stanzas.

    A stanza from the backend's savedsearches format ends with the ``search`` setting, whose
    lines are joined with backslash continuations.
    """

    base: str = ""

    def apply(self, rule: SigmaRule | SigmaCorrelationRule, query: Any) -> Any:
        super().apply(rule, query)
        if not isinstance(query, str):
            return query
        if SAVEDSEARCH_KEY not in query:
            return move_base_search_first(query, self.base)
        position = query.rindex(SAVEDSEARCH_KEY) + len(SAVEDSEARCH_KEY)
        search = "\n".join(query[position:].split(CONTINUATION))
        fixed = move_base_search_first(search.lstrip(" "), self.base)
        if fixed == search.lstrip(" "):
            return query
        return query[:position] + CONTINUATION.join(fixed.split("\n"))
