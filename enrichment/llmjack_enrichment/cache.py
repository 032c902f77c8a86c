"""Persistent cache of provider answers and provider states, shared by lookup processes.

Splunk starts one lookup process per search, often several at once, so the cache is a
SQLite file in WAL mode: readers never wait for the writer, every write is one short
``BEGIN IMMEDIATE`` transaction, and a busy timeout plus a bounded retry absorb
"database is locked". An in-process TLRU cache (cachetools) sits in front of it.

Only answers are cached ("ok", "no_data", "not_applicable"). Failures such as rate
limits, timeouts and errors never are. The ``provider_state`` table stores the circuit
breaker (rate-limited or unauthorized until a time), so one process's 429 stops the
others too.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from cachetools import TLRUCache

from llmjack_enrichment.providers.base import ProviderAnswer

logger = logging.getLogger(__name__)

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    provider TEXT NOT NULL,
    address TEXT NOT NULL,
    status TEXT NOT NULL,
    verdict TEXT,
    score INTEGER,
    stored_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (provider, address)
);
CREATE INDEX IF NOT EXISTS answers_expires_at ON answers (expires_at);
CREATE TABLE IF NOT EXISTS provider_state (
    provider TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    until REAL NOT NULL,
    stored_at REAL NOT NULL
);
"""

SCHEMA_STATEMENTS = tuple(part.strip() for part in SCHEMA.split(";") if part.strip())
# Column names of each table, in order, as SCHEMA creates them.
EXPECTED_COLUMNS = {
    "answers": ("provider", "address", "status", "verdict", "score", "stored_at", "expires_at"),
    "provider_state": ("provider", "status", "until", "stored_at"),
}

# SQLite before 3.32 allows at most 999 parameters per statement.
QUERY_CHUNK = 500
LOCK_RETRIES = 2


class CacheUnavailableError(RuntimeError):
    """The cache file could not be opened, read or written."""


@dataclass(frozen=True)
class CacheTTLs:
    """How long each kind of answer stays valid, in seconds."""

    malicious: float = 86400.0
    benign: float = 43200.0
    no_data: float = 14400.0
    not_applicable: float = 30 * 86400.0

    def ttl_for(self, answer: ProviderAnswer) -> float:
        """Return the time to live of ``answer``; "malicious" covers "suspicious" too."""
        if answer.status == "no_data":
            return self.no_data
        if answer.status == "not_applicable":
            return self.not_applicable
        if answer.verdict in ("malicious", "suspicious"):
            return self.malicious
        return self.benign


@dataclass(frozen=True)
class ProviderState:
    """A tripped circuit breaker: ``status`` ("rate_limited" or "unauthorized") until
    the epoch time ``until``."""

    provider: str
    status: str
    until: float


