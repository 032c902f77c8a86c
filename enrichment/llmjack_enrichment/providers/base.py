"""The interface every online reputation provider implements, and the answer it returns.

A provider only builds requests and parses responses. Sending them, timeouts, the
circuit breaker and the cache live in ``llmjack_enrichment.reputation`` and
``llmjack_enrichment.cache``, so a new provider is a small subclass plus
``register_provider``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from llmjack_enrichment.secrets import REDACTED, RedactingFilter, Secret

# Statuses of one provider's answer for one address. "ok", "no_data" and
# "not_applicable" are answers and may be cached. The others describe a failure and
# never are.
CACHEABLE_STATUSES = frozenset({"ok", "no_data", "not_applicable"})
VERDICTS = ("malicious", "suspicious", "benign")

# Text from a response body reaches log lines only as an excerpt of at most this many
# characters, after redaction, so an echoed request cannot fill a log with its headers.
EXCERPT_LIMIT = 100
# Runs of Base64, hex or URL-safe characters this long look like keys or tokens. Error
# messages seldom need them, so excerpts mask them even when no known key matches.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9+/_=-]{24,}")


@dataclass(frozen=True)
class ScoreThresholds:
    """Scores (0-100) at and above which a provider's score means a verdict."""

    malicious: int = 75
    suspicious: int = 25

    def verdict_for(self, score: int | None) -> str | None:
        """Return "malicious" or "suspicious" for a high enough score, else None."""
        if score is None:
            return None
        if score >= self.malicious:
            return "malicious"
        if score >= self.suspicious:
            return "suspicious"
        return None


@dataclass(frozen=True)
class ProviderAnswer:
    """One provider's answer about one address.

    ``detail`` is a short human-readable note for logs. It is never cached and never
    contains the key.
    """

    provider: str
    address: str
    status: str
    verdict: str | None = None
    score: int | None = None
    detail: str = ""

    @property
    def cacheable(self) -> bool:
        return self.status in CACHEABLE_STATUSES


@dataclass(frozen=True)
class ProviderRequest:
    """An HTTP GET request a provider wants sent; headers may carry the key."""

    url: str
    params: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        # Headers hold the key, so they stay out of every repr and traceback.
        return f"ProviderRequest(url={self.url!r}, params={dict(self.params)!r})"


class ProviderResponseError(ValueError):
    """A response body could not be parsed into an answer."""


class Provider:
    """Base class of an online reputation provider.

    Subclasses set ``name``, ``default_url`` and ``key_required`` and implement
    ``build_request`` and ``parse_ok``. The caller handles HTTP 429, 401 and 403 for
    every provider. ``parse_status`` handles provider-specific answers that arrive with
    other status codes, such as GreyNoise's 404 "not observed".
    """

    name: ClassVar[str] = ""
    display_name: ClassVar[str] = ""
    default_url: ClassVar[str] = ""
    key_required: ClassVar[bool] = True

    def __init__(
        self,
        base_url: str | None,
        key: Secret | None,
        thresholds: ScoreThresholds,
        options: Mapping[str, str] | None = None,
    ) -> None:
        self.base_url = (base_url or self.default_url).rstrip("/")
        self.key = key
        self.thresholds = thresholds
        self.options: dict[str, str] = dict(options or {})
        self._redactor = RedactingFilter(self.sent_secrets())

    def sent_secrets(self) -> list[Secret]:
        """Return the key and each value derived from it that this provider's requests carry.

        A subclass that encodes the key before sending it (isMalicious sends Base64)
        adds the encoded value, so that the service's log filter redacts it too.
        """
        return [self.key] if self.key is not None else []

    def redact(self, text: str) -> str:
        """Replace every form of this provider's key in ``text`` with a marker."""
        return self._redactor.redact(text)

    def excerpt(self, text: str) -> str:
        """Return a short, redacted, printable excerpt of text that came from a response."""
        return sanitised_excerpt(self.redact(text))

    def build_request(self, address: str) -> ProviderRequest:
        raise NotImplementedError

    def parse_ok(self, address: str, document: Any) -> ProviderAnswer:
        """Turn the decoded JSON of a 200 response into an answer."""
        raise NotImplementedError

    def parse_status(self, address: str, status_code: int, body: bytes) -> ProviderAnswer:
        """Turn a non-200 response other than 401, 403 and 429 into an answer."""
        return self.answer(
            address, "error", detail=f"HTTP {status_code}: {error_detail(body, self.redact)}"
        )

    def parse_response(self, address: str, status_code: int, body: bytes) -> ProviderAnswer:
        """Turn a response other than 401, 403 and 429 into an answer, never raising."""
        if status_code != 200:
            return self.parse_status(address, status_code, body)
        try:
            document = decode_json(body)
            return self.parse_ok(address, document)
        except ProviderResponseError as exc:
            return self.answer(address, "error", detail=f"HTTP 200: {exc}")

    def answer(
        self,
        address: str,
        status: str,
        verdict: str | None = None,
        score: int | None = None,
        detail: str = "",
    ) -> ProviderAnswer:
        """Build an answer of this provider; ``detail`` is redacted once more on the way."""
        return ProviderAnswer(self.name, address, status, verdict, score, self.redact(detail))


