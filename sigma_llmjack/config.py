"""Site configuration: the values that Sigma placeholders (``%name%``) in the rules stand for.

A site file is YAML with a ``placeholders`` mapping from placeholder name to a list of values.
Values set there replace the shipped defaults in ``sigma_llmjack/data/site-defaults.yml`` name by
name, so a site only writes what differs. Values are Sigma strings: ``*`` and ``?`` are wildcards
and a backslash escapes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import ValueListPlaceholderTransformation

from sigma_llmjack.errors import ConfigError

DEFAULTS_RESOURCE = "site-defaults.yml"
KNOWN_SECTIONS = frozenset({"placeholders", "splunk", "elastic"})


@dataclass
class SiteConfig:
    """Placeholder values and per-target options of one site."""

    placeholders: dict[str, list[str]] = field(default_factory=dict)
    splunk: dict[str, Any] = field(default_factory=dict)
    elastic: dict[str, Any] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)

    def placeholder_pipeline(self) -> ProcessingPipeline:
        """Build the pipeline that fills every placeholder from this configuration.

        Its priority of 10 runs it before the field mappings of the target pipelines (20 and
        later), so the values it inserts are mapped and escaped like any other rule value.
        """
        return ProcessingPipeline(
            name="sigma-llmjack site placeholders",
            priority=10,
            items=[
                ProcessingItem(
                    identifier="llmjack_site_placeholders",
                    transformation=ValueListPlaceholderTransformation(),
                )
            ],
            vars={name: list(values) for name, values in self.placeholders.items()},
        )


def _read_yaml(text: str, origin: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"{origin}: not valid YAML: {error}") from error
    if data is None:
        return {}
    if not isinstance(data, dict):
        found = type(data).__name__
        raise ConfigError(f"{origin}: expected a mapping at the top level, found {found}")
    unknown = set(data) - KNOWN_SECTIONS
    if unknown:
        raise ConfigError(
            f"{origin}: unknown section(s) {', '.join(sorted(map(str, unknown)))}; "
            f"expected {', '.join(sorted(KNOWN_SECTIONS))}"
        )
    return data


def _placeholder_values(name: Any, values: Any, origin: str) -> list[str]:
    if isinstance(values, (str, int, float)) and not isinstance(values, bool):
        values = [values]
    if not isinstance(values, list) or not values:
        raise ConfigError(
            f"{origin}: placeholder '{name}' must be a non-empty list of strings, got {values!r}"
        )
    for value in values:
        if not isinstance(value, (str, int, float)) or isinstance(value, bool) or value == "":
            raise ConfigError(
                f"{origin}: placeholder '{name}' has the invalid value {value!r}; "
                "use non-empty strings"
            )
    return [str(value) for value in values]


def default_config() -> SiteConfig:
    """Return the shipped defaults, which make every rule usable as shipped."""
    text = resources.files("sigma_llmjack").joinpath("data", DEFAULTS_RESOURCE).read_text("utf-8")
    data = _read_yaml(text, DEFAULTS_RESOURCE)
    placeholders = {
        str(name): _placeholder_values(name, values, DEFAULTS_RESOURCE)
        for name, values in (data.get("placeholders") or {}).items()
    }
    return SiteConfig(
        placeholders=placeholders,
        splunk=dict(data.get("splunk") or {}),
        elastic=dict(data.get("elastic") or {}),
        sources=[DEFAULTS_RESOURCE],
    )


def load_config(path: str | Path | None = None) -> SiteConfig:
    """Load the defaults and overlay the site file at ``path``, if one is given.

    A placeholder name that the defaults do not define is rejected, because a misspelt name would
    otherwise leave the shipped value in force without notice.
    """
    config = default_config()
    if path is None:
        return config

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read site configuration: {error}") from error
    data = _read_yaml(text, str(path))

    placeholders = data.get("placeholders") or {}
    if not isinstance(placeholders, dict):
        raise ConfigError(f"{path}: 'placeholders' must be a mapping of name to list of values")
    for name, values in placeholders.items():
        if name not in config.placeholders:
            raise ConfigError(
                f"{path}: unknown placeholder '{name}'; known placeholders are "
                f"{', '.join(sorted(config.placeholders))}"
            )
        config.placeholders[name] = _placeholder_values(name, values, str(path))

    for section in ("splunk", "elastic"):
        options = data.get(section) or {}
        if not isinstance(options, dict):
            raise ConfigError(f"{path}: '{section}' must be a mapping of option to value")
        getattr(config, section).update(options)
    config.sources.append(str(path))
    return config
