"""The interface every online reputation provider implements, and the answer it returns.

A provider only builds requests and parses responses. Sending them, timeouts, the
circuit breaker and the cache live in ``llmjack_enrichment.reputation`` and
``llmjack_enrichment.cache``, so a new provider is a small subclass plus
``register_provider``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from llmjack_enrichment.secrets import Secret

# Statuses of one provider's answer for one address. "ok", "no_data" and
# "not_applicable" are answers and may be cached. The others describe a failure and
# never are.
CACHEABLE_STATUSES = frozenset({"ok", "no_data", "not_applicable"})
VERDICTS = ("malicious", "suspicious", "benign")


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

    def build_request(self, address: str) -> ProviderRequest:
        raise NotImplementedError

    def parse_ok(self, address: str, document: Any) -> ProviderAnswer:
        """Turn the decoded JSON of a 200 response into an answer."""
        raise NotImplementedError

    def parse_status(self, address: str, status_code: int, body: bytes) -> ProviderAnswer:
        """Turn a non-200 response other than 401, 403 and 429 into an answer."""
        return self.answer(address, "error", detail=f"HTTP {status_code}: {error_detail(body)}")

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
        return ProviderAnswer(self.name, address, status, verdict, score, detail)


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


def clamp_score(value: Any) -> int | None:
    """Return ``value`` as an integer score in 0-100, or None if it is not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if value != value or value in (float("inf"), float("-inf")):
        return None
    return max(0, min(100, int(value)))


def error_detail(body: bytes, limit: int = 200) -> str:
    """Return a short description of an error body for a log line."""
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return "non-JSON body" if body.strip() else "empty body"
    text = _message_from(document)
    return text[:limit] if text else "no error message"


def _message_from(document: Any) -> str:
    if isinstance(document, dict):
        errors = document.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return str(errors[0].get("detail") or "")
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
