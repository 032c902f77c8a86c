"""Export the compiled index as an Elasticsearch enrich source.

Elasticsearch's enrich processor with a ``range`` policy matches an ``ip`` field against
documents whose ``ip_range`` field (type ``ip_range``) contains it. The export writes:

- ``index.json``: the source index mappings (``ip_range`` plus the keyword output fields)
- ``bulk.ndjson``: one document per labelled interval of the index, in bulk API format
- ``policy.json``: the range enrich policy (``match_field: ip_range``)
- ``pipeline.json``: an ingest pipeline that enriches ``source.ip`` into ``llmjack``

Each document carries the verdict that the local classification gives every address in its
interval. User allow and deny lists and online reputation are not part of the export.
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any

from llmjack_enrichment.classify import Classifier
from llmjack_enrichment.index import FeedIndex

INDEX_NAME = "llmjack-ip-reputation"
POLICY_NAME = "llmjack-ip-reputation"
PIPELINE_NAME = "llmjack-ip-reputation"
ENRICH_FIELDS = (
    "ip_class",
    "ip_tags",
    "ip_provider",
    "ip_service",
    "ip_region",
    "ip_asn",
    "ip_as_org",
    "ip_country",
)


def export_elastic(index: FeedIndex, folder: Path) -> dict[str, Any]:
    """Write the four files into ``folder`` and return a summary (file names, documents)."""
    folder.mkdir(parents=True, exist_ok=True)
    documents = _write_bulk(index, folder / "bulk.ndjson")
    _write_json(folder / "index.json", index_body())
    _write_json(folder / "policy.json", policy_body())
    _write_json(folder / "pipeline.json", pipeline_body())
    return {"folder": str(folder), "documents": documents, "index": INDEX_NAME}


def _write_bulk(index: FeedIndex, path: Path) -> int:
    classifier = Classifier()
    action = json.dumps({"index": {"_index": INDEX_NAME}})
    documents = 0
    with path.open("w", encoding="utf-8", newline="\n") as output:
        for version, first, last, labels in index.intervals():
            make = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
            low, high = str(make(first)), str(make(last))
            fields = classifier.from_labels(low, labels).fields()
            document: dict[str, Any] = {"ip_range": {"gte": low, "lte": high}}
            for name in ENRICH_FIELDS:
                if fields[name]:
                    document[name] = fields[name].split(";") if name == "ip_tags" else fields[name]
            output.write(action + "\n" + json.dumps(document, sort_keys=True) + "\n")
            documents += 1
    return documents


def index_body() -> dict[str, Any]:
    """Return the create-index body of the enrich source."""
    properties: dict[str, Any] = {"ip_range": {"type": "ip_range"}}
    properties.update({name: {"type": "keyword"} for name in ENRICH_FIELDS})
    return {"mappings": {"properties": properties}}


def policy_body() -> dict[str, Any]:
    """Return the body of ``PUT /_enrich/policy/llmjack-ip-reputation``."""
    return {
        "range": {
            "indices": INDEX_NAME,
            "match_field": "ip_range",
            "enrich_fields": list(ENRICH_FIELDS),
        }
    }


def pipeline_body() -> dict[str, Any]:
    """Return the body of ``PUT /_ingest/pipeline/llmjack-ip-reputation``."""
    return {
        "description": "Add llmjack IP reputation fields for source.ip",
        "processors": [
            {
                "enrich": {
                    "policy_name": POLICY_NAME,
                    "field": "source.ip",
                    "target_field": "llmjack",
                    "max_matches": 1,
                    "ignore_missing": True,
                }
            }
        ],
    }


def _write_json(path: Path, body: dict[str, Any]) -> None:
    path.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
