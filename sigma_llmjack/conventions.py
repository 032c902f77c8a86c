"""The pack's own rule conventions, checked on the raw YAML documents of each file.

Working on the raw documents lets ``llmjack check`` report a missing field or a bad file name
even for a rule that pySigma cannot parse. Documents with an ``action`` key (pySigma's
global/reset/repeat collection actions) are skipped, because their fields are only complete
after pySigma merges them.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sigma.correlations import SigmaCorrelationRule
from sigma.rule import SigmaRule

from sigma_llmjack.offline import use_bundled_reference_data

if TYPE_CHECKING:
    from sigma_llmjack.validation import ParsedFile

REQUIRED_FIELDS = ("description", "falsepositives", "level", "author", "date", "tags")
FILE_NAME = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+\.yml$")
# The Elastic backend's test for a technique tag: every other attack.* tag counts as a tactic.
ELASTIC_TECHNIQUE_TAG = re.compile(r"^attack\.[tT]\d{4}")


class Severity(Enum):
    """Severity of a finding: an error makes ``llmjack check`` exit with status 1."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One problem in one rule file: the file, the rule, the check that found it and why."""

    file: str
    rule_id: str
    validator: str
    severity: Severity
    message: str

    @classmethod
    def error(cls, path: Path | str, rule_id: str | None, validator: str, message: str) -> Finding:
        return cls(display_file(path), rule_id or "-", validator, Severity.ERROR, message)

    @classmethod
    def warning(
        cls, path: Path | str, rule_id: str | None, validator: str, message: str
    ) -> Finding:
        return cls(display_file(path), rule_id or "-", validator, Severity.WARNING, message)

    def format(self) -> str:
        return (
            f"{self.file}: {self.rule_id}: {self.severity.value}: {self.validator}: {self.message}"
        )


def display_file(path: Path | str) -> str:
    """Return ``path`` relative to the working folder when it lies inside it."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def rule_label(rule: SigmaRule | SigmaCorrelationRule) -> str:
    """Return the id of a parsed rule, or its name or title when it has no id."""
    return str(rule.id) if rule.id else (rule.name or rule.title or "-")


def document_label(document: dict[str, Any]) -> str:
    """Return the id of a raw rule document, or its name or title when it has no id."""
    for key in ("id", "name", "title"):
        if document.get(key):
            return str(document[key])
    return "-"


def identifier_findings(documents: list[tuple[Path, dict[str, Any]]]) -> list[Finding]:
    """Check that every rule has a canonical UUID id and that ids and names are unique."""
    findings = []
    owners: dict[tuple[str, str], list[Path]] = defaultdict(list)
    for path, document in documents:
        label = document_label(document)
        value = document.get("id")
        if value is None:
            message = f"missing 'id'; add a random UUID such as {uuid.uuid4()}"
            findings.append(Finding.error(path, label, "uuid", message))
        else:
            findings += uuid_findings(path, label, value)
            owners[("id", str(value).lower())].append(path)
        if document.get("name"):
            owners[("name", str(document["name"]))].append(path)

    for (kind, value), paths in owners.items():
        if len(paths) < 2:
            continue
        for path in paths:
            others = ", ".join(display_file(other) for other in paths if other != path)
            where = others or "another rule in the same file"
            message = f"{kind} '{value}' is also used by {where}; every rule needs its own {kind}"
            findings.append(
                Finding.error(path, value if kind == "id" else None, "unique-id", message)
            )
    return findings


def uuid_findings(path: Path, label: str, value: Any) -> list[Finding]:
    try:
        parsed = uuid.UUID(str(value))
    except ValueError:
        message = f"id '{value}' is not a UUID; use a random UUID such as {uuid.uuid4()}"
        return [Finding.error(path, label, "uuid", message)]
    if str(parsed) != str(value):
        message = f"id '{value}' is not in canonical form; write it as {parsed}"
        return [Finding.error(path, label, "uuid", message)]
    return []


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, (str, list, dict)) and not value)


def required_field_findings(documents: list[tuple[Path, dict[str, Any]]]) -> list[Finding]:
    """Check that each rule has every field the pack requires, and at least one attack.* tag."""
    findings = []
    for path, document in documents:
        missing = [name for name in REQUIRED_FIELDS if is_empty(document.get(name))]
        tags = document.get("tags") or []
        if "tags" not in missing and not any(str(tag).startswith("attack.") for tag in tags):
            missing.append("tags (no attack.* tag)")
        if missing:
            message = f"missing required field(s): {', '.join(missing)}"
            findings.append(
                Finding.error(path, document_label(document), "required-fields", message)
            )
    return findings


def attack_mapping() -> dict[str, list[str]]:
    """Return ATT&CK technique id -> tactic short names from the shipped data."""
    use_bundled_reference_data()
    from sigma.data import mitre_attack

    return mitre_attack.mitre_attack_techniques_tactics_mapping


def elastic_pairing_findings(
    path: Path, label: str, tags: list[str], mapping: dict[str, list[str]]
) -> list[Finding]:
    """Warn when the Elastic backend would pair a tactic with a technique outside that tactic.

    pysigma-backend-elasticsearch 2.1.1 writes Kibana ``threat`` entries by pairing the n-th
    tactic tag with the n-th technique tag, and drops techniques left without a partner.
    """
    techniques = [tag for tag in tags if ELASTIC_TECHNIQUE_TAG.match(tag)]
    tactics = [tag for tag in tags if not ELASTIC_TECHNIQUE_TAG.match(tag)]
    findings = []
    for tactic, technique in zip(tactics, techniques, strict=False):
        expected = mapping.get(technique.split(".", 1)[1].upper())
        if expected is not None and tactic.split(".", 1)[1].replace("_", "-") not in expected:
            message = (
                f"Kibana rules pair the n-th tactic tag with the n-th technique tag, so {tactic} "
                f"lands on {technique}; list one tactic of each technique first, in the order of "
                "the technique tags"
            )
            findings.append(Finding.warning(path, label, "attack-tags", message))
    for technique in techniques[len(tactics) :]:
        message = f"Kibana rules drop {technique}: no tactic tag is left to pair it with"
        findings.append(Finding.warning(path, label, "attack-tags", message))
    return findings


def attack_tag_findings(documents: list[tuple[Path, dict[str, Any]]]) -> list[Finding]:
    mapping = attack_mapping()
    findings = []
    for path, document in documents:
        tags = document.get("tags")
        if not isinstance(tags, list):
            continue
        attack = [str(tag) for tag in tags if str(tag).startswith("attack.")]
        label = document_label(document)
        findings += elastic_pairing_findings(path, label, attack, mapping)
    return findings


def logsource_prefix(document: dict[str, Any]) -> str | None:
    """Return the file name prefix of a detection rule's log source, like ``aws_cloudtrail_``."""
    logsource = document.get("logsource")
    if not isinstance(logsource, dict) or not logsource.get("product"):
        return None
    parts = [logsource.get("product"), logsource.get("service") or logsource.get("category")]
    return "_".join(str(part).lower() for part in parts if part) + "_"


