"""Tests of the checks behind ``llmjack check``, on small rule files in a temporary folder."""

from __future__ import annotations

import pytest
import yaml
from rule_samples import GOOD_CORRELATION, GOOD_ID, GOOD_RULE, rule
from sigma.validators.base import SigmaRuleValidator

from sigma_llmjack import validation
from sigma_llmjack.config import load_config
from sigma_llmjack.conventions import Severity
from sigma_llmjack.errors import RuleLoadError
from sigma_llmjack.pack import rule_files
from sigma_llmjack.validation import DISABLED_VALIDATORS, check_rules, enabled_validators

GOOD_NAME = "aws_cloudtrail_bedrock_test_invoke.yml"


def run_check(tmp_path):
    return check_rules([tmp_path], load_config())


def errors_by_check(report) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for finding in report.errors:
        result.setdefault(finding.validator, []).append(finding.message)
    return result


def test_good_rule_passes(tmp_path, write_rule):
    write_rule(GOOD_NAME, GOOD_RULE)

    report = run_check(tmp_path)

    assert report.errors == []
    assert report.rules == 1
    assert report.files == 1


def test_good_correlation_passes(tmp_path, write_rule):
    write_rule(GOOD_NAME, GOOD_RULE)
    write_rule("correlation_aws_cloudtrail_bedrock_test_burst.yml", GOOD_CORRELATION)

    report = run_check(tmp_path)

    assert report.errors == []
    assert report.rules == 2


def test_duplicate_id_names_both_files(tmp_path, write_rule):
    write_rule(GOOD_NAME, GOOD_RULE)
    write_rule("aws_cloudtrail_bedrock_test_copy.yml", rule(name="aws_cloudtrail_copy"))

    report = run_check(tmp_path)

    duplicates = [f for f in report.errors if f.validator == "unique-id"]
    assert {f.file.rsplit("/", 1)[-1] for f in duplicates} == {
        GOOD_NAME,
        "aws_cloudtrail_bedrock_test_copy.yml",
    }
    assert all(GOOD_ID in f.message for f in duplicates)


def test_duplicate_name_is_error(tmp_path, write_rule):
    write_rule(GOOD_NAME, GOOD_RULE)
    write_rule(
        "aws_cloudtrail_bedrock_test_copy.yml", rule(id="0f3c2b8e-2d3a-4c51-8f0e-6f1d2a3b4c5d")
    )

    messages = errors_by_check(run_check(tmp_path))["unique-id"]

    assert len(messages) == 2
    assert all("aws_cloudtrail_bedrock_test_invoke" in message for message in messages)


def test_id_must_be_uuid(tmp_path, write_rule):
    write_rule(GOOD_NAME, rule(id="bedrock-test-1"))

    report = run_check(tmp_path)

    messages = errors_by_check(report)["uuid"]
    assert len(messages) == 1
    assert "'bedrock-test-1' is not a UUID" in messages[0]
    assert "sigma-parse" not in errors_by_check(report)


def test_id_must_be_canonical(tmp_path, write_rule):
    write_rule(GOOD_NAME, rule(id=GOOD_ID.upper()))

    messages = errors_by_check(run_check(tmp_path))["uuid"]

    assert messages == [f"id '{GOOD_ID.upper()}' is not in canonical form; write it as {GOOD_ID}"]


def test_missing_id_is_error(tmp_path, write_rule):
    write_rule(GOOD_NAME, rule(id=None))

    messages = errors_by_check(run_check(tmp_path))["uuid"]

    assert messages[0].startswith("missing 'id'")


def test_missing_placeholder_value(tmp_path, write_rule):
    detection = dict(GOOD_RULE["detection"])
    detection["filter_region"] = {"awsRegion|expand": "%site_regions_nobody_defined%"}
    detection["condition"] = "selection and not 1 of filter_*"
    write_rule(GOOD_NAME, rule(detection=detection))

    messages = errors_by_check(run_check(tmp_path))["placeholder"]

    assert len(messages) == 1
    assert "%site_regions_nobody_defined%" in messages[0]
    assert "site-defaults.yml" in messages[0]


