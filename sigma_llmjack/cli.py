"""The ``llmjack`` command line: a click group whose subcommands are imported on first use.

Importing pySigma and its backends takes a noticeable part of a second, so each subcommand lives
in its own module and ``llmjack enrich`` never pays for the converter's imports.
"""

from __future__ import annotations

import importlib
import logging
import sys

import click

from sigma_llmjack import __version__
from sigma_llmjack.errors import LLMjackError

# Subcommand name -> "module:attribute" of its click command.
COMMANDS = {
    "convert": "sigma_llmjack.commands.convert:convert",
    "rules": "sigma_llmjack.commands.catalogue:rules",
    "check": "sigma_llmjack.commands.check:check",
    "replay": "sigma_llmjack.commands.replay:replay",
    "enrich": "llmjack_enrichment.cli:enrich",
    "feeds": "llmjack_enrichment.cli:feeds",
}


class LazyGroup(click.Group):
    """A click group that imports a subcommand's module only when that subcommand runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        return getattr(importlib.import_module(module_name), attribute)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="llmjack")
@click.option("-v", "--verbose", count=True, help="Log more detail to stderr (repeat for debug).")
def cli(verbose: int) -> None:
    """Detect LLMjacking: convert the Sigma rule pack, replay it on logs, enrich addresses."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="llmjack: %(levelname)s: %(name)s: %(message)s")


def main() -> None:
    """Run the CLI, turning LLMjackError into a one-line message and exit status 2."""
    try:
        status = cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except LLMjackError as error:
        click.echo(f"llmjack: error: {error}", err=True)
        sys.exit(2)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    sys.exit(status if isinstance(status, int) else 0)
