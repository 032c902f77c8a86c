"""Stand-in reputation services, an HTTP proxy and a TLS certificate, all on 127.0.0.1.

``FakeProvider`` answers like AbuseIPDB v2, the GreyNoise Community API or isMalicious:
the same paths, key headers, answer fields and error bodies. A test sets what an
address gets with ``set_answer`` (or ``set_default`` for every address) and reads what
the service received from ``requests``.
"""

from __future__ import annotations

import json
import select
import socket
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

NOT_OBSERVED = "IP not observed scanning the internet or contained in RIOT data set."
NOT_ROUTABLE = "Request is not a valid routable IPv4 address"
# A body containing this text gets it replaced by the key header the request carried, like a
# service that echoes its request in error messages.
ECHO_KEY_HEADER = "%KEY_HEADER%"
ABUSEIPDB_UNAUTHORIZED = (
    "Authentication failed. Your API key is either missing, incorrect, or revoked."
)


@dataclass
class Answer:
    """What the service sends for one request. ``hold`` keeps the request waiting
    until the server is released or stopped (a service that never answers)."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    hold: bool = False


@dataclass
class Received:
    path: str
    address: str
    headers: dict[str, str]
    client_port: int = 0


def json_answer(status: int, document: object, **headers: str) -> Answer:
    return Answer(status, json.dumps(document).encode(), dict(headers))


def abuseipdb_report(address: str, score: int, tor: bool = False) -> Answer:
    return json_answer(
        200,
        {
            "data": {
                "ipAddress": address,
                "isPublic": True,
                "ipVersion": 6 if ":" in address else 4,
                "isWhitelisted": False,
                "abuseConfidenceScore": score,
                "countryCode": "NL",
                "usageType": "Data Center/Web Hosting/Transit",
                "isp": "Example Hosting B.V.",
                "domain": "example.net",
                "hostnames": [],
                "isTor": tor,
                "totalReports": score // 5,
                "numDistinctUsers": score // 10,
                "lastReportedAt": "2026-12-01T10:00:00+00:00",
            }
        },
    )


def greynoise_report(
    address: str, classification: str, noise: bool = True, riot: bool = False
) -> Answer:
    return json_answer(
        200,
        {
            "ip": address,
            "noise": noise,
            "riot": riot,
            "classification": classification,
            "name": "unknown",
            "link": f"https://viz.greynoise.io/ip/{address}",
            "last_seen": "2026-12-01",
            "message": "Success",
        },
    )


def ismalicious_report(address: str, malicious: bool, score: int) -> Answer:
    sources = [{"name": "Example feed", "category": "botnet"}] if malicious else []
    return json_answer(
        200,
        {
            "query": address,
            "malicious": malicious,
            "riskScore": {"score": score, "level": "high" if score >= 75 else "low"},
            "sources": sources,
        },
    )


class FakeProvider:
    """One provider's service on 127.0.0.1; use as a context manager."""

    KEY_HEADERS = {"abuseipdb": "Key", "greynoise": "key", "ismalicious": "X-API-KEY"}

    def __init__(
        self,
        kind: str,
        key: str | None = None,
        latency: float = 0.0,
        tls: tuple[Path, Path] | None = None,
    ) -> None:
        self.kind = kind
        self.key = key
        self.latency = latency
        self.answers: dict[str, Answer] = {}
        self.default: Answer | None = None
        self.requests: list[Received] = []
        self.release = threading.Event()
        self.completed = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _ProviderHandler)
        self._server.daemon_threads = True
        self._server.fake = self  # type: ignore[attr-defined]
        self.scheme = "http"
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(tls[0]), str(tls[1]))
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
            self.scheme = "https"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeProvider:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    def set_answer(self, address: str, answer: Answer) -> None:
        self.answers[address] = answer

    def set_default(self, answer: Answer | None) -> None:
        self.default = answer

    def addresses_requested(self) -> list[str]:
        with self._lock:
            return [received.address for received in self.requests]

    def record(self, received: Received) -> None:
        with self._lock:
            self.requests.append(received)

    def answer_for(self, address: str, headers: dict[str, str]) -> Answer:
        """Return what the real service would send: auth first, then the address."""
        header = self.KEY_HEADERS[self.kind]
        if self.key is not None and headers.get(header.lower()) != self.key:
            return self.unauthorized()
        if self.default is not None:
            return self.default
        if address in self.answers:
            return self.answers[address]
        return self.typical(address)

    def unauthorized(self) -> Answer:
        if self.kind == "abuseipdb":
            return json_answer(401, {"errors": [{"detail": ABUSEIPDB_UNAUTHORIZED, "status": 401}]})
        return json_answer(401, {"message": "Invalid API key"})

    def typical(self, address: str) -> Answer:
        """Return a plausible answer whose strength follows the address's last digits."""
        level = int("".join(ch for ch in address if ch.isdigit())[-2:] or "0")
        if self.kind == "abuseipdb":
            return abuseipdb_report(address, level)
        if self.kind == "greynoise":
            if level < 50:
                return json_answer(404, {"ip": address, "message": NOT_OBSERVED})
            return greynoise_report(address, "malicious" if level >= 90 else "unknown")
        return ismalicious_report(address, level >= 90, level)


