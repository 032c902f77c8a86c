"""Conversion hard cases: each case rule converted for every target, checked on exact text.

The expected strings are the whole query (Splunk without its fixed macro and sourcetype prefix,
ES|QL without its FROM clause), so any change in quoting or escaping fails here.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from convert_paths import CASES_DIR
from convert_query_checks import PLAIN_CHECKS, conf_syntax_errors

SPLUNK_PREFIX = '`llmjack_cloudtrail_index` sourcetype="aws:cloudtrail"'
ESQL_PREFIX = "from logs-aws.cloudtrail-* metadata _id, _index, _version | where "

QueryOf = Callable[[str, str], str]


def splunk_body(query: str) -> str:
    assert query.startswith(SPLUNK_PREFIX)
    return query[len(SPLUNK_PREFIX) :].lstrip(" ")


def esql_body(query: str) -> str:
    assert query.startswith(ESQL_PREFIX)
    return query[len(ESQL_PREFIX) :]


# C1: the colon of a model id is escaped in Lucene and quoted elsewhere.
def test_c1_model_id_splunk(case_query: QueryOf) -> None:
    query = case_query("c01_model_id", "splunk")
    assert (
        splunk_body(query) == 'requestParameters.modelId="anthropic.claude-3-sonnet-20240229-v1:0"'
    )


def test_c1_model_id_lucene(case_query: QueryOf) -> None:
    assert case_query("c01_model_id", "lucene") == (
        r"aws.cloudtrail.flattened.request_parameters.modelId:"
        r"anthropic.claude\-3\-sonnet\-20240229\-v1\:0"
    )


def test_c1_model_id_esql(case_query: QueryOf) -> None:
    # ES|QL cannot read flattened fields, so it matches the map string of request_parameters,
    # with the value case-folded like every other field.
    assert esql_body(case_query("c01_model_id", "esql")) == (
        r'aws.cloudtrail.request_parameters rlike ".*[{ ]modelId='
        r"[aA][nN][tT][hH][rR][oO][pP][iI][cC]\\.[cC][lL][aA][uU][dD][eE]-3-"
        r'[sS][oO][nN][nN][eE][tT]-20240229-[vV]1:0[,}].*"'
    )


def test_c1_model_id_eql(case_query: QueryOf) -> None:
    assert case_query("c01_model_id", "eql") == (
        "any where aws.cloudtrail.flattened.request_parameters.modelId:"
        '"anthropic.claude-3-sonnet-20240229-v1:0"'
    )


# C2: "/", ":", "@" and "." stay literal; the leading wildcard of endswith stays a wildcard.
def test_c2_arn_suffix_splunk(case_query: QueryOf) -> None:
    query = case_query("c02_arn_suffix", "splunk")
    assert splunk_body(query) == 'userIdentity.arn="*:assumed-role/AppRole/jane.doe@example.com"'


def test_c2_arn_suffix_lucene(case_query: QueryOf) -> None:
    assert case_query("c02_arn_suffix", "lucene") == (
        r"aws.cloudtrail.user_identity.arn:/.*:[aA][sS][sS][uU][mM][eE][dD]-[rR][oO][lL][eE]"
        r"\/[aA][pP][pP][rR][oO][lL][eE]\/[jJ][aA][nN][eE]\.[dD][oO][eE]\@[eE][xX][aA][mM][pP]"
        r"[lL][eE]\.[cC][oO][mM]/"
    )


def test_c2_arn_suffix_esql(case_query: QueryOf) -> None:
    assert esql_body(case_query("c02_arn_suffix", "esql")) == (
        r'aws.cloudtrail.user_identity.arn rlike ".*:[aA][sS][sS][uU][mM][eE][dD]-[rR][oO][lL]'
        r"[eE]/[aA][pP][pP][rR][oO][lL][eE]/[jJ][aA][nN][eE]\\.[dD][oO][eE]\\@[eE][xX][aA][mM]"
        r'[pP][lL][eE]\\.[cC][oO][mM]"'
    )


def test_c2_arn_suffix_eql(case_query: QueryOf) -> None:
    assert case_query("c02_arn_suffix", "eql") == (
        'any where aws.cloudtrail.user_identity.arn:"*:assumed-role/AppRole/jane.doe@example.com"'
    )


# C3: SPL cannot escape "*", so the value becomes an exact, anchored regex test; no target
# widens the literal asterisk into a wildcard.
def test_c3_literal_asterisk_splunk(case_query: QueryOf) -> None:
    query = case_query("c03_literal_asterisk", "splunk")
    assert splunk_body(query) == '\n| regex errorMessage="(?i)^quota\\\\ \\\\*\\\\-1\\\\ exceeded$"'
    assert 'errorMessage="quota *-1 exceeded"' not in query


def test_c3_literal_asterisk_lucene(case_query: QueryOf) -> None:
    assert case_query("c03_literal_asterisk", "lucene") == (
        r"aws.cloudtrail.error_message:/[qQ][uU][oO][tT][aA] \*-1 [eE][xX][cC][eE][eE][dD][eE][dD]/"
    )


def test_c3_literal_asterisk_esql(case_query: QueryOf) -> None:
    assert esql_body(case_query("c03_literal_asterisk", "esql")) == (
        r'aws.cloudtrail.error_message rlike "[qQ][uU][oO][tT][aA] \\*-1 '
        r'[eE][xX][cC][eE][eE][dD][eE][dD]"'
    )


def test_c3_literal_asterisk_eql(case_query: QueryOf) -> None:
    assert case_query("c03_literal_asterisk", "eql") == (
        r'any where aws.cloudtrail.error_message regex~ "[qQ][uU][oO][tT][aA] \\*-1 '
        r'[eE][xX][cC][eE][eE][dD][eE][dD]"'
    )


# C4: a literal "?" is not special in SPL and is escaped everywhere else.
@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("splunk", SPLUNK_PREFIX + ' errorMessage="why?"'),
        ("lucene", r"aws.cloudtrail.error_message:/[wW][hH][yY]\?/"),
        ("esql", ESQL_PREFIX + r'aws.cloudtrail.error_message rlike "[wW][hH][yY]\\?"'),
        ("eql", r'any where aws.cloudtrail.error_message regex~ "[wW][hH][yY]\\?"'),
    ],
)
def test_c4_literal_question_mark(case_query: QueryOf, target: str, expected: str) -> None:
    assert case_query("c04_literal_question_mark", target) == expected


# C5: the backslash before the closing wildcard is escaped, the wildcard itself is not.
@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("splunk", SPLUNK_PREFIX + r' userAgent="*C:\\Temp\\*"'),
        ("lucene", r"user_agent.original:/.*[cC]:\\[tT][eE][mM][pP]\\.*/"),
        ("esql", ESQL_PREFIX + r'user_agent.original rlike ".*[cC]:\\\\[tT][eE][mM][pP]\\\\.*"'),
        ("eql", r'any where user_agent.original:"*C:\\Temp\\*"'),
    ],
)
def test_c5_trailing_backslash(case_query: QueryOf, target: str, expected: str) -> None:
    assert case_query("c05_trailing_backslash", target) == expected


# C6: Lucene gets no quoted phrase around a wildcard; the space sits inside a regex.
@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("splunk", SPLUNK_PREFIX + ' userAgent="*aws-cli/2 Python*"'),
        (
            "lucene",
            r"user_agent.original:/.*[aA][wW][sS]-[cC][lL][iI]\/2 [pP][yY][tT][hH][oO][nN].*/",
        ),
        (
            "esql",
            ESQL_PREFIX + 'user_agent.original rlike ".*[aA][wW][sS]-[cC][lL][iI]/2 '
            '[pP][yY][tT][hH][oO][nN].*"',
        ),
        ("eql", 'any where user_agent.original:"*aws-cli/2 Python*"'),
    ],
)
def test_c6_contains_space(case_query: QueryOf, target: str, expected: str) -> None:
    assert case_query("c06_contains_space", target) == expected


def test_c6_lucene_has_no_phrase(case_query: QueryOf) -> None:
    assert '"' not in case_query("c06_contains_space", "lucene")


# C7: both networks on every target; Elastic uses the ip-typed source.ip.
@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (
            "splunk",
            SPLUNK_PREFIX + ' sourceIPAddress="10.0.0.0/8" OR sourceIPAddress="2001:db8::/32"',
        ),
        ("lucene", r"source.ip:10.0.0.0\/8 OR source.ip:2001\:db8\:\:\/32"),
        (
            "esql",
            ESQL_PREFIX
            + 'cidr_match(source.ip, "10.0.0.0/8") or cidr_match(source.ip, "2001:db8::/32")',
        ),
        (
            "eql",
            'any where cidrMatch(source.ip, "10.0.0.0/8") or cidrMatch(source.ip, "2001:db8::/32")',
        ),
    ],
)
def test_c7_cidr(case_query: QueryOf, target: str, expected: str) -> None:
    assert case_query("c07_cidr", target) == expected


# C8: the group-by fields are mapped like the fields of the detection.
def test_c8_group_by_splunk(case_query: QueryOf) -> None:
    query = case_query("c08_correlation_group_by", "splunk")
    assert query == (
        SPLUNK_PREFIX + ' eventName="InvokeModel"\n\n'
        "| bin _time span=1h\n"
        "| stats dc(awsRegion) as value_count by _time userIdentity.accessKeyId sourceIPAddress\n\n"
        "| search value_count >= 3"
    )


def test_c8_group_by_esql(case_query: QueryOf) -> None:
    query = esql_body(case_query("c08_correlation_group_by", "esql"))
    assert query == (
        'event.action rlike "[iI][nN][vV][oO][kK][eE][mM][oO][dD][eE][lL]"\n'
        "| eval timebucket=date_trunc(1hours, @timestamp) "
        "| stats value_count=count_distinct(cloud.region) "
        "by timebucket, aws.cloudtrail.user_identity.access_key_id, source.address\n"
        "| where value_count >= 3"
    )
    assert "sourceIPAddress" not in query
    assert "userIdentity" not in query


@pytest.mark.parametrize("target", ["lucene", "eql"])
def test_c8_correlation_rejected_with_reason(convert_case, target: str) -> None:
    result = convert_case("c08_correlation_group_by", target)
    assert result.converted == []
    assert [failure.rule_id for failure in result.failed] == [
        "7c1b0a52-0018-4c6e-9a51-1f2e3d4c5b18"
    ]
    assert result.failed[0].title == "C8 correlation grouped by mapped fields"
    assert "--target splunk or --target esql" in result.failed[0].reason


# C9: Splunk and EQL compare case-insensitively; Lucene and ES|QL get a regex per letter case.
@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("splunk", SPLUNK_PREFIX + ' eventName="invokemodel"'),
        ("lucene", "event.action:/[iI][nN][vV][oO][kK][eE][mM][oO][dD][eE][lL]/"),
        ("esql", ESQL_PREFIX + 'event.action rlike "[iI][nN][vV][oO][kK][eE][mM][oO][dD][eE][lL]"'),
        ("eql", 'any where event.action:"invokemodel"'),
    ],
)
def test_c9_other_case(case_query: QueryOf, target: str, expected: str) -> None:
    assert case_query("c09_other_case", target) == expected


# C10: "absent" and "Success" are alternatives of one OR, next to the event name.
@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (
            "splunk",
            SPLUNK_PREFIX + ' eventName="InvokeModel" NOT errorCode=* OR errorCode="Success"',
        ),
        (
            "lucene",
            "event.action:/[iI][nN][vV][oO][kK][eE][mM][oO][dD][eE][lL]/ AND "
            "((NOT _exists_:aws.cloudtrail.error_code) OR "
            "aws.cloudtrail.error_code:/[sS][uU][cC][cC][eE][sS][sS]/)",
        ),
        (
            "esql",
            ESQL_PREFIX + 'event.action rlike "[iI][nN][vV][oO][kK][eE][mM][oO][dD][eE][lL]" and '
            "(aws.cloudtrail.error_code is null or "
            'aws.cloudtrail.error_code rlike "[sS][uU][cC][cC][eE][sS][sS]")',
        ),
        (
            "eql",
            'any where event.action:"InvokeModel" and '
            '((?aws.cloudtrail.error_code == null) or aws.cloudtrail.error_code:"Success")',
        ),
    ],
)
def test_c10_success(case_query: QueryOf, target: str, expected: str) -> None:
    assert case_query("c10_success", target) == expected


# C11: every quote in the values is escaped, so each value stays one literal.
@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (
            "splunk",
            SPLUNK_PREFIX + r' userIdentity.userName IN ("\" | delete", "\") OR (\"1\"=\"1")',
        ),
        (
            "lucene",
            r"user.name:/\" \| [dD][eE][lL][eE][tT][eE]/ OR user.name:/\"\) [oO][rR] \(\"1\"=\"1/",
        ),
        (
            "esql",
            ESQL_PREFIX + r'user.name rlike "\\\" \\| [dD][eE][lL][eE][tT][eE]" or '
            r'user.name rlike "\\\"\\) [oO][rR] \\(\\\"1\\\"=\\\"1"',
        ),
        ("eql", r'any where user.name like~ ("\" | delete", "\") OR (\"1\"=\"1")'),
    ],
)
def test_c11_injection(case_query: QueryOf, target: str, expected: str) -> None:
    assert case_query("c11_injection", target) == expected


# C11 for regular expressions: Lucene reserves ", so Lucene, ES|QL and EQL escape it in the
# regex, and EQL also escapes it in the string around the regex.
@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (
            "lucene",
            r"user_agent.original:/a\"b/ OR user_agent.original:/^aws-cli\/[0-9]+ \"x\" | delete/ "
            r"OR user_agent.original:/c\\\"d/",
        ),
        (
            "esql",
            ESQL_PREFIX + r'user_agent.original rlike "a\\\"b" or user_agent.original rlike '
            r'"^aws-cli/[0-9]+ \\\"x\\\" | delete" or user_agent.original rlike "c\\\\\\\"d"',
        ),
        (
            "eql",
            r'any where user_agent.original regex~ "a\\\"b" or user_agent.original regex~ '
            r'"^aws-cli/[0-9]+ \\\"x\\\" | delete" or user_agent.original regex~ "c\\\\\\\"d"',
        ),
    ],
)
def test_c11_regex_quotes(case_query: QueryOf, target: str, expected: str) -> None:
    assert case_query("c11_regex_quotes", target) == expected


def test_c11_regex_quotes_splunk(case_query: QueryOf) -> None:
    query = case_query("c11_regex_quotes", "splunk")
    assert r'| rex field=userAgent "(?<userAgentMatch>a\"b)"' in query
    assert r'"(?<userAgentMatch2>^aws-cli/[0-9]+ \"x\" | delete)"' in query
    assert r'"(?<userAgentMatch3>c\\\\\"d)"' in query


@pytest.mark.parametrize("target", ["splunk", "lucene", "esql", "eql"])
def test_other_logsource_rejected(convert_case, target: str) -> None:
    result = convert_case("c00_other_logsource", target)
    assert result.converted == []
    assert len(result.failed) == 1
    assert "product: windows, category: process_creation" in result.failed[0].reason
    assert "only maps product: aws, service: cloudtrail" in result.failed[0].reason


CASE_NAMES = sorted(
    path.stem for path in CASES_DIR.glob("c*.yml") if path.stem != "c00_other_logsource"
)


@pytest.mark.parametrize("target", list(PLAIN_CHECKS))
@pytest.mark.parametrize("name", CASE_NAMES)
def test_case_queries_parse(convert_case, name: str, target: str) -> None:
    result = convert_case(name, target)
    for rule in result.converted:
        for query in rule.queries:
            PLAIN_CHECKS[target](str(query))


@pytest.mark.parametrize("target", ["lucene", "esql"])
def test_kibana_rules_built_offline(convert_case, connection_attempts, target: str) -> None:
    result = convert_case("c09_other_case", target, "ndjson")
    assert result.failed == []
    kibana_rule = result.converted[0].queries[0]
    assert kibana_rule["threat"][0]["technique"][0]["id"] == "T1496"
    assert kibana_rule["severity"] == "low"
    assert connection_attempts == []


def flattened_values(detection: object) -> list[tuple[str, str]]:
    """Collect (field, value) pairs of detection items on objects Elastic keeps flattened."""
    from sigma.rule import SigmaDetection, SigmaDetectionItem

    pairs: list[tuple[str, str]] = []
    assert isinstance(detection, SigmaDetection)
    for item in detection.detection_items:
        if isinstance(item, SigmaDetection):
            pairs.extend(flattened_values(item))
        elif isinstance(item, SigmaDetectionItem) and is_flattened(item.field):
            pairs.extend((str(item.field), str(value)) for value in item.value)
    return pairs


FLATTENED_OBJECTS = ("requestParameters", "additionalEventData", "responseElements")


def is_flattened(field: str | None) -> bool:
    return field is not None and field.split(".")[0] in FLATTENED_OBJECTS


def test_pack_flattened_values_lower_case() -> None:
    # Elastic's flattened fields cannot take the case-folding regex, so a pack value there must
    # already be in the case CloudTrail writes; every such value in CloudTrail is lower case.
    from sigma.rule import SigmaRule

    from sigma_llmjack.pack import load_collection

    pairs = [
        pair
        for rule in load_collection().rules
        if isinstance(rule, SigmaRule)
        for detection in rule.detection.detections.values()
        for pair in flattened_values(detection)
    ]
    assert pairs
    for field, value in pairs:
        assert value == value.lower(), f"{field}: {value}"


def test_splunk_single_wildcard_stays_exact(case_query: QueryOf) -> None:
    # SPL has no one-character wildcard, so "?" must not become "*" in the search.
    query = case_query("splunk_single_wildcard", "splunk")
    assert splunk_body(query) == '\n| regex awsRegion="(?i)^us\\\\-east\\\\-.$"'
    assert "us-east-*" not in query


def test_splunk_regex_under_or_base_first(case_query: QueryOf) -> None:
    # A search cannot start with "| rex", so the macro and sourcetype come first.
    assert case_query("splunk_regex_under_or", "splunk") == (
        SPLUNK_PREFIX + "\n"
        '| rex field=errorMessage "(?<errorMessageMatch>(?i)^x\\\\*y$)"\n'
        '| eval errorMessageCondition=if(isnotnull(errorMessageMatch), "true", "false")\n'
        '| search errorMessageCondition="true" OR eventName="InvokeModel"'
    )


def test_splunk_regex_under_or_saved_search(convert_case) -> None:
    from sigma_llmjack.convert.output import render_rule

    result = convert_case("splunk_regex_under_or", "splunk", "savedsearches")
    stanza = render_rule(result, result.converted[0])
    assert f"\nsearch = {SPLUNK_PREFIX} \\\n| rex field=errorMessage " in stanza
    assert conf_syntax_errors(stanza) == []
