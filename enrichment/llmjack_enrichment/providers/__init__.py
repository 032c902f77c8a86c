"""Online reputation providers: one module per service, all behind ``Provider``."""

from __future__ import annotations

from llmjack_enrichment.providers import abuseipdb, greynoise, ismalicious
from llmjack_enrichment.providers.base import (
    Provider,
    ProviderAnswer,
    ProviderRequest,
    ScoreThresholds,
    register_provider,
    registered_providers,
)

__all__ = [
    "Provider",
    "ProviderAnswer",
    "ProviderRequest",
    "ScoreThresholds",
    "abuseipdb",
    "greynoise",
    "ismalicious",
    "provider_classes",
    "register_provider",
]


def provider_classes() -> dict[str, type[Provider]]:
    """Return every registered provider class by name, built-in ones included."""
    return dict(registered_providers())