class _ProviderHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without TCP_NODELAY, Nagle's
    # algorithm and delayed ACKs add about 40 ms to every keep-alive answer.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        fake: FakeProvider = self.server.fake  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        if fake.kind == "abuseipdb" and parts.path == "/api/v2/check":
            address = query.get("ipAddress", [""])[0]
        elif fake.kind == "greynoise" and parts.path.startswith("/v3/community/"):
            address = unquote(parts.path[len("/v3/community/") :])
        elif fake.kind == "ismalicious" and parts.path == "/check":
            address = query.get("query", [""])[0]
        else:
            self._send(json_answer(404, {"message": "Not Found"}))
            return
        headers = {name.lower(): value for name, value in self.headers.items()}
        fake.record(Received(parts.path, address, headers, self.client_address[1]))
        if fake.latency:
            time.sleep(fake.latency)
        answer = fake.answer_for(address, headers)
        if answer.hold:
            fake.release.wait(60)
            if fake.release.is_set():
                return
        if ECHO_KEY_HEADER.encode() in answer.body:
            sent = headers.get(fake.KEY_HEADERS[fake.kind].lower(), "")
            body = answer.body.replace(ECHO_KEY_HEADER.encode(), sent.encode())
            answer = Answer(answer.status, body, answer.headers)
        self._send(answer)
        with fake._lock:
            fake.completed += 1

    def _send(self, answer: Answer) -> None:
        try:
            self.send_response(answer.status)
            content_type = "application/json" if answer.body[:1] in (b"{", b"[") else "text/html"
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(answer.body)
        except (BrokenPipeError, ConnectionResetError):
            pass


class FakeProxy:
    """A forward HTTP proxy on 127.0.0.1 that records each request it relays.

    Plain http:// requests arrive with an absolute URL and are forwarded; https://
    requests arrive as CONNECT and are tunnelled byte for byte.
    """

    def __init__(self, require_auth: bool = False) -> None:
        self.seen: list[str] = []
        # With require_auth, every request gets 407 Proxy Authentication Required.
        self.require_auth = require_auth
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _ProxyHandler)
        self._server.daemon_threads = True
        self._server.proxy = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def reject_unauthenticated(self) -> bool:
        if not self.server.proxy.require_auth:  # type: ignore[attr-defined]
            return False
        body = b"<html>Proxy Authentication Required</html>"
        self.send_response(407, "Proxy Authentication Required")
        self.send_header("Proxy-Authenticate", 'Basic realm="test proxy"')
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        return True

    def do_GET(self) -> None:
        self.server.proxy.seen.append("GET " + self.path)  # type: ignore[attr-defined]
        if self.reject_unauthenticated():
            return
        target = urlsplit(self.path)
        if target.hostname != "127.0.0.1":
            self.send_error(403, "this test proxy only relays to 127.0.0.1")
            return
        upstream = HTTPConnection("127.0.0.1", target.port or 80, timeout=10)
        path = target.path + ("?" + target.query if target.query else "")
        headers = {k: v for k, v in self.headers.items() if k.lower() != "proxy-connection"}
        upstream.request("GET", path, headers=headers)
        response = upstream.getresponse()
        body = response.read()
        self.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        upstream.close()

    def do_CONNECT(self) -> None:
        self.server.proxy.seen.append("CONNECT " + self.path)  # type: ignore[attr-defined]
        if self.reject_unauthenticated():
            self.close_connection = True
            return
        host, _, port = self.path.partition(":")
        if host != "127.0.0.1":
            self.send_error(403, "this test proxy only relays to 127.0.0.1")
            return
        upstream = socket.create_connection((host, int(port)), timeout=10)
        self.send_response(200, "Connection established")
        self.end_headers()
        _pump(self.connection, upstream)
        upstream.close()
        self.close_connection = True


def _pump(client: socket.socket, upstream: socket.socket) -> None:
    sockets = [client, upstream]
    while True:
        readable, _, _ = select.select(sockets, [], [], 10)
        if not readable:
            return
        for sock in readable:
            data = sock.recv(65536)
            if not data:
                return
            (upstream if sock is client else client).sendall(data)


def make_self_signed_cert(folder: Path) -> tuple[Path, Path]:
    """Create a self-signed certificate for 127.0.0.1 with the openssl command."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
            "-keyout", str(key), "-out", str(cert), "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


PROXY_VARIABLES = (
    "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY",
    "http_proxy", "https_proxy", "all_proxy", "no_proxy",
    "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE",
)  # fmt: skip
