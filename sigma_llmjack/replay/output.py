"""Format a replay result as text for people or as JSON for programs."""

from __future__ import annotations

import io
import json
import textwrap
from dataclasses import asdict
from typing import IO, Any

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


class TextWriter:
    """Write matches as text the moment they are found, then the summary.

    With ``max_per_rule`` set, the matches of a rule past that number are counted, not printed,
    and the summary reports how many were left out.
    """

    def __init__(self, stream: IO[str], max_per_rule: int | None = None) -> None:
        self.stream = stream
        self.max_per_rule = max_per_rule
        self.printed: dict[str, int] = {}
        self.suppressed: dict[str, int] = {}

    def write(self, match: Match) -> None:
        """Print one match, unless its rule already printed ``max_per_rule`` matches."""
        printed = self.printed.get(match.rule_id, 0)
        if self.max_per_rule is not None and printed >= self.max_per_rule:
            self.suppressed[match.rule_id] = self.suppressed.get(match.rule_id, 0) + 1
            return
        self.printed[match.rule_id] = printed + 1
        self.stream.write("\n".join(match_lines(match)) + "\n\n")

    def finish(self, result: ReplayResult, files: int | None = None) -> None:
        """Print the summary."""
        lines = summary_lines(result, files, self.suppressed)
        self.stream.write("\n".join(lines) + "\n")


class JsonWriter:
    """Write one JSON document ``{"matches": [...], "summary": {...}}`` while matches arrive.

    Each match is written when it is found, so the document is valid only once ``finish`` has
    written the summary and the closing brace.
    """

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.count = 0

    def write(self, match: Match) -> None:
        """Write one match as the next element of the ``matches`` array."""
        opening = '{\n  "matches": [\n' if self.count == 0 else ",\n"
        self.count += 1
        self.stream.write(opening + _indented(match.to_dict(), 4))

    def finish(self, result: ReplayResult, files: int | None = None) -> None:
        """Close the ``matches`` array and write the summary."""
        head = '{\n  "matches": [],\n' if self.count == 0 else "\n  ],\n"
        summary = _indented(result_document(result, files, with_matches=False)["summary"], 2)
        self.stream.write(head + '  "summary": ' + summary.lstrip() + "\n}\n")


def _indented(value: Any, indent: int) -> str:
    text = json.dumps(value, indent=2)
    return textwrap.indent(text, " " * indent)


def format_text(result: ReplayResult, files: int | None = None) -> str:
    """Format every match, then a summary of records, skipped records and rules."""
    stream = io.StringIO()
    writer = TextWriter(stream)
    for match in result.matches:
        writer.write(match)
    writer.finish(result, files)
    return stream.getvalue().rstrip("\n")


def summary_lines(
    result: ReplayResult, files: int | None = None, suppressed: dict[str, int] | None = None
) -> list[str]:
    """Format the summary: counts, skipped records with reasons, matches and unevaluated rules.

    ``suppressed`` maps a rule id to the number of its matches that were counted, not printed.
    """
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
    counts = result.matches_per_rule()
    lines.append(f"  matches: {sum(counts.values())}")
    for rule_id, count in sorted(counts.items()):
        line = f"    {count:>6}  {result.match_titles[rule_id]} ({rule_id})"
        if suppressed and suppressed.get(rule_id):
            line += f", {suppressed[rule_id]} not printed (--max-matches-per-rule)"
        lines.append(line)
    for rule_id, reasons in sorted(result.diagnostics.items()):
        for reason, count in sorted(reasons.items()):
            lines.append(f"  rule {rule_id} set aside {count} event(s): {reason}")
    if result.errors:
        lines.append(f"  rules not evaluated: {len(result.errors)}")
        for error in result.errors:
            lines.append(f"    {error.title} ({error.rule_id}): {error.reason}")
    return lines


def result_document(
    result: ReplayResult, files: int | None = None, with_matches: bool = True
) -> dict[str, Any]:
    """Return the result as a JSON-ready dictionary with ``matches`` and ``summary``."""
    matches = [match.to_dict() for match in result.matches] if with_matches else []
    return {
        "matches": matches,
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
    stream = io.StringIO()
    writer = JsonWriter(stream)
    for match in result.matches:
        writer.write(match)
    writer.finish(result, files)
    return stream.getvalue().rstrip("\n")
