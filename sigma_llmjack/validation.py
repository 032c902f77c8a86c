"""Offline validation of rule files: the checks behind ``llmjack check``.

Each file is parsed on its own, so one broken file yields findings instead of stopping the run.
The parsed rules then go through pySigma's own validators, the SigmaHQ validators that fit this
pack, the pack's conventions (``sigma_llmjack.conventions``), placeholder values from the site
configuration, correlation references and a conversion with the pySigma sqlite backend.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sigma.backends.sqlite import sqliteBackend
from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaError, SigmaIdentifierError, SigmaRuleLocation
from sigma.rule import SigmaLogSource, SigmaRule
from sigma.validators.base import SigmaValidationIssue, SigmaValidationIssueSeverity

from sigma_llmjack.catalogue import rule_placeholders
from sigma_llmjack.config import SiteConfig
from sigma_llmjack.conventions import Finding, Severity, convention_findings, rule_label
from sigma_llmjack.errors import EmptyRuleFolderError
from sigma_llmjack.offline import use_bundled_reference_data
from sigma_llmjack.pack import rule_files

# pySigma and SigmaHQ validators that ``llmjack check`` does not run, with the reason.
DISABLED_VALIDATORS: dict[str, str] = {
    "d3_fendtag": "the shipped D3FEND data holds the seven tactics only, so every D3FEND "
    "technique tag would be reported; the pack uses no d3fend tags",
    "tlpv1_tag": "rejects TLP 2.0 names; tlptag accepts both TLP versions",
    "tlpv2_tag": "rejects TLP 1.0 names; tlptag accepts both TLP versions",
    "identifier_uniqueness": "replaced by the unique-id check, which names every file",
    "sigmahq_filename_convention": "replaced by the filename check, which also requires the "
    "service after the product",
    "sigmahq_filename_prefix": "replaced by the filename check, which also requires the "
    "service after the product",
    "sigmahq_author_existence": "replaced by the required-fields check",
    "sigmahq_date_existence": "replaced by the required-fields check",
    "sigmahq_description_existence": "replaced by the required-fields check",
    "sigmahq_level_existence": "replaced by the required-fields check",
}

ERROR_SEVERITIES = {SigmaValidationIssueSeverity.HIGH, SigmaValidationIssueSeverity.MEDIUM}
MAX_MESSAGE_LENGTH = 300


@dataclass
class CheckReport:
    """All findings of one ``llmjack check`` run, with the numbers for its summary."""

    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    rules: int = 0

    @property
    def errors(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.severity is Severity.WARNING]

    def summary(self) -> str:
        return (
            f"checked {self.rules} rule(s) in {self.files} file(s): "
            f"{len(self.errors)} error(s), {len(self.warnings)} warning(s)"
        )


def short_message(error: BaseException | str) -> str:
    """Return the first line of an error, cut to MAX_MESSAGE_LENGTH characters.

    pySigma's conversion errors embed the whole rule object, which would bury the reason.
    """
    text = str(error).strip() or type(error).__name__
    line = text.splitlines()[0]
    if len(line) > MAX_MESSAGE_LENGTH:
        line = line[: MAX_MESSAGE_LENGTH - 3] + "..."
    return line


@dataclass
class ParsedFile:
    """One rule file: its raw YAML documents and the rules pySigma parsed from them."""

    path: Path
    documents: list[dict[str, Any]] = field(default_factory=list)
    collection: SigmaCollection | None = None


def read_documents(path: Path, findings: list[Finding]) -> list[dict[str, Any]] | None:
    """Read the YAML documents of a rule file; None (with a finding) if it is not Sigma YAML."""
    try:
        text = path.read_text(encoding="utf-8")
        documents = [doc for doc in yaml.safe_load_all(text) if doc is not None]
    except OSError as error:
        findings.append(Finding.error(path, None, "yaml", f"cannot read file: {error}"))
        return None
    except UnicodeDecodeError as error:
        message = (
            f"cannot read file: not UTF-8 ({error.reason} at byte {error.start}); save it as UTF-8"
        )
        findings.append(Finding.error(path, None, "yaml", message))
        return None
    except yaml.YAMLError as error:
        message = "invalid YAML: " + " ".join(str(error).split())
        findings.append(Finding.error(path, None, "yaml", message))
        return None

    if not documents:
        findings.append(Finding.error(path, None, "yaml", "the file contains no Sigma rule"))
        return None
    for index, document in enumerate(documents, start=1):
        if not isinstance(document, dict):
            kind = type(document).__name__
            message = f"YAML document {index} is a {kind}, not a Sigma rule (a mapping)"
            findings.append(Finding.error(path, None, "sigma-parse", message))
            return None
    return documents


def parse_file(path: Path, findings: list[Finding]) -> ParsedFile:
    """Parse one file with pySigma, collecting its errors as findings."""
    parsed = ParsedFile(path)
    documents = read_documents(path, findings)
    if documents is None:
        return parsed
    parsed.documents = documents

    try:
        collection = SigmaCollection.from_dicts(
            copy.deepcopy(documents),
            collect_errors=True,
            source=SigmaRuleLocation(path),
            resolve_references=False,
        )
    except (SigmaError, AttributeError, TypeError, ValueError) as error:
        findings.append(Finding.error(path, None, "sigma-parse", short_message(error)))
        return parsed

    broken = False
    for rule in collection.rules:
        for error in parse_conditions(rule) + list(rule.errors):
            broken = True
            if isinstance(error, SigmaIdentifierError):
                continue  # the uuid convention check reports identifiers with a clearer message
            findings.append(
                Finding.error(path, rule_label(rule), "sigma-parse", short_message(error))
            )
    if not collection.rules:
        for error in collection.errors:
            findings.append(Finding.error(path, None, "sigma-parse", short_message(error)))
        broken = True
    parsed.collection = None if broken else collection
    return parsed


def parse_conditions(rule: SigmaRule | SigmaCorrelationRule) -> list[SigmaError]:
    """Parse a rule's conditions now, because pySigma defers that until conversion."""
    errors: list[SigmaError] = []
    detection = getattr(rule, "detection", None)
    for condition in getattr(detection, "parsed_condition", ()):
        try:
            condition.parse()
        except SigmaError as error:
            errors.append(error)
    return errors


