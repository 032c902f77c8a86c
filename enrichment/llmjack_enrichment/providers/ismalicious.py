"""isMalicious ``check`` endpoint.

NOTE: the isMalicious API reference (ismalicious.com/api-docs) was not available to
check. The shape here follows the integrations isMalicious publishes for IntelOwl,
MISP and OpenCTI: ``GET https://api.ismalicious.com/check?query=<ip>&enrichment=standard``
with header ``X-API-KEY`` set to Base64 of ``apiKey:apiSecret``. The response carries
``malicious`` (boolean), ``riskScore`` (``{"score": 0-100, "level": ...}``) and
``sources`` (a list of feeds with ``name`` and ``category``).
"""

from __future__ import annotations

import base64
from typing import Any

from llmjack_enrichment.providers.base import (
    Provider,
    ProviderAnswer,
    ProviderRequest,
    ProviderResponseError,
    optional_type,
    parse_score,
    register_provider,
    require_mapping,
)
from llmjack_enrichment.secrets import Secret


@register_provider
class IsMalicious(Provider):
    """isMalicious: aggregated threat feeds with a risk score.

    ``malicious: true`` is malicious; otherwise the risk score maps to a verdict through
    the configured thresholds. "Not flagged" gives no verdict, never "benign".
    """

    name = "ismalicious"
    display_name = "isMalicious"
    default_url = "https://api.ismalicious.com"

    def build_request(self, address: str) -> ProviderRequest:
        headers = {"Accept": "application/json"}
        if self.key is not None:
            headers["X-API-KEY"] = _header_value(self.key.reveal())
        params = {"query": address, "enrichment": "standard"}
        return ProviderRequest(self.base_url + "/check", params, headers)

    def sent_secrets(self) -> list[Secret]:
        """Return the key and the X-API-KEY value derived from it, which may differ."""
        if self.key is None:
            return []
        return [self.key, Secret(_header_value(self.key.reveal()))]

    def parse_ok(self, address: str, document: Any) -> ProviderAnswer:
        """Read ``malicious`` (boolean) and ``riskScore`` (``{"score": 0-100}`` or a number).

        At least one of them must be present. A score outside 0-100, or of another type,
        makes the answer malformed.
        """
        data = require_mapping(document)
        if "malicious" not in data and "riskScore" not in data:
            raise ProviderResponseError("response has neither 'malicious' nor 'riskScore'")
        malicious = optional_type(data, "malicious", (bool,))
        raw_score = data.get("riskScore")
        if isinstance(raw_score, dict):
            raw_score = raw_score.get("score")
        score = None if raw_score is None else parse_score(raw_score, "riskScore", whole=False)

        verdict = "malicious" if malicious is True else self.thresholds.verdict_for(score)
        sources = data.get("sources")
        count = len(sources) if isinstance(sources, list) else 0
        return self.answer(address, "ok", verdict, score, f"{count} listing sources")


def _header_value(key: str) -> str:
    """Return the X-API-KEY value: the key as given, or Base64 of ``apiKey:apiSecret``.

    The dashboard shows the key and the secret separately. A value with a colon is
    taken as that pair and encoded; any other value is sent as it is.
    """
    if ":" in key:
        return base64.b64encode(key.encode("utf-8")).decode("ascii")
    return key
