"""The enrichment run shared by the Splunk lookup and ``llmjack enrich``.

A run classifies the distinct values of its whole input locally, then, in online mode, queries the
reputation service once about the addresses that local evidence left open. Whatever fails to
load (settings, index, lists, online providers) is logged once and shows in the row status; the
run still answers every value.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from llmjack_enrichment.classify import Classifier, Verdict, with_reputation
from llmjack_enrichment.errors import IndexFileError, IndexMissingError, SettingsError
from llmjack_enrichment.settings import Settings, load_settings

logger = logging.getLogger(__name__)


class Enricher:
    """Classifier plus, in online mode, the reputation service; close() when done."""

    def __init__(self, settings: Settings | None, online: bool, problems: list[str]) -> None:
        self.settings = settings
        self.online = online
        self.problems = list(problems)
        self.classifier = self._classifier()
        self._service: Any = None
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
        return cls(settings, online, [])

    def _classifier(self) -> Classifier:
        if self.settings is None:
            return Classifier(problems=self.problems)

        from llmjack_enrichment.index import FeedIndex
        from llmjack_enrichment.userlists import load_user_lists

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
        except SettingsError as error:
            logger.error("%s; the allow and deny lists are not used", error)
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
        except Exception as error:
            # A damaged index section or a classifier bug costs this value only, never the run.
            name = type(error).__name__
            if name not in self._errors_logged:
                logger.error("classifying a value failed: %s: %s", name, error)
            self._errors_logged[name] = self._errors_logged.get(name, 0) + 1
            return Verdict("error", status=f"error: {error}", rep_status="skipped")

    def _lookup_online(self, addresses: list[str]) -> tuple[dict[str, Any], str]:
        """Return the reputations by address, and the status for addresses without one."""
        try:
            service = self._reputation_service()
            if service is None:
                return {}, "disabled"
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
