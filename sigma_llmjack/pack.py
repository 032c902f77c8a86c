"""Locate and load the bundled rule pack or rule files that the user names."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml
from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaError, SigmaRuleLocation

from sigma_llmjack.errors import EmptyRuleFolderError, RuleLoadError

RULE_SUFFIXES = (".yml", ".yaml")


def bundled_rules_dir() -> Path:
    """Return the folder of the bundled rules.

    In a source checkout ``sigma_llmjack/rules`` is a symbolic link to the top-level ``rules/``
    folder; building a wheel copies the files behind it into the package.
    """
    folder = Path(__file__).resolve().parent / "rules"
    if not folder.is_dir():
        raise RuleLoadError(
            f"{folder}: the bundled rules are missing; reinstall sigma-llmjack or pass rule files"
        )
    return folder


def rule_files(paths: Iterable[str | Path] = ()) -> list[Path]:
    """Expand files and folders into a sorted list of ``.yml``/``.yaml`` rule files.

    With no paths, the bundled pack is used. A path that does not exist raises RuleLoadError.
    """
    paths = list(paths) or [bundled_rules_dir()]
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = [p for p in path.rglob("*") if p.suffix in RULE_SUFFIXES and p.is_file()]
            if not found:
                raise EmptyRuleFolderError(path)
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise RuleLoadError(f"{path}: no such rule file or folder")
    return sorted(set(files))


def _describe_yaml_error(error: yaml.MarkedYAMLError) -> str:
    """Describe a YAML syntax error by line and column instead of PyYAML's "<unicode string>"."""
    mark = error.problem_mark or error.context_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    problem = " ".join(part for part in (error.context, error.problem) if part)
    return f"invalid YAML: {where}{problem or error}"


def _parse_conditions(collection: SigmaCollection) -> None:
    """Parse every condition now, because pySigma defers it to conversion and loses the file."""
    for rule in collection.rules:
        detection = getattr(rule, "detection", None)
        for condition in getattr(detection, "parsed_condition", ()):
            condition.parse()


def _check_references(collections: list[SigmaCollection]) -> None:
    """Raise RuleLoadError naming the file of a correlation that references an unknown rule.

    pySigma raises the same error when the collections are merged, but without the file.
    """
    known: set[str] = set()
    for collection in collections:
        for rule in collection.rules:
            known.add(str(rule.id))
            if rule.name:
                known.add(rule.name)

    for collection in collections:
        for rule in collection.rules:
            if not isinstance(rule, SigmaCorrelationRule):
                continue
            for reference in rule.rules:
                if reference.reference not in known:
                    raise RuleLoadError(
                        f"{rule.source.path if rule.source else '<input>'}: correlation rule "
                        f"{rule.id} references '{reference.reference}', which no loaded rule has "
                        "as name or id; load the file of that rule too"
                    )


def load_collection(paths: Iterable[str | Path] = ()) -> SigmaCollection:
    """Load rules into a fresh SigmaCollection, resolving correlation references.

    Each call parses the files again, because pySigma applies a processing pipeline to the rule
    objects in place and a second conversion of the same objects would apply it twice.
    """
    paths = list(paths)
    collections = []
    for path in rule_files(paths):
        try:
            text = path.read_text(encoding="utf-8")
            location = SigmaRuleLocation(path)
            # A correlation may reference a rule in another file, so references are resolved
            # once, after the merge.
            collection = SigmaCollection.from_yaml(text, source=location, resolve_references=False)
            _parse_conditions(collection)
            collections.append(collection)
        except (OSError, UnicodeDecodeError) as error:
            raise RuleLoadError(f"{path}: cannot read rule file: {error}") from error
        except SigmaError as error:
            raise RuleLoadError(f"{path}: invalid Sigma rule: {error}") from error
        except yaml.MarkedYAMLError as error:
            raise RuleLoadError(f"{path}: {_describe_yaml_error(error)}") from error
        except Exception as error:  # yaml.YAMLError and pySigma's unwrapped parse errors
            raise RuleLoadError(f"{path}: cannot parse rule file: {error}") from error

    _check_references(collections)
    merged = SigmaCollection.merge(collections)
    if not merged.rules:
        names = ", ".join(str(path) for path in paths) or str(bundled_rules_dir())
        raise RuleLoadError(f"{names}: no Sigma rules found; pass files that contain rules")
    return merged
