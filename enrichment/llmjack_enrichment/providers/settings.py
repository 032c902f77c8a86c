"""Settings of the online reputation lookup, read from the ``[online]`` INI section.

Keys (durations in seconds, or with a unit suffix s, m, h or d):

- ``providers``: comma-separated provider names; empty disables online lookups.
- ``time_budget`` (10, at most 1h): seconds one lookup run may take in total.
- ``max_concurrency`` (16): requests in flight at once to each provider.
- ``request_timeout`` (5, at most 5m): cap on one request's connect and read timeouts.
- ``cache_path`` (``reputation-cache.sqlite3``): the SQLite cache file.
- ``memory_cache_size`` (10000): answers kept in memory per process.
- ``ttl_malicious`` (1d), ``ttl_benign`` (12h), ``ttl_no_data`` (4h),
  ``ttl_not_applicable`` (30d): how long each kind of answer stays cached.
- ``unauthorized_cooldown`` (1h): how long a rejected key keeps a provider off.
- ``rate_limit_cooldown`` (60): pause after a 429 without a usable Retry-After.
- ``malicious_score`` (75), ``suspicious_score`` (25): score thresholds (0-100).
- ``ca_bundle``: PEM file of CA certificates to trust instead of the default ones.
- ``trust_env`` (true): use HTTPS_PROXY, HTTP_PROXY, NO_PROXY and REQUESTS_CA_BUNDLE
  from the environment.
- ``<provider>_url``: base URL of a provider (for a mirror, a gateway or a test server).
- ``<provider>_key_file``: file holding the provider's API key, mode 600.
- ``<provider>_<option>``: a provider option, such as ``abuseipdb_max_age_days``.

Relative paths are resolved against ``base_dir``; the lookup engine passes its data folder.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from llmjack_enrichment.cache import CacheTTLs
from llmjack_enrichment.providers.base import ScoreThresholds, registered_providers

logger = logging.getLogger(__name__)

DEFAULT_CACHE_FILE = "reputation-cache.sqlite3"
GENERAL_KEYS = frozenset(
    {
        "enabled",
        "providers",
        "time_budget",
        "max_concurrency",
        "request_timeout",
        "cache_path",
        "memory_cache_size",
        "ttl_malicious",
        "ttl_benign",
        "ttl_no_data",
        "ttl_not_applicable",
        "unauthorized_cooldown",
        "rate_limit_cooldown",
        "malicious_score",
        "suspicious_score",
        "ca_bundle",
        "trust_env",
    }
)
DURATION_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
DURATION_PATTERN = re.compile(r"(\d+(?:\.\d*)?(?:e[+-]?\d+)?|\.\d+)\s*([smhd]?)")
DAY = 86400.0
# Upper limits of the durations, in seconds. A lookup that waits longer than an hour holds
# up the search that runs it, and a cached answer older than a year says little.
MAX_DURATIONS = {
    "time_budget": 3600.0,
    "request_timeout": 300.0,
    "ttl_malicious": 365 * DAY,
    "ttl_benign": 365 * DAY,
    "ttl_no_data": 365 * DAY,
    "ttl_not_applicable": 365 * DAY,
    "unauthorized_cooldown": 30 * DAY,
    "rate_limit_cooldown": DAY,
}
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


class OnlineSettingsError(ValueError):
    """A value in the ``[online]`` settings is invalid; the message names key and value.

    Messages do not repeat the section name, because callers log them after their own
    "invalid [online] settings: " prefix.
    """


@dataclass
class OnlineSettings:
    """Settings of the online lookup; ``from_mapping`` builds them from the INI section."""

    providers: tuple[str, ...] = ()
    time_budget: float = 10.0
    max_concurrency: int = 16
    request_timeout: float = 5.0
    cache_path: Path = Path(DEFAULT_CACHE_FILE)
    memory_cache_size: int = 10000
    ttls: CacheTTLs = field(default_factory=CacheTTLs)
    unauthorized_cooldown: float = 3600.0
    rate_limit_cooldown: float = 60.0
    thresholds: ScoreThresholds = field(default_factory=ScoreThresholds)
    ca_bundle: Path | None = None
    trust_env: bool = True
    urls: dict[str, str] = field(default_factory=dict)
    key_files: dict[str, Path] = field(default_factory=dict)
    provider_options: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, section: Mapping[str, str], base_dir: Path) -> OnlineSettings:
        """Build settings from the ``[online]`` section; raise OnlineSettingsError."""
        reader = _SectionReader(section, base_dir)
        known = dict(registered_providers())
        providers = reader.providers(known)
        if not reader.boolean("enabled", True):
            providers = ()

        ttl_defaults = CacheTTLs()
        ttls = CacheTTLs(
            malicious=reader.duration("ttl_malicious", ttl_defaults.malicious),
            benign=reader.duration("ttl_benign", ttl_defaults.benign),
            no_data=reader.duration("ttl_no_data", ttl_defaults.no_data),
            not_applicable=reader.duration("ttl_not_applicable", ttl_defaults.not_applicable),
        )
        thresholds = ScoreThresholds(
            malicious=reader.integer("malicious_score", 75, 0, 100),
            suspicious=reader.integer("suspicious_score", 25, 0, 100),
        )
        if thresholds.suspicious > thresholds.malicious:
            raise OnlineSettingsError(
                f"suspicious_score {thresholds.suspicious} is above malicious_score "
                f"{thresholds.malicious}; set suspicious_score <= malicious_score"
            )
        settings = cls(
            providers=providers,
            time_budget=reader.duration("time_budget", 10.0),
            max_concurrency=reader.integer("max_concurrency", 16, 1, 256),
            request_timeout=reader.duration("request_timeout", 5.0),
            cache_path=reader.path("cache_path") or base_dir / DEFAULT_CACHE_FILE,
            memory_cache_size=reader.integer("memory_cache_size", 10000, 1, 10_000_000),
            ttls=ttls,
            unauthorized_cooldown=reader.duration("unauthorized_cooldown", 3600.0),
            rate_limit_cooldown=reader.duration("rate_limit_cooldown", 60.0),
            thresholds=thresholds,
            ca_bundle=reader.existing_file("ca_bundle"),
            trust_env=reader.boolean("trust_env", True),
        )
        reader.provider_keys(known, settings)
        return settings


class _SectionReader:
    """Typed access to the ``[online]`` section with errors that name key and value."""

    def __init__(self, section: Mapping[str, str], base_dir: Path) -> None:
        self.section = {str(k).strip().lower(): str(v).strip() for k, v in section.items()}
        self.base_dir = base_dir

    def raw(self, key: str) -> str:
        return self.section.get(key, "")

    def fail(self, key: str, expected: str) -> OnlineSettingsError:
        return OnlineSettingsError(f"{key} = {self.raw(key)!r} is invalid; expected {expected}")

    def providers(self, known: Mapping[str, object]) -> tuple[str, ...]:
        names = [n.strip().lower() for n in re.split(r"[,\s]+", self.raw("providers")) if n]
        for name in names:
            if name not in known:
                raise self.fail("providers", "a comma-separated list of " + ", ".join(known))
        return tuple(dict.fromkeys(names))

    def boolean(self, key: str, default: bool) -> bool:
        value = self.raw(key).lower()
        if not value:
            return default
        if value in TRUE_WORDS:
            return True
        if value in FALSE_WORDS:
            return False
        raise self.fail(key, "true or false")

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        value = self.raw(key)
        if not value:
            return default
        try:
            number = int(value)
        except ValueError:
            raise self.fail(key, f"a whole number from {low} to {high}") from None
        if not low <= number <= high:
            raise self.fail(key, f"a whole number from {low} to {high}")
        return number

    def duration(self, key: str, default: float) -> float:
        value = self.raw(key).lower()
        if not value:
            return default
        limit = MAX_DURATIONS[key]
        expected = (
            f"a number of seconds above 0 and at most {limit:.0f} ({_format_duration(limit)}), "
            "optionally with unit s, m, h or d, such as 30s or 2h"
        )
        match = DURATION_PATTERN.fullmatch(value)
        if not match:
            raise self.fail(key, expected)
        seconds = float(match.group(1)) * DURATION_UNITS[match.group(2)]
        if not 0 < seconds <= limit:
            raise self.fail(key, expected)
        return seconds

    def path(self, key: str) -> Path | None:
        value = self.raw(key)
        if not value:
            return None
        if "\x00" in value:
            raise self.fail(key, "a file path without NUL characters")
        try:
            path = Path(value).expanduser()
        except RuntimeError:
            # Path.expanduser raises RuntimeError for ~user when that user has no home.
            expected = "a path whose ~ or ~user names a user with a home folder"
            raise self.fail(key, expected) from None
        return path if path.is_absolute() else self.base_dir / path

    def existing_file(self, key: str) -> Path | None:
        path = self.path(key)
        if path is not None and not path.is_file():
            raise OnlineSettingsError(f"{key}: file {path} not found")
        return path

    def provider_keys(self, known: Mapping[str, object], settings: OnlineSettings) -> None:
        """Read ``<provider>_url``, ``<provider>_key_file`` and other provider options."""
        for key in sorted(self.section):
            if key in GENERAL_KEYS:
                continue
            name, _, option = key.partition("_")
            if name not in known or not option:
                logger.warning("[online] %s is not a known setting; ignored", key)
                continue
            if option in ("key", "api_key", "apikey"):
                # The value is a key, so the message must not quote it.
                raise OnlineSettingsError(
                    f"{key}: API keys do not belong in the settings file; "
                    f"set LLMJACK_{name.upper()}_KEY or {name}_key_file (mode 600) instead"
                )
            if option == "url":
                url = self.raw(key)
                if not re.match(r"https?://[^/\s]+", url):
                    raise self.fail(key, "an http:// or https:// URL")
                settings.urls[name] = url
            elif option == "key_file":
                path = self.path(key)
                if path is not None:
                    settings.key_files[name] = path
            else:
                settings.provider_options.setdefault(name, {})[option] = self.raw(key)


def _format_duration(seconds: float) -> str:
    """Return ``seconds`` in the largest unit that divides it, such as 1h or 365d."""
    for unit in ("d", "h", "m"):
        if seconds % DURATION_UNITS[unit] == 0:
            return f"{seconds / DURATION_UNITS[unit]:g}{unit}"
    return f"{seconds:g}s"
