"""Compile the configured feed files into the index, and load the user's allow and deny lists."""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from llmjack_enrichment.classify import summarise
from llmjack_enrichment.errors import FeedFormatError
from llmjack_enrichment.feeds import parse_feed
from llmjack_enrichment.feeds.base import FeedPrefix
from llmjack_enrichment.feeds.text import parse_asn_list
from llmjack_enrichment.index import IndexEntry, compile_entries, label_text
from llmjack_enrichment.settings import FeedSettings, Settings


@dataclass
class CompileReport:
    """Summary of a compiled index: entries per feed, and the feeds left out with the reason."""

    path: Path
    entries: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    # Feeds left out because their file or settings stanza is malformed, not merely absent.
    malformed: list[str] = field(default_factory=list)


def compile_index(settings: Settings) -> CompileReport:
    """Parse every enabled feed file that exists and write the index atomically.

    A missing feed file is skipped. A malformed one, or a feed whose settings stanza is
    invalid, is skipped with its error in the report (``skipped`` and ``malformed``), so one bad
    feed never leaves the lookup without the others. The caller reports the skipped feeds.
    """
    report = CompileReport(settings.index_path)
    for name, problem in settings.feed_errors.items():
        report.skipped[name] = problem
        report.malformed.append(name)
    asn_kinds = _asn_kinds(settings, report)
    entries: list[IndexEntry] = []
    for feed in settings.feeds.values():
        if feed.format == "asn-list":
            continue
        if not feed.enabled:
            report.skipped[feed.name] = "disabled"
            continue
        if not feed.path.is_file():
            report.skipped[feed.name] = f"no file at {feed.path}"
            continue
        try:
            prefixes = parse_feed(feed.path, feed.format)
        except FeedFormatError as error:
            report.skipped[feed.name] = str(error)
            report.malformed.append(feed.name)
            continue
        entries.extend(_entries(feed, prefixes, asn_kinds))
        report.entries[feed.name] = len(prefixes)

    info = {"created": int(time.time()), "feeds": report.entries}
    write_atomically(settings.index_path, compile_entries(entries, info, summarise))
    return report


def _asn_kinds(settings: Settings, report: CompileReport) -> dict[int, tuple[str, str]]:
    kinds: dict[int, tuple[str, str]] = {}
    for feed in settings.feeds.values():
        if feed.format != "asn-list" or not feed.enabled or not feed.path.is_file():
            continue
        try:
            kinds.update(parse_asn_list(feed.path, feed.category))
        except FeedFormatError as error:
            report.skipped[feed.name] = str(error)
            report.malformed.append(feed.name)
            continue
        report.entries[feed.name] = len(kinds)
    return kinds


def _entries(
    feed: FeedSettings, prefixes: list[FeedPrefix], asn_kinds: dict[int, tuple[str, str]]
) -> list[IndexEntry]:
    entries = []
    for prefix in prefixes:
        label: dict[str, str] = {"category": feed.category, "feed": feed.name}
        if feed.provider:
            label["provider"] = feed.provider
        label.update((key, value) for key, value in prefix.fields.items() if value)
        if feed.category == "asn" and "asn" in label:
            kind = asn_kinds.get(int(label["asn"]))
            if kind is not None:
                label["asn_kind"] = kind[0]
        network = prefix.network
        entries.append(
            IndexEntry(
                network.version,
                int(network.network_address),
                network.prefixlen,
                label_text(label),
                prefix.rank,
            )
        )
    return entries


def write_atomically(path: Path, data: bytes) -> None:
    """Write a file through a temporary file in the same folder and os.replace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=str(path.parent))
    try:
        os.chmod(temporary, shared_file_mode())
        with os.fdopen(handle, "wb") as output:
            output.write(data)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def shared_file_mode() -> int:
    """Return the mode a plain ``open`` would give a new file: 0o666 minus the umask.

    mkstemp creates files with mode 0600, so an index written by one user's scheduled job could
    not be read by splunkd running as another user. Feed files and the index hold no secrets.
    """
    # os.umask can only be read by setting it; the old value is restored at once.
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask
