"""Tests of rule discovery and loading."""

from __future__ import annotations

import pytest

from sigma_llmjack.errors import RuleLoadError
from sigma_llmjack.pack import bundled_rules_dir, load_collection, rule_files

GOOD_RULE = """
title: Loader test
id: 0f3c2b8e-2d3a-4c51-8f0e-6f1d2a3b4c5d
status: test
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventName: InvokeModel
    condition: selection
level: low
"""


def test_bundled_pack_has_rules():
    files = rule_files()
    assert files
    assert all(path.is_relative_to(bundled_rules_dir()) for path in files)


def test_folder_expands_to_yaml_files_only(tmp_path):
    (tmp_path / "a.yml").write_text(GOOD_RULE)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.yaml").write_text(GOOD_RULE.replace("0f3c", "1f3c"))
    (tmp_path / "notes.txt").write_text("not a rule")

    names = [path.name for path in rule_files([tmp_path])]

    assert names == ["a.yml", "b.yaml"]


def test_missing_path_names_the_path(tmp_path):
    with pytest.raises(RuleLoadError, match="absent.yml: no such rule file"):
        rule_files([tmp_path / "absent.yml"])


def test_loaded_rule_records_its_file(tmp_path):
    path = tmp_path / "a.yml"
    path.write_text(GOOD_RULE)

    collection = load_collection([path])

    assert [rule.title for rule in collection.rules] == ["Loader test"]
    assert str(collection.rules[0].source.path) == str(path)


@pytest.mark.parametrize(
    "text",
    [
        "title: [unclosed\n",
        "title: no detection\nlogsource: {product: aws}\n",
        GOOD_RULE.replace("condition: selection", "condition: selection and missing"),
    ],
)
def test_bad_rule_file_names_the_file(tmp_path, text):
    path = tmp_path / "broken.yml"
    path.write_text(text)
    with pytest.raises(RuleLoadError) as caught:
        load_collection([path])
    assert str(path) in str(caught.value)


def test_undecodable_rule_file_names_the_file(tmp_path):
    path = tmp_path / "latin1.yml"
    path.write_bytes(GOOD_RULE.replace("Loader", "Lad\xe9r").encode("latin-1"))
    with pytest.raises(RuleLoadError, match="latin1.yml: cannot read"):
        load_collection([path])


CORRELATION_ON_MISSING_RULE = """
title: Burst of a missing rule
id: 5a0c1c8e-7a52-4d0e-9c61-3f1e2d3c4b5a
status: test
correlation:
    type: event_count
    rules:
        - no_such_rule
    group-by:
        - userIdentity.arn
    timespan: 10m
    condition:
        gte: 10
level: low
"""


def test_correlation_on_missing_rule_names_file(tmp_path):
    path = tmp_path / "burst.yml"
    path.write_text(CORRELATION_ON_MISSING_RULE)

    with pytest.raises(RuleLoadError) as caught:
        load_collection([path])

    assert str(path) in str(caught.value)
    assert "'no_such_rule'" in str(caught.value)


def test_correlation_finds_rule_in_other_file(tmp_path):
    (tmp_path / "base.yml").write_text(GOOD_RULE + "name: no_such_rule\n")
    (tmp_path / "burst.yml").write_text(CORRELATION_ON_MISSING_RULE)

    collection = load_collection([tmp_path])

    assert len(collection.rules) == 2


def test_yaml_error_gives_file_line_and_column(tmp_path):
    path = tmp_path / "broken.yml"
    path.write_text("title: x\ndetection:\n    selection: [a\n")

    with pytest.raises(RuleLoadError) as caught:
        load_collection([path])

    message = str(caught.value)
    assert message.startswith(f"{path}: invalid YAML: line 4, column 1")
    assert "<unicode string>" not in message


def test_empty_folder_is_an_error(tmp_path):
    with pytest.raises(RuleLoadError, match="no .yml or .yaml rule files"):
        rule_files([tmp_path])


def test_folder_named_like_rule_is_not_a_file(tmp_path):
    (tmp_path / "looks.yml").mkdir()
    (tmp_path / "a.yml").write_text(GOOD_RULE)

    assert [path.name for path in rule_files([tmp_path])] == ["a.yml"]


def test_file_without_rules_is_an_error(tmp_path):
    path = tmp_path / "empty.yml"
    path.write_text("")

    with pytest.raises(RuleLoadError, match="no Sigma rules found"):
        load_collection([path])
