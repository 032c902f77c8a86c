"""Normalise the event times of log records into the one form the correlation SQL reads.

The sqlite backend turns its timestamp column into seconds with ``julianday()``, which reads
``YYYY-MM-DDTHH:MM:SS.SSS`` and ignores digits after the third decimal. Logs write times in
several ways: CloudTrail ``2024-10-17T20:09:52Z``, the Athena and Panther exports
``2025-03-26 16:43:57.000000000``, Azure ``2024-04-17T06:03:30.0000000Z``, offsets such as
``+02:00``, and Unix epochs in seconds or milliseconds (OpenAI audit ``effective_at``). Every one
becomes UTC ``2024-10-17T20:09:52.000Z``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

# Record keys tried in order for the event time: CloudTrail, Elastic documents, Bedrock
# model-invocation logs and GCP audit logs, Azure diagnostic logs, OpenAI audit logs.
TIME_KEYS = ("eventTime", "@timestamp", "timestamp", "time", "effective_at")

# CloudTrail's own form, 2024-10-17T20:09:52Z, which needs only the milliseconds added. Days 29 to
# 31 are left to the full parser, which checks the length of each month.
_CLOUDTRAIL = re.compile(
    r"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\dZ"
)
_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?"
    r"\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?"
)

# Epoch values above these limits are read as milliseconds, microseconds and nanoseconds.
# 1e11 seconds is the year 5138, and 1e11 milliseconds is March 1973.
_EPOCH_SCALES = ((1e17, 1e9), (1e14, 1e6), (1e11, 1e3))


def normalise_time(value: Any) -> str | None:
    """Return ``value`` as UTC ``YYYY-MM-DDTHH:MM:SS.mmmZ``, or None if it is not a time."""
    if isinstance(value, str):
        if _CLOUDTRAIL.fullmatch(value):
            return value[:19] + ".000Z"
        return _from_text(value.strip())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _from_epoch(float(value))
    return None


def record_time(record: Mapping[str, Any]) -> str | None:
    """Return the normalised time of the first time key ``record`` has, or None."""
    for key in TIME_KEYS:
        value = record.get(key)
        if value is not None:
            return normalise_time(value)
    return None


def _from_text(text: str) -> str | None:
    match = _ISO.fullmatch(text)
    if match is None:
        return _from_epoch_text(text)
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    millis = (fraction or "0")[:3].ljust(3, "0")
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))
    except ValueError:
        return None

    if offset and offset not in ("Z", "z", "UTC"):
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        shift = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
        moment -= sign * shift
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{millis}Z"


def _from_epoch_text(text: str) -> str | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return _from_epoch(number)


def _from_epoch(number: float) -> str | None:
    if number != number or number < 0:  # NaN or before 1970
        return None
    for limit, divisor in _EPOCH_SCALES:
        if number >= limit:
            number /= divisor
            break
    try:
        moment = datetime.fromtimestamp(number, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"
