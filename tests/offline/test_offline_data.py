"""Tests of the shipped reference data and of pointing pySigma's loaders at it."""

from __future__ import annotations

import hashlib
import importlib
import json
from pathlib import Path

import pytest
from sigma.backends.elasticsearch import LuceneBackend
from sigma.collection import SigmaCollection
from sigma.validation import SigmaValidator
from sigma.validators.core import validators as core_validators
from sigma.validators.core.tags import ATTACKTagValidator, InvalidATTACKTagIssue
from sigma.validators.sigmahq import validators as sigmahq_validators
from sigma.validators.sigmahq.tags import SigmahqTagsTechniquesWithoutTacticsIssue

from sigma_llmjack import offline
from sigma_llmjack.offline import (
    LOADER_FILES,
    REFERENCE_DIR,
    ReferenceDataError,
    active_reference_data,
    attack_tactic_names,
    use_bundled_reference_data,
)

TAGGED_RULE = """
title: Bedrock Model Invoked
id: 5b0e9c8a-4f7e-4a9b-9c61-2f4c8e1d7a30
status: test
description: Test rule for offline ATT&CK data.
author: sigma-llmjack tests
date: 2026-01-01
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventSource: bedrock.amazonaws.com
        eventName: InvokeModel
    condition: selection
falsepositives:
    - Tests
tags:
    - attack.impact
    - attack.t1496.004
level: low
"""

# Cloud techniques that LLMjacking rules tag, with their ATT&CK Enterprise 18.1 names.
CLOUD_TECHNIQUES = {
    "T1078": "Valid Accounts",
    "T1078.004": "Cloud Accounts",
    "T1496": "Resource Hijacking",
    "T1496.004": "Cloud Service Hijacking",
    "T1562.008": "Disable or Modify Cloud Logs",
    "T1530": "Data from Cloud Storage",
    "T1580": "Cloud Infrastructure Discovery",
    "T1526": "Cloud Service Discovery",
    "T1619": "Cloud Storage Object Discovery",
    "T1651": "Cloud Administration Command",
    "T1098.001": "Additional Cloud Credentials",
    "T1136.003": "Cloud Account",
    "T1535": "Unused/Unsupported Cloud Regions",
    "T1087.004": "Cloud Account",
    "T1069.003": "Cloud Groups",
    "T1555.006": "Cloud Secrets Management Stores",
}


def loader_url(module_name: str) -> str | None:
    """Return the URL or path that a pySigma data module is set to read."""
    module = importlib.import_module(module_name)
    if module_name.startswith("sigma.data."):
        return module._custom_url
    return module.set_url.__self__._custom_url  # the SigmahqDataLoader behind the module API


def test_every_loader_points_at_shipped_file():
    use_bundled_reference_data()

    for module_name, file_name in LOADER_FILES.items():
        assert loader_url(module_name) == str(REFERENCE_DIR / file_name), module_name


def test_repeated_calls_keep_one_cache():
    use_bundled_reference_data()
    first = active_reference_data()
    use_bundled_reference_data()

    assert active_reference_data() is first
    assert first.cache_dir.is_dir()
    assert not first.cache_dir.is_relative_to(Path.home() / ".cache" / "pysigma")


def test_siem_rule_ndjson_names_attack_offline(no_network):
    use_bundled_reference_data()
    rules = SigmaCollection.from_yaml(TAGGED_RULE)

    [kibana_rule] = LuceneBackend().convert(rules, "siem_rule_ndjson")

    [threat] = kibana_rule["threat"]
    assert threat["tactic"]["id"] == "TA0040"
    assert threat["tactic"]["name"] == "Impact"
    [technique] = threat["technique"]
    assert technique["id"] == "T1496"
    assert technique["name"] == "Resource Hijacking"
    [subtechnique] = technique["subtechnique"]
    assert subtechnique["id"] == "T1496.004"
    assert subtechnique["name"] == "Cloud Service Hijacking"


def test_validators_run_offline(no_network):
    use_bundled_reference_data()
    validator = SigmaValidator({**core_validators, **sigmahq_validators}.values())
    rules = SigmaCollection.from_yaml(TAGGED_RULE.replace("attack.impact", "attack.t9999"))

    issues = validator.validate_rules(rules)

    bad_tags = [str(i.tag) for i in issues if isinstance(i, InvalidATTACKTagIssue)]
    assert bad_tags == ["attack.t9999"]
    missing = [
        i.missing_tactic for i in issues if isinstance(i, SigmahqTagsTechniquesWithoutTacticsIssue)
    ]
    assert missing == ["attack.impact"]


