"""The enrichment run shared by the Splunk lookup and ``llmjack enrich``.

A run classifies the distinct values of its whole input locally, then, in online mode, queries the
reputation service once about the addresses that local evidence left open. Whatever fails to
load (settings, index, lists, online providers) is logged once and shows in the row status; the
run still answers every value.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from llmjack_enrichment.classify import Classifier, Verdict, with_reputation
from llmjack_enrichment.errors import IndexFileError, IndexMissingError, SettingsError
from llmjack_enrichment.settings import Settings, load_settings

logger = logging.getLogger(__name__)

# Errors that reading a damaged, memory-mapped index raises when a lookup decodes its bytes.
INDEX_DAMAGE = (IndexFileError, IndexError, UnicodeDecodeError, ValueError, struct.error)
INDEX_DAMAGED = "feed index damaged; run llmjack feeds compile"
CLASSIFY_FAILED = "error: classifying this value failed, see the lookup log"
# ip_rep_status when the [online] section is invalid, unlike "disabled" (no providers set).
ONLINE_INVALID = "error: online settings invalid"


class Enricher:
    """Classifier plus, in online mode, the reputation service; close() when done."""

    def __init__(self, settings: Settings | None, online: bool, problems: list[str]) -> None:
        self.settings = settings
        self.online = online
        self.problems = list(problems)
        self.classifier = self._classifier()
        self._service: Any = None
        self._online_invalid = False
        self._fallback: Classifier | None = None
        self._errors_logged: dict[str, int] = {}

    @classmethod
    def open(
        cls, config: Path | None = None, app_dir: Path | None = None, online: bool = False
    ) -> Enricher:
        """Load settings, index and lists, turning every failure into a logged problem."""
        try:
            settings: Settings | None = load_settings(config, app_dir)
        except SettingsError as error:
            logger.error("%s; classifying with local checks only", error)
            return cls(None, online, ["settings invalid"])
        for name, problem in settings.feed_errors.items():
            # The index was compiled earlier, so it still works; the next compile leaves it out.
            logger.error("feed %s: %s", name, problem)
        return cls(settings, online, [])

    def _classifier(self) -> Classifier:
        if self.settings is None:
            return Classifier(problems=self.problems)

        from llmjack_enrichment.index import FeedIndex
        from llmjack_enrichment.userlists import UserListError, load_user_lists

        feed_index = user_lists = None
        try:
            feed_index = FeedIndex.load(self.settings.index_path)
        except IndexMissingError as error:
            logger.warning("%s", error)
            self.problems.append("no feed index")
        except IndexFileError as error:
            logger.error("%s; classifying with local checks only", error)
            self.problems.append("feed index unusable")
        try:
            user_lists = load_user_lists(self.settings)
        except UserListError as error:
            logger.error("%s; that list is not used", error)
            user_lists = error.index
            self.problems.append("allow or deny list invalid")
        return Classifier(feed_index, user_lists, self.problems)

    def enrich(self, values: Iterable[str]) -> dict[str, Verdict]:
        """Classify each distinct value; in online mode look up the open addresses once."""
        verdicts = {value: self._classify(value) for value in set(values)}
        if not self.online:
            return verdicts

        open_addresses = sorted({v.address for v in verdicts.values() if v.needs_online})
        if not open_addresses:
            return verdicts
        answers, missing_status = self._lookup_online(open_addresses)
        for value, verdict in verdicts.items():
            if not verdict.needs_online:
                continue
            answer = answers.get(verdict.address)
            if answer is None:
                verdicts[value] = replace(verdict, rep_status=missing_status)
            else:
                verdicts[value] = with_reputation(verdict, answer)
        return verdicts

    def _classify(self, value: str) -> Verdict:
        try:
            return self.classifier.classify(value)
        except INDEX_DAMAGE as error:
            # Bytes of the mapped index that fail to decode: this value falls back to the
            # address checks, and the detail goes to the log once per kind of error.
            self._log_once(error, "the feed index is damaged")
            return self._local_classifier().classify(value)
        except Exception as error:
            # A classifier bug costs this value only, never the run.
            self._log_once(error, "classifying a value failed")
            return Verdict("error", status=CLASSIFY_FAILED, rep_status="skipped")

    def _log_once(self, error: Exception, what: str) -> None:
        name = type(error).__name__
        if name not in self._errors_logged:
            detail = str(error)
            if len(detail) > 200:
                detail = detail[:200] + "..."
            logger.error("%s: %s: %s", what, name, detail)
        self._errors_logged[name] = self._errors_logged.get(name, 0) + 1

    def _local_classifier(self) -> Classifier:
        if self._fallback is None:
            problems = [*self.problems, INDEX_DAMAGED]
            self._fallback = Classifier(None, self.classifier.user_lists, problems)
        return self._fallback

    def _lookup_online(self, addresses: list[str]) -> tuple[dict[str, Any], str]:
        """Return the reputations by address, and the status for addresses without one."""
        try:
            service = self._reputation_service()
            if service is None:
                return {}, ONLINE_INVALID if self._online_invalid else "disabled"
            return service.lookup(addresses), "error"
        except Exception:
            # The lookup must return a result for every row even when a provider module has a
            # bug or cannot be imported (requests missing from the Python that runs it).
            logger.exception("online lookup of %d addresses failed", len(addresses))
            return {}, "error"

    def _reputation_service(self) -> Any:
        if self._service is not None or self.settings is None:
            return self._service
        from llmjack_enrichment.reputation import (
            OnlineSettings,
            OnlineSettingsError,
            ReputationService,
        )

        # Relative paths of the [online] section (cache, key files) are under the data folder,
        # which survives app upgrades, unlike a Splunk app's default/ folder.
        try:
            online_settings = OnlineSettings.from_mapping(
                self.settings.online, self.settings.data_dir
            )
        except OnlineSettingsError as error:
            logger.error("invalid [online] settings: %s; no online lookups this run", error)
            self._online_invalid = True
            return None
        self._service = ReputationService(online_settings)
        return self._service

    def close(self) -> None:
        """Close the reputation service if one was opened, and log repeated errors."""
        for name, count in self._errors_logged.items():
            if count > 1:
                logger.error("%s occurred for %d values in this run", name, count)
        if self._service is not None:
            self._service.close()
            self._service = None
