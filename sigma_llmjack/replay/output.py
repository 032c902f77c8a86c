"""Format a replay result as text for people or as JSON for programs."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from sigma_llmjack.replay.results import Match, ReplayResult

# The text summary lists this many skipped records; the JSON output lists all of them.
MAX_LISTED_SKIPPED = 20


def match_lines(match: Match) -> list[str]:
    """Format one match as a heading line and indented detail lines."""
    kind = "correlation" if match.correlation else "event"
    lines = [f"[{match.level or '-'}] {match.title} ({match.rule_id}, {kind})"]
    if match.correlation:
        lines.append(
            f"    time: {match.time or '-'}  records: {match.window_start} to {match.window_end}"
            f"  events: {match.event_count}"
        )
        groups = ", ".join(f"{name}={value}" for name, value in match.group.items())
        if groups:
            lines.append(f"    group: {groups}")
    else:
        lines.append(f"    time: {match.time or '-'}  event: {match.event_name or '-'}")
    lines.append(f"    identity: {match.identity or '-'}")
    lines.append(f"    access key: {match.access_key or '-'}")
    lines.append(f"    source address: {match.source_ip or '-'}  region: {match.region or '-'}")
    if match.source is not None or match.line is not None:
        lines.append(f"    record: {match.source or 'input'}, line {match.line}")
    return lines


def format_text(result: ReplayResult, files: int | None = None) -> str:
    """Format every match, then a summary of records, skipped records and rules."""
    lines: list[str] = []
    for match in result.matches:
        lines.extend(match_lines(match))
        lines.append("")
    lines.extend(summary_lines(result, files))
    return "\n".join(lines)


def summary_lines(result: ReplayResult, files: int | None = None) -> list[str]:
    """Format the summary: counts, skipped records with reasons, matches and unevaluated rules."""
    read = f"records read: {result.records}"
    if files is not None:
        read += f" from {files} file(s)"
    lines = ["Summary", f"  {read}"]
    file_errors = result.file_errors()
    if file_errors:
        lines.append(f"  files not read or cut short: {len(file_errors)}")
        lines.extend(f"    {error.source}: {error.reason}" for error in file_errors)

    skipped_records = result.skipped_records()
    lines.append(f"  records skipped: {len(skipped_records)}")
    for skipped in skipped_records[:MAX_LISTED_SKIPPED]:
        where = skipped.source or "input"
        lines.append(f"    {where}, line {skipped.line}: {skipped.reason}")
    hidden = len(skipped_records) - MAX_LISTED_SKIPPED
    if hidden > 0:
        lines.append(f"    ... and {hidden} more (--format json lists every one)")

    total = result.rules_evaluated + len(result.errors)
    lines.append(f"  rules evaluated: {result.rules_evaluated} of {total}")
    lines.append(f"  matches: {len(result.matches)}")
    titles = {match.rule_id: match.title for match in result.matches}
    for rule_id, count in sorted(result.matches_per_rule().items()):
        lines.append(f"    {count:>6}  {titles[rule_id]} ({rule_id})")
    for rule_id, reasons in sorted(result.diagnostics.items()):
        for reason, count in sorted(reasons.items()):
            lines.append(f"  rule {rule_id} set aside {count} event(s): {reason}")
    if result.errors:
        lines.append(f"  rules not evaluated: {len(result.errors)}")
        for error in result.errors:
            lines.append(f"    {error.title} ({error.rule_id}): {error.reason}")
    return lines


def result_document(result: ReplayResult, files: int | None = None) -> dict[str, Any]:
    """Return the result as a JSON-ready dictionary with ``matches`` and ``summary``."""
    return {
        "matches": [match.to_dict() for match in result.matches],
        "summary": {
            "files": files,
            "records_read": result.records,
            "file_errors": [asdict(error) for error in result.file_errors()],
            "records_skipped": [asdict(skipped) for skipped in result.skipped_records()],
            "rules_evaluated": result.rules_evaluated,
            "matches_per_rule": result.matches_per_rule(),
            "rules_not_evaluated": [asdict(error) for error in result.errors],
            "correlation_events_set_aside": result.diagnostics,
        },
    }


def format_json(result: ReplayResult, files: int | None = None) -> str:
    """Format the result as one indented JSON document."""
    return json.dumps(result_document(result, files), indent=2, sort_keys=False)
