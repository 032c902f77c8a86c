"""Event times in the forms the samples and exports use, normalised for the correlation SQL."""

from __future__ import annotations

import pytest

from sigma_llmjack.replay.timestamps import normalise_time, record_time

CASES = {
    "2024-10-17T20:09:52Z": "2024-10-17T20:09:52.000Z",
    "2025-03-26 16:43:57.000000000": "2025-03-26T16:43:57.000Z",
    "2025-01-21T17:39:10.379877250Z": "2025-01-21T17:39:10.379Z",
    "2024-04-17T06:03:30.0000000Z": "2024-04-17T06:03:30.000Z",
    "2024-05-01 10:00:00.5": "2024-05-01T10:00:00.500Z",
    "2024-05-01T12:30:00+02:00": "2024-05-01T10:30:00.000Z",
    "2024-05-01T00:30:00-0130": "2024-05-01T02:00:00.000Z",
    "2024-05-01T23:59:59+05": "2024-05-01T18:59:59.000Z",
    "2024-05-01T10:00:00 UTC": "2024-05-01T10:00:00.000Z",
    "2024-12-31T23:30:00-01:00": "2025-01-01T00:30:00.000Z",
    "1702857600": "2023-12-18T00:00:00.000Z",
    1702857600: "2023-12-18T00:00:00.000Z",
    1702857600.25: "2023-12-18T00:00:00.250Z",
    1702857600123: "2023-12-18T00:00:00.123Z",
    1702857600123456: "2023-12-18T00:00:00.123Z",
    1702857600123456789: "2023-12-18T00:00:00.123Z",
}


@pytest.mark.parametrize("value", list(CASES), ids=str)
def test_time_normalised(value: object) -> None:
    assert normalise_time(value) == CASES[value]


@pytest.mark.parametrize(
    "value",
    ["yesterday", "", "2024-13-01T00:00:00Z", "2024-02-30T00:00:00Z", "2024-05-01", None, True, -5],
    ids=str,
)
def test_time_rejected(value: object) -> None:
    assert normalise_time(value) is None


def test_time_key_order() -> None:
    record = {"timestamp": "2024-01-01T00:00:00Z", "eventTime": "2024-05-01T10:00:00Z"}
    assert record_time(record) == "2024-05-01T10:00:00.000Z"
    assert record_time({"time": "2024-04-17T06:03:30.0000000Z"}) == "2024-04-17T06:03:30.000Z"
    assert record_time({"effective_at": 1702857600}) == "2023-12-18T00:00:00.000Z"
    assert record_time({"eventName": "InvokeModel"}) is None
