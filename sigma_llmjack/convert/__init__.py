"""Convert the rule pack for Splunk and Elastic targets and render the results."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sigma_llmjack.config import SiteConfig
from sigma_llmjack.convert.engine import ConversionResult, ConvertedRule, FailedRule
from sigma_llmjack.convert.targets import TARGETS, ConversionError, get_target

__all__ = [
    "TARGETS",
    "ConversionError",
    "ConversionResult",
    "ConvertedRule",
    "FailedRule",
    "convert_rules",
]


def convert_rules(
    target_name: str,
    format_name: str | None = None,
    config: SiteConfig | None = None,
    paths: Iterable[str | Path] = (),
) -> ConversionResult:
    """Load the rules at ``paths`` (the bundled pack when empty) and convert them for a target.

    Raises ConversionError for an unknown target or format and RuleLoadError for a rule file that
    cannot be loaded. Rules the target cannot express are listed in ``ConversionResult.failed``.
    """
    from sigma_llmjack.config import load_config
    from sigma_llmjack.convert.engine import convert_collection
    from sigma_llmjack.pack import load_collection

    target = get_target(target_name)
    output_format = target.output_format(format_name)
    site = config if config is not None else load_config()
    return convert_collection(load_collection(paths), target, output_format, site)
