"""Helpers of the enrichment tests: fixture feeds in a data folder, an ASN database."""

from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FEEDS = Path(__file__).parent / "fixtures" / "feeds"
ENTRY_SCRIPT = REPO / "enrichment" / "bin" / "llmjack_ip_reputation.py"

# Feed sections for a settings file that uses the fixtures instead of downloads.
FIXTURE_FEEDS = {
    "tor": ("tor-exit-list", "tor", "tor-exit-list.txt", ""),
    "aws": ("aws", "cloud", "aws-ip-ranges.json", ""),
    "gcp": ("gcp", "cloud", "gcp-cloud.json", ""),
    "azure": ("azure", "cloud", "azure-service-tags.json", ""),
    "oracle": ("oracle", "cloud", "oracle-ip-ranges.json", ""),
    "cloudflare-v4": ("cidr", "cloud", "cloudflare-ips-v4.txt", "cloudflare"),
    "datacenters": ("cidr", "hosting", "firehol-datacenters.netset", ""),
    "vpn": ("cidr", "vpn", "vpn-exits.txt", "vpn-list"),
    "geo": ("geofeed", "vpn", "geofeed.csv", "geo-vpn"),
    "hosting-asns": ("asn-list", "hosting", "hosting-asns.csv", ""),
    "asn-db": ("mmdb-asn", "asn", "asn.mmdb", ""),
}


def write_asn_mmdb(path: Path) -> None:
    """Write a small GeoLite2-ASN-shaped database with the mmdb-writer package."""
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    writer = MMDBWriter(ip_version=6, database_type="GeoLite2-ASN", ipv4_compatible=True)
    records = {
        "51.68.0.0/16": (16276, "OVH SAS"),
        "64.225.0.0/17": (14061, "DIGITALOCEAN-ASN"),
        "73.0.0.0/8": (7922, "COMCAST-7922"),
        "89.187.160.0/19": (9009, "M247 Europe SRL"),
        "9.9.9.0/24": (19281, "QUAD9-AS-1"),
        "2a01:4f8::/32": (24940, "Hetzner Online GmbH"),
    }
    for network, (number, organisation) in records.items():
        record = {
            "autonomous_system_number": number,
            "autonomous_system_organization": organisation,
        }
        writer.insert_network(IPSet([network]), record)
    writer.to_db_file(str(path))


def write_settings(folder: Path, feeds: dict | None = None, extra: str = "") -> Path:
    """Write a settings file whose feeds point at copies of the fixtures in ``folder/data``."""
    data = folder / "data"
    (data / "feeds").mkdir(parents=True, exist_ok=True)
    lines = ["[enrichment]", "data_dir = data", ""]
    for name, (format_name, category, file_name, provider) in (feeds or FIXTURE_FEEDS).items():
        target = data / "feeds" / file_name
        if file_name == "asn.mmdb":
            write_asn_mmdb(target)
        else:
            shutil.copyfile(FEEDS / file_name, target)
        lines += [f"[feed:{name}]", f"format = {format_name}", f"category = {category}"]
        lines += [f"file = {file_name}", "url ="]
        if provider:
            lines.append(f"provider = {provider}")
        lines.append("")
    # Disable the default feeds the fixtures do not replace.
    for name in ("cloudflare-v6",):
        lines += [f"[feed:{name}]", "enabled = false", ""]
    path = folder / "llmjack_enrichment.conf"
    path.write_text("\n".join(lines) + extra, encoding="utf-8")
    return path