def test_site_config_named_in_message(tmp_path, write_rule):
    detection = dict(GOOD_RULE["detection"], filter_x={"awsRegion|expand": "%undefined_name%"})
    detection["condition"] = "selection and not 1 of filter_*"
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    (rules_dir / GOOD_NAME).write_text(yaml.safe_dump(rule(detection=detection)))
    site = tmp_path / "site.yml"
    site.write_text("placeholders:\n  llmjack_automation_identities: ['arn:aws:iam::1:user/ci']\n")

    report = check_rules([rules_dir], load_config(site))

    [finding] = [f for f in report.errors if f.validator == "placeholder"]
    assert str(site) in finding.message


def test_filename_must_match_pattern(tmp_path, write_rule):
    write_rule("Bedrock-Test.yml", GOOD_RULE)

    messages = errors_by_check(run_check(tmp_path))["filename"]

    assert len(messages) == 1
    assert "lower-case words joined by '_'" in messages[0]


def test_filename_must_start_with_logsource(tmp_path, write_rule):
    write_rule("gcp_audit_bedrock_test_invoke.yml", GOOD_RULE)

    messages = errors_by_check(run_check(tmp_path))["filename"]

    assert messages == [
        "file name 'gcp_audit_bedrock_test_invoke.yml' must start with aws_cloudtrail_ "
        "(product_service_...)"
    ]


def test_yaml_extension_is_rejected(tmp_path, write_rule):
    write_rule("aws_cloudtrail_bedrock_test_invoke.yaml", GOOD_RULE)

    assert "filename" in errors_by_check(run_check(tmp_path))


def test_correlation_file_takes_rule_prefix(tmp_path, write_rule):
    write_rule(GOOD_NAME, GOOD_RULE)
    write_rule("correlation_bedrock_test_burst.yml", GOOD_CORRELATION)

    messages = errors_by_check(run_check(tmp_path))["filename"]

    assert messages == [
        "file name 'correlation_bedrock_test_burst.yml' must start with aws_cloudtrail_ "
        "(product_service_...)"
    ]


def test_unknown_attack_technique(tmp_path, write_rule):
    write_rule(GOOD_NAME, rule(tags=["attack.impact", "attack.t9999"]))

    messages = errors_by_check(run_check(tmp_path))["attacktag"]

    assert messages == ["Invalid MITRE ATT&CK tagging (tag: attack.t9999)"]


def test_tag_without_namespace(tmp_path, write_rule):
    write_rule(GOOD_NAME, rule(tags=["impact", "attack.t1496.004"]))

    messages = errors_by_check(run_check(tmp_path))["sigma-parse"]

    assert len(messages) == 1
    assert "namespace" in messages[0]


def test_technique_needs_its_tactic(tmp_path, write_rule):
    write_rule(GOOD_NAME, rule(tags=["attack.discovery", "attack.t1496.004"]))

    errors = errors_by_check(run_check(tmp_path))

    assert "sigmahq_tags_techniques_without_tactics" in errors
    assert "attack.impact" in errors["sigmahq_tags_techniques_without_tactics"][0]


def test_elastic_pairing_is_warned(tmp_path, write_rule):
    tags = ["attack.persistence", "attack.impact", "attack.t1496.004", "attack.t1078.004"]
    tags += ["attack.initial-access", "attack.privilege-escalation", "attack.defense-evasion"]
    write_rule(GOOD_NAME, rule(tags=tags))

    report = run_check(tmp_path)

    pairing = [f.message for f in report.warnings if f.validator == "attack-tags"]
    assert len(pairing) == 2
    assert any("attack.persistence lands on attack.t1496.004" in m for m in pairing)
    assert any("attack.impact lands on attack.t1078.004" in m for m in pairing)
    assert report.errors == []


