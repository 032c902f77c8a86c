"""HTTP transport for provider requests: requests sessions, deadlines, proxies, CA bundle.

Proxies come from ``HTTPS_PROXY``, ``HTTP_PROXY`` and ``NO_PROXY`` through requests'
``trust_env``. A configured CA bundle is passed on every request, because requests lets
``REQUESTS_CA_BUNDLE`` override a bundle set only on the session.
"""

from __future__ import annotations

import email.utils
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests
import urllib3

from llmjack_enrichment.providers.base import ProviderRequest

USER_AGENT = "sigma-llmjack-enrichment"
# Larger bodies are not reputation answers; reading stops there.
MAX_BODY_BYTES = 1 << 20


class TransportError(Exception):
    """A request failed before an HTTP status arrived (connection, TLS, proxy)."""


class TransportTimeout(TransportError):
    """A request did not complete within its timeout."""


@dataclass(frozen=True)
class HttpResult:
    status_code: int
    headers: Mapping[str, str]
    body: bytes


class Transport:
    """Send GET requests, each on a requests session that no other thread is using.

    Sessions (and their open connections) go back to a pool after each request, so the
    worker threads of later runs reuse them.
    """

    def __init__(self, ca_bundle: Path | None, trust_env: bool = True) -> None:
        self._verify: bool | str = str(ca_bundle) if ca_bundle else True
        self._trust_env = trust_env
        self._idle: list[requests.Session] = []
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()
        self._closed = False

    def _acquire(self) -> requests.Session:
        with self._lock:
            if self._closed:
                raise TransportError("transport is closed")
            if self._idle:
                return self._idle.pop()
            session = requests.Session()
            session.trust_env = self._trust_env
            session.headers["User-Agent"] = USER_AGENT
            self._sessions.append(session)
            return session

    def _release(self, session: requests.Session) -> None:
        with self._lock:
            if not self._closed:
                self._idle.append(session)

    def get(self, request: ProviderRequest, timeout: float) -> HttpResult:
        """Send ``request``; the timeout applies to connecting and to each read.

        Raises TransportError when no answer from the provider arrives, including when a
        proxy rejects the request with HTTP 407.
        """
        session = self._acquire()
        try:
            response = session.get(
                request.url,
                params=dict(request.params),
                headers=dict(request.headers),
                timeout=(timeout, timeout),
                verify=self._verify,
                stream=True,
                allow_redirects=False,
            )
            with response:
                body = response.raw.read(MAX_BODY_BYTES, decode_content=True) or b""
                result = HttpResult(response.status_code, dict(response.headers), body)
        except (requests.Timeout, urllib3.exceptions.TimeoutError):
            raise TransportTimeout(f"no response within {timeout:.1f} s") from None
        except requests.exceptions.SSLError:
            raise TransportError("TLS certificate verification failed") from None
        except requests.exceptions.ProxyError as exc:
            raise TransportError(self._proxy_failure(request.url, str(exc))) from None
        except (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema):
            raise TransportError(self._invalid_url(request.url)) from None
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            # The text of these errors names the URL, never the headers that hold keys.
            raise TransportError(f"request failed: {type(exc).__name__}") from None
        finally:
            self._release(session)

        if result.status_code == 407:
            raise TransportError(self._proxy_failure(request.url, "407"))
        return result

    def _proxy_variable(self, url: str) -> str | None:
        return proxy_variable(url) if self._trust_env else None

    def _proxy_failure(self, url: str, error_text: str) -> str:
        """Describe a proxy failure, naming the variable that set the proxy, never its value."""
        variable = self._proxy_variable(url)
        where = f"the proxy in {variable}" if variable else "a proxy on the way"
        if "407" in error_text:
            return (
                f"{where} rejected the request: proxy authentication required (HTTP 407); "
                "put the proxy user and password in its URL (http://USER:PASSWORD@HOST:PORT)"
            )
        return f"connection to {where} failed; check that the proxy runs at that address"

    def _invalid_url(self, url: str) -> str:
        """Describe an invalid URL; provider URLs are checked early, so it is the proxy's."""
        variable = self._proxy_variable(url)
        if variable is None:
            return f"invalid request URL {url}"
        problem = proxy_url_problem(os.environ.get(variable, ""))
        return (
            f"invalid proxy URL in {variable}: {problem}; set it to http://HOST:PORT "
            "(optionally with USER:PASSWORD@) or unset it"
        )

    def close(self) -> None:
        with self._lock:
            self._closed = True
            sessions, self._sessions, self._idle = self._sessions, [], []
        for session in sessions:
            session.close()


def proxy_variable(url: str) -> str | None:
    """Return the environment variable that sets the proxy for ``url``, or None.

    The order is urllib's (which requests uses): the lower-case name before the upper-case
    one, and the scheme's variable before ``all_proxy``. NO_PROXY is not consulted, so
    call this only after a request failed in a way that involves a proxy.
    """
    scheme = urlsplit(url).scheme.lower()
    for name in (f"{scheme}_proxy", f"{scheme.upper()}_PROXY", "all_proxy", "ALL_PROXY"):
        if os.environ.get(name):
            return name
    return None


def proxy_url_problem(value: str) -> str:
    """Return what is wrong with a proxy URL without quoting it, since it may hold a password."""
    text = value.strip()
    if "://" not in text:
        text = "http://" + text
    try:
        parts = urlsplit(text)
        _ = parts.port  # raises ValueError for a port that is not a number in 0-65535
    except ValueError:
        return "the host or port is not valid"
    if parts.scheme.lower() not in ("http", "https"):
        return f"the scheme {parts.scheme!r} is not supported, only http and https"
    if not parts.hostname:
        return "it has no host"
    return "it is not a valid URL"


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Return the epoch time a ``Retry-After`` header points at, or None if unparsable.

    The header contains either a number of seconds or an HTTP date (RFC 9110, 10.2.3).
    """
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return now + int(text)
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None or moment.tzinfo is None:
        return None
    return max(now, moment.timestamp())
