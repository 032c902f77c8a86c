"""Subcommands of the ``llmjack`` CLI, one module each."""
