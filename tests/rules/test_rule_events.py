"""Every Bedrock rule matches its match cases and none of its no-match cases, through replay."""

from __future__ import annotations

import pytest
from rule_event_cases import (
    CASES_DIR,
    EXPECTATIONS,
    CaseFileError,
    RuleCase,
    case_file,
    load_cases,
    matched_rule_ids,
    referenced_rule_files,
    rule_files,
    rule_id,
    site_config,
)


def _all_cases() -> list[RuleCase]:
    """Collect the cases of every rule; a missing or malformed case file fails its own test."""
    cases = []
    for path in rule_files():
        try:
            cases.extend(load_cases(path))
        except CaseFileError:
            continue
    return cases


def test_pack_has_rules() -> None:
    assert len(rule_files()) >= 12


@pytest.mark.parametrize("rule_file", rule_files(), ids=lambda path: path.stem)
def test_rule_has_both_kinds_of_case(rule_file) -> None:
    kinds = {case.expectation for case in load_cases(rule_file)}
    for expectation in EXPECTATIONS:
        assert expectation in kinds, f"{case_file(rule_file).name} has no {expectation} case"


def test_no_case_file_without_rule() -> None:
    stems = {path.stem for path in rule_files()}
    orphans = [path.name for path in CASES_DIR.glob("*.yml") if path.stem not in stems]
    assert orphans == []


def test_case_names_unique_per_rule() -> None:
    for rule_file in rule_files():
        names = [(case.expectation, case.name) for case in load_cases(rule_file)]
        assert len(names) == len(set(names)), f"duplicate case names in {rule_file.stem}"


@pytest.mark.parametrize("case", _all_cases(), ids=lambda case: case.test_id)
def test_rule_case(case: RuleCase) -> None:
    paths = [case.rule_file, *referenced_rule_files(case.rule_file)]
    matched = matched_rule_ids(paths, case.events, site_config(case.placeholders))
    expected_id = rule_id(case.rule_file)

    if case.expectation == "match":
        assert expected_id in matched, f"{case.origin} events did not match"
    else:
        assert expected_id not in matched, f"{case.origin} events matched"