def reference_findings(
    rules: list[SigmaRule | SigmaCorrelationRule], parsed: list[ParsedFile]
) -> list[Finding]:
    """Report correlation references to rules that no file defines or that failed to parse."""
    usable = {str(rule.id) for rule in rules if rule.id} | {r.name for r in rules if r.name}
    defined = {
        str(document[key])
        for item in parsed
        for document in item.documents
        for key in ("id", "name")
        if document.get(key)
    }
    findings = []
    for rule in rules:
        if not isinstance(rule, SigmaCorrelationRule):
            continue
        for reference in rule.rules:
            name = reference.reference
            if name in usable:
                continue
            if name in defined:
                message = f"references the rule '{name}', which has errors of its own"
            else:
                message = (
                    f"references the rule '{name}', which no checked file defines by name or id"
                )
            findings.append(
                Finding.error(rule.source.path, rule_label(rule), "correlation-reference", message)
            )
    return findings


def detail_text(value: Any) -> str:
    """Format a field of a validation issue; log sources print as product/category/service."""
    if isinstance(value, SigmaLogSource):
        parts = (value.product, value.category, value.service)
        return "/".join(part for part in parts if part) or "-"
    if isinstance(value, list | tuple | set):
        return ", ".join(detail_text(item) for item in value)
    return str(value)


def issue_findings(issue: SigmaValidationIssue, validator: str) -> list[Finding]:
    """Turn one pySigma validation issue into a finding per rule it names."""
    details = {
        key: detail_text(value)
        for key, value in vars(issue).items()
        if key not in ("rules", "severity")
    }
    message = issue.description
    if details:
        message += " (" + ", ".join(f"{key}: {value}" for key, value in details.items()) + ")"
    severity = Severity.ERROR if issue.severity in ERROR_SEVERITIES else Severity.WARNING
    return [
        Finding(
            file=str(rule.source.path) if rule.source else "-",
            rule_id=rule_label(rule),
            validator=validator,
            severity=severity,
            message=message,
        )
        for rule in issue.rules
    ]


def enabled_validators() -> dict[str, type]:
    """Return identifier -> class of the pySigma and SigmaHQ validators that check runs."""
    from sigma.validators.core import validators as core_validators
    from sigma.validators.sigmahq import validators as sigmahq_validators

    every = {**core_validators, **sigmahq_validators}
    return {name: cls for name, cls in every.items() if name not in DISABLED_VALIDATORS}


def validator_failure(
    name: str, rule: SigmaRule | SigmaCorrelationRule | None, error: Exception
) -> Finding:
    path = rule.source.path if rule is not None and rule.source else "-"
    label = rule_label(rule) if rule is not None else None
    message = f"the validator failed: {short_message(error)}"
    return Finding.error(path, label, name, message)


def validator_findings(collection: SigmaCollection) -> list[Finding]:
    """Run the enabled validators rule by rule, so findings name the validator.

    A validator that raises on one rule becomes a finding for that rule, and the other rules are
    still checked. pySigma's SigmaValidator would stop the whole run instead.
    """
    findings = []
    for name, validator_class in sorted(enabled_validators().items()):
        validator = validator_class()
        for rule in collection.rules:
            try:
                issues = validator.validate(rule)
            except Exception as error:  # a validator bug must not hide the other findings
                findings.append(validator_failure(name, rule, error))
                continue
            for issue in issues:
                findings.extend(issue_findings(issue, name))
        try:
            issues = validator.finalize()
        except Exception as error:
            findings.append(validator_failure(name, None, error))
            continue
        for issue in issues:
            findings.extend(issue_findings(issue, name))
    return findings


