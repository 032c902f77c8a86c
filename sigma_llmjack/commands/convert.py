"""``llmjack convert``: compile the rule pack into Splunk or Elastic queries."""

from __future__ import annotations

from pathlib import Path

import click

from sigma_llmjack.convert.targets import TARGETS


@click.command()
@click.option(
    "-t",
    "--target",
    required=True,
    help=f"Query language to produce: {', '.join(TARGETS)}.",
)
@click.option(
    "-f",
    "--format",
    "format_name",
    help="Output format (default plain): splunk plain|savedsearches, lucene and esql "
    "plain|ndjson (Kibana detection rules), eql plain.",
)
@click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Site configuration YAML with placeholder values and splunk/elastic options.",
)
@click.option(
    "-o",
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write one file per rule (and the combined file of the format) into this folder "
    "instead of printing to stdout.",
)
@click.argument("rules", nargs=-1, type=click.Path(path_type=Path))
def convert(
    target: str,
    format_name: str | None,
    config_path: Path | None,
    output_dir: Path | None,
    rules: tuple[Path, ...],
) -> int:
    """Convert RULES (files or folders; the bundled pack if none) for one target.

    Rules the target cannot express are listed on stderr with id, title and reason. The exit
    status is 1 when any rule failed or none converted, and 0 otherwise.
    """
    from sigma_llmjack.config import load_config
    from sigma_llmjack.convert import convert_rules
    from sigma_llmjack.convert.output import render_combined, write_output_dir

    config = load_config(config_path)
    result = convert_rules(target, format_name, config, rules)

    if not result.converted:
        # A savedsearches.conf with only [default] or an empty rules.ndjson would look like a
        # successful build, so nothing is written when no rule converted.
        click.echo("llmjack: no rule converted; nothing written", err=True)
    elif output_dir is not None:
        written = write_output_dir(result, output_dir, config)
        click.echo(f"llmjack: wrote {len(written)} files to {output_dir}", err=True)
    else:
        click.echo(render_combined(result), nl=False)

    for failure in result.failed:
        click.echo(
            f"llmjack: failed: {failure.rule_id} {failure.title!r} ({failure.source}): "
            f"{failure.reason}",
            err=True,
        )
    click.echo(
        f"llmjack: {result.target.name} {result.output_format.name}: "
        f"{len(result.converted)} rules converted, {len(result.failed)} failed",
        err=True,
    )
    return 1 if result.failed or not result.converted else 0
