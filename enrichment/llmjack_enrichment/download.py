"""``llmjack feeds update``: download feeds with conditional requests and atomic replacement.

Each download is validated with the feed's own parser before it replaces the previous file, so
an empty, truncated or wrong response never removes working data. ETag and Last-Modified are kept
in ``<file>.meta.json`` beside the feed and sent back as If-None-Match and If-Modified-Since.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional
from urllib.parse import urlsplit, urlunsplit

from llmjack_enrichment.errors import FeedDownloadError, FeedFormatError
from llmjack_enrichment.settings import FeedSettings, Settings

logger = logging.getLogger(__name__)

CHUNK_BYTES = 64 * 1024
# Progress callback: feed name, bytes received, total bytes (None when the server sends none).
Progress = Callable[[str, int, Optional[int]], None]  # noqa: UP045 (evaluated on Python 3.9)

UPDATED = "updated"
NOT_MODIFIED = "not_modified"
FAILED = "failed"
SKIPPED = "skipped"


@dataclass(frozen=True)
class FeedUpdate:
    """The outcome of updating one feed."""

    name: str
    status: str
    message: str = ""
    entries: int = 0
    size: int = 0


def meta_path(feed: FeedSettings) -> Path:
    """Return the file that stores a feed's ETag, Last-Modified and entry count."""
    return feed.path.with_name(feed.path.name + ".meta.json")


def read_meta(feed: FeedSettings) -> dict[str, Any]:
    """Return a feed's stored metadata, or an empty mapping when there is none or it is bad."""
    try:
        meta = json.loads(meta_path(feed).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def public_url(url: str) -> str:
    """Return a URL without its query and credentials, for messages (a token may be there)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def update_feeds(
    settings: Settings, names: Sequence[str] = (), progress: Progress | None = None
) -> list[FeedUpdate]:
    """Download the named feeds (all with a URL when none are named); one failure stops none."""
    import requests

    unknown = sorted(set(names) - set(settings.feeds))
    if unknown:
        known = ", ".join(sorted(settings.feeds))
        raise FeedDownloadError(f"unknown feed {', '.join(unknown)}; configured feeds: {known}")

    selected = [settings.feeds[name] for name in names] if names else settings.feeds.values()
    results = []
    with requests.Session() as session:
        session.headers["User-Agent"] = "llmjack-feeds/1"
        for feed in selected:
            if not feed.url or not feed.enabled:
                reason = "disabled" if not feed.enabled else "no URL configured"
                results.append(FeedUpdate(feed.name, SKIPPED, reason))
                continue
            results.append(_update(session, feed, settings.download_timeout, progress))
    return results


def _update(
    session: Any, feed: FeedSettings, timeout: float, progress: Progress | None
) -> FeedUpdate:
    import requests

    url = public_url(feed.url)
    meta = read_meta(feed)
    headers = {}
    if feed.path.is_file():
        if meta.get("etag"):
            headers["If-None-Match"] = meta["etag"]
        if meta.get("last_modified"):
            headers["If-Modified-Since"] = meta["last_modified"]

    logger.info("downloading feed %s from %s", feed.name, url)
    try:
        with session.get(feed.url, headers=headers, stream=True, timeout=timeout) as response:
            if response.status_code == 304:
                entries = meta.get("entries", 0)
                return FeedUpdate(feed.name, NOT_MODIFIED, f"{entries} entries", entries)
            if response.status_code != 200:
                message = f"HTTP {response.status_code} from {url}; kept the previous file"
                return FeedUpdate(feed.name, FAILED, message)
            temporary = _receive(response, feed, progress)
            validators = {
                "etag": response.headers.get("ETag", ""),
                "last_modified": response.headers.get("Last-Modified", ""),
            }
    except requests.Timeout:
        message = f"{url} did not respond within {timeout:g} s; kept the previous file"
        return FeedUpdate(feed.name, FAILED, message)
    except (requests.RequestException, OSError) as error:
        message = f"download from {url} failed ({type(error).__name__}); kept the previous file"
        return FeedUpdate(feed.name, FAILED, message)
    return _install(feed, temporary, url, validators)


def _receive(response: Any, feed: FeedSettings, progress: Progress | None) -> Path:
    feed.path.parent.mkdir(parents=True, exist_ok=True)
    total_header = response.headers.get("Content-Length", "")
    total = int(total_header) if total_header.isdigit() else None
    handle, name = tempfile.mkstemp(prefix=f".{feed.path.name}.", dir=str(feed.path.parent))
    received = 0
    try:
        with os.fdopen(handle, "wb") as output:
            for chunk in response.iter_content(CHUNK_BYTES):
                output.write(chunk)
                received += len(chunk)
                if progress is not None:
                    progress(feed.name, received, total)
    except BaseException:
        os.unlink(name)
        raise
    return Path(name)


def _install(feed: FeedSettings, temporary: Path, url: str, validators: dict) -> FeedUpdate:
    try:
        entries = count_entries(temporary, feed.format, feed.category)
    except FeedFormatError as error:
        temporary.unlink()
        where = f"line {error.line}: " if error.line else ""
        message = f"download from {url} rejected ({where}{error.detail}); kept the previous file"
        return FeedUpdate(feed.name, FAILED, message)

    size = temporary.stat().st_size
    os.replace(temporary, feed.path)
    meta = {"url": url, "downloaded": int(time.time()), "entries": entries, "size": size}
    meta.update(validators)
    meta_path(feed).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return FeedUpdate(feed.name, UPDATED, f"{entries} entries", entries, size)


def count_entries(path: Path, format_name: str, category: str) -> int:
    """Parse a feed file and return its number of entries, raising FeedFormatError."""
    if format_name == "asn-list":
        from llmjack_enrichment.feeds.text import parse_asn_list

        return len(parse_asn_list(path, category))
    from llmjack_enrichment.feeds import parse_feed

    return len(parse_feed(path, format_name))
