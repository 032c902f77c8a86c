"""A listing of the rule pack: one entry per rule with its metadata, ATT&CK mapping and inputs.

``llmjack rules`` prints it as a table or as JSON. ATT&CK names come from the shipped reference
data (``sigma_llmjack.offline``), so listing works without network access.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationRule
from sigma.rule import SigmaDetection, SigmaDetectionItem, SigmaRule
from sigma.types import Placeholder

from sigma_llmjack.offline import use_bundled_reference_data

TECHNIQUE_TAG = re.compile(r"^t\d{4}(\.\d{3})?$")


@dataclass(frozen=True)
class AttackTechnique:
    """An ATT&CK technique tag; ``name`` is None when the shipped data does not know the id."""

    id: str
    name: str | None


@dataclass(frozen=True)
class CatalogueEntry:
    """One rule of the pack as ``llmjack rules`` shows it."""

    id: str
    title: str
    level: str | None
    status: str | None
    type: str
    logsource: str
    tactics: list[str] = field(default_factory=list)
    techniques: list[AttackTechnique] = field(default_factory=list)
    placeholders: list[str] = field(default_factory=list)
    file: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def detection_items(detection: SigmaDetection) -> Iterator[SigmaDetectionItem]:
    """Yield the detection items of a detection, descending into nested detections."""
    for item in detection.detection_items:
        if isinstance(item, SigmaDetection):
            yield from detection_items(item)
        else:
            yield item


def rule_placeholders(rule: SigmaRule | SigmaCorrelationRule) -> set[str]:
    """Return the names of the ``%name%`` placeholders a rule uses.

    A correlation rule uses the placeholders of the rules it references, because converting it
    converts them. References must be resolved first.
    """
    if isinstance(rule, SigmaCorrelationRule):
        names: set[str] = set()
        for reference in rule.rules:
            if isinstance(getattr(reference, "rule", None), SigmaRule | SigmaCorrelationRule):
                names |= rule_placeholders(reference.rule)
        return names

    names = set()
    for detection in rule.detection.detections.values():
        for item in detection_items(detection):
            for value in item.value:
                parts = getattr(value, "s", ())
                names.update(part.name for part in parts if isinstance(part, Placeholder))
    return names


def rule_type(rule: SigmaRule | SigmaCorrelationRule) -> str:
    """Return ``rule`` for a detection rule and the correlation type otherwise."""
    if isinstance(rule, SigmaCorrelationRule):
        return rule.type.name.lower()
    return "rule"


def logsource_label(rule: SigmaRule | SigmaCorrelationRule) -> str:
    """Return ``product/category/service`` without empty parts; correlations use their rules'."""
    if isinstance(rule, SigmaCorrelationRule):
        labels = sorted(
            {
                logsource_label(reference.rule)
                for reference in rule.rules
                if isinstance(getattr(reference, "rule", None), SigmaRule | SigmaCorrelationRule)
            }
        )
        return ", ".join(labels) or "-"
    source = rule.logsource
    parts = [part for part in (source.product, source.category, source.service) if part]
    return "/".join(parts) or "-"


def technique_name(technique_id: str, names: dict[str, str]) -> str | None:
    """Return the ATT&CK name, as ``Technique: Sub-technique`` for a sub-technique."""
    name = names.get(technique_id)
    if name is None or "." not in technique_id:
        return name
    parent = names.get(technique_id.split(".")[0])
    return f"{parent}: {name}" if parent else name


def attack_tags(
    rule: SigmaRule | SigmaCorrelationRule, names: dict[str, str]
) -> tuple[list[str], list[AttackTechnique]]:
    """Split a rule's ``attack.*`` tags into tactic short names and techniques with names."""
    tactics: list[str] = []
    techniques: list[AttackTechnique] = []
    for tag in rule.tags:
        if tag.namespace != "attack":
            continue
        if TECHNIQUE_TAG.match(tag.name):
            technique_id = tag.name.upper()
            techniques.append(AttackTechnique(technique_id, technique_name(technique_id, names)))
        else:
            tactics.append(tag.name)
    return tactics, techniques


def display_path(path: Path | None, root: Path | None) -> str:
    """Return ``path`` relative to ``root`` (the pack folder) or the working folder if possible."""
    if path is None:
        return "-"
    for base in (root, Path.cwd()):
        if base is not None and path.resolve().is_relative_to(base.resolve()):
            return str(path.resolve().relative_to(base.resolve()))
    return str(path)


def attack_technique_names() -> dict[str, str]:
    """Return ATT&CK technique id -> name from the shipped Enterprise data."""
    use_bundled_reference_data()
    from sigma.data import mitre_attack

    return dict(mitre_attack.mitre_attack_techniques)


def build_catalogue(collection: SigmaCollection, root: Path | None = None) -> list[CatalogueEntry]:
    """List every rule of a collection with resolved references, sorted by file and title.

    ``root`` is the folder that file paths are shown relative to.
    """
    names = attack_technique_names()
    entries = []
    for rule in collection.rules:
        tactics, techniques = attack_tags(rule, names)
        entries.append(
            CatalogueEntry(
                id=str(rule.id) if rule.id else "-",
                title=rule.title,
                level=rule.level.name.lower() if rule.level else None,
                status=rule.status.name.lower() if rule.status else None,
                type=rule_type(rule),
                logsource=logsource_label(rule),
                tactics=tactics,
                techniques=techniques,
                placeholders=sorted(rule_placeholders(rule)),
                file=display_path(rule.source.path if rule.source else None, root),
            )
        )
    return sorted(entries, key=lambda entry: (entry.file, entry.title))
