"""First-seen ("new terms") rules in replay: report a record only when its values are new.

A rule with the ``llmjack_new_terms`` attribute lists one to three fields and a history window
(``14d``). The converter turns it into a Kibana ``new_terms`` rule or a Splunk search that keeps
the value combinations whose first event is recent. Replay applies the same test to the
replayed records. A record that the rule's detection matches is reported when its combination
of the fields' values did not occur in a matching record within the history window before it.
A record that lacks one of the fields is not reported, as Kibana and Splunk's ``stats ... by``
ignore it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sigma.correlations import SigmaCorrelationRule
from sigma.rule import SigmaRule

from sigma_llmjack.pipelines.new_terms import NewTermsSpec

_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class FirstSeen:
    """The fields whose value combination must be new, and the history window in seconds."""

    fields: tuple[str, ...]
    history_seconds: int

    @classmethod
    def from_rule(cls, rule: SigmaRule | SigmaCorrelationRule) -> FirstSeen | None:
        """Read the rule's attribute, or return None for a plain rule.

        Raises SigmaTransformationError when the attribute is invalid.
        """
        spec = NewTermsSpec.from_rule(rule)
        if spec is None:
            return None
        seconds = int(spec.history[:-1]) * _UNIT_SECONDS[spec.history[-1]]
        return cls(fields=spec.fields, history_seconds=seconds)


@dataclass
class FirstSeenFilter:
    """Remember when each value combination was last seen, over records sorted by time."""

    rule: FirstSeen
    last_seen: dict[tuple[Any, ...], float | None] = field(default_factory=dict)

    def is_new(self, time: str | None, values: Sequence[Any]) -> bool:
        """Return True when ``values`` did not occur within the history window before ``time``.

        A record without a readable time counts as new only the first time its values occur.
        """
        if any(value is None for value in values):
            return False
        key = tuple(values)
        moment = _seconds(time)
        seen = key in self.last_seen
        previous = self.last_seen.get(key)
        self.last_seen[key] = moment if moment is not None else previous
        if not seen:
            return True
        if moment is None or previous is None:
            return False
        return moment - previous > self.rule.history_seconds


def _seconds(time: str | None) -> float | None:
    if time is None:
        return None
    try:
        return datetime.fromisoformat(time.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
