"""Fixtures that forbid network access, so a test fails if pySigma tries to download data."""

from __future__ import annotations

import socket

import pytest


class NetworkAccessError(AssertionError):
    """Raised when code under test opens a network connection or resolves a host name."""


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbid(*args: object, **kwargs: object) -> None:
        raise NetworkAccessError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", forbid)
    monkeypatch.setattr(socket.socket, "connect_ex", forbid)
    monkeypatch.setattr(socket, "getaddrinfo", forbid)
    monkeypatch.setattr(socket, "create_connection", forbid)
