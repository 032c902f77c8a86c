"""First-seen rules (the llmjack_new_terms attribute) on every target."""

from __future__ import annotations

import pytest
from convert_query_checks import check_kibana_rule, conf_syntax_errors

SPLUNK_TAIL = (
    "\n| stats min(_time) as first_seen, max(_time) as last_seen, count by "
    "userIdentity.accessKeyId awsRegion\n"
    '| where first_seen >= relative_time(now(), "-30m@m")'
)


def test_new_terms_splunk_search(case_query) -> None:
    query = case_query("new_terms_first_seen", "splunk")
    assert query == (
        '`llmjack_cloudtrail_index` sourcetype="aws:cloudtrail" eventName="InvokeModel"'
        + SPLUNK_TAIL
    )


def test_new_terms_saved_search(convert_case) -> None:
    from sigma_llmjack.convert.output import render_rule

    result = convert_case("new_terms_first_seen", "splunk", "savedsearches")
    assert result.failed == []
    stanza = render_rule(result, result.converted[0])
    assert conf_syntax_errors(stanza) == []
    assert "dispatch.earliest_time = -14d@m\n" in stanza
    assert "dispatch.latest_time = -15m@m\n" in stanza
    assert stanza.endswith(SPLUNK_TAIL.replace("\n", " \\\n") + "\n")


def test_new_terms_kibana_rule(convert_case) -> None:
    result = convert_case("new_terms_first_seen", "lucene", "ndjson")
    assert result.failed == []
    rule = result.converted[0].queries[0]
    assert rule["type"] == "new_terms"
    fields = ["aws.cloudtrail.user_identity.access_key_id", "cloud.region"]
    assert rule["new_terms_fields"] == fields
    assert rule["history_window_start"] == "now-14d"
    check_kibana_rule(rule, "lucene")


@pytest.mark.parametrize(
    ("target", "output_format"),
    [("lucene", "plain"), ("esql", "plain"), ("esql", "ndjson"), ("eql", "plain")],
)
def test_new_terms_rejected_elsewhere(convert_case, target: str, output_format: str) -> None:
    result = convert_case("new_terms_first_seen", target, output_format)
    assert result.converted == []
    assert len(result.failed) == 1
    assert "first-seen rule (llmjack_new_terms)" in result.failed[0].reason
    assert "--target lucene --format ndjson or --target splunk" in result.failed[0].reason


@pytest.mark.parametrize("target", ["splunk", "lucene"])
def test_new_terms_invalid_attribute(convert_case, target: str) -> None:
    result = convert_case("new_terms_invalid", target)
    assert result.converted == []
    assert "'history' (a number with m, h or d, like 14d)" in result.failed[0].reason


def test_new_terms_misspelt_key_rejected(tmp_path) -> None:
    from convert_paths import CASES_DIR

    from sigma_llmjack.config import load_config
    from sigma_llmjack.convert import convert_rules

    text = (CASES_DIR / "new_terms_first_seen.yml").read_text(encoding="utf-8")
    assert "    history: " in text
    path = tmp_path / "misspelt.yml"
    path.write_text(text.replace("    history: ", "    histroy: 1d\n    history: "), "utf-8")
    result = convert_rules("splunk", None, load_config(), [path])
    assert result.converted == []
    assert "unknown key(s) histroy" in result.failed[0].reason
