#!/usr/bin/env python3
"""Splunk external lookup entry point: classify source addresses (see llmjack_enrichment).

splunkd runs this file with the arguments of ``external_cmd`` in transforms.conf. The
package is found beside this file (``bin/lib/`` inside a Splunk app, where requests and
cachetools are vendored too) or one folder up (the repository's ``enrichment/``).
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
for candidate in (os.path.join(HERE, "lib"), os.path.dirname(HERE)):
    if os.path.isdir(os.path.join(candidate, "llmjack_enrichment")):
        sys.path.insert(0, candidate)
        break


def _app_dir():
    """Return the Splunk app folder when this script runs inside one, else None."""
    from pathlib import Path

    app = Path(HERE).parent
    return app if (app / "default" / "app.conf").is_file() else None


if __name__ == "__main__":
    from llmjack_enrichment.splunk_lookup import main

    sys.exit(main(app_dir=_app_dir()))