def decode_json(body: bytes) -> Any:
    """Decode a JSON body, raising ProviderResponseError for an empty or invalid one."""
    if not body.strip():
        raise ProviderResponseError("empty response body")
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ProviderResponseError("response body is not JSON") from None


def require_mapping(document: Any, key: str | None = None) -> Mapping[str, Any]:
    """Return ``document`` (or ``document[key]``) if it is a JSON object."""
    value = document.get(key) if key and isinstance(document, dict) else document
    if not isinstance(value, dict):
        where = f"field {key!r}" if key else "response body"
        raise ProviderResponseError(f"{where} is not a JSON object")
    return value


def parse_score(value: Any, field_name: str, whole: bool = True) -> int:
    """Return ``value`` as a score from 0 to 100, or raise ProviderResponseError.

    A score outside 0-100, a boolean, a string, NaN or infinity means the answer is not
    what the service documents, so it is rejected instead of clamped into a verdict.
    With ``whole``, a fractional score is rejected too; otherwise it is rounded.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ProviderResponseError(f"field {field_name!r} is not a number")
    if not math.isfinite(value) or not 0 <= value <= 100:
        raise ProviderResponseError(f"field {field_name!r} is outside 0-100")
    if whole and value != int(value):
        raise ProviderResponseError(f"field {field_name!r} is not a whole number")
    return int(round(value))


def require_type(document: Mapping[str, Any], key: str, kinds: tuple[type, ...]) -> Any:
    """Return ``document[key]`` if present with one of ``kinds``; raise otherwise.

    ``bool`` is a subclass of ``int`` in Python, so a boolean matches only when ``kinds``
    names ``bool``.
    """
    if key not in document:
        raise ProviderResponseError(f"field {key!r} is missing")
    value = document[key]
    if isinstance(value, bool) and bool not in kinds:
        raise ProviderResponseError(f"field {key!r} has the wrong type")
    if not isinstance(value, kinds):
        raise ProviderResponseError(f"field {key!r} has the wrong type")
    return value


def optional_type(document: Mapping[str, Any], key: str, kinds: tuple[type, ...]) -> Any:
    """Return ``document[key]`` (None when absent or null) if it has one of ``kinds``."""
    if document.get(key) is None:
        return None
    return require_type(document, key, kinds)


def error_detail(body: bytes, redact: Callable[[str], str] | None = None) -> str:
    """Return a short description of an error body for a log line.

    Only the error message field of a JSON body is quoted, redacted with ``redact``
    before it is shortened (so a cut cannot leave half a key), then sanitised. Other
    bodies are described, never quoted, because services echo request headers in them.
    """
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return "non-JSON body" if body.strip() else "empty body"
    text = _message_from(document)
    if not text:
        return "no error message"
    return sanitised_excerpt(redact(text) if redact is not None else text)


def sanitised_excerpt(text: str, limit: int = EXCERPT_LIMIT) -> str:
    """Return ``text`` on one line of printable ASCII, tokens masked, at most ``limit`` long."""
    printable = "".join(ch if " " <= ch <= "~" else " " for ch in text)
    collapsed = " ".join(printable.split())
    masked = TOKEN_PATTERN.sub(REDACTED, collapsed)
    if len(masked) > limit:
        return masked[: limit - 3] + "..."
    return masked


def _message_from(document: Any) -> str:
    if isinstance(document, dict):
        errors = document.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            detail = errors[0].get("detail")
            return detail if isinstance(detail, str) else ""
        for key in ("message", "error", "detail"):
            if isinstance(document.get(key), str):
                return document[key]
    return ""


_REGISTRY: dict[str, type[Provider]] = {}


def register_provider(cls: type[Provider]) -> type[Provider]:
    """Register a provider class under its ``name``; usable as a class decorator."""
    if not cls.name:
        raise ValueError(f"provider class {cls.__name__} has no name")
    _REGISTRY[cls.name] = cls
    return cls


def registered_providers() -> tuple[tuple[str, type[Provider]], ...]:
    """Return the registered providers as (name, class) pairs, sorted by name."""
    return tuple(sorted(_REGISTRY.items()))
