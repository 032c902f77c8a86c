"""API keys for the online reputation providers, and the log filter that hides them.

A key comes from an environment variable (``LLMJACK_<PROVIDER>_KEY``) or from a key file
that only its owner can read. Keys never travel through argv, and the wrapper type keeps
them out of ``repr()`` and exception text by accident.
"""

from __future__ import annotations

import base64
import logging
import os
import stat
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import quote, quote_plus

REDACTED = "[REDACTED]"
# Parts of a key (around ":") shorter than this are not redacted on their own, because
# redacting a two-letter id would mangle unrelated words and numbers in log lines.
MIN_REDACTED_PART = 4


class KeyFileError(ValueError):
    """A key file is missing, unreadable, empty or readable by other users, or a key
    (from a file or the environment) cannot be sent in an HTTP header."""


class Secret:
    """An API key whose ``repr`` and ``str`` never show the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the key itself, for building a request header only."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('" + REDACTED + "')"

    __str__ = __repr__

    def forms(self) -> set[str]:
        """Return the key and every text derived from it that a request or an echo may show.

        These are the key, each ``:``-separated part of an ``id:secret`` key, and of each
        of those the URL-encoded forms and the Base64 forms (standard and URL-safe, with
        and without padding), which is how keys travel in headers such as X-API-KEY.
        """
        bases = {self._value}
        if ":" in self._value:
            bases.update(p for p in self._value.split(":") if len(p) >= MIN_REDACTED_PART)
        found: set[str] = set()
        for text in bases:
            found.update(_encodings(text))
        return {text for text in found if text}


def _encodings(text: str) -> set[str]:
    raw = text.encode("utf-8")
    standard = base64.b64encode(raw).decode("ascii")
    url_safe = base64.urlsafe_b64encode(raw).decode("ascii")
    return {
        text,
        quote(text, safe=""),
        quote_plus(text, safe=""),
        standard,
        standard.rstrip("="),
        url_safe,
        url_safe.rstrip("="),
    }


def key_env_var(provider: str) -> str:
    """Return the environment variable that contains the key of ``provider``."""
    return "LLMJACK_" + provider.upper() + "_KEY"


def load_key(
    provider: str,
    key_file: Path | None,
    environ: Mapping[str, str] | None = None,
) -> Secret | None:
    """Load the key of ``provider``: the environment variable first, then the key file.

    Returns None when neither is set. Raises KeyFileError for a key file that exists
    but must not be used, so a misconfigured file is reported instead of ignored.
    """
    env = os.environ if environ is None else environ
    value = env.get(key_env_var(provider), "").strip()
    if value:
        check_key_text(value, key_env_var(provider))
        return Secret(value)
    if key_file is None:
        return None
    value = read_key_file(key_file)
    check_key_text(value, f"key file {key_file}")
    return Secret(value)


def check_key_text(value: str, origin: str) -> None:
    """Reject a key that HTTP headers cannot carry, naming where it came from, not its text."""
    if not all(" " < ch <= "~" for ch in value):
        raise KeyFileError(
            f"the key in {origin} contains spaces, control or non-ASCII characters; "
            "copy the key again from the provider's account page"
        )


def read_key_file(path: Path) -> str:
    """Read a key from ``path`` after checking that only its owner can read it."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise KeyFileError(
            f"key file {path} not found; create it with the API key on one line "
            f"and run: chmod 600 {path}"
        ) from None
    except OSError as exc:
        raise KeyFileError(f"cannot read key file {path}: {exc.strerror}") from None

    # NOTE: POSIX permission bits only; on Windows st_mode does not reflect ACLs.
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(
            f"key file {path} is readable by group or others "
            f"(mode {stat.S_IMODE(info.st_mode):03o}); run: chmod 600 {path}"
        )
    getuid = getattr(os, "getuid", None)
    if getuid is not None and info.st_uid != getuid():
        raise KeyFileError(
            f"key file {path} belongs to another user (uid {info.st_uid}); "
            "it must be owned by the user that runs the lookup"
        )

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"cannot read key file {path}: {type(exc).__name__}") from None
    value = text.strip()
    if not value:
        raise KeyFileError(f"key file {path} is empty; write the API key on its first line")
    return value


class RedactingFilter(logging.Filter):
    """Replace every known key, and every form derived from it, in a log record's message.

    This is the second net: code never passes keys to a logger on purpose, but a
    library, an exception message or a service that echoes its request might.
    """

    def __init__(self, secrets: Iterable[Secret] = ()) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._values: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: Secret) -> None:
        """Redact ``secret`` and each of its ``Secret.forms()`` from now on."""
        forms = secret.forms()
        with self._lock:
            self._values.update(forms)

    def redact(self, text: str) -> str:
        with self._lock:
            values = sorted(self._values, key=len, reverse=True)
        for value in values:
            text = text.replace(value, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg = self.redact(message)
        record.args = None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


# Loggers whose records may carry request details: this package's online modules, and
# urllib3, which logs request lines at DEBUG level.
GUARDED_LOGGERS = (
    "llmjack_enrichment.reputation",
    "llmjack_enrichment.providers",
    "llmjack_enrichment.cache",
    "urllib3",
)


def install_filter(log_filter: RedactingFilter, logger_names: Iterable[str]) -> None:
    """Attach ``log_filter`` to each named logger and to each of its existing children.

    A filter on a logger sees only records created on that logger, not records that
    propagate up from children, so every logger that exists is covered one by one.
    """
    names = set(logger_names)
    existing = list(logging.Logger.manager.loggerDict)
    for name in existing:
        if any(name == n or name.startswith(n + ".") for n in names):
            names.add(name)
    for name in names:
        logging.getLogger(name).addFilter(log_filter)


def remove_filter(log_filter: RedactingFilter) -> None:
    """Detach ``log_filter`` from every logger that has it."""
    for logger in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger) and log_filter in logger.filters:
            logger.removeFilter(log_filter)
