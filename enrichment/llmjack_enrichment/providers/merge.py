"""Merge the answers of several providers about one address into one verdict.

Rules, in order:

- The status is "ok" if any provider answered with data. Otherwise it is the first
  status in ``STATUS_ORDER`` that some provider returned, so that an answer
  ("not_applicable", "no_data") wins over a failure, and a timeout over a rate limit.
- The verdict is the strongest one any provider gave: malicious, then suspicious, then
  benign. "benign" is reported only when no provider flagged the address.
- The score is the highest score among the "ok" answers (0-100), or None.
- The sources are the providers whose answer carries the reported verdict, or, without
  a verdict, the providers whose answers have the reported status.
"""

from __future__ import annotations

from collections.abc import Sequence

from llmjack_enrichment.providers.base import VERDICTS, ProviderAnswer

STATUS_ORDER = (
    "ok",
    "not_applicable",
    "no_data",
    "timeout",
    "rate_limited",
    "unauthorized",
    "error",
    "disabled",
)


def merge_status(answers: Sequence[ProviderAnswer]) -> str:
    statuses = {answer.status for answer in answers}
    for status in STATUS_ORDER:
        if status in statuses:
            return status
    return "disabled"


def merge_verdict(answers: Sequence[ProviderAnswer]) -> str | None:
    verdicts_given = {answer.verdict for answer in answers if answer.status == "ok"}
    for verdict in VERDICTS:
        if verdict in verdicts_given:
            return verdict
    return None


def merge_answers(
    answers: Sequence[ProviderAnswer],
) -> tuple[str, str | None, int | None, tuple[str, ...]]:
    """Return (status, verdict, score, sources) for the answers about one address."""
    status = merge_status(answers)
    verdict = merge_verdict(answers) if status == "ok" else None
    scores = [a.score for a in answers if a.status == "ok" and a.score is not None]
    score = max(scores) if scores else None
    if verdict is not None:
        sources = [a.provider for a in answers if a.status == "ok" and a.verdict == verdict]
    else:
        sources = [a.provider for a in answers if a.status == status]
    return status, verdict, score, tuple(sorted(set(sources)))
