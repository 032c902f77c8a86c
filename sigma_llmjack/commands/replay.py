"""``llmjack replay``: run the Sigma rules on log files and print what matched."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import click

from sigma_llmjack.config import load_config
from sigma_llmjack.replay import ReplayInterrupted, Skipped, StopRequest, replay_records
from sigma_llmjack.replay.compiler import compile_paths
from sigma_llmjack.replay.logs import STDIN_NAME, read_logs
from sigma_llmjack.replay.output import JsonWriter, TextWriter

# Exit statuses, also listed in the command's help.
EXIT_OK = 0
EXIT_MATCHED = 1
EXIT_INPUT_ERROR = 2
# Signals that stop a run; the exit status is 128 plus the signal number (130, 143).
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


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
@click.option(
    "--max-matches-per-rule",
    "max_per_rule",
    type=click.IntRange(min=0),
    default=None,
    help="Print at most N matches of each rule in text output; the summary counts the rest. "
    "Default: print all.",
)
def replay(
    logfiles: tuple[str, ...],
    rule_paths: tuple[Path, ...],
    config_path: Path | None,
    output_format: str,
    fail_on_match: bool,
    max_per_rule: int | None,
) -> int:
    """Run the rules on LOGFILE...: CloudTrail and other JSON logs, plain or gzip.

    A LOGFILE of - reads standard input, which may be named once.

    Prints each match as it is found, with the rule, time, identity, access key, source address
    and region, then a summary of records read and skipped and of rules that could not be
    evaluated. Matches are written as they are found and not kept in memory.

    Exit status: 0 when the run completed, 1 when --fail-on-match is set and a rule matched,
    130 after SIGINT (Ctrl-C) and 143 after SIGTERM. Status 2 means a usage error, an invalid
    rule or configuration, or a log file that could not be read; the other files are still read
    and reported.
    """
    if logfiles.count(STDIN_NAME) > 1:
        raise click.UsageError("standard input (-) can be named only once")
    stop = StopRequest()
    with stop_on_signals(stop):
        try:
            return _run(
                logfiles, rule_paths, config_path, output_format, fail_on_match, max_per_rule, stop
            )
        except ReplayInterrupted as interrupted:
            sys.stdout.flush()
            click.echo("\nllmjack: interrupted", err=True)
            return 128 + (interrupted.signal_number or signal.SIGINT)


def _run(
    logfiles: tuple[str, ...],
    rule_paths: tuple[Path, ...],
    config_path: Path | None,
    output_format: str,
    fail_on_match: bool,
    max_per_rule: int | None,
    stop: StopRequest,
) -> int:
    config = load_config(config_path)
    pack = compile_paths(rule_paths, config)
    stop.check()

    stream = click.get_text_stream("stdout")
    writer = JsonWriter(stream) if output_format == "json" else TextWriter(stream, max_per_rule)
    skipped: list[Skipped] = []
    records = read_logs(logfiles, skipped)
    result = replay_records(records, pack=pack, skipped=skipped, on_match=writer.write, stop=stop)

    unreadable = sum(1 for error in result.file_errors() if error.unreadable)
    writer.finish(result, files=len(logfiles) - unreadable)
    stream.flush()
    file_errors = result.file_errors()
    for file_error in file_errors:
        click.echo(f"llmjack: error: {file_error.source}: {file_error.reason}", err=True)
    for error in result.errors:
        click.echo(
            f"llmjack: warning: rule {error.rule_id} ({error.title}) not evaluated: {error.reason}",
            err=True,
        )

    if file_errors:
        return EXIT_INPUT_ERROR
    if fail_on_match and result.match_counts:
        return EXIT_MATCHED
    return EXIT_OK


@contextmanager
def stop_on_signals(stop: StopRequest) -> Iterator[None]:
    """Turn SIGINT and SIGTERM into ReplayInterrupted and a stop of running SQL statements.

    Only the first signal raises, so the cleanup it starts (closing the database and deleting
    its file) is not itself interrupted by a second Ctrl-C.
    """

    def handle(signal_number: int, _frame: FrameType | None) -> None:
        if stop.requested is not None:
            return
        stop.request(signal_number)
        raise ReplayInterrupted(signal_number)

    previous = {number: signal.signal(number, handle) for number in STOP_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
