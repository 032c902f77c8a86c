"""GreyNoise Community API.

Shape from the GreyNoise API reference (docs.greynoise.io/reference/getcommunityip,
OpenAPI 3.0.0 "GreyNoise API"): ``GET /v3/community/{ip}`` with the key in header
``key``. The response carries ``noise``, ``riot``, ``classification`` (benign, malicious
or unknown), ``name`` and ``message``. An address GreyNoise has not observed gets 404
with message "IP not observed scanning the internet or contained in RIOT data set.",
and a non-routable address gets 400.
"""

from __future__ import annotations

from typing import Any

from llmjack_enrichment.providers.base import (
    Provider,
    ProviderAnswer,
    ProviderRequest,
    error_detail,
    optional_type,
    register_provider,
    require_mapping,
    require_type,
)

# Scores given to GreyNoise classifications, which carry no numeric score of their own.
CLASSIFICATION_SCORES = {"malicious": 90, "suspicious": 50, "benign": 0}


@register_provider
class GreyNoiseCommunity(Provider):
    """GreyNoise Community: mass scanners ("noise") and known business services ("riot").

    "malicious" is malicious. RIOT membership or "benign" is benign. Noise with an
    "unknown" classification is "suspicious": the address scans the internet but GreyNoise
    has not classified it yet. The Community API also answers without a key, at a lower
    rate limit.
    """

    name = "greynoise"
    display_name = "GreyNoise"
    default_url = "https://api.greynoise.io"
    key_required = False

    def build_request(self, address: str) -> ProviderRequest:
        headers = {"Accept": "application/json"}
        if self.key is not None:
            headers["key"] = self.key.reveal()
        return ProviderRequest(self.base_url + "/v3/community/" + address, {}, headers)

    def parse_ok(self, address: str, document: Any) -> ProviderAnswer:
        """Read the answer; ``noise`` and ``riot`` must be booleans, as documented.

        ``classification`` and ``name`` may be missing or null, but must be strings when
        present. Anything else (``{"data": null}``, an unrelated object) is malformed, so
        it becomes an error and is not cached as a benign answer.
        """
        data = require_mapping(document)
        noise = require_type(data, "noise", (bool,))
        riot = require_type(data, "riot", (bool,))
        classification = optional_type(data, "classification", (str,))
        name = optional_type(data, "name", (str,))

        verdict = None
        if classification == "malicious":
            verdict = "malicious"
        elif classification == "benign" or riot:
            verdict = "benign"
        elif noise:
            verdict = "suspicious"
        score = CLASSIFICATION_SCORES.get(verdict) if verdict else None
        detail = f"classification {self.excerpt(classification or 'none')}"
        if name and name != "unknown":
            detail += f", name {self.excerpt(name)}"
        return self.answer(address, "ok", verdict, score, detail)

    def parse_status(self, address: str, status_code: int, body: bytes) -> ProviderAnswer:
        message = error_detail(body, self.redact)
        if status_code == 404 and "not observed" in message.lower():
            return self.answer(address, "no_data", detail=message)
        if status_code == 400 and "routable" in message.lower():
            return self.answer(address, "not_applicable", detail=message)
        return super().parse_status(address, status_code, body)