def test_paired_tags_are_not_warned(tmp_path, write_rule):
    tags = ["attack.impact", "attack.initial-access", "attack.t1496.004", "attack.t1078.004"]
    tags += ["attack.persistence", "attack.privilege-escalation", "attack.defense-evasion"]
    write_rule(GOOD_NAME, rule(tags=tags))

    report = run_check(tmp_path)

    assert report.findings == []


def test_missing_required_fields(tmp_path, write_rule):
    write_rule(GOOD_NAME, rule(author=None, falsepositives=[], date=None))

    messages = errors_by_check(run_check(tmp_path))["required-fields"]

    assert messages == ["missing required field(s): falsepositives, author, date"]


def test_tags_need_attack_namespace(tmp_path, write_rule):
    write_rule(GOOD_NAME, rule(tags=["detection.threat-hunting"]))

    messages = errors_by_check(run_check(tmp_path))["required-fields"]

    assert messages == ["missing required field(s): tags (no attack.* tag)"]


def test_invalid_yaml_is_one_finding(tmp_path, write_rule):
    write_rule(GOOD_NAME, GOOD_RULE)
    write_rule("aws_cloudtrail_bedrock_broken.yml", "title: [unclosed\nid: x\n")

    report = run_check(tmp_path)

    [finding] = report.errors
    assert finding.validator == "yaml"
    assert finding.file.endswith("aws_cloudtrail_bedrock_broken.yml")
    assert finding.message.startswith("invalid YAML")


def test_yaml_list_is_not_sigma(tmp_path, write_rule):
    write_rule("aws_cloudtrail_bedrock_list.yml", "- InvokeModel\n- Converse\n")

    [finding] = run_check(tmp_path).errors

    assert finding.validator == "sigma-parse"
    assert "is a list, not a Sigma rule" in finding.message


def test_mapping_without_detection(tmp_path, write_rule):
    write_rule("aws_cloudtrail_bedrock_notes.yml", "owner: platform team\nreviewed: yes\n")

    errors = errors_by_check(run_check(tmp_path))

    assert any("title" in message for message in errors["sigma-parse"])
    assert any("detection" in message for message in errors["sigma-parse"])
    assert "required-fields" in errors


def test_empty_file_is_error(tmp_path, write_rule):
    write_rule("aws_cloudtrail_bedrock_empty.yml", "")

    [finding] = run_check(tmp_path).errors

    assert finding.message == "the file contains no Sigma rule"


def test_correlation_unknown_reference(tmp_path, write_rule):
    write_rule("correlation_aws_cloudtrail_bedrock_test_burst.yml", GOOD_CORRELATION)

    messages = errors_by_check(run_check(tmp_path))["correlation-reference"]

    assert messages == [
        "references the rule 'aws_cloudtrail_bedrock_test_invoke', which no checked file "
        "defines by name or id"
    ]


def test_correlation_reference_to_broken_rule(tmp_path, write_rule):
    write_rule(GOOD_NAME, rule(detection={"selection": {"eventName": "x"}}))
    write_rule("correlation_aws_cloudtrail_bedrock_test_burst.yml", GOOD_CORRELATION)

    messages = errors_by_check(run_check(tmp_path))["correlation-reference"]

    assert messages == [
        "references the rule 'aws_cloudtrail_bedrock_test_invoke', which has errors of its own"
    ]


def test_unconvertible_rule(tmp_path, write_rule):
    keywords = {"keywords": ["InvokeModel"], "condition": "keywords"}
    write_rule(GOOD_NAME, rule(detection=keywords))

    messages = errors_by_check(run_check(tmp_path))["sqlite-conversion"]

    assert len(messages) == 1
    assert "not supported by the backend" in messages[0]


def test_bad_condition_is_parse_error(tmp_path, write_rule):
    detection = dict(GOOD_RULE["detection"], condition="selection and and")
    write_rule(GOOD_NAME, rule(detection=detection))

    report = run_check(tmp_path)

    assert "sigma-parse" in errors_by_check(report)
    assert "sqlite-conversion" not in errors_by_check(report)


def test_missing_path_raises(tmp_path):
    with pytest.raises(RuleLoadError, match="no such rule file or folder"):
        check_rules([tmp_path / "absent"], load_config())


