"""Exception types of the enrichment package; each message names the file, line or value."""

from __future__ import annotations


class EnrichmentError(Exception):
    """Base class of errors the enrichment package reports to a user."""


class FeedFormatError(EnrichmentError):
    """A feed file is empty or does not have the shape of its declared format."""

    def __init__(self, source: str, message: str, line: int | None = None) -> None:
        self.source = source
        self.line = line
        self.detail = message
        where = f"{source}, line {line}" if line is not None else source
        super().__init__(f"{where}: {message}")


class IndexFileError(EnrichmentError):
    """The compiled index file is missing, truncated, corrupt or of another version."""


class IndexMissingError(IndexFileError):
    """No compiled index exists yet at the configured path."""


class SettingsError(EnrichmentError):
    """The enrichment settings file cannot be read or sets an invalid value."""


class FeedDownloadError(EnrichmentError):
    """A feed download failed; the previous file is kept."""
