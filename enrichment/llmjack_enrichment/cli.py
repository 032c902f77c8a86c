"""``llmjack enrich`` and ``llmjack feeds``: the enrichment commands of the llmjack CLI.

This is the only module of the package that imports click; the Splunk lookup never loads it.
"""

from __future__ import annotations

import io
import logging
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from llmjack_enrichment.errors import EnrichmentError
from llmjack_enrichment.index import FeedIndex
from llmjack_enrichment.settings import Settings, load_settings
from sigma_llmjack.errors import LLMjackError

if TYPE_CHECKING:
    from llmjack_enrichment.compiler import CompileReport

CONFIG_HELP = "Enrichment settings file (default: $LLMJACK_ENRICH_CONFIG or ~/.config/llmjack)."


class EnrichmentCommandError(LLMjackError):
    """An enrichment command failed; the message names the file, feed or value."""


class _PlainFormatter(logging.Formatter):
    """Format enrichment log records as ``llmjack: warning: MESSAGE``, without logger names."""

    def format(self, record: logging.LogRecord) -> str:
        return f"llmjack: {record.levelname.lower()}: {record.getMessage()}"


def _plain_messages() -> None:
    """Send the package's log records to stderr as plain messages, once per process."""
    package = logging.getLogger("llmjack_enrichment")
    if any(getattr(handler, "llmjack_plain", False) for handler in package.handlers):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(_PlainFormatter())
    handler.llmjack_plain = True  # type: ignore[attr-defined]
    package.addHandler(handler)
    package.propagate = False
    if package.getEffectiveLevel() > logging.WARNING:
        package.setLevel(logging.WARNING)


def _settings(config: Path | None) -> Settings:
    try:
        return load_settings(config)
    except EnrichmentError as error:
        raise EnrichmentCommandError(str(error)) from None


@click.command()
@click.argument("inputs", nargs=-1)
@click.option(
    "--field",
    "field_name",
    help="Read the address from this column (CSV) or key (JSON Lines, dotted path allowed); "
    "the arguments are then files, '-' for stdin.",
)
@click.option(
    "--input-format",
    type=click.Choice(["auto", "csv", "jsonl"]),
    default="auto",
    show_default=True,
    help="Format of the input files; auto detects JSON Lines by a leading '{'.",
)
@click.option(
    "--format",
    "style",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="Output format; json writes one JSON object per line.",
)
@click.option("--online", is_flag=True, help="Ask the configured reputation providers too.")
@click.option("--config", type=click.Path(path_type=Path), help=CONFIG_HELP)
def enrich(
    inputs: tuple[str, ...],
    field_name: str | None,
    input_format: str,
    style: str,
    online: bool,
    config: Path | None,
) -> None:
    """Classify IP addresses: ADDRESS... or, with --field, the records of FILE... or '-'."""
    from llmjack_enrichment.engine import Enricher
    from llmjack_enrichment.records import output_fields

    if not field_name and not inputs:
        raise click.UsageError("give at least one ADDRESS, or --field NAME with files")
    _plain_messages()
    records = _read_inputs(inputs, field_name, input_format)
    if not records:
        click.echo("llmjack: warning: the input holds no records; nothing to write", err=True)
        return
    enricher = Enricher.open(config, None, online)
    try:
        verdicts = enricher.enrich(record.value for record in records if not record.problem)
    finally:
        enricher.close()
    for record in records:
        record.fields = output_fields(verdicts.get(record.value), record.problem)
    _write(records, style)


def _read_inputs(inputs: tuple[str, ...], field_name: str | None, input_format: str) -> list:
    from llmjack_enrichment.records import InputFormatError, address_records, read_records

    if not field_name:
        return address_records(inputs)
    records = []
    for name in inputs or ("-",):
        try:
            if name == "-":
                text = sys.stdin.buffer.read().decode("utf-8", "surrogateescape")
            else:
                text = Path(name).read_bytes().decode("utf-8", "surrogateescape")
            records += read_records(text, input_format, field_name, name)
        except OSError as error:
            raise EnrichmentCommandError(f"cannot read {name}: {error.strerror}") from None
        except InputFormatError as error:
            raise EnrichmentCommandError(str(error)) from None
    return records


def _write(records: list, style: str) -> None:
    from llmjack_enrichment.records import write_records

    # surrogateescape writes bytes that were not UTF-8 in the input back unchanged.
    binary = click.get_binary_stream("stdout")
    stream = io.TextIOWrapper(binary, encoding="utf-8", errors="surrogateescape", newline="")
    try:
        write_records(stream, records, style)
    finally:
        stream.flush()
        stream.detach()


@click.group()
def feeds() -> None:
    """Download, compile, inspect and export the IP feeds used by the lookup."""


@feeds.command("update")
@click.argument("names", nargs=-1)
@click.option("--config", type=click.Path(path_type=Path), help=CONFIG_HELP)
def feeds_update(names: tuple[str, ...], config: Path | None) -> None:
    """Download feeds NAME... (default: every feed with a URL), then compile the index."""
    from llmjack_enrichment.download import FAILED, update_feeds

    _plain_messages()
    settings = _settings(config)
    progress = _ProgressLine() if sys.stderr.isatty() else None
    try:
        results = update_feeds(settings, names, progress)
    except EnrichmentError as error:
        raise EnrichmentCommandError(str(error)) from None
    if progress is not None:
        progress.finish()
    for result in results:
        click.echo(f"{result.name}: {result.status.replace('_', ' ')}: {result.message}")
    report = _compile(settings)
    _echo_left_out(report.skipped)
    click.echo(f"index {report.path}: {sum(report.entries.values())} entries")
    failed = [result.name for result in results if result.status == FAILED]
    if failed:
        raise EnrichmentCommandError(f"feeds not updated: {', '.join(failed)}")
    if report.malformed:
        raise EnrichmentCommandError(f"feeds left out of the index: {', '.join(report.malformed)}")


