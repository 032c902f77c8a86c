"""``llmjack rules``: list the rule pack with metadata, ATT&CK mapping and placeholders."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import click

from sigma_llmjack.catalogue import CatalogueEntry, build_catalogue
from sigma_llmjack.pack import bundled_rules_dir, load_collection

WIDTH = 100
LEVEL_WIDTH = 13  # "informational"
STATUS_WIDTH = 12  # "experimental"
TYPE_WIDTH = 16  # "temporal_ordered"
TITLE_WIDTH = WIDTH - LEVEL_WIDTH - STATUS_WIDTH - TYPE_WIDTH - 3
INDENT = "    "


def wrap_detail(label: str, values: list[str]) -> list[str]:
    """Wrap ``label: value`` lines, putting each further value on its own aligned line."""
    prefix = f"{INDENT}{label}: "
    continuation = " " * len(prefix)
    lines = []
    for index, value in enumerate(values or ["none"]):
        lines.extend(
            textwrap.wrap(
                value,
                WIDTH,
                initial_indent=prefix if index == 0 else continuation,
                subsequent_indent=continuation,
                break_on_hyphens=False,
            )
        )
    return lines


def format_entry(entry: CatalogueEntry) -> list[str]:
    """Format one rule as a header row and indented detail lines, all within WIDTH columns.

    A title longer than its column is cut with an ellipsis in the header row, so the level,
    status and type columns stay aligned, and repeated whole in a ``title:`` detail line.
    """
    title = " ".join(entry.title.split()) or "-"
    shown = title if len(title) <= TITLE_WIDTH else title[: TITLE_WIDTH - 1].rstrip() + "…"
    header = (
        f"{shown:<{TITLE_WIDTH}} {entry.level or '-':<{LEVEL_WIDTH}} "
        f"{entry.status or '-':<{STATUS_WIDTH}} {entry.type}"
    )
    lines = [header.rstrip()]
    if shown != title:
        # The header row only has room for the start of a long title, so the detail lines repeat
        # it whole.
        lines += wrap_detail("title", [title])

    techniques = [f"{t.id} {t.name or '(not in the ATT&CK data)'}" for t in entry.techniques]
    lines += wrap_detail("id", [entry.id])
    lines += wrap_detail("file", [entry.file])
    lines += wrap_detail("log source", [entry.logsource])
    lines += wrap_detail("tactics", [", ".join(entry.tactics)] if entry.tactics else [])
    lines += wrap_detail("techniques", techniques)
    lines += wrap_detail(
        "placeholders", [", ".join(entry.placeholders)] if entry.placeholders else []
    )
    return lines


def format_table(entries: list[CatalogueEntry]) -> str:
    header = f"{'TITLE':<{TITLE_WIDTH}} {'LEVEL':<{LEVEL_WIDTH}} {'STATUS':<{STATUS_WIDTH}} TYPE"
    lines = [header, "-" * WIDTH]
    for entry in entries:
        lines.extend(format_entry(entry))
        lines.append("")
    lines.append(f"{len(entries)} rule(s)")
    return "\n".join(lines)


def format_json(entries: list[CatalogueEntry]) -> str:
    document = {"count": len(entries), "rules": [entry.to_dict() for entry in entries]}
    return json.dumps(document, indent=2, sort_keys=True)


@click.command(name="rules")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Output as a table for reading or as JSON for scripts.",
)
def rules(paths: tuple[Path, ...], output_format: str) -> None:
    """List rules: id, title, level, status, log source, ATT&CK, type, placeholders, file.

    PATHS are rule files or folders; without them the bundled pack is listed.
    """
    collection = load_collection(paths)
    root = None if paths else bundled_rules_dir()
    entries = build_catalogue(collection, root)
    if output_format == "json":
        click.echo(format_json(entries))
    else:
        click.echo(format_table(entries))
