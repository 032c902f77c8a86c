"""Enrichment settings: an INI file (the syntax of Splunk's .conf files) read with configparser.

The file is found through ``LLMJACK_ENRICH_CONFIG``, then in the Splunk app's ``local/`` and
``default/`` folders, then at ``~/.config/llmjack/enrichment.conf``. Without a file, the
defaults below apply. Relative paths are relative to the file's folder (or to the data folder
for feed files and the index). The ``[online]`` section is passed untouched to the online
reputation settings.
"""

from __future__ import annotations

import configparser
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from llmjack_enrichment.errors import SettingsError

CONFIG_ENV = "LLMJACK_ENRICH_CONFIG"
DATA_ENV = "LLMJACK_ENRICH_DATA"
CONFIG_NAME = "llmjack_enrichment.conf"
# The cloud range files are a few megabytes and ASN databases some tens of megabytes (an
# estimate, not a measurement of every feed). Parsers hold a whole file's prefixes in memory,
# which takes many times the file's size, so the cap also bounds the memory of a parse.
DEFAULT_MAX_FEED_BYTES = 64 * 1024 * 1024
SIZE_UNITS = {"K": 1024, "M": 1024**2, "G": 1024**3}
CATEGORIES = ("tor", "vpn", "proxy", "cloud", "hosting", "residential", "asn")

# name, format, category, provider, default URL, file name
DEFAULT_FEEDS: tuple[tuple[str, str, str, str, str, str], ...] = (
    (
        "tor",
        "tor-exit-list",
        "tor",
        "",
        "https://check.torproject.org/torbulkexitlist",
        "tor-exit-list.txt",
    ),
    (
        "aws",
        "aws",
        "cloud",
        "aws",
        "https://ip-ranges.amazonaws.com/ip-ranges.json",
        "aws-ip-ranges.json",
    ),
    ("gcp", "gcp", "cloud", "gcp", "https://www.gstatic.com/ipranges/cloud.json", "gcp-cloud.json"),
    (
        "oracle",
        "oracle",
        "cloud",
        "oracle",
        "https://docs.oracle.com/en-us/iaas/tools/public_ip_ranges.json",
        "oracle-ip-ranges.json",
    ),
    (
        "cloudflare-v4",
        "cidr",
        "cloud",
        "cloudflare",
        "https://www.cloudflare.com/ips-v4",
        "cloudflare-ips-v4.txt",
    ),
    (
        "cloudflare-v6",
        "cidr",
        "cloud",
        "cloudflare",
        "https://www.cloudflare.com/ips-v6",
        "cloudflare-ips-v6.txt",
    ),
    # Azure publishes its service tags under a URL that changes every week: download
    # ServiceTags_Public_*.json by hand and save it under this file name, or set url.
    ("azure", "azure", "cloud", "azure", "", "azure-service-tags.json"),
    # Both need an account: GeoLite2-ASN.mmdb from MaxMind or ipinfo's ASN database.
    ("asn-db", "mmdb-asn", "asn", "", "", "asn.mmdb"),
    ("hosting-asns", "asn-list", "hosting", "", "", "hosting-asns.csv"),
)


@dataclass(frozen=True)
class FeedSettings:
    """One feed: where it comes from, where it is stored and what its prefixes mean."""

    name: str
    format: str
    category: str
    path: Path
    url: str = ""
    provider: str = ""
    enabled: bool = True


@dataclass
class Settings:
    """The resolved enrichment settings."""

    source: Path | None
    data_dir: Path
    index_path: Path
    allow_path: Path
    deny_path: Path
    download_timeout: float = 30.0
    download_deadline: float = 600.0
    max_feed_bytes: int = DEFAULT_MAX_FEED_BYTES
    feeds: dict[str, FeedSettings] = field(default_factory=dict)
    # Feeds whose settings stanza is invalid, with the message; they are left out.
    feed_errors: dict[str, str] = field(default_factory=dict)
    online: dict[str, str] = field(default_factory=dict)

    @property
    def feed_dir(self) -> Path:
        """Folder of the downloaded feed files."""
        return self.data_dir / "feeds"


def find_settings_file(explicit: Path | None = None, app_dir: Path | None = None) -> Path | None:
    """Return the settings file to use, or None when there is none."""
    if explicit is not None:
        return explicit
    from_env = os.environ.get(CONFIG_ENV)
    if from_env:
        return Path(from_env)
    candidates: list[Path] = []
    if app_dir is not None:
        candidates += [app_dir / "local" / CONFIG_NAME, app_dir / "default" / CONFIG_NAME]
    candidates.append(Path.home() / ".config" / "llmjack" / "enrichment.conf")
    return next((path for path in candidates if path.is_file()), None)


def default_data_dir(app_dir: Path | None) -> Path:
    """Return the data folder used when the settings do not name one."""
    from_env = os.environ.get(DATA_ENV)
    if from_env:
        return Path(from_env)
    if app_dir is not None:
        return app_dir / "local" / "data"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "llmjack"


