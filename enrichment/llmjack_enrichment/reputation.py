"""Online IP reputation: settings, the merged answer, and the lookup service.

``ReputationService.lookup`` asks every configured provider about each public address,
in parallel and under one time budget per run. Answers come from the persistent cache
when they are fresh. Rate limits (429) and rejected keys (401, 403) trip a circuit
breaker that is stored in the cache file, so concurrent and later lookup processes
honour it; these failures are never cached as answers for an address.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from llmjack_enrichment.cache import CacheUnavailableError, ProviderState, ReputationCache
from llmjack_enrichment.providers import provider_classes
from llmjack_enrichment.providers.base import Provider, ProviderAnswer
from llmjack_enrichment.providers.merge import merge_answers
from llmjack_enrichment.providers.pool import run_until
from llmjack_enrichment.providers.settings import OnlineSettings, OnlineSettingsError
from llmjack_enrichment.providers.transport import (
    Transport,
    TransportError,
    TransportTimeout,
    parse_retry_after,
)
from llmjack_enrichment.secrets import (
    GUARDED_LOGGERS,
    KeyFileError,
    RedactingFilter,
    install_filter,
    key_env_var,
    load_key,
    remove_filter,
)

__all__ = [
    "OnlineSettings",
    "OnlineSettingsError",
    "Reputation",
    "ReputationService",
]

logger = logging.getLogger(__name__)

# A request is not started with less time than this left in the run's budget.
MIN_REQUEST_SECONDS = 0.05


@dataclass(frozen=True)
class Reputation:
    """The merged online reputation of one address.

    ``status`` is one of "ok", "no_data", "not_applicable", "rate_limited",
    "unauthorized", "timeout", "error" or "disabled". ``verdict`` is "malicious",
    "suspicious", "benign" or None, and ``score`` is 0-100 or None. ``sources`` names
    the providers behind the verdict (or behind the status when there is no verdict).
    """

    address: str
    status: str
    verdict: str | None
    score: int | None
    sources: tuple[str, ...]


def public_address(address: str) -> str | None:
    """Return the canonical text of a globally routable address, or None for any other.

    An IPv4-mapped IPv6 address becomes its IPv4 address, and IPv6 is compressed and in
    lower case, so that one address has one cache entry.
    """
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    if not parsed.is_global or parsed.is_multicast:
        return None
    return str(parsed)


class ReputationService:
    """Look up addresses with the configured providers, the cache and the breaker.

    Construction never raises for a missing or unusable key: that provider is left out,
    one error is logged and the message is kept in ``problems`` for a CLI to show.
    """

    def __init__(self, settings: OnlineSettings) -> None:
        self.settings = settings
        self.problems: list[str] = []
        self._filter = RedactingFilter()
        install_filter(self._filter, GUARDED_LOGGERS)
        self._providers = self._build_providers()
        self._transport = Transport(settings.ca_bundle, settings.trust_env)
        self._cache = self._open_cache() if self._providers else None
        self._run_lock = threading.Lock()
        self._tripped: dict[str, ProviderState] = {}
        self._sent = 0
        self._logged: set[tuple[str, str]] = set()

    @property
    def log_filter(self) -> RedactingFilter:
        """The filter that redacts this service's keys; add it to log handlers too.

        The service attaches it to its own loggers and urllib3's. A filter on a
        handler also covers loggers created later, which a logger filter does not.
        """
        return self._filter

    def _build_providers(self) -> list[Provider]:
        classes = provider_classes()
        providers = []
        for name in self.settings.providers:
            cls = classes.get(name)
            if cls is None:
                self._problem(f"unknown provider {name!r}; known: {', '.join(sorted(classes))}")
                continue
            try:
                key = load_key(name, self.settings.key_files.get(name))
            except KeyFileError as exc:
                self._problem(f"{cls.display_name} disabled: {exc}")
                continue
            if key is None and cls.key_required:
                self._problem(
                    f"{cls.display_name} disabled: no API key; set {key_env_var(name)} "
                    f"or {name}_key_file in the [online] settings"
                )
                continue
            provider = cls(
                self.settings.urls.get(name),
                key,
                self.settings.thresholds,
                self.settings.provider_options.get(name),
            )
            # The filter learns every form the key travels in (such as isMalicious's
            # Base64 header value), because a service may echo it back in an error.
            for secret in provider.sent_secrets():
                self._filter.add(secret)
            providers.append(provider)
        return providers

    def _open_cache(self) -> ReputationCache | None:
        # Each wait for the lock fits, with its retry, in the time kept back for the
        # final cache write.
        busy_timeout = max(0.05, write_reserve(self.settings.time_budget) / 2)
        try:
            return ReputationCache(
                self.settings.cache_path,
                self.settings.ttls,
                self.settings.memory_cache_size,
                busy_timeout=busy_timeout,
            )
        except CacheUnavailableError as exc:
            self._problem(f"reputation cache disabled: {exc}")
            return None

    def _problem(self, message: str) -> None:
        self.problems.append(message)
        logger.error("%s", message)

    def lookup(self, addresses: Sequence[str]) -> dict[str, Reputation]:
        """Return one Reputation per distinct address, within the run's time budget."""
        started = time.monotonic()
        deadline = started + self.settings.time_budget - write_reserve(self.settings.time_budget)
        unique = list(dict.fromkeys(addresses))
        canonical = {address: public_address(address) for address in unique}
        candidates = list(dict.fromkeys(c for c in canonical.values() if c is not None))
        skipped = sum(1 for c in canonical.values() if c is None)
        if skipped:
            logger.debug("%d addresses are not public; not sent", skipped)
        if not self._providers:
            return {a: self._result(a, canonical[a], {}) for a in unique}

        # A breaker tripped in an earlier run of this service stays open until it expires,
        # even when the cache file that would carry it is unavailable.
        now = time.time()
        self._tripped = {n: s for n, s in self._tripped.items() if s.until > now}
        self._sent = 0
        answers: dict[str, list[ProviderAnswer]] = {address: [] for address in candidates}
        jobs, cached = self._plan(candidates, answers)
        fresh = self._run_jobs(jobs, deadline)
        for answer in fresh:
            answers[answer.address].append(answer)
        self._store(fresh)

        self._log_summary(len(candidates), cached, fresh, time.monotonic() - started)
        return {a: self._result(a, canonical[a], answers) for a in unique}

    @staticmethod
    def _result(
        address: str, canonical: str | None, answers: dict[str, list[ProviderAnswer]]
    ) -> Reputation:
        """Build the Reputation of ``address`` as the caller spelled it."""
        if canonical is None:
            return Reputation(address, "not_applicable", None, None, ())
        status, verdict, score, sources = merge_answers(answers.get(canonical, []))
        return Reputation(address, status, verdict, score, sources)

    def _plan(
        self, candidates: Sequence[str], answers: dict[str, list[ProviderAnswer]]
    ) -> tuple[list[tuple[Provider, str]], int]:
        """Fill ``answers`` from the cache and the breaker; return the requests to send."""
        jobs: list[tuple[Provider, str]] = []
        cached_count = 0
        for provider in self._providers:
            state = self._tripped.get(provider.name) or self._stored_state(provider)
            cached = self._cached(provider, candidates)
            cached_count += len(cached)
            for address in candidates:
                if address in cached:
                    answers[address].append(cached[address])
                elif state is not None:
                    answers[address].append(ProviderAnswer(provider.name, address, state.status))
                else:
                    jobs.append((provider, address))
        return jobs, cached_count

    def _stored_state(self, provider: Provider) -> ProviderState | None:
        if self._cache is None:
            return None
        try:
            state = self._cache.provider_state(provider.name)
        except CacheUnavailableError as exc:
            self._log_once(("cache", "read"), logging.WARNING, "cache read failed: %s", exc)
            return None
        if state is not None:
            self._log_once(
                (provider.name, state.status),
                logging.WARNING,
                "%s skipped: %s until %s (stored by an earlier lookup)",
                provider.display_name,
                state.status.replace("_", " "),
                _format_time(state.until),
            )
        return state

    def _cached(self, provider: Provider, candidates: Sequence[str]) -> dict[str, ProviderAnswer]:
        if self._cache is None:
            return {}
        try:
            return self._cache.get_many(provider.name, candidates)
        except CacheUnavailableError as exc:
            self._log_once(("cache", "read"), logging.WARNING, "cache read failed: %s", exc)
            return {}

    def _run_jobs(
        self, jobs: Sequence[tuple[Provider, str]], deadline: float
    ) -> list[ProviderAnswer]:
        """Send the requests in parallel; unfinished ones at the deadline time out."""
        if not jobs:
            return []

        def fail(job: tuple[Provider, str], status: str) -> ProviderAnswer:
            provider, address = job
            detail = "run time budget exhausted" if status == "timeout" else "internal error"
            return provider.answer(address, status, detail=detail)

        # lookup() does not wait for requests still in flight at the deadline. Their
        # connect and read timeouts are at most the budget left when they started.
        # Each provider gets max_concurrency threads of its own, so the providers'
        # requests run side by side and one slow provider does not delay the others.
        return run_until(
            jobs,
            lambda job: self._query(job[0], job[1], deadline),
            fail,
            self.settings.max_concurrency,
            deadline,
            lane=lambda job: job[0].name,
        )

    def _query(self, provider: Provider, address: str, deadline: float) -> ProviderAnswer:
        """Ask one provider about one address and return its answer or failure status."""
        with self._run_lock:
            state = self._tripped.get(provider.name)
        if state is not None:
            return provider.answer(address, state.status, detail="breaker open")
        remaining = deadline - time.monotonic()
        if remaining < MIN_REQUEST_SECONDS:
            return provider.answer(address, "timeout", detail="run time budget exhausted")

        request = provider.build_request(address)
        with self._run_lock:
            self._sent += 1
        timeout = min(self.settings.request_timeout, remaining)
        try:
            result = self._transport.get(request, timeout)
        except TransportTimeout as exc:
            return provider.answer(address, "timeout", detail=str(exc))
        except TransportError as exc:
            return provider.answer(address, "error", detail=str(exc))

        if result.status_code == 429:
            retry_at = parse_retry_after(result.headers.get("Retry-After"), time.time())
            if retry_at is None:
                retry_at = time.time() + self.settings.rate_limit_cooldown
            self._trip(provider, ProviderState(provider.name, "rate_limited", retry_at), 429)
            return provider.answer(address, "rate_limited", detail="HTTP 429")
        if result.status_code in (401, 403):
            until = time.time() + self.settings.unauthorized_cooldown
            state = ProviderState(provider.name, "unauthorized", until)
            self._trip(provider, state, result.status_code)
            return provider.answer(address, "unauthorized", detail=f"HTTP {result.status_code}")
        try:
            return provider.parse_response(address, result.status_code, result.body)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            detail = f"unreadable answer: {type(exc).__name__}"
            return provider.answer(address, "error", detail=detail)

    def _trip(self, provider: Provider, state: ProviderState, status_code: int) -> None:
        """Open the breaker for ``provider``: log once, and store it for other processes."""
        with self._run_lock:
            if provider.name in self._tripped:
                return
            self._tripped[provider.name] = state
        if state.status == "rate_limited":
            logger.warning(
                "%s rate limit reached (HTTP 429); no requests to it until %s",
                provider.display_name,
                _format_time(state.until),
            )
        else:
            logger.error(
                "%s rejected %s (HTTP %d); provider disabled for this run and "
                "until %s. Check %s or %s_key_file.",
                provider.display_name,
                "the API key" if provider.key is not None else "the request without an API key",
                status_code,
                _format_time(state.until),
                key_env_var(provider.name),
                provider.name,
            )
        if self._cache is not None:
            try:
                self._cache.set_provider_state(state)
            except CacheUnavailableError as exc:
                self._log_once(("cache", "write"), logging.WARNING, "cache write failed: %s", exc)

    def _store(self, answers: Sequence[ProviderAnswer]) -> None:
        if self._cache is None:
            return
        try:
            self._cache.put_many(answers)
        except CacheUnavailableError as exc:
            self._log_once(("cache", "write"), logging.WARNING, "cache write failed: %s", exc)

    def _log_once(self, key: tuple[str, str], level: int, message: str, *args: object) -> None:
        if key not in self._logged:
            self._logged.add(key)
            logger.log(level, message, *args)

    def _log_summary(
        self, count: int, cached: int, fresh: Sequence[ProviderAnswer], seconds: float
    ) -> None:
        """Log one line per run, with failures counted by provider and status."""
        counts = Counter((answer.provider, answer.status) for answer in fresh)
        for answer in fresh:
            if answer.status in ("error", "timeout"):
                self._log_once(
                    (answer.provider, answer.status),
                    logging.WARNING,
                    "%s %s for %s: %s (repeats are counted in the run summary)",
                    answer.provider,
                    answer.status,
                    answer.address,
                    answer.detail,
                )
        parts = [f"{provider} {status}={n}" for (provider, status), n in sorted(counts.items())]
        logger.info(
            "online lookup: %d addresses, %d cached answers, %d requests in %.2f s%s",
            count,
            cached,
            self._sent,
            seconds,
            ("; " + ", ".join(parts)) if parts else "",
        )

    def close(self) -> None:
        """Close the cache and the HTTP sessions, and detach the log filter."""
        self._transport.close()
        if self._cache is not None:
            self._cache.close()
            self._cache = None
        remove_filter(self._filter)


def write_reserve(time_budget: float) -> float:
    """Return the part of the time budget kept back for storing the answers."""
    return min(1.0, time_budget * 0.1)


def _format_time(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