class ReputationCache:
    """Provider answers and provider states in one SQLite file, safe across processes.

    One connection is shared by the threads of a process behind a lock; every
    operation is short, so the lock is never held across a network call.
    """

    def __init__(
        self,
        path: Path,
        ttls: CacheTTLs,
        memory_size: int = 10000,
        busy_timeout: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = path
        self.ttls = ttls
        self._clock = clock
        self._lock = threading.Lock()
        self._memory: TLRUCache = TLRUCache(
            maxsize=max(1, memory_size), ttu=_expiry_of, timer=clock
        )
        create_private_file(path)
        try:
            self._db = sqlite3.connect(
                str(path), timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise CacheUnavailableError(f"cannot open cache file {path}: {exc}") from None
        try:
            self._retry(self._initialise)
        except CacheUnavailableError:
            self._db.close()
            raise

    def _initialise(self) -> None:
        mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()
        if not mode or str(mode[0]).lower() != "wal":
            logger.warning("cache file %s does not support WAL mode; using %s", self.path, mode)
        self._db.execute("PRAGMA synchronous=NORMAL")
        # Checking the layout only reads, so a process that finds the schema in place does
        # not wait behind a writer just to start.
        problem = self._layout_problem()
        if problem == "":
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have created or recreated the tables meanwhile.
            problem = self._layout_problem()
            if problem:
                self._db.execute("DROP TABLE IF EXISTS answers")
                self._db.execute("DROP TABLE IF EXISTS provider_state")
            for statement in SCHEMA_STATEMENTS:
                self._db.execute(statement)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        if problem:
            logger.warning(
                "cache file %s has an unexpected layout (%s), probably from another version; "
                "its tables were recreated and the cached answers discarded",
                self.path,
                problem,
            )

    def _layout_problem(self) -> str | None:
        """Return "" for the expected layout, None when a table is missing, or what differs.

        Raises CacheUnavailableError for a file with other tables: it belongs to something
        else, so it is left untouched.
        """
        rows = self._db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
        tables = {row[0] for row in rows}
        foreign = sorted(tables - set(EXPECTED_COLUMNS))
        if foreign:
            raise CacheUnavailableError(
                f"cache file {self.path} contains tables that a reputation cache does not have "
                f"({', '.join(foreign[:5])}); set cache_path to another file, or delete this "
                "one if nothing else uses it"
            )
        for table in sorted(tables):
            columns = tuple(row[1] for row in self._db.execute(f"PRAGMA table_info({table})"))
            if columns != EXPECTED_COLUMNS[table]:
                return f"table {table} has columns {', '.join(columns)}"
        return "" if len(tables) == len(EXPECTED_COLUMNS) else None

    def get_many(self, provider: str, addresses: Sequence[str]) -> dict[str, ProviderAnswer]:
        """Return the unexpired cached answers of ``provider`` for ``addresses``."""
        found: dict[str, ProviderAnswer] = {}
        missing: list[str] = []
        for address in addresses:
            entry = self._memory.get((provider, address))
            if entry is not None:
                found[address] = entry[0]
            else:
                missing.append(address)
        if not missing:
            return found

        now = self._clock()
        for start in range(0, len(missing), QUERY_CHUNK):
            chunk = missing[start : start + QUERY_CHUNK]
            rows = self._retry(lambda chunk=chunk: self._select(provider, chunk, now))
            for address, status, verdict, score, expires_at in rows:
                answer = ProviderAnswer(provider, address, status, verdict, score, "cached")
                self._memory[(provider, address)] = (answer, expires_at)
                found[address] = answer
        return found

    def _select(self, provider: str, addresses: Sequence[str], now: float) -> list[tuple]:
        marks = ",".join("?" * len(addresses))
        sql = (
            "SELECT address, status, verdict, score, expires_at FROM answers "
            f"WHERE provider = ? AND expires_at > ? AND address IN ({marks})"
        )
        with self._lock:
            return self._db.execute(sql, (provider, now, *addresses)).fetchall()

    def put_many(self, answers: Iterable[ProviderAnswer]) -> int:
        """Store the cacheable answers in one transaction; return how many were stored."""
        now = self._clock()
        rows = []
        for answer in answers:
            if not answer.cacheable:
                continue
            expires_at = now + self.ttls.ttl_for(answer)
            rows.append(
                (answer.provider, answer.address, answer.status, answer.verdict, answer.score)
                + (now, expires_at)
            )
            self._memory[(answer.provider, answer.address)] = (answer, expires_at)
        if rows:
            self._retry(lambda: self._write(rows, now))
        return len(rows)

    def _write(self, rows: list[tuple], now: float) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany("INSERT OR REPLACE INTO answers VALUES (?,?,?,?,?,?,?)", rows)
                self._db.execute("DELETE FROM answers WHERE expires_at <= ?", (now,))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def provider_state(self, provider: str) -> ProviderState | None:
        """Return the breaker state of ``provider`` if it is still in force."""
        now = self._clock()
        sql = "SELECT status, until FROM provider_state WHERE provider = ? AND until > ?"

        def read() -> tuple | None:
            with self._lock:
                return self._db.execute(sql, (provider, now)).fetchone()

        row = self._retry(read)
        return ProviderState(provider, row[0], row[1]) if row else None

    def set_provider_state(self, state: ProviderState) -> None:
        """Record a tripped breaker so that other lookup processes honour it too."""
        row = (state.provider, state.status, state.until, self._clock())

        def write() -> None:
            with self._lock:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    self._db.execute("INSERT OR REPLACE INTO provider_state VALUES (?,?,?,?)", row)
                    self._db.execute("COMMIT")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise

        self._retry(write)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _retry(self, operation: Callable[[], T]) -> T:
        """Run ``operation``, retrying a few times when another process holds the lock.

        The busy timeout already waits for the lock; the retry covers the cases SQLite
        reports at once, such as a WAL switch racing another process.
        """
        delay = 0.05
        for attempt in range(LOCK_RETRIES):
            try:
                return operation()
            except sqlite3.OperationalError as exc:
                locked = "locked" in str(exc) or "busy" in str(exc)
                if not locked or attempt == LOCK_RETRIES - 1:
                    raise CacheUnavailableError(f"cache file {self.path}: {exc}") from None
                logger.debug("cache file %s is locked; retry %d", self.path, attempt + 1)
                time.sleep(delay)
                delay *= 2
            except sqlite3.DatabaseError as exc:
                if "not a database" in str(exc):
                    raise CacheUnavailableError(
                        f"cache file {self.path} is not a SQLite database; set cache_path to "
                        "another file, or delete this one if nothing else uses it"
                    ) from None
                raise CacheUnavailableError(f"cache file {self.path}: {exc}") from None
        raise CacheUnavailableError(f"cache file {self.path}: still locked")


def _expiry_of(key: object, value: tuple[ProviderAnswer, float], now: float) -> float:
    return value[1]


def create_private_file(path: Path) -> None:
    """Create ``path`` (and missing parent folders) readable by its owner only.

    SQLite gives the -wal and -shm files the permissions of the database file, so
    they stay private too. An existing file that others can read is tightened.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(str(path), os.O_RDWR | os.O_CREAT, 0o600)
        os.close(fd)
        mode = stat.S_IMODE(os.stat(str(path)).st_mode)
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            os.chmod(str(path), 0o600)
            logger.warning("cache file %s was readable by others; mode set to 600", path)
    except OSError as exc:
        raise CacheUnavailableError(f"cannot create cache file {path}: {exc.strerror}") from None
