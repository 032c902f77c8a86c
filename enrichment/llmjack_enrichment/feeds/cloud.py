"""Parsers for the cloud providers' published range files: AWS, GCP, Azure and Oracle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from llmjack_enrichment.errors import FeedFormatError
from llmjack_enrichment.feeds.base import FeedPrefix, Network, parse_network, require_entries


def load_json(path: Path) -> Any:
    """Read a JSON feed, turning decode errors into FeedFormatError with the line number."""
    try:
        # utf-8-sig drops a byte order mark, which some tools write before JSON.
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise FeedFormatError(str(path), f"not UTF-8 text ({error.reason})") from None
    except OSError as error:
        raise FeedFormatError(str(path), f"cannot read: {error.strerror}") from None
    if not text.strip():
        raise FeedFormatError(str(path), "file is empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        message = f"invalid JSON: {error.msg} at column {error.colno}"
        raise FeedFormatError(str(path), message, error.lineno) from None


def _items(document: Any, key: str, path: Path, optional: bool = False) -> list[Any]:
    if isinstance(document, dict) and optional and key not in document:
        return []
    if not isinstance(document, dict) or not isinstance(document.get(key), list):
        raise FeedFormatError(str(path), f"expected a JSON object with a list under {key!r}")
    return document[key]


def _text(item: Any, key: str, path: Path, where: str) -> str:
    if not isinstance(item, dict) or not isinstance(item.get(key, ""), str):
        raise FeedFormatError(str(path), f"{where}: expected an object with a text {key!r}")
    return item.get(key, "")


def parse_aws(path: Path) -> list[FeedPrefix]:
    """Parse AWS ``ip-ranges.json`` (``prefixes`` and ``ipv6_prefixes``).

    AWS lists every prefix under the catch-all service ``AMAZON`` and again under the service
    that uses it (``EC2``, ``S3``...), so the named service gets the higher rank.
    """
    document = load_json(path)
    prefixes = []
    for key, prefix_key in (("prefixes", "ip_prefix"), ("ipv6_prefixes", "ipv6_prefix")):
        # Trimmed copies of the file, such as IPv4-only extracts, leave out ipv6_prefixes.
        for position, item in enumerate(_items(document, key, path, key == "ipv6_prefixes")):
            where = f"{key}[{position}]"
            text = _text(item, prefix_key, path, where)
            if not text:
                raise FeedFormatError(str(path), f"{where}: missing {prefix_key!r}")
            service = _text(item, "service", path, where)
            fields = {"provider": "aws", "service": service}
            fields["region"] = _text(item, "region", path, where)
            rank = 0 if service == "AMAZON" else 1
            prefixes.append(FeedPrefix(parse_network(text, f"{path} {where}"), fields, rank))
    return require_entries(prefixes, path)


def parse_gcp(path: Path) -> list[FeedPrefix]:
    """Parse Google Cloud ``cloud.json``: ``ipv4Prefix`` or ``ipv6Prefix``, service, scope."""
    prefixes = []
    for position, item in enumerate(_items(load_json(path), "prefixes", path)):
        where = f"prefixes[{position}]"
        text = _text(item, "ipv4Prefix", path, where) or _text(item, "ipv6Prefix", path, where)
        if not text:
            raise FeedFormatError(str(path), f"{where}: missing ipv4Prefix or ipv6Prefix")
        fields = {"provider": "gcp", "service": _text(item, "service", path, where)}
        fields["region"] = _text(item, "scope", path, where)
        prefixes.append(FeedPrefix(parse_network(text, f"{path} {where}"), fields))
    return require_entries(prefixes, path)


def parse_azure(path: Path) -> list[FeedPrefix]:
    """Parse an Azure service tags file (``values[].properties.addressPrefixes``).

    One prefix appears under several tags (``AzureCloud``, ``AzureCloud.eastus``,
    ``Storage.EastUS``); a tag with a system service and a region ranks highest. A prefix whose
    best tag has no region (``CognitiveServicesManagement``) takes the region of the most
    specific regional tag that covers it.
    """
    best: dict[Network, FeedPrefix] = {}
    regions: dict[Network, str] = {}
    for position, item in enumerate(_items(load_json(path), "values", path)):
        where = f"values[{position}]"
        name = _text(item, "name", path, where)
        properties = item.get("properties") if isinstance(item, dict) else None
        if not isinstance(properties, dict) or not isinstance(
            properties.get("addressPrefixes"), list
        ):
            raise FeedFormatError(str(path), f"{where}: missing properties.addressPrefixes")
        service = _text(properties, "systemService", path, where)
        region = _text(properties, "region", path, where)
        fields = {"provider": "azure", "service": service or name.split(".")[0], "region": region}
        rank = 2 * bool(service) + bool(region)
        for text in properties["addressPrefixes"]:
            network = parse_network(str(text), f"{path} {where}")
            if region:
                regions.setdefault(network, region)
            current = best.get(network)
            if current is None or current.rank < rank:
                best[network] = FeedPrefix(network, fields, rank)
    prefixes = [_with_region(prefix, regions) for prefix in best.values()]
    return require_entries(prefixes, path)


def _with_region(prefix: FeedPrefix, regions: dict[Network, str]) -> FeedPrefix:
    if prefix.fields.get("region"):
        return prefix
    network = prefix.network
    for length in range(network.prefixlen, -1, -1):
        region = regions.get(network.supernet(new_prefix=length))
        if region:
            return FeedPrefix(network, {**prefix.fields, "region": region}, prefix.rank)
    return prefix


def parse_oracle(path: Path) -> list[FeedPrefix]:
    """Parse Oracle Cloud ``public_ip_ranges.json`` (``regions[].cidrs[].cidr`` and tags)."""
    prefixes = []
    for position, region in enumerate(_items(load_json(path), "regions", path)):
        where = f"regions[{position}]"
        name = _text(region, "region", path, where)
        for inner, item in enumerate(_items(region, "cidrs", path)):
            text = _text(item, "cidr", path, f"{where}.cidrs[{inner}]")
            tags = item.get("tags", [])
            if not isinstance(tags, list):
                raise FeedFormatError(str(path), f"{where}.cidrs[{inner}]: tags is not a list")
            fields = {"provider": "oracle", "service": ",".join(str(t) for t in tags)}
            fields["region"] = name
            prefixes.append(FeedPrefix(parse_network(text, f"{path} {where}"), fields))
    return require_entries(prefixes, path)
