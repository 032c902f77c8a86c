"""``feeds update`` against a feed server on 127.0.0.1 that responds with 200, 304, 500, empty,
malformed and slow."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from enrichment_helpers import FEEDS

from llmjack_enrichment.download import FAILED, NOT_MODIFIED, SKIPPED, UPDATED, update_feeds
from llmjack_enrichment.settings import load_settings

TOR_BODY = (FEEDS / "tor-exit-list.txt").read_bytes()
AWS_BODY = (FEEDS / "aws-ip-ranges.json").read_bytes()


class FeedServer(BaseHTTPRequestHandler):
    """Serves fixture feeds; the path picks the behaviour."""

    requests: list[dict] = []

    def do_GET(self) -> None:  # noqa: N802 - name fixed by BaseHTTPRequestHandler
        FeedServer.requests.append({"path": self.path, "headers": dict(self.headers)})
        path = self.path.split("?")[0]
        if path == "/tor":
            if self.headers.get("If-None-Match") == '"v1"':
                self._send(304, b"")
            else:
                self._send(200, TOR_BODY, {"ETag": '"v1"', "Last-Modified": "Mon, 30 Nov 2026"})
        elif path == "/aws":
            self._send(200, AWS_BODY)
        elif path == "/error":
            self._send(500, b"internal error")
        elif path == "/empty":
            self._send(200, b"")
        elif path == "/malformed":
            self._send(200, b"<html><body>Service unavailable</body></html>")
        elif path == "/slow":
            time.sleep(2)
            self._send(200, TOR_BODY)
        elif path == "/big":
            self._send(200, b"10.0.0.0/8\n" * 1000)
        elif path == "/big-unsized":
            # No Content-Length: the body ends when the connection closes (HTTP/1.0).
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"10.0.0.0/8\n" * 1000)
        elif path == "/truncated":
            self.send_response(200)
            self.send_header("Content-Length", str(len(TOR_BODY) + 200))
            self.end_headers()
            self.wfile.write(TOR_BODY)
        elif path == "/trickle":
            self._trickle()
        else:
            self._send(404, b"not found")

    def _trickle(self) -> None:
        """Send a valid body one byte at a time, each well within the read timeout."""
        self.send_response(200)
        self.send_header("Content-Length", str(len(TOR_BODY)))
        self.end_headers()
        for position in range(len(TOR_BODY)):
            try:
                self.wfile.write(TOR_BODY[position : position + 1])
                self.wfile.flush()
            except OSError:
                return
            time.sleep(0.1)

    def _send(self, status: int, body: bytes, headers: dict | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    FeedServer.requests = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FeedServer)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def write_config(
    folder: Path, feeds: dict[str, tuple[str, str, str]], extra: tuple[str, ...] = ()
) -> Path:
    lines = ["[enrichment]", "data_dir = data", "download_timeout = 0.5", *extra, ""]
    for name in ("tor", "aws", "gcp", "oracle", "cloudflare-v4", "cloudflare-v6"):
        if name not in feeds:
            lines += [f"[feed:{name}]", "enabled = false", ""]
    for name, (format_name, category, url) in feeds.items():
        lines += [f"[feed:{name}]", f"format = {format_name}", f"category = {category}"]
        lines += [f"url = {url}", ""]
    path = folder / "llmjack_enrichment.conf"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def test_download_and_validators(server: str, tmp_path: Path) -> None:
    settings = load_settings(
        write_config(tmp_path, {"tor": ("tor-exit-list", "tor", f"{server}/tor")})
    )
    [result] = [r for r in update_feeds(settings, ["tor"])]
    assert result.status == UPDATED
    assert result.entries == 5
    feed = settings.feeds["tor"]
    assert feed.path.read_bytes() == TOR_BODY
    meta = json.loads(feed.path.with_name(feed.path.name + ".meta.json").read_text())
    assert meta["etag"] == '"v1"'
    assert meta["entries"] == 5


def test_not_modified_on_second_run(server: str, tmp_path: Path) -> None:
    settings = load_settings(
        write_config(tmp_path, {"tor": ("tor-exit-list", "tor", f"{server}/tor")})
    )
    update_feeds(settings, ["tor"])
    [result] = update_feeds(settings, ["tor"])
    assert result.status == NOT_MODIFIED
    assert FeedServer.requests[-1]["headers"]["If-None-Match"] == '"v1"'
    assert FeedServer.requests[-1]["headers"]["If-Modified-Since"] == "Mon, 30 Nov 2026"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/error", "HTTP 500"),
        ("/empty", "rejected"),
        ("/malformed", "rejected (line 1: invalid JSON"),
        ("/slow", "did not respond within 0.5 s"),
        ("/big", "rejected: 11000 bytes is over max_feed_size (1024)"),
        ("/big-unsized", "rejected: over max_feed_size (1024 bytes)"),
        ("/truncated", "the connection closed before the whole body arrived"),
        ("/trickle", "timed out: not complete within 1 s"),
    ],
)
def test_failure_keeps_previous_file(server: str, tmp_path: Path, path: str, message: str) -> None:
    limits = ("max_feed_size = 1K", "download_deadline = 1")
    feeds = {"aws": ("aws", "cloud", f"{server}{path}")}
    settings = load_settings(write_config(tmp_path, feeds, limits))
    feed = settings.feeds["aws"]
    feed.path.parent.mkdir(parents=True)
    feed.path.write_bytes(AWS_BODY)
    [result] = update_feeds(settings, ["aws"])
    assert result.status == FAILED
    assert message in result.message
    assert "kept the previous file" in result.message
    assert feed.path.read_bytes() == AWS_BODY
    assert sorted(p.name for p in feed.path.parent.iterdir()) == [feed.path.name]


def test_token_not_in_messages(server: str, tmp_path: Path) -> None:
    url = f"{server}/error?token=SECRET-TOKEN-123"
    settings = load_settings(write_config(tmp_path, {"aws": ("aws", "cloud", url)}))
    [result] = update_feeds(settings, ["aws"])
    assert result.status == FAILED
    assert "SECRET-TOKEN-123" not in result.message
    assert "/error" in result.message


def test_feed_without_url_is_skipped(server: str, tmp_path: Path) -> None:
    settings = load_settings(write_config(tmp_path, {"aws": ("aws", "cloud", "")}))
    [result] = update_feeds(settings, ["aws"])
    assert result.status == SKIPPED


@pytest.mark.cli
def test_cli_update_compiles_and_reports(server: str, tmp_path: Path, python: str) -> None:
    config = write_config(
        tmp_path,
        {
            "tor": ("tor-exit-list", "tor", f"{server}/tor"),
            "aws": ("aws", "cloud", f"{server}/aws"),
            "broken": ("cidr", "vpn", f"{server}/error"),
        },
    )
    environment = {**os.environ, "LLMJACK_ENRICH_CONFIG": str(config), "NO_PROXY": "127.0.0.1"}
    command = [python, "-m", "sigma_llmjack", "feeds", "update"]
    result = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=60)
    assert result.returncode == 2, result.stderr
    assert "tor: updated: 5 entries" in result.stdout
    assert "aws: updated: 8 entries" in result.stdout
    assert "broken: failed: HTTP 500" in result.stdout
    assert "llmjack: error: feeds not updated: broken" in result.stderr
    assert "Traceback" not in result.stderr

    enrich = [python, "-m", "sigma_llmjack", "enrich", "--format", "csv", "185.220.101.1"]
    answer = subprocess.run(enrich, capture_output=True, text=True, env=environment, timeout=60)
    assert answer.stdout.splitlines()[1].startswith("185.220.101.1,tor,tor")


def test_unknown_feed_name(server: str, tmp_path: Path) -> None:
    from llmjack_enrichment.errors import FeedDownloadError

    settings = load_settings(write_config(tmp_path, {}))
    with pytest.raises(FeedDownloadError, match="unknown feed nope"):
        update_feeds(settings, ["nope"])


def test_feed_and_index_follow_umask(server: str, tmp_path: Path) -> None:
    from llmjack_enrichment.compiler import compile_index

    settings = load_settings(
        write_config(tmp_path, {"tor": ("tor-exit-list", "tor", f"{server}/tor")})
    )
    previous = os.umask(0o022)
    try:
        [result] = update_feeds(settings, ["tor"])
        compile_index(settings)
    finally:
        os.umask(previous)
    assert result.status == UPDATED
    assert stat.S_IMODE(settings.feeds["tor"].path.stat().st_mode) == 0o644
    assert stat.S_IMODE(settings.index_path.stat().st_mode) == 0o644