def load_settings(explicit: Path | None = None, app_dir: Path | None = None) -> Settings:
    """Find and read the settings, raising SettingsError with the file and key on bad values."""
    source = find_settings_file(explicit, app_dir)
    parser = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=(";", "#"))
    if source is not None:
        try:
            with source.open(encoding="utf-8") as handle:
                parser.read_file(handle)
        except OSError as error:
            raise SettingsError(f"cannot read settings {source}: {error.strerror}") from None
        except (configparser.Error, UnicodeDecodeError) as error:
            raise SettingsError(f"invalid settings file {source}: {error}") from None
    return _resolve(parser, source, app_dir)


def _resolve(
    parser: configparser.ConfigParser, source: Path | None, app_dir: Path | None
) -> Settings:
    base = source.parent if source is not None else Path.cwd()
    main = parser["enrichment"] if parser.has_section("enrichment") else {}
    configured_dir = main.get("data_dir", "").strip()
    data_dir = _path(base, configured_dir) if configured_dir else default_data_dir(app_dir)
    settings = Settings(
        source=source,
        data_dir=data_dir,
        index_path=_path(data_dir, main.get("index") or "llmjack-ip.idx"),
        allow_path=_path(data_dir, main.get("allow_list") or "allow.csv"),
        deny_path=_path(data_dir, main.get("deny_list") or "deny.csv"),
        download_timeout=_number(main.get("download_timeout", "30"), source, "download_timeout"),
        download_deadline=_number(
            main.get("download_deadline", "600"), source, "download_deadline"
        ),
        max_feed_bytes=_size(main.get("max_feed_size", ""), source),
        online=dict(parser["online"]) if parser.has_section("online") else {},
    )
    settings.feeds = _feeds(parser, settings, source)
    return settings


def _feeds(
    parser: configparser.ConfigParser, settings: Settings, source: Path | None
) -> dict[str, FeedSettings]:
    feeds: dict[str, FeedSettings] = {}
    for name, format_name, category, provider, url, file_name in DEFAULT_FEEDS:
        feeds[name] = FeedSettings(
            name, format_name, category, settings.feed_dir / file_name, url, provider
        )

    for section in parser.sections():
        if not section.startswith("feed:"):
            continue
        name = section[len("feed:") :].strip()
        try:
            feeds[name] = _feed(name, parser[section], feeds.get(name), settings, source)
        except SettingsError as error:
            # One bad stanza leaves out that feed only; the other feeds keep working.
            feeds.pop(name, None)
            settings.feed_errors[name] = str(error)
    return feeds


def _feed(
    name: str,
    values: Mapping[str, str],
    default: FeedSettings | None,
    settings: Settings,
    source: Path | None,
) -> FeedSettings:
    from llmjack_enrichment.feeds import FORMAT_NAMES

    where = f"{source}, section [feed:{name}]"
    format_name = values.get("format", default.format if default else "")
    if format_name not in FORMAT_NAMES:
        raise SettingsError(
            f"{where}: format {format_name!r} is not one of {', '.join(FORMAT_NAMES)}"
        )
    category = values.get("category", default.category if default else "")
    if category not in CATEGORIES:
        raise SettingsError(f"{where}: category {category!r} is not one of {', '.join(CATEGORIES)}")
    file_name = values.get("file", "").strip()
    if file_name:
        path = _path(settings.feed_dir, file_name)
    else:
        path = default.path if default else settings.feed_dir / f"{name}.{format_name}"
    enabled = values.get("enabled", "true").strip().lower()
    if enabled not in ("true", "false", "1", "0", "yes", "no"):
        raise SettingsError(f"{where}: enabled must be true or false, not {enabled!r}")
    return FeedSettings(
        name=name,
        format=format_name,
        category=category,
        path=path,
        url=values.get("url", default.url if default else "").strip(),
        provider=values.get("provider", default.provider if default else ""),
        enabled=enabled in ("true", "1", "yes"),
    )


def _path(base: Path, value: str) -> Path:
    path = Path(os.path.expanduser(value.strip()))
    return path if path.is_absolute() else base / path


def _number(value: str, source: Path | None, key: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    # float() accepts "nan" and "inf", which no timeout can use.
    if not math.isfinite(number) or number <= 0:
        raise SettingsError(
            f"{source}, section [enrichment]: {key} must be a positive, finite number of "
            f"seconds, not {value!r}"
        )
    return number


def _size(value: str, source: Path | None) -> int:
    """Parse ``max_feed_size``: bytes, or a number with the suffix K, M or G (binary units)."""
    text = value.strip().upper()
    if not text:
        return DEFAULT_MAX_FEED_BYTES
    factor = 1
    if text[-1] in SIZE_UNITS:
        factor = SIZE_UNITS[text[-1]]
        text = text[:-1].strip()
    if not text.isdigit() or int(text) == 0:
        raise SettingsError(
            f"{source}, section [enrichment]: max_feed_size must be a positive number of bytes "
            f"with an optional K, M or G suffix, not {value!r}"
        )
    return int(text) * factor
