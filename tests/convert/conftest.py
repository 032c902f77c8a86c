"""Fixtures of the converter tests: case rules, conversion helpers and a network guard."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest
from convert_paths import CASES_DIR

from sigma_llmjack.config import SiteConfig, load_config
from sigma_llmjack.convert import ConversionResult, convert_rules


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="Rewrite tests/golden from the current conversion output instead of comparing.",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture
def connection_attempts(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Fail every outbound connection and record its address, so a test can assert none."""
    attempts: list[object] = []

    def refuse(self: socket.socket, address: object) -> None:
        attempts.append(address)
        raise OSError(f"network access during a converter test: {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    yield attempts


@pytest.fixture
def site_config() -> SiteConfig:
    return load_config()


@pytest.fixture
def convert_case(
    site_config: SiteConfig, connection_attempts: list[object]
) -> Callable[..., ConversionResult]:
    """Convert one rule file of tests/convert/cases for a target and format."""

    def run(name: str, target: str, output_format: str | None = None) -> ConversionResult:
        return convert_rules(target, output_format, site_config, [CASES_DIR / f"{name}.yml"])

    return run


@pytest.fixture
def case_query(convert_case: Callable[..., ConversionResult]) -> Callable[[str, str], str]:
    """Return the single plain query of a case rule for a target, failing on any rule error."""

    def run(name: str, target: str) -> str:
        result = convert_case(name, target)
        assert result.failed == [], [failure.reason for failure in result.failed]
        assert len(result.converted) == 1
        queries = result.converted[-1].queries
        assert len(queries) == 1
        return str(queries[0])

    return run
