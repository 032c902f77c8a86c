"""Load the match and no-match cases of the Bedrock rules from tests/rules/events/.

Each rule file ``rules/aws/bedrock/<stem>.yml`` has one case file ``events/<stem>.yml``::

    placeholders: {bedrock_allowed_models: [...]}   # optional site values for every case
    match:
        - name: short description
          origin: constructed                         # or sample: <path under samples/>
          events:
              - from: long_term_key_invoke            # a record in templates.yml
                set: {errorCode: 'AccessDenied'}      # dotted paths, created when missing
                unset: [responseElements]
                repeat: 3                             # copies, eventTime + n * interval_seconds
                interval_seconds: 60
                vary: {awsRegion: [a, b, c]}          # value of copy n is list[n % len]
    no_match:
        - name: ...
          sample: stratus-red-team/aws.impact.bedrock-invoke-model.json
          records: [2]                                # positions in the file; omitted means all
          select: {eventName: 'InvokeModel'}          # or pick records by top-level fields

Cases are evaluated with the replay API, never by this module.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from sigma_llmjack.config import SiteConfig, load_config
from sigma_llmjack.replay import replay_events

REPO_ROOT = Path(__file__).resolve().parents[2]
RULES_DIR = REPO_ROOT / "rules" / "aws" / "bedrock"
CASES_DIR = Path(__file__).resolve().parent / "events"
TEMPLATES_FILE = Path(__file__).resolve().parent / "templates.yml"
SAMPLES_DIR = REPO_ROOT / "tests" / "fixtures" / "samples"
EXPECTATIONS = ("match", "no_match")


class CaseFileError(Exception):
    """A case file is malformed; the message names the file, the case and what is wrong."""


@dataclass
class RuleCase:
    """Events that one rule must match (``match``) or must not match (``no_match``)."""

    rule_file: Path
    expectation: str
    name: str
    origin: str
    events: list[dict[str, Any]]
    placeholders: dict[str, list[str]] = field(default_factory=dict)

    @property
    def test_id(self) -> str:
        return f"{self.rule_file.stem}:{self.expectation}:{self.name}"


def rule_files() -> list[Path]:
    """Return every rule file of the Bedrock pack, sorted."""
    return sorted(RULES_DIR.rglob("*.yml"))


def case_file(rule_file: Path) -> Path:
    return CASES_DIR / f"{rule_file.stem}.yml"


@cache
def _rule_document(rule_file: Path) -> dict[str, Any]:
    return yaml.safe_load(rule_file.read_text(encoding="utf-8"))


def rule_id(rule_file: Path) -> str:
    return str(_rule_document(rule_file)["id"])


def referenced_rule_files(rule_file: Path) -> list[Path]:
    """Return the base rule files a correlation rule names, or nothing for a detection rule."""
    correlation = _rule_document(rule_file).get("correlation")
    if not correlation:
        return []
    by_name = {_rule_document(path).get("name"): path for path in rule_files()}
    missing = [name for name in correlation["rules"] if name not in by_name]
    if missing:
        raise CaseFileError(f"{rule_file.name}: no rule file has the name(s) {missing}")
    return [by_name[name] for name in correlation["rules"]]


@cache
def templates() -> dict[str, dict[str, Any]]:
    return yaml.safe_load(TEMPLATES_FILE.read_text(encoding="utf-8"))


def load_cases(rule_file: Path) -> list[RuleCase]:
    """Read the case file of ``rule_file``; raise CaseFileError when it is absent or malformed."""
    path = case_file(rule_file)
    if not path.is_file():
        raise CaseFileError(f"{rule_file.name}: no case file {path.relative_to(REPO_ROOT)}")
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    unknown = set(document) - {"placeholders", *EXPECTATIONS}
    if unknown:
        raise CaseFileError(f"{path.name}: unknown top-level keys {sorted(unknown)}")
    file_placeholders = document.get("placeholders") or {}

    cases = []
    for expectation in EXPECTATIONS:
        for entry in document.get(expectation) or []:
            cases.append(_case(rule_file, path, expectation, entry, file_placeholders))
    return cases


def _case(
    rule_file: Path,
    path: Path,
    expectation: str,
    entry: dict[str, Any],
    file_placeholders: dict[str, list[str]],
) -> RuleCase:
    name = entry.get("name")
    where = f"{path.name}: {expectation} case {name!r}"
    if not name:
        raise CaseFileError(f"{path.name}: a {expectation} case has no name")
    if ("sample" in entry) == ("origin" in entry):
        raise CaseFileError(f"{where}: give either 'origin: constructed' or 'sample: <path>'")

    if "sample" in entry:
        origin = f"sample {entry['sample']}"
        events = _sample_events(entry, where)
    else:
        if entry["origin"] != "constructed":
            raise CaseFileError(f"{where}: origin must be 'constructed', not {entry['origin']!r}")
        origin = "constructed"
        events = [event for spec in entry.get("events") or [] for event in _build(spec, where)]
    if not events:
        raise CaseFileError(f"{where}: the case has no events")

    placeholders = {**file_placeholders, **(entry.get("placeholders") or {})}
    return RuleCase(rule_file, expectation, name, origin, events, placeholders)


def _build(spec: dict[str, Any], where: str) -> list[dict[str, Any]]:
    """Expand one event spec of a constructed case into records."""
    template_name = spec.get("from")
    if template_name not in templates():
        raise CaseFileError(f"{where}: unknown template {template_name!r}")
    base = copy.deepcopy(templates()[template_name])
    for dotted, value in (spec.get("set") or {}).items():
        _set_path(base, dotted, value)
    for dotted in spec.get("unset") or []:
        _unset_path(base, dotted)

    count = int(spec.get("repeat", 1))
    interval = timedelta(seconds=float(spec.get("interval_seconds", 0)))
    start = _parse_time(base["eventTime"], where)
    events = []
    for index in range(count):
        event = copy.deepcopy(base)
        event["eventTime"] = _format_time(start + index * interval)
        for dotted, values in (spec.get("vary") or {}).items():
            _set_path(event, dotted, values[index % len(values)])
        events.append(event)
    return events


def _set_path(record: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    node = record
    for part in parents:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[leaf] = value


def _unset_path(record: dict[str, Any], dotted: str) -> None:
    *parents, leaf = dotted.split(".")
    node = record
    for part in parents:
        node = node.get(part) or {}
    node.pop(leaf, None)


def _parse_time(text: str, where: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError as error:
        raise CaseFileError(f"{where}: eventTime {text!r} is not YYYY-MM-DDTHH:MM:SSZ") from error


def _format_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _sample_events(entry: dict[str, Any], where: str) -> list[dict[str, Any]]:
    records = sample_records(entry["sample"])
    if "records" in entry:
        try:
            records = [records[index] for index in entry["records"]]
        except IndexError as error:
            raise CaseFileError(f"{where}: {entry['sample']} has no record {error}") from error
    selector = entry.get("select") or {}
    return [r for r in records if all(r.get(k) == v for k, v in selector.items())]


def sample_records(relative_path: str) -> list[dict[str, Any]]:
    """Read the records of a sample file: a JSON array, one object, or JSON Lines.

    A Panther test case (``{"test_name": ..., "log": {...}}``) stands for its ``log``.
    """
    path = SAMPLES_DIR / relative_path
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        document = json.loads(text)
        items = document if isinstance(document, list) else [document]
    else:
        items = [json.loads(line) for line in text.splitlines() if line.strip()]
    return [item["log"] if "test_name" in item and "log" in item else item for item in items]


def site_config(placeholders: dict[str, list[str]]) -> SiteConfig:
    """Return the shipped configuration with ``placeholders`` overriding its values."""
    config = load_config()
    for name, values in placeholders.items():
        if name not in config.placeholders:
            raise CaseFileError(f"unknown placeholder {name!r} in a case file")
        config.placeholders[name] = list(values)
    return config


def matched_rule_ids(
    paths: list[Path], events: list[dict[str, Any]], config: SiteConfig
) -> list[str]:
    """Replay ``events`` on the rule files ``paths`` and return the ids of the rules that hit.

    Raises AssertionError when replay could not evaluate one of the rules, so a rule the engine
    rejects never passes a no-match case by accident.
    """
    result = replay_events(events, rule_paths=paths, config=config)
    assert not result.errors, f"replay could not evaluate: {result.errors}"
    return [match.rule_id for match in result.matches]
