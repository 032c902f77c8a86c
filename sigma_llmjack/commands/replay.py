"""``llmjack replay``: run the Sigma rules on log files and print what matched."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sigma_llmjack.config import load_config
from sigma_llmjack.replay import Skipped, replay_records
from sigma_llmjack.replay.compiler import compile_paths
from sigma_llmjack.replay.logs import read_logs
from sigma_llmjack.replay.output import format_json, format_text

# Exit statuses, also listed in the command's help.
EXIT_OK = 0
EXIT_MATCHED = 1
EXIT_INPUT_ERROR = 2


@click.command(name="replay")
@click.argument("logfiles", nargs=-1, required=True, metavar="LOGFILE...")
@click.option(
    "--rules",
    "rule_paths",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Rule file or folder to run instead of the bundled pack (repeatable).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    help="Site configuration YAML whose values fill the rules' placeholders.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output for people (text) or programs (json).",
)
@click.option(
    "--fail-on-match",
    is_flag=True,
    help="Exit with status 1 when any rule matched.",
)
def replay(
    logfiles: tuple[str, ...],
    rule_paths: tuple[Path, ...],
    config_path: Path | None,
    output_format: str,
    fail_on_match: bool,
) -> int:
    """Run the rules on LOGFILE...: CloudTrail and other JSON logs, plain or gzip.

    A LOGFILE of - reads standard input.

    Prints each match with the rule, time, identity, access key, source address and region,
    then a summary of records read and skipped and of rules that could not be evaluated.

    Exit status: 0 when the run completed, 1 when --fail-on-match is set and a rule matched,
    2 on a usage error, an invalid rule or configuration, or a log file that could not be read.
    The other files are still read and reported.
    """
    config = load_config(config_path)
    pack = compile_paths(rule_paths, config)

    skipped: list[Skipped] = []
    result = replay_records(read_logs(logfiles, skipped), pack=pack, skipped=skipped)
    file_errors = result.file_errors()
    for file_error in file_errors:
        click.echo(f"llmjack: error: {file_error.source}: {file_error.reason}", err=True)
    for error in result.errors:
        click.echo(
            f"llmjack: warning: rule {error.rule_id} ({error.title}) not evaluated: {error.reason}",
            err=True,
        )

    if output_format == "json":
        click.echo(format_json(result, files=len(logfiles)))
    else:
        click.echo(format_text(result, files=len(logfiles)))
    sys.stdout.flush()

    if file_errors:
        return EXIT_INPUT_ERROR
    if fail_on_match and result.matches:
        return EXIT_MATCHED
    return EXIT_OK
