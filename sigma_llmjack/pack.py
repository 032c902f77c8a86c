"""Locate and load the bundled rule pack or rule files that the user names."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sigma.collection import SigmaCollection
from sigma.exceptions import SigmaError, SigmaRuleLocation

from sigma_llmjack.errors import RuleLoadError


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
            files.extend(p for p in path.rglob("*") if p.suffix in (".yml", ".yaml"))
        elif path.is_file():
            files.append(path)
        else:
            raise RuleLoadError(f"{path}: no such rule file or folder")
    return sorted(set(files))


def _parse_conditions(collection: SigmaCollection) -> None:
    """Parse every condition now, because pySigma defers it to conversion and loses the file."""
    for rule in collection.rules:
        detection = getattr(rule, "detection", None)
        for condition in getattr(detection, "parsed_condition", ()):
            condition.parse()


def load_collection(paths: Iterable[str | Path] = ()) -> SigmaCollection:
    """Load rules into a fresh SigmaCollection, resolving correlation references.

    Each call parses the files again, because pySigma applies a processing pipeline to the rule
    objects in place and a second conversion of the same objects would apply it twice.
    """
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
        except Exception as error:  # yaml.YAMLError and pySigma's unwrapped parse errors
            raise RuleLoadError(f"{path}: cannot parse rule file: {error}") from error

    merged = SigmaCollection.merge(collections)
    try:
        merged.resolve_rule_references()
    except SigmaError as error:
        raise RuleLoadError(
            f"a correlation rule references a rule that was not loaded: {error}"
        ) from error
    return merged
