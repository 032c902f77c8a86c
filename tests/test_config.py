"""Tests of the site configuration loader and its placeholder pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest
from sigma.backends.splunk import SplunkBackend
from sigma.collection import SigmaCollection

from sigma_llmjack.config import default_config, load_config
from sigma_llmjack.errors import ConfigError

RULE_WITH_PLACEHOLDER = """
title: Placeholder test
id: 7b0d2a4e-93c5-4d0a-9a51-0c6c1f0e1a01
status: test
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        awsRegion|expand: '%{name}%'
    condition: selection
level: low
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "site.yml"
    path.write_text(text, encoding="utf-8")
    return path


def some_placeholder() -> str:
    names = sorted(default_config().placeholders)
    assert names, "site-defaults.yml defines no placeholders"
    return names[0]


def test_defaults_fill_every_value_list():
    config = default_config()
    for name, values in config.placeholders.items():
        assert values, name
        assert all(isinstance(value, str) and value for value in values), name


def test_site_file_overrides_one_placeholder(tmp_path):
    name = some_placeholder()
    path = write(tmp_path, f"placeholders:\n  {name}: ['eu-west-3', 'eu-central-1']\n")

    config = load_config(path)

    assert config.placeholders[name] == ["eu-west-3", "eu-central-1"]
    assert config.sources[-1] == str(path)
    others = {k: v for k, v in config.placeholders.items() if k != name}
    assert others == {k: v for k, v in default_config().placeholders.items() if k != name}


def test_single_string_becomes_list(tmp_path):
    name = some_placeholder()
    config = load_config(write(tmp_path, f"placeholders:\n  {name}: us-east-2\n"))
    assert config.placeholders[name] == ["us-east-2"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("placeholders:\n  no_such_name: [a]\n", "unknown placeholder 'no_such_name'"),
        ("placeholders: [a, b]\n", "'placeholders' must be a mapping"),
        ("splunk: 3\n", "'splunk' must be a mapping"),
        ("colours: {}\n", "unknown section(s) colours"),
        ("- a\n- b\n", "expected a mapping at the top level"),
        ("placeholders: {a: [\n", "not valid YAML"),
    ],
)
def test_bad_site_file_names_file_and_problem(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


@pytest.mark.parametrize("value", ["[]", "['']", "[true]", "[{a: b}]", "null"])
def test_bad_placeholder_value_rejected(tmp_path, value):
    name = some_placeholder()
    path = write(tmp_path, f"placeholders:\n  {name}: {value}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert f"placeholder '{name}'" in str(caught.value)


def test_missing_site_file_is_config_error(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "absent.yml")
    assert "absent.yml" in str(caught.value)


def test_placeholder_pipeline_expands_values(tmp_path):
    name = some_placeholder()
    config = load_config(write(tmp_path, f"placeholders:\n  {name}: ['eu-west-3', 'ap-*']\n"))
    rule = SigmaCollection.from_yaml(RULE_WITH_PLACEHOLDER.replace("{name}", name))

    query = SplunkBackend(config.placeholder_pipeline()).convert(rule)[0]

    assert "eu-west-3" in query
    assert "ap-*" in query
    assert "%" not in query
