"""The user's allow and deny lists: ``cidr,label[,comment]`` CSV files compiled in memory."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from llmjack_enrichment.errors import FeedFormatError, SettingsError
from llmjack_enrichment.feeds.base import parse_network, read_text_lines
from llmjack_enrichment.index import FeedIndex, IndexEntry, compile_entries, label_text
from llmjack_enrichment.settings import Settings


def load_user_lists(settings: Settings) -> FeedIndex | None:
    """Compile the allow and deny lists in memory, or return None when neither file exists.

    Both lists share one category, so the most specific prefix wins between them and the deny
    list wins a tie.
    """
    entries: list[IndexEntry] = []
    lists = ((settings.allow_path, "allowlist", 0), (settings.deny_path, "denylist", 1))
    for path, category, rank in lists:
        if path.is_file():
            entries.extend(parse_user_list(path, category, rank))
    if not entries:
        return None
    return FeedIndex(compile_entries(entries), "user lists")


def parse_user_list(path: Path, category: str, rank: int) -> list[IndexEntry]:
    """Parse ``cidr,label[,comment]`` lines; ``#`` starts a comment line, a header is optional."""
    entries = []
    try:
        for number, line in read_text_lines(path):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            cells = [cell.strip() for cell in next(csv.reader(io.StringIO(line)))]
            if number == 1 and cells[0].lower() == "cidr":
                continue
            network = parse_network(cells[0], str(path), number)
            label = {"category": "user", "list": category}
            label["list_label"] = cells[1] if len(cells) > 1 else ""
            first = int(network.network_address)
            entries.append(
                IndexEntry(network.version, first, network.prefixlen, label_text(label), rank)
            )
    except FeedFormatError as error:
        raise SettingsError(f"invalid {category} entry: {error}") from None
    return entries
