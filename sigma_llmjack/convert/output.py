"""Render conversion results as text: combined output, per-rule files and Splunk macros."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sigma_llmjack.config import SiteConfig
from sigma_llmjack.convert.engine import ConversionResult, ConvertedRule
from sigma_llmjack.convert.savedsearches import macros_conf
from sigma_llmjack.convert.targets import ConversionError


def _ndjson_lines(queries: list[Any]) -> str:
    # Sorted keys keep the files stable from run to run, so changes show up in a diff.
    return "".join(
        json.dumps(query, sort_keys=True, ensure_ascii=False) + "\n" for query in queries
    )


def render_rule(result: ConversionResult, rule: ConvertedRule) -> str:
    """Render the queries of one rule in the result's format."""
    kind = result.output_format.name
    if kind == "ndjson":
        return _ndjson_lines(rule.queries)
    if kind == "savedsearches":
        return "".join(str(query).lstrip("\n") + "\n" for query in rule.queries)
    return "\n\n".join(str(query) for query in rule.queries) + "\n"


def render_combined(result: ConversionResult) -> str:
    """Render every converted rule as one text: a .conf file, an NDJSON file or plain queries."""
    kind = result.output_format.name
    if kind == "ndjson":
        return _ndjson_lines(list(result.combined or []))
    if kind == "savedsearches":
        return str(result.combined).lstrip("\n") + "\n"
    # Plain queries: one blank line between rules.
    return "\n".join(render_rule(result, rule) for rule in result.converted)


def write_output_dir(result: ConversionResult, directory: Path, config: SiteConfig) -> list[Path]:
    """Write one file per rule, the combined file where the format has one, and Splunk macros."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConversionError(f"{directory}: cannot create output folder: {error}") from error

    files: dict[Path, str] = {}
    suffix = result.output_format.suffix
    for rule in result.converted:
        files[directory / f"{rule.file_stem}{suffix}"] = render_rule(result, rule)
    combined_name = result.output_format.combined_name
    if combined_name is not None:
        files[directory / combined_name] = render_combined(result)
    if result.output_format.name == "savedsearches":
        try:
            files[directory / "macros.conf"] = macros_conf(config.splunk)
        except ValueError as error:
            raise ConversionError(f"invalid site option: {error}") from error

    for path, text in files.items():
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as error:
            raise ConversionError(f"{path}: cannot write output: {error}") from error
    return list(files)