def test_cloud_techniques_have_names():
    use_bundled_reference_data()
    from sigma.data import mitre_attack

    techniques = mitre_attack.mitre_attack_techniques
    for technique_id, name in CLOUD_TECHNIQUES.items():
        assert techniques.get(technique_id) == name, technique_id


def test_all_enterprise_tactics_present():
    use_bundled_reference_data()
    from sigma.data import mitre_attack

    tactics = mitre_attack.mitre_attack_tactics

    assert len(tactics) == 14
    assert tactics["TA0001"] == "initial-access"
    assert tactics["TA0040"] == "impact"
    assert mitre_attack.mitre_attack_version == "18.1"


def test_sigmahq_data_covers_cloudtrail():
    use_bundled_reference_data()
    from sigma.validators.sigmahq.data import data_filename, data_taxonomy

    assert data_filename.sigmahq_filename_pattern["aws_None_None"] == "aws"
    assert "aws_None_cloudtrail" in data_taxonomy.sigmahq_taxonomy_fieldsname


def test_windows_data_loads():
    use_bundled_reference_data()
    from sigma.validators.sigmahq.data import data_windows_eventid, data_windows_provider

    assert "process_creation" in data_windows_eventid.sigmahq_category_no_eventid
    assert data_windows_provider.sigmahq_provider_name["process_creation"]


def test_manifest_matches_files():
    manifest = json.loads((REFERENCE_DIR / "manifest.json").read_text(encoding="utf-8"))

    assert set(manifest["files"]) == set(LOADER_FILES.values())
    for name, entry in manifest["files"].items():
        digest = hashlib.sha256((REFERENCE_DIR / name).read_bytes()).hexdigest()
        assert digest == entry["sha256"], name


def test_missing_file_is_reported(monkeypatch, tmp_path):
    monkeypatch.setattr(offline, "REFERENCE_DIR", tmp_path)
    monkeypatch.setattr(offline, "_state", None)

    with pytest.raises(ReferenceDataError, match="enterprise-attack.json"):
        use_bundled_reference_data()


def test_attack_tag_validator_rejects_unknown_technique():
    use_bundled_reference_data()
    validator = ATTACKTagValidator()
    rule = SigmaCollection.from_yaml(TAGGED_RULE.replace("t1496.004", "t1496.999")).rules[0]

    issues = validator.validate(rule)

    assert [str(issue.tag) for issue in issues] == ["attack.t1496.999"]


def test_bundled_pack_kibana_threat_offline(no_network):
    use_bundled_reference_data()
    from sigma.data import mitre_attack
    from sigma.rule import SigmaRule

    from sigma_llmjack.config import load_config
    from sigma_llmjack.pack import load_collection

    rules = [rule for rule in load_collection().rules if isinstance(rule, SigmaRule)]
    assert rules, "the bundled pack has no detection rules"
    detections = SigmaCollection(init_rules=rules, resolve_references=False)
    backend = LuceneBackend(processing_pipeline=load_config().placeholder_pipeline())

    kibana_rules = backend.convert(detections, "siem_rule_ndjson")

    # Rules that only feed a correlation (the correlation's generate: false) produce no output.
    assert kibana_rules
    tactics = mitre_attack.mitre_attack_tactics
    mapping = mitre_attack.mitre_attack_techniques_tactics_mapping
    for kibana_rule in kibana_rules:
        assert kibana_rule["threat"], kibana_rule["name"]
        for threat in kibana_rule["threat"]:
            tactic = tactics[threat["tactic"]["id"]]
            for technique in threat["technique"]:
                assert technique["name"], technique["id"]
                ids = [technique["id"]] + [sub["id"] for sub in technique["subtechnique"]]
                for technique_id in ids:
                    assert tactic in mapping[technique_id], (kibana_rule["name"], technique_id)


def test_tactic_display_names():
    names = attack_tactic_names()

    assert len(names) == 14
    assert names["initial-access"] == "Initial Access"
    assert names["command-and-control"] == "Command and Control"
    assert names["impact"] == "Impact"
