"""A SplunkBackend whose savedsearches.conf values read back unchanged."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sigma.backends.splunk import SplunkBackend

CONTINUATION = " \\\n"
# Text settings whose trailing backslashes and spaces carry no meaning and can be dropped.
TEXT_SETTINGS = frozenset({"description"})
TRAILING_BACKSLASHES = re.compile(r"[\s\\]+$")


def conf_value(key: str, value: Any) -> str:
    """Render one setting value for a .conf file, joining its lines with continuations.

    A line that ends with a backslash continues on the next line in a .conf file, so a value
    whose last character is a backslash would swallow the next setting (a description would take
    the ``search`` line with it). Such a description loses its trailing backslashes. Any other
    setting, such as the search itself, raises ValueError, because dropping characters there
    would change what it means.
    """
    text = str(value)
    if key in TEXT_SETTINGS:
        text = TRAILING_BACKSLASHES.sub("", text)
    elif text.endswith("\\"):
        raise ValueError(
            f"the {key} setting ends with a backslash, which savedsearches.conf reads as a line "
            "continuation into the next setting; change the rule so it does not end that way"
        )
    return CONTINUATION.join(text.split("\n"))


class LLMjackSplunkBackend(SplunkBackend):
    """SplunkBackend whose savedsearches.conf values never end with a continuation backslash."""

    @staticmethod
    def _generate_settings(settings: Mapping[str, Any]) -> str:
        return "".join(f"\n{key} = {conf_value(key, value)}" for key, value in settings.items())
