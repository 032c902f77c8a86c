"""``llmjack check``: validate rule files offline and exit 1 if any finding is an error."""

from __future__ import annotations

from pathlib import Path

import click

from sigma_llmjack.config import load_config
from sigma_llmjack.validation import check_rules


@click.command(name="check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    help="Site configuration YAML whose placeholder values overlay the shipped defaults.",
)
def check(paths: tuple[Path, ...], config_path: Path | None) -> None:
    """Validate rules: pySigma and SigmaHQ validators, pack conventions, placeholders,
    correlation references and conversion with the sqlite backend. Nothing is downloaded.

    PATHS are rule files or folders; without them the bundled pack is checked. Prints one line
    per finding (file: rule id: severity: check: message) and a summary. Exits with status 1 if
    any finding is an error.
    """
    config = load_config(config_path)
    report = check_rules(paths, config)
    for finding in report.findings:
        click.echo(finding.format())
    click.echo(report.summary())
    if report.errors:
        raise click.exceptions.Exit(1)
