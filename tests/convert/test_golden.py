"""Golden outputs: every bundled rule converted for every target and format, byte for byte.

A backend or pipeline change that alters any query fails here. After checking that a change is
intended, regenerate with ``.venv/bin/python -m pytest tests/convert --update-golden``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from convert_paths import GOLDEN_DIR, REPO_ROOT
from convert_query_checks import PLAIN_CHECKS, check_kibana_rule
from sigma.correlations import SigmaCorrelationRule

from sigma_llmjack.config import SiteConfig
from sigma_llmjack.convert import TARGETS, ConversionResult, convert_rules
from sigma_llmjack.convert.output import write_output_dir
from sigma_llmjack.pack import load_collection

FAILURES_FILE = "failures.txt"

TARGET_FORMATS = [(target, name) for target in TARGETS for name in TARGETS[target].formats]


def failures_text(result: ConversionResult) -> str:
    """List the rules the target rejected, with paths relative to the repository."""
    lines = []
    for failure in result.failed:
        reason = failure.reason.replace(f"{REPO_ROOT}/", "")
        lines.append(f"{failure.rule_id} {failure.title}: {reason}\n")
    return "".join(lines)


def render_tree(result: ConversionResult, config: SiteConfig, folder: Path) -> dict[str, str]:
    write_output_dir(result, folder, config)
    (folder / FAILURES_FILE).write_text(failures_text(result), encoding="utf-8")
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(folder.iterdir())}


@pytest.mark.parametrize(("target", "output_format"), TARGET_FORMATS)
def test_golden_output(
    target: str,
    output_format: str,
    site_config: SiteConfig,
    tmp_path: Path,
    update_golden: bool,
    connection_attempts: list[object],
) -> None:
    result = convert_rules(target, output_format, site_config)
    produced = render_tree(result, site_config, tmp_path / "out")
    golden = GOLDEN_DIR / f"{target}-{output_format}"

    if update_golden:
        shutil.rmtree(golden, ignore_errors=True)
        shutil.copytree(tmp_path / "out", golden)

    expected = {path.name: path.read_text(encoding="utf-8") for path in sorted(golden.iterdir())}
    missing = sorted(set(produced) - set(expected))
    stale = sorted(set(expected) - set(produced))
    assert missing == [], f"no golden file for {missing}; run pytest --update-golden"
    assert stale == [], f"golden files without a rule: {stale}"
    for name, text in produced.items():
        assert text == expected[name], f"{golden.name}/{name} differs from the golden file"
    assert connection_attempts == []


@pytest.mark.parametrize(("target", "output_format"), TARGET_FORMATS)
def test_every_rule_accounted_for(target: str, output_format: str, site_config: SiteConfig) -> None:
    result = convert_rules(target, output_format, site_config)
    handled = {rule.rule_id for rule in result.converted} | {f.rule_id for f in result.failed}
    collection = load_collection()
    # A rule only referenced by correlations (generate: false) produces no output of its own.
    referenced = {
        str(reference.reference)
        for rule in collection.rules
        if isinstance(rule, SigmaCorrelationRule)
        for reference in rule.rules
    }
    for rule in collection.rules:
        if rule.name in referenced or str(rule.id) in referenced:
            continue
        assert str(rule.id) in handled, f"{rule.title} ({rule.id}) has no output and no failure"


@pytest.mark.parametrize("target", list(PLAIN_CHECKS))
def test_plain_queries_parse(target: str, site_config: SiteConfig) -> None:
    result = convert_rules(target, "plain", site_config)
    for rule in result.converted:
        for query in rule.queries:
            PLAIN_CHECKS[target](str(query))


@pytest.mark.parametrize("target", ["lucene", "esql"])
def test_kibana_rules_valid(target: str, site_config: SiteConfig) -> None:
    result = convert_rules(target, "ndjson", site_config)
    lines = [json.dumps(query) for rule in result.converted for query in rule.queries]
    assert lines
    for line in lines:
        check_kibana_rule(json.loads(line), target)


def test_bundled_rules_all_converted_for_splunk(site_config: SiteConfig) -> None:
    result = convert_rules("splunk", "plain", site_config)
    assert result.failed == []