def expected_prefixes(
    document: dict[str, Any],
    by_reference: dict[str, dict[str, Any]],
    seen: frozenset[str] = frozenset(),
) -> set[str]:
    """Return the prefixes a rule's file may start with; a correlation takes its rules' prefixes."""
    correlation = document.get("correlation")
    if not isinstance(correlation, dict):
        prefix = logsource_prefix(document)
        return {prefix} if prefix else set()

    prefixes: set[str] = set()
    references = correlation.get("rules") or []
    for reference in references if isinstance(references, list) else [references]:
        target = by_reference.get(str(reference))
        if target is not None and str(reference) not in seen:
            prefixes |= expected_prefixes(target, by_reference, seen | {str(reference)})
    return prefixes


def filename_findings(documents: list[tuple[Path, dict[str, Any]]]) -> list[Finding]:
    """Check file names: lower-case words joined by ``_``, ``.yml``, and the log source first.

    A detection rule's file starts with ``<product>_<service>_`` (``aws_cloudtrail_``); a
    correlation's file may add SigmaHQ's ``correlation_`` before the prefix of its rules.
    """
    by_reference = {}
    for _, document in documents:
        for key in ("id", "name"):
            if document.get(key):
                by_reference[str(document[key])] = document

    findings = []
    for path, document in documents:
        label = document_label(document)
        if not FILE_NAME.match(path.name):
            message = (
                f"file name '{path.name}' must be lower-case words joined by '_' ending in "
                "'.yml', like aws_cloudtrail_bedrock_guardrail_deleted.yml"
            )
            findings.append(Finding.error(path, label, "filename", message))
            continue
        prefixes = expected_prefixes(document, by_reference)
        name = path.name.removeprefix("correlation_")
        if prefixes and not any(name.startswith(prefix) for prefix in prefixes):
            expected = " or ".join(sorted(prefixes))
            message = f"file name '{path.name}' must start with {expected} (product_service_...)"
            findings.append(Finding.error(path, label, "filename", message))
    return findings


def convention_findings(parsed_files: Iterable[ParsedFile]) -> list[Finding]:
    """Run every convention check on the raw documents of the parsed files."""
    documents = [
        (parsed.path, document)
        for parsed in parsed_files
        for document in parsed.documents
        if "action" not in document
    ]
    return (
        identifier_findings(documents)
        + required_field_findings(documents)
        + attack_tag_findings(documents)
        + filename_findings(documents)
    )