def with_dependencies(
    rule: SigmaRule | SigmaCorrelationRule,
) -> list[SigmaRule | SigmaCorrelationRule]:
    """Return a rule preceded by every rule it references, directly or through correlations."""
    if not isinstance(rule, SigmaCorrelationRule):
        return [rule]
    rules: list[SigmaRule | SigmaCorrelationRule] = []
    for reference in rule.rules:
        rules += [item for item in with_dependencies(reference.rule) if item not in rules]
    return rules + [rule]


def conversion_findings(collection: SigmaCollection, config: SiteConfig) -> list[Finding]:
    """Convert every rule with the sqlite backend and the site's placeholder values.

    Each conversion works on a copy of the rule and the rules it references, because pySigma
    applies the pipeline to rule objects in place, and a correlation needs its referenced rules
    converted by the same backend first.
    """
    findings = []
    for rule in collection.rules:
        rules = copy.deepcopy(with_dependencies(rule))
        SigmaCollection(init_rules=rules, resolve_references=False).resolve_rule_references()
        backend = sqliteBackend(processing_pipeline=config.placeholder_pipeline())
        try:
            for item in rules:
                if isinstance(item, SigmaCorrelationRule):
                    backend.convert_correlation_rule(item)
                else:
                    backend.convert_rule(item)
        except Exception as error:  # pySigma raises SigmaError, NotImplementedError, ValueError
            message = short_message(error)
            findings.append(
                Finding.error(rule.source.path, rule_label(rule), "sqlite-conversion", message)
            )
    return findings


def placeholder_findings(collection: SigmaCollection, config: SiteConfig) -> list[Finding]:
    """Report placeholders that a rule uses and the site configuration gives no value."""
    sources = " + ".join(config.sources) or "the site configuration"
    findings = []
    for rule in collection.rules:
        for name in sorted(rule_placeholders(rule) - set(config.placeholders)):
            message = (
                f"placeholder %{name}% has no value in {sources}; add it under 'placeholders:'"
            )
            findings.append(
                Finding.error(rule.source.path, rule_label(rule), "placeholder", message)
            )
    return findings


def new_terms_findings(collection: SigmaCollection) -> list[Finding]:
    """Report rules whose ``llmjack_new_terms`` attribute the converter would reject."""
    from sigma_llmjack.pipelines.new_terms import NewTermsSpec

    findings = []
    for rule in collection.rules:
        try:
            NewTermsSpec.from_rule(rule)
        except SigmaError as error:
            message = short_message(error)
            findings.append(Finding.error(rule.source.path, rule_label(rule), "new-terms", message))
    return findings


def site_option_findings(config: SiteConfig) -> list[Finding]:
    """Report splunk and elastic site options that ``llmjack convert`` would reject.

    The same option classes as the converter read the options, so both accept the same values.
    """
    from sigma_llmjack.pipelines.elastic import ElasticOptions
    from sigma_llmjack.pipelines.schedule import ScheduleSettings
    from sigma_llmjack.pipelines.splunk import SplunkOptions

    origin = config.sources[-1] if config.sources else "site configuration"
    readers = (
        (SplunkOptions.from_mapping, config.splunk),
        (ScheduleSettings.from_mapping, config.splunk),
        (ElasticOptions.from_mapping, config.elastic),
    )
    findings = []
    for read, options in readers:
        try:
            read(options)
        except ValueError as error:
            findings.append(Finding.error(origin, None, "site-option", str(error)))
    return findings


def check_rules(paths: Iterable[str | Path], config: SiteConfig) -> CheckReport:
    """Validate rule files offline and return every finding.

    ``paths`` are files or folders (the bundled pack when empty). A path that does not exist
    raises RuleLoadError; everything wrong inside a file is a finding.
    """
    use_bundled_reference_data()
    try:
        files = rule_files(paths)
    except EmptyRuleFolderError as error:
        report = CheckReport(files=0)
        message = "no .yml or .yaml rule files found; name rule files or folders that contain them"
        report.findings.append(Finding.error(str(error.folder), None, "rule-files", message))
        return report
    report = CheckReport(files=len(files))
    report.findings += site_option_findings(config)
    parsed = [parse_file(path, report.findings) for path in files]
    report.rules = sum(len(item.documents) for item in parsed)
    report.findings += convention_findings(parsed)

    rules = [rule for item in parsed if item.collection for rule in item.collection.rules]
    broken_references = reference_findings(rules, parsed)
    report.findings += broken_references
    broken = {finding.rule_id for finding in broken_references}
    usable = [rule for rule in rules if rule_label(rule) not in broken]
    collection = SigmaCollection(init_rules=usable, resolve_references=False)
    collection.resolve_rule_references()

    report.findings += validator_findings(collection)
    report.findings += placeholder_findings(collection, config)
    report.findings += new_terms_findings(collection)
    report.findings += conversion_findings(collection, config)
    report.findings.sort(
        key=lambda f: (f.file, f.rule_id, f.severity.value, f.validator, f.message)
    )
    return report
