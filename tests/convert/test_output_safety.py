"""Output files that must not lose rules: .conf continuations, duplicate ids, file names."""

from __future__ import annotations

from pathlib import Path

import pytest
from convert_paths import CASES_DIR
from convert_query_checks import conf_syntax_errors
from test_cli import run_llmjack

from sigma_llmjack.convert.splunk_backend import conf_value

RULE_TEXT = (CASES_DIR / "c01_model_id.yml").read_text(encoding="utf-8")
RULE_ID = "7c1b0a52-0001-4c6e-9a51-1f2e3d4c5b01"


def write_rule(folder: Path, name: str, rule_id: str, title: str, description: str) -> Path:
    lines = []
    for line in RULE_TEXT.splitlines():
        if line.startswith("id: "):
            line = f"id: {rule_id}"
        elif line.startswith("title: "):
            line = f"title: {title}"
        elif line.startswith("description: "):
            line = f"description: {description}"
        lines.append(line)
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def settings_of(stanza_text: str) -> list[str]:
    """Return the setting names of a .conf text, reading continued lines as one value."""
    names, continued = [], False
    for line in stanza_text.splitlines():
        if not continued and " = " in line:
            names.append(line.split(" = ", 1)[0])
        continued = line.endswith("\\")
    return names


def test_description_trailing_backslash_keeps_search(tmp_path: Path) -> None:
    assert RULE_TEXT.count("\nid: ") == 1
    rule = write_rule(tmp_path, "a.yml", RULE_ID, "Backslash", "'Reads C:\\Temp\\'")
    completed = run_llmjack("-t", "splunk", "-f", "savedsearches", rule)
    assert completed.returncode == 0, completed.stderr
    assert "search" in settings_of(completed.stdout)
    assert "description = Reads C:\\Temp\n" in completed.stdout
    assert conf_syntax_errors(completed.stdout) == []


@pytest.mark.parametrize("key", ["search", "cron_schedule"])
def test_search_trailing_backslash_rejected(key: str) -> None:
    with pytest.raises(ValueError, match=f"the {key} setting ends with a backslash"):
        conf_value(key, 'x="a" \\')


def test_description_inner_backslashes_kept() -> None:
    assert conf_value("description", "a\\\nb \\\\ \n") == "a\\ \\\nb"


def test_duplicate_ids_fail_both(tmp_path: Path) -> None:
    first = write_rule(tmp_path, "a.yml", RULE_ID, "First", "One.")
    second = write_rule(tmp_path, "b.yml", RULE_ID, "Second", "Two.")
    completed = run_llmjack("-t", "esql", "-f", "ndjson", tmp_path)
    assert completed.returncode == 1
    assert completed.stdout == ""
    assert f"({first}): the id {RULE_ID} is also used by {second}" in completed.stderr
    assert f"({second}): the id {RULE_ID} is also used by {first}" in completed.stderr


def test_duplicate_titles_fail_splunk_stanzas(tmp_path: Path) -> None:
    write_rule(tmp_path, "a.yml", RULE_ID, "Same [Title]", "One.")
    write_rule(tmp_path, "b.yml", "7c1b0a52-00ff-4c6e-9a51-1f2e3d4c5b01", "Same Title", "Two.")
    completed = run_llmjack("-t", "splunk", "-f", "savedsearches", tmp_path)
    assert completed.returncode == 1
    assert completed.stderr.count("stanza name [Same Title] is also used by") == 2
    plain = run_llmjack("-t", "splunk", tmp_path)
    assert plain.returncode == 0, plain.stderr


@pytest.mark.parametrize(
    ("target", "output_format", "stems"),
    [
        ("splunk", "savedsearches", ["rules", "macros", "savedsearches"]),
        ("esql", "ndjson", ["rules"]),
    ],
)
def test_rule_file_named_like_combined(
    tmp_path: Path, target: str, output_format: str, stems: list[str]
) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    for number, stem in enumerate(stems):
        write_rule(rules, f"{stem}.yml", f"7c1b0a52-00a{number}-4c6e-9a51-1f2e3d4c5b01", stem, "D.")
    out = tmp_path / "out"
    completed = run_llmjack("-t", target, "-f", output_format, "-o", out, rules)
    assert completed.returncode == 0, completed.stderr
    combined = (out / ("savedsearches.conf" if target == "splunk" else "rules.ndjson")).read_text()
    for stem in stems:
        assert stem in combined
    per_rule = [path for path in out.iterdir() if path.stem.split("-")[0] in stems]
    assert len(per_rule) == len(stems) + (2 if target == "splunk" else 1)


def test_no_converted_rule_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    case = CASES_DIR / "c00_other_logsource.yml"
    completed = run_llmjack("-t", "splunk", "-f", "savedsearches", "-o", out, case)
    assert completed.returncode == 1
    assert "no rule converted; nothing written" in completed.stderr
    assert not out.exists()
