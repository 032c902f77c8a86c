"""The Bedrock rules follow the SigmaHQ conventions and the pack's own: metadata, names, layout."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
import yaml
from rule_event_cases import referenced_rule_files, rule_files
from sigma.plugins import InstalledSigmaPlugins
from sigma.validation import SigmaValidator

from sigma_llmjack.config import load_config
from sigma_llmjack.offline import use_bundled_reference_data
from sigma_llmjack.pack import load_collection

LEVELS = {"low", "medium", "high", "critical"}
CORRELATION_TYPES = {"event_count", "value_count", "temporal"}
PLACEHOLDER = re.compile(r"%(\w+)%")


def _document(rule_file: Path) -> dict:
    return yaml.safe_load(rule_file.read_text(encoding="utf-8"))


@pytest.mark.parametrize("rule_file", rule_files(), ids=lambda path: path.stem)
def test_rule_metadata(rule_file: Path) -> None:
    rule = _document(rule_file)

    uuid.UUID(rule["id"])
    assert rule["status"] == "experimental"
    assert rule["author"] == "sigma-llmjack"
    assert str(rule["date"]) == "2026-12-04"
    assert len(rule["description"]) > 100
    assert rule["references"]
    assert rule["falsepositives"]
    assert rule["level"] in LEVELS
    assert any(re.fullmatch(r"attack\.t\d{4}(\.\d{3})?", tag) for tag in rule["tags"])


@pytest.mark.parametrize("rule_file", rule_files(), ids=lambda path: path.stem)
def test_rule_shape(rule_file: Path) -> None:
    rule = _document(rule_file)

    if "correlation" in rule:
        assert rule_file.name.startswith("correlation_aws_cloudtrail_bedrock_")
        assert rule["correlation"]["type"] in CORRELATION_TYPES
        group_by = set(rule["correlation"]["group-by"])
        assert group_by & {"userIdentity.accessKeyId", "userIdentity.arn"}
    else:
        assert rule_file.name.startswith("aws_cloudtrail_bedrock_")
        assert rule["logsource"] == {"product": "aws", "service": "cloudtrail"}


@pytest.mark.parametrize("rule_file", rule_files(), ids=lambda path: path.stem)
def test_rule_indented_by_four(rule_file: Path) -> None:
    for number, line in enumerate(rule_file.read_text(encoding="utf-8").splitlines(), 1):
        indent = len(line) - len(line.lstrip(" "))
        assert indent % 4 == 0, f"line {number} is indented by {indent} spaces"


@pytest.mark.parametrize("rule_file", rule_files(), ids=lambda path: path.stem)
def test_detection_values_quoted(rule_file: Path) -> None:
    text = rule_file.read_text(encoding="utf-8")
    if "detection:" not in text:
        return
    block = text.split("detection:", 1)[1].split("\nfalsepositives:", 1)[0]
    for line in block.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("condition:"):
            continue
        value = stripped[2:] if stripped.startswith("- ") else stripped.partition(": ")[2]
        if value and value != "null":
            assert value[0] in "'\"", f"unquoted value in: {stripped}"


@pytest.mark.parametrize("rule_file", rule_files(), ids=lambda path: path.stem)
def test_values_in_log_casing(rule_file: Path) -> None:
    """Check that values are written as CloudTrail writes them.

    Elastic keyword fields compare case-sensitively, so the pack never relies on Sigma's case
    folding for event sources, API names, error codes and regions.
    """
    detection = _document(rule_file).get("detection") or {}
    for selection in detection.values():
        if not isinstance(selection, dict):
            continue
        for key, values in selection.items():
            field = key.split("|")[0]
            for value in values if isinstance(values, list) else [values]:
                if value is None or "%" in value:
                    continue
                if field == "eventSource":
                    assert re.fullmatch(r"[a-z-]+\.amazonaws\.com", value), value
                elif field in ("eventName", "errorCode"):
                    assert re.fullmatch(r"[A-Z][A-Za-z]+", value), value
                elif field == "awsRegion":
                    assert re.fullmatch(r"[a-z]+(-[a-z]+)+-\d", value), value


def test_rule_ids_unique() -> None:
    ids = [_document(path)["id"] for path in rule_files()]
    assert len(ids) == len(set(ids))


def test_placeholders_have_defaults() -> None:
    defaults = load_config().placeholders
    for rule_file in rule_files():
        for name in PLACEHOLDER.findall(rule_file.read_text(encoding="utf-8")):
            assert name in defaults, f"{rule_file.name} uses %{name}% without a default"


def test_base_rules_referenced() -> None:
    referenced = {path for rule in rule_files() for path in referenced_rule_files(rule)}
    named = {path for path in rule_files() if "name" in _document(path)}
    assert named == referenced


def test_sigmahq_validators_clean() -> None:
    use_bundled_reference_data()
    validators = InstalledSigmaPlugins.autodiscover().validators.values()
    assert len(validators) > 50
    issues = SigmaValidator(list(validators)).validate_rules(load_collection(rule_files()).rules)
    described = [f"{type(issue).__name__}: {issue.rules[0].title}" for issue in issues]
    assert described == []
