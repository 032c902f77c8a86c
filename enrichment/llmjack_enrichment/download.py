"""``llmjack feeds update``: download feeds with conditional requests and atomic replacement.

Each download is validated with the feed's own parser before it replaces the previous file, so
an empty, truncated or wrong response never removes working data. ETag and Last-Modified are kept
in ``<file>.meta.json`` beside the feed and sent back as If-None-Match and If-Modified-Since.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Optional
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
    limits = _Limits(settings.download_timeout, settings.download_deadline, settings.max_feed_bytes)
    results = []
    with requests.Session() as session:
        session.headers["User-Agent"] = "llmjack-feeds/1"
        for feed in selected:
            if not feed.url or not feed.enabled:
                reason = "disabled" if not feed.enabled else "no URL configured"
                results.append(FeedUpdate(feed.name, SKIPPED, reason))
                continue
            results.append(_update(session, feed, limits, progress))
    return results


def _update(
    session: Any, feed: FeedSettings, limits: _Limits, progress: Progress | None
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
        with session.get(
            feed.url, headers=headers, stream=True, timeout=limits.timeout
        ) as response:
            if response.status_code == 304:
                entries = meta.get("entries", 0)
                return FeedUpdate(feed.name, NOT_MODIFIED, f"{entries} entries", entries)
            if response.status_code != 200:
                message = f"HTTP {response.status_code} from {url}; kept the previous file"
                return FeedUpdate(feed.name, FAILED, message)
            temporary = _receive(response, feed, limits, progress)
            validators = {
                "etag": response.headers.get("ETag", ""),
                "last_modified": response.headers.get("Last-Modified", ""),
            }
    except requests.Timeout:
        message = f"{url} did not respond within {limits.timeout:g} s; kept the previous file"
        return FeedUpdate(feed.name, FAILED, message)
    except FeedDownloadError as error:
        return FeedUpdate(feed.name, FAILED, f"download from {url} {error}; kept the previous file")
    except (requests.RequestException, OSError) as error:
        reason = _failure_reason(error)
        return FeedUpdate(
            feed.name, FAILED, f"download from {url} failed: {reason}; kept the previous file"
        )
    return _install(feed, temporary, url, validators)


@dataclass(frozen=True)
class _Limits:
    """Limits of one feed request: per connect and read, in total, and on the body size."""

    timeout: float
    deadline: float
    max_bytes: int


def _failure_reason(error: BaseException) -> str:
    """Describe a failed download in words, without the URL's query (it may carry a token)."""
    import requests

    if isinstance(error, requests.exceptions.ChunkedEncodingError):
        return "the connection closed before the whole body arrived"
    if isinstance(error, requests.exceptions.ContentDecodingError):
        return "the compressed body could not be decoded"
    if isinstance(error, requests.exceptions.SSLError):
        return "TLS failed (certificate or handshake)"
    if isinstance(error, requests.exceptions.ProxyError):
        return "the proxy refused or failed the request"
    if isinstance(error, requests.exceptions.TooManyRedirects):
        return "too many redirects"
    if isinstance(error, requests.exceptions.ConnectionError):
        return "could not connect, or the connection was reset"
    if isinstance(error, OSError) and error.strerror:
        where = f" {error.filename}" if error.filename else ""
        return f"cannot write{where}: {error.strerror}"
    return type(error).__name__


def _receive(response: Any, feed: FeedSettings, limits: _Limits, progress: Progress | None) -> Path:
    """Stream the body into a temporary file beside the feed; remove it on any failure."""
    from llmjack_enrichment.compiler import shared_file_mode

    total_header = response.headers.get("Content-Length", "")
    total = int(total_header) if total_header.isdigit() else None
    if total is not None and total > limits.max_bytes:
        raise FeedDownloadError(
            f"rejected: {total} bytes is over max_feed_size ({limits.max_bytes})"
        )
    feed.path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{feed.path.name}.", dir=str(feed.path.parent))
    watchdog = _Watchdog(response, limits.deadline)
    try:
        os.chmod(name, shared_file_mode())
        with os.fdopen(handle, "wb") as output:
            _copy_body(response, output, feed.name, limits.max_bytes, progress, total)
        if watchdog.expired:
            raise FeedDownloadError(f"timed out: not complete within {limits.deadline:g} s")
    except Exception as error:
        os.unlink(name)
        if watchdog.expired and not isinstance(error, FeedDownloadError):
            # The shut-down socket surfaces as a connection error; the cause is the deadline.
            raise FeedDownloadError(
                f"timed out: not complete within {limits.deadline:g} s"
            ) from None
        raise
    except BaseException:
        os.unlink(name)
        raise
    finally:
        watchdog.cancel()
    return Path(name)


def _copy_body(
    response: Any,
    output: BinaryIO,
    name: str,
    max_bytes: int,
    progress: Progress | None,
    total: int | None,
) -> None:
    received = 0
    for chunk in response.iter_content(CHUNK_BYTES):
        received += len(chunk)
        if received > max_bytes:
            raise FeedDownloadError(f"rejected: over max_feed_size ({max_bytes} bytes)")
        output.write(chunk)
        if progress is not None:
            progress(name, received, total)


class _Watchdog:
    """Shut the response's socket down at the deadline, so a slow body cannot run forever.

    The read timeout bounds each socket read only, and a server that sends a byte every few
    seconds never trips it. Shutting the socket down makes the blocked read return at once.
    NOTE: The deadline starts when the response headers have arrived; the wait for them is
    bounded by the connect and read timeouts only.
    """

    def __init__(self, response: Any, seconds: float) -> None:
        self.expired = False
        self._response = response
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def _expire(self) -> None:
        self.expired = True
        connection = getattr(self._response.raw, "connection", None)
        sock = getattr(connection, "sock", None)
        # Only the socket is shut down: closing the response here would race with the reading
        # thread inside http.client.
        if sock is not None:
            # The connection may already be closed, which is what the deadline wants anyway.
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()


def _install(feed: FeedSettings, temporary: Path, url: str, validators: dict) -> FeedUpdate:
    try:
        entries = count_entries(temporary, feed.format, feed.category)
        size = temporary.stat().st_size
        os.replace(temporary, feed.path)
    except FeedFormatError as error:
        temporary.unlink()
        where = f"line {error.line}: " if error.line else ""
        message = f"download from {url} rejected ({where}{error.detail}); kept the previous file"
        return FeedUpdate(feed.name, FAILED, message)
    except BaseException:
        if temporary.exists():
            temporary.unlink()
        raise

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
