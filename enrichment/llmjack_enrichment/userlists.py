"""The user's allow and deny lists: ``cidr,label[,comment]`` CSV files compiled in memory."""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path

from llmjack_enrichment.errors import FeedFormatError, SettingsError
from llmjack_enrichment.feeds.base import parse_network, read_text_lines
from llmjack_enrichment.index import FeedIndex, IndexEntry, compile_entries, label_text
from llmjack_enrichment.settings import Settings

logger = logging.getLogger(__name__)


def load_user_lists(settings: Settings) -> FeedIndex | None:
    """Compile the allow and deny lists in memory, or return None when neither has entries.

    Both lists share one category, so the most specific prefix wins between them and the deny
    list wins a tie. An invalid line is logged and skipped. A list that cannot be read at all
    raises SettingsError after the other list is loaded, so one list never disables the other.
    """
    entries: list[IndexEntry] = []
    failures = []
    lists = ((settings.allow_path, "allowlist", 0), (settings.deny_path, "denylist", 1))
    for path, category, rank in lists:
        if not path.is_file():
            continue
        try:
            entries.extend(parse_user_list(path, category, rank))
        except SettingsError as error:
            failures.append(str(error))
    index = FeedIndex(compile_entries(entries), "user lists") if entries else None
    if failures:
        raise UserListError("; ".join(failures), index)
    return index


class UserListError(SettingsError):
    """A list could not be read. ``index`` contains the entries of the lists that could."""

    def __init__(self, message: str, index: FeedIndex | None) -> None:
        super().__init__(message)
        self.index = index


def parse_user_list(path: Path, category: str, rank: int) -> list[IndexEntry]:
    """Parse ``cidr,label[,comment]`` lines; ``#`` starts a comment line, a header is optional.

    An invalid line is logged with the file and line number and skipped.
    """
    entries = []
    try:
        for number, line in read_text_lines(path):
            if number == 1:
                line = line.lstrip("\ufeff")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            cells = [cell.strip() for cell in next(csv.reader(io.StringIO(line)))]
            if number == 1 and cells[0].lower() == "cidr":
                continue
            try:
                network = parse_network(cells[0], str(path), number)
            except FeedFormatError as error:
                logger.error("invalid %s entry skipped: %s", category, error)
                continue
            label = {"category": "user", "list": category}
            label["list_label"] = cells[1] if len(cells) > 1 else ""
            first = int(network.network_address)
            entries.append(
                IndexEntry(network.version, first, network.prefixlen, label_text(label), rank)
            )
    except FeedFormatError as error:
        raise SettingsError(f"invalid {category}: {error}") from None
    return entries
