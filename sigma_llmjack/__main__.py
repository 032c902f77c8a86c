"""Allow ``python -m sigma_llmjack`` as another name for the ``llmjack`` command."""

from sigma_llmjack.cli import main

main()