class _ProgressLine:
    """A one-line progress display on stderr for downloads."""

    def __init__(self) -> None:
        self._drawn = False

    def __call__(self, name: str, received: int, total: int | None) -> None:
        done = f"{received / 1e6:.1f} MB"
        if total:
            done += f" of {total / 1e6:.1f} MB ({100 * received // total}%)"
        click.echo(f"\r\x1b[K{name}: {done}", nl=False, err=True)
        self._drawn = True

    def finish(self) -> None:
        if self._drawn:
            click.echo("\r\x1b[K", nl=False, err=True)


@feeds.command("compile")
@click.option("--config", type=click.Path(path_type=Path), help=CONFIG_HELP)
def feeds_compile(config: Path | None) -> None:
    """Compile the feed files that exist into the lookup index.

    Exits with status 2 when a feed file is malformed; the index is still written from the
    other feeds.
    """
    _plain_messages()
    report = _compile(_settings(config))
    for name, count in sorted(report.entries.items()):
        click.echo(f"{name}: {count} entries")
    _echo_left_out(report.skipped)
    click.echo(f"index {report.path}: {sum(report.entries.values())} entries")
    if report.malformed:
        raise EnrichmentCommandError(f"feeds left out of the index: {', '.join(report.malformed)}")
    if not sum(report.entries.values()):
        raise EnrichmentCommandError(
            "no feed file was found, so the index is empty and every public address stays "
            "unknown; run 'llmjack feeds update' or copy the feed files into the data folder"
        )


def _compile(settings: Settings) -> CompileReport:
    from llmjack_enrichment.compiler import compile_index

    try:
        return compile_index(settings)
    except OSError as error:
        raise EnrichmentCommandError(
            f"cannot write index {settings.index_path}: {error.strerror}"
        ) from None


def _echo_left_out(skipped: dict[str, str]) -> None:
    for name, reason in sorted(skipped.items()):
        click.echo(f"{name}: left out: {reason}")


@feeds.command("status")
@click.option("--config", type=click.Path(path_type=Path), help=CONFIG_HELP)
def feeds_status(config: Path | None) -> None:
    """Show each feed's file age, size and entry count, and the index.

    Exits with status 2 when the index is missing or damaged, after showing the feeds.
    """
    from llmjack_enrichment.download import read_meta

    _plain_messages()
    settings = _settings(config)
    now = time.time()
    index = _load_index(settings.index_path)
    counts = index.info.get("feeds", {}) if index is not None else {}
    _status_row("feed", "format", "age", "size", "entries", "file")
    for feed in settings.feeds.values():
        if not feed.path.is_file():
            state = "disabled" if not feed.enabled else "missing"
            _status_row(feed.name, feed.format, state, "-", "-", str(feed.path))
            continue
        stat = feed.path.stat()
        entries = str(read_meta(feed).get("entries", counts.get(feed.name, "?")))
        age = _age(now - stat.st_mtime)
        _status_row(feed.name, feed.format, age, str(stat.st_size), entries, str(feed.path))
    for name, problem in sorted(settings.feed_errors.items()):
        click.echo(f"{name}: left out: {problem}")
    if index is None:
        raise EnrichmentCommandError(
            f"index {settings.index_path} is missing or damaged: run `llmjack feeds compile`"
        )
    built = _age(now - index.info.get("created", now))
    click.echo(f"index {index.source}: {index.interval_count} intervals, built {built} ago")
    if settings.feed_errors:
        names = ", ".join(sorted(settings.feed_errors))
        raise EnrichmentCommandError(f"invalid feed settings: {names}")


def _status_row(name: str, format_name: str, age: str, size: str, entries: str, path: str) -> None:
    click.echo(f"{name:<16} {format_name:<19} {age:>8} {size:>10} {entries:>8}  {path}")


def _load_index(path: Path) -> FeedIndex | None:
    try:
        return FeedIndex.load(path, verify=True)
    except EnrichmentError as error:
        click.echo(f"index: {error}")
        return None


def _age(seconds: float) -> str:
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 172800:
        return f"{int(seconds // 3600)}h"
    return f"{int(seconds // 86400)}d"


@feeds.command("export-elastic")
@click.option(
    "-o",
    "--output",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for index.json, bulk.ndjson, policy.json and pipeline.json.",
)
@click.option("--config", type=click.Path(path_type=Path), help=CONFIG_HELP)
def feeds_export_elastic(folder: Path, config: Path | None) -> None:
    """Write the index as an Elasticsearch enrich source, policy and ingest pipeline."""
    from llmjack_enrichment.elastic import export_elastic

    _plain_messages()
    settings = _settings(config)
    try:
        # The checksum is verified here, unlike in the lookup, because a damaged index would
        # otherwise be exported as wrong verdicts into every Elasticsearch event.
        index = FeedIndex.load(settings.index_path, verify=True)
        summary = export_elastic(index, folder)
    except EnrichmentError as error:
        message = str(error)
        if "llmjack feeds" not in message:
            message += "; run `llmjack feeds compile`"
        raise EnrichmentCommandError(message) from None
    except OSError as error:
        where = error.filename or folder
        raise EnrichmentCommandError(f"cannot write to {where}: {error.strerror}") from None
    click.echo(f"wrote {summary['documents']} range documents and the policy to {folder}")
