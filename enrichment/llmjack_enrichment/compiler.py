"""Compile the configured feed files into the index, and load the user's allow and deny lists."""

from __future__ import annotations

import logging
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

logger = logging.getLogger(__name__)


@dataclass
class CompileReport:
    """Summary of a compiled index: entries per feed, and the feeds left out with the reason."""

    path: Path
    entries: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


def compile_index(settings: Settings) -> CompileReport:
    """Parse every enabled feed file that exists and write the index atomically.

    A missing feed file is skipped. A malformed one is skipped with its error in the report, so
    one bad feed never leaves the lookup without the others.
    """
    report = CompileReport(settings.index_path)
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
            logger.error("feed %s left out of the index: %s", feed.name, error)
            report.skipped[feed.name] = str(error)
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
            logger.error("ASN list %s left out of the index: %s", feed.name, error)
            report.skipped[feed.name] = str(error)
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
        with os.fdopen(handle, "wb") as output:
            output.write(data)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