def test_disabled_validators_exist():
    from sigma.validators.core import validators as core_validators
    from sigma.validators.sigmahq import validators as sigmahq_validators

    known = set(core_validators) | set(sigmahq_validators)
    assert set(DISABLED_VALIDATORS) <= known
    assert not set(DISABLED_VALIDATORS) & set(enabled_validators())


def test_bundled_pack_passes_check():
    assert rule_files(), "the bundled pack has no rule files"

    report = check_rules([], load_config())

    assert report.rules > 0
    assert [finding.format() for finding in report.errors] == []
    assert all(finding.severity is Severity.WARNING for finding in report.findings)


def test_crashing_validator_is_a_finding(tmp_path, write_rule, monkeypatch):
    class ExplodingValidator(SigmaRuleValidator):
        def validate(self, rule):
            raise RuntimeError("boom")

    monkeypatch.setattr(validation, "enabled_validators", lambda: {"exploding": ExplodingValidator})
    write_rule(GOOD_NAME, GOOD_RULE)
    write_rule("correlation_aws_cloudtrail_bedrock_test_burst.yml", GOOD_CORRELATION)

    report = run_check(tmp_path)

    messages = errors_by_check(report)["exploding"]
    assert messages == ["the validator failed: boom", "the validator failed: boom"]
    assert {f.rule_id for f in report.errors} == {GOOD_ID, GOOD_CORRELATION["id"]}


def test_non_utf8_file_is_one_finding(tmp_path, write_rule):
    write_rule(GOOD_NAME, GOOD_RULE)
    (tmp_path / "aws_cloudtrail_bedrock_latin1.yml").write_bytes(b"title: Caf\xe9\n")

    [finding] = run_check(tmp_path).errors

    assert finding.validator == "yaml"
    assert finding.file.endswith("aws_cloudtrail_bedrock_latin1.yml")
    assert finding.message == (
        "cannot read file: not UTF-8 (invalid continuation byte at byte 10); save it as UTF-8"
    )


def test_duplicate_id_in_one_file(tmp_path, write_rule):
    write_rule(GOOD_NAME, GOOD_RULE, rule(name="aws_cloudtrail_bedrock_second"))

    messages = errors_by_check(run_check(tmp_path))["unique-id"]

    expected = f"id '{GOOD_ID}' is also used by another rule in the same file; every rule needs"
    assert messages == [expected + " its own id"] * 2


def test_folder_without_rules_is_error(tmp_path):
    (tmp_path / "README.md").write_text("no rules here\n")

    report = run_check(tmp_path)

    [finding] = report.errors
    assert finding.validator == "rule-files"
    assert finding.message.startswith("no .yml or .yaml rule files found")


@pytest.mark.parametrize(
    ("attribute", "expected"),
    [
        ({"fields": ["a", "b", "c", "d"], "history": "14d"}, "1 to 3 field names"),
        ({"fields": ["awsRegion"], "history": "forever"}, "a number with m, h or d"),
        ({"fields": ["awsRegion"], "history": "0d"}, "a number with m, h or d"),
        ({"field": ["awsRegion"], "history": "14d"}, "unknown key(s) field"),
        ({"fields": ["awsRegion"], "histroy": "14d"}, "unknown key(s) histroy"),
        ("awsRegion", "must have 'fields'"),
    ],
)
def test_new_terms_attribute_checked_like_convert(tmp_path, write_rule, attribute, expected):
    write_rule(GOOD_NAME, rule(llmjack_new_terms=attribute))

    errors = errors_by_check(run_check(tmp_path))

    assert len(errors["new-terms"]) == 1
    assert expected in errors["new-terms"][0]


def test_new_terms_valid_attribute_passes(tmp_path, write_rule):
    attribute = {"fields": ["userIdentity.accessKeyId", "awsRegion"], "history": "14d"}
    write_rule(GOOD_NAME, rule(llmjack_new_terms=attribute))

    assert "new-terms" not in errors_by_check(run_check(tmp_path))
