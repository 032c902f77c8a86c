"""Elastic backends with EQL regex strings that stay quoted and null-safe ES|QL negations."""

from __future__ import annotations

from typing import ClassVar

from sigma.backends.elasticsearch import EqlBackend, ESQLBackend
from sigma.conditions import ConditionNOT
from sigma.conversion.deferred import DeferredQueryExpression
from sigma.conversion.state import ConversionState


class LLMjackEqlBackend(EqlBackend):
    """EqlBackend that escapes ``"`` and ``\\`` in ``regex~ "..."`` strings.

    The stock backend escapes ``/`` and the backslash only, so a ``"`` in a regular expression
    ends the EQL string early. EQL strings support the escapes ``\\"`` and ``\\\\``, and ``/``
    needs none.
    """

    re_escape: ClassVar[tuple[str, ...]] = ('"',)


class LLMjackESQLBackend(ESQLBackend):
    """ESQLBackend whose ``not`` is true for events that lack the tested field.

    ES|QL uses three-valued logic: ``x rlike "..."`` is null when ``x`` is null, ``not null`` is
    null, and WHERE drops the row. Sigma (and Splunk, Lucene and replay) treat a missing field as
    not matching, so its negation matches. ``not coalesce(expr, false)`` does that.
    """

    def convert_condition_not(
        self, cond: ConditionNOT, state: ConversionState
    ) -> str | DeferredQueryExpression | None:
        argument = cond.args[0]
        if argument is None:
            return None
        expression = self.convert_condition(argument, state)
        if expression is None or isinstance(expression, DeferredQueryExpression):
            return super().convert_condition_not(cond, state)
        return f"not coalesce({expression}, false)"
