"""Replay Sigma rules on log files with an embedded SQLite database.

``replay_events`` evaluates rules on records already in memory. ``replay_records`` takes records
with their file and line, as ``sigma_llmjack.replay.logs.read_logs`` reads them from log files.
Both load the records into a temporary SQLite table and run the SQL that the pySigma sqlite
backend generates, correlations included.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sigma_llmjack.config import SiteConfig, load_config
from sigma_llmjack.replay.compiler import CompiledPack, RuleError, compile_paths
from sigma_llmjack.replay.database import EventStore, ReplayInterrupted, StopRequest
from sigma_llmjack.replay.engine import MatchSink, evaluate, load_store, store_fields
from sigma_llmjack.replay.results import Match, ReplayResult, Skipped, SourcedRecord

__all__ = [
    "Match",
    "ReplayResult",
    "ReplayInterrupted",
    "RuleError",
    "Skipped",
    "SourcedRecord",
    "StopRequest",
    "replay_events",
    "replay_records",
]


def replay_events(
    events: Iterable[Mapping[str, Any]],
    rule_paths: Iterable[str | Path] = (),
    config: SiteConfig | None = None,
) -> ReplayResult:
    """Evaluate rules on raw log records (nested dictionaries, as in the logs).

    With no ``rule_paths`` the bundled pack is used. ``config`` fills the rules' placeholders;
    None uses the shipped defaults. Matches come sorted by rule id, then time.
    """
    numbered = (SourcedRecord(event, None, index) for index, event in enumerate(events, 1))
    return replay_records(numbered, rule_paths, config)


def replay_records(
    records: Iterable[SourcedRecord],
    rule_paths: Iterable[str | Path] = (),
    config: SiteConfig | None = None,
    pack: CompiledPack | None = None,
    skipped: list[Skipped] | None = None,
    on_match: MatchSink | None = None,
    stop: StopRequest | None = None,
) -> ReplayResult:
    """Evaluate rules on records that carry their file and line; see ``replay_events``.

    ``pack`` replaces ``rule_paths`` and ``config`` with rules already compiled. ``skipped``
    becomes ``result.skipped``, so a reader that notes malformed records while ``records`` is
    consumed can pass its own list. ``on_match`` receives each match as it is found, in order,
    instead of ``result.matches`` keeping it. After ``stop.request()`` the run raises
    ReplayInterrupted; the temporary database is removed however the run ends.
    """
    if pack is None:
        pack = compile_paths(rule_paths, config if config is not None else load_config())
    result = ReplayResult(skipped=skipped if skipped is not None else [])
    with EventStore(store_fields(pack), stop=stop) as store:
        load_store(store, records, result)
        evaluate(store, pack, result, on_match=on_match)
    return result
