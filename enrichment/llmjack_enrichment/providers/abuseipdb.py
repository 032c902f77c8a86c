"""AbuseIPDB API v2 ``check`` endpoint.

Request and answer shape from the AbuseIPDB API v2 documentation (docs.abuseipdb.com,
"CHECK Endpoint"): ``GET /api/v2/check?ipAddress=...&maxAgeInDays=90`` with headers
``Key`` and ``Accept: application/json``. The response body is ``{"data": {...}}`` with
``abuseConfidenceScore`` (0-100), ``isPublic``, ``isTor``, ``isWhitelisted`` and
``usageType``. Errors
come as ``{"errors": [{"detail": ..., "status": ...}]}``.
"""

from __future__ import annotations

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


@register_provider
class AbuseIPDB(Provider):
    """AbuseIPDB: crowd-reported abuse, scored by ``abuseConfidenceScore``.

    The score maps to a verdict through the configured thresholds. A Tor exit is at
    least "suspicious". A score under the suspicious threshold gives no verdict, because
    few reports is not evidence of good behaviour; only ``isWhitelisted`` gives "benign".
    """

    name = "abuseipdb"
    display_name = "AbuseIPDB"
    default_url = "https://api.abuseipdb.com"

    def build_request(self, address: str) -> ProviderRequest:
        headers = {"Accept": "application/json"}
        if self.key is not None:
            headers["Key"] = self.key.reveal()
        params = {
            "ipAddress": address,
            "maxAgeInDays": self.options.get("max_age_days", "90"),
        }
        return ProviderRequest(self.base_url + "/api/v2/check", params, headers)

    def parse_ok(self, address: str, document: Any) -> ProviderAnswer:
        """Read ``data``; a missing or out-of-range score makes the answer malformed.

        ``abuseConfidenceScore`` must be a whole number from 0 to 100, and ``isPublic``,
        ``isTor`` and ``isWhitelisted`` booleans or null, as documented.
        """
        data = require_mapping(document, "data")
        if optional_type(data, "isPublic", (bool,)) is False:
            return self.answer(address, "not_applicable", detail="not a public address")
        if "abuseConfidenceScore" not in data:
            raise ProviderResponseError("field 'abuseConfidenceScore' is missing")
        score = parse_score(data["abuseConfidenceScore"], "abuseConfidenceScore")
        is_tor = optional_type(data, "isTor", (bool,))
        is_whitelisted = optional_type(data, "isWhitelisted", (bool,))

        verdict = self.thresholds.verdict_for(score)
        if is_tor is True and verdict is None:
            verdict = "suspicious"
        if verdict is None and is_whitelisted is True:
            verdict = "benign"
        usage = data.get("usageType")
        detail = f"score {score}"
        if isinstance(usage, str) and usage:
            detail += f", usage {self.excerpt(usage)}"
        return self.answer(address, "ok", verdict, score, detail)
