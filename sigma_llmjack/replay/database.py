"""The SQLite table that replay loads events into and the rules' SQL reads.

One row per record. Every column is declared ``COLLATE NOCASE`` and stores text, so the equality
tests the sqlite backend emits compare case-insensitively, as Sigma matching does. The columns are
the fields the rules use plus the fields a match report shows. A field that no record carries is
a column of NULLs, never an SQL error. Fields that no rule reads get no column, because mixed
CloudTrail contains thousands of distinct request parameter paths, more than SQLite's default
limit of 2000 columns, and every extra column costs insert time.

The database is a file in a temporary folder, and each connection caches at most CACHE_KIB of it,
so memory use does not grow with the input. The file is removed when the store closes.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from pathlib import Path
from typing import Any

from sigma_llmjack.replay.fields import FieldExtractor

TABLE = "logs"
# Columns that replay adds to every row. No log field starts with "_replay_".
ID_COLUMN = "_replay_id"
TIME_COLUMN = "_replay_time"
SOURCE_COLUMN = "_replay_source"
LINE_COLUMN = "_replay_line"
INTERNAL_COLUMNS = (TIME_COLUMN, SOURCE_COLUMN, LINE_COLUMN)
# SQL function that tests an address against a CIDR network, registered on every connection.
CIDR_FUNCTION = "CIDR_MATCH"

BATCH_SIZE = 5000
# SQLite calls the stop check every this many virtual machine instructions, about every
# millisecond, which gives a signal handler the chance to run during a long statement.
PROGRESS_INSTRUCTIONS = 100_000
# Page cache of each connection in KiB. It bounds the memory the database takes whatever the size
# of the input, and the operating system's file cache serves the rest.
CACHE_KIB = 8192


def quote_identifier(name: str) -> str:
    """Quote a column name the way the sqlite backend does, with backticks."""
    return "`" + name.replace("`", "``") + "`"


@lru_cache(maxsize=256)
def _compiled_pattern(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


@lru_cache(maxsize=256)
def _network(text: str) -> IPv4Network | IPv6Network:
    return ip_network(text, strict=False)


def cidr_match(value: Any, network: str) -> bool | None:
    """Implement SQL ``CIDR_MATCH(value, network)``: is the address ``value`` in ``network``?

    Any spelling of an address counts (``2001:0DB8::1`` is in ``2001:db8::/32``). A value that
    is not an address, such as ``bedrock.amazonaws.com``, does not match; NULL stays NULL.
    """
    if value is None:
        return None
    try:
        address = ip_address(str(value).strip())
    except ValueError:
        return False
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address in _network(network)


def register_functions(connection: sqlite3.Connection) -> None:
    """Register the SQL functions replay's rule SQL calls: REGEXP and CIDR_MATCH."""
    connection.create_function("REGEXP", 2, regexp, deterministic=True)
    connection.create_function(CIDR_FUNCTION, 2, cidr_match, deterministic=True)


def regexp(pattern: str | None, value: Any) -> bool | None:
    """Implement SQL ``value REGEXP pattern`` with Python's ``re.search``; NULL stays NULL.

    Sigma regular expressions are case-sensitive unless they carry ``(?i)``, so the column
    collation does not apply here. An invalid pattern matches nothing.
    """
    if pattern is None or value is None:
        return None
    compiled = _compiled_pattern(pattern)
    if compiled is None:
        return False
    return compiled.search(str(value)) is not None


class ReplayInterrupted(BaseException):
    """A stop was requested, normally by SIGINT or SIGTERM, while replay was running.

    It derives from BaseException, like KeyboardInterrupt, so that handlers of ordinary errors
    do not swallow it.
    """

    def __init__(self, signal_number: int | None = None) -> None:
        super().__init__(signal_number)
        self.signal_number = signal_number


@dataclass
class StopRequest:
    """A request to stop replay, shared by the signal handler and every SQLite connection.

    ``request`` may be called from a signal handler: it interrupts running statements, and the
    progress handler on each connection aborts any statement that starts later.
    """

    requested: int | None = None
    connections: list[sqlite3.Connection] = field(default_factory=list)

    def watch(self, connection: sqlite3.Connection) -> None:
        """Make ``connection`` abort its statements once a stop is requested."""
        connection.set_progress_handler(self._stopping, PROGRESS_INSTRUCTIONS)
        self.connections.append(connection)

    def request(self, signal_number: int | None = None) -> None:
        """Record the stop and interrupt every statement running on a watched connection."""
        self.requested = signal_number if signal_number is not None else 0
        for connection in list(self.connections):
            with contextlib.suppress(sqlite3.ProgrammingError):  # already closed
                connection.interrupt()

    def is_requested(self) -> bool:
        """Return True once a stop was requested."""
        return self.requested is not None

    def check(self) -> None:
        """Raise ReplayInterrupted when a stop was requested."""
        if self.requested is not None:
            raise ReplayInterrupted(self.requested or None)

    def _stopping(self) -> int:
        return 1 if self.requested is not None else 0


class EventStore:
    """A temporary SQLite database with one ``logs`` table of flattened records."""

    def __init__(
        self,
        fields: Iterable[str],
        directory: str | Path | None = None,
        stop: StopRequest | None = None,
    ) -> None:
        self.columns = _unique_columns(fields)
        self.extractor = FieldExtractor(self.columns)
        self.stop = stop if stop is not None else StopRequest()
        self._readers: list[sqlite3.Connection] = []
        self.count = 0
        self._folder = tempfile.mkdtemp(prefix="llmjack-replay-", dir=directory)
        self.path = Path(self._folder) / "events.sqlite3"
        try:
            self.connection = sqlite3.connect(self.path, isolation_level=None)
        except BaseException:
            shutil.rmtree(self._folder, ignore_errors=True)
            raise
        try:
            self.stop.watch(self.connection)
            register_functions(self.connection)
            for pragma in ("journal_mode=OFF", "synchronous=OFF", f"cache_size=-{CACHE_KIB}"):
                self.connection.execute(f"PRAGMA {pragma}")
            self._create_table()
        except BaseException:
            # A signal can arrive before the caller's ``with`` owns the store.
            self.close()
            raise

    def open_reader(self) -> sqlite3.Connection:
        """Open another connection that reads the table, for evaluating rules in a thread.

        Correlation plans create temporary tables, which belong to their connection, so
        readers in different threads never see each other's. The store closes its readers.
        """
        uri = self.path.as_uri() + "?mode=ro"
        reader = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        register_functions(reader)
        reader.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        self.stop.watch(reader)
        self._readers.append(reader)
        return reader

    def _create_table(self) -> None:
        declared = [f"{ID_COLUMN} INTEGER PRIMARY KEY", f"{LINE_COLUMN} INTEGER"]
        declared += [f"{quote_identifier(c)} TEXT COLLATE NOCASE" for c in (TIME_COLUMN,)]
        declared += [f"{SOURCE_COLUMN} TEXT"]
        declared += [f"{quote_identifier(c)} TEXT COLLATE NOCASE" for c in self.columns]
        self.connection.execute(f"CREATE TABLE {TABLE} ({', '.join(declared)})")
        names = [TIME_COLUMN, SOURCE_COLUMN, LINE_COLUMN] + self.columns
        placeholders = ", ".join("?" for _ in names)
        self._insert = (
            f"INSERT INTO {TABLE} ({', '.join(map(quote_identifier, names))}) "
            f"VALUES ({placeholders})"
        )

    def insert(self, rows: Iterable[Sequence[Any]]) -> None:
        """Insert rows of (time, source, line, *column values) in batches of BATCH_SIZE."""
        for batch in _batches(rows, BATCH_SIZE):
            self.stop.check()
            self.connection.execute("BEGIN")
            try:
                self.connection.executemany(self._insert, batch)
            except sqlite3.OperationalError:
                # "interrupted" after a stop request: report the stop, not the SQLite error.
                self.stop.check()
                raise
            except UnicodeEncodeError:
                # A JSON escape such as "\ud800" decodes to a lone surrogate, which SQLite's
                # UTF-8 cannot hold. Such rare batches are inserted again with it replaced.
                self.connection.execute("ROLLBACK")
                self.connection.execute("BEGIN")
                self.connection.executemany(self._insert, map(_encodable_row, batch))
            self.connection.execute("COMMIT")
            self.count += len(batch)

    def close(self) -> None:
        """Close every connection and delete the database file, also after an interruption."""
        try:
            for reader in self._readers:
                reader.close()
            self.connection.close()
        finally:
            shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> EventStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _unique_columns(fields: Iterable[str]) -> list[str]:
    # SQLite column names are case-insensitive, so "eventName" and "eventname" are one column.
    seen: set[str] = {name.lower() for name in (ID_COLUMN, *INTERNAL_COLUMNS)}
    columns = []
    for name in fields:
        if name and name.lower() not in seen and name.lower() != "rowid":
            seen.add(name.lower())
            columns.append(name)
    return columns


def _encodable_row(row: Sequence[Any]) -> list[Any]:
    return [
        value.encode("utf-8", "replace").decode("utf-8") if isinstance(value, str) else value
        for value in row
    ]


def _batches(rows: Iterable[Sequence[Any]], size: int) -> Iterator[list[Sequence[Any]]]:
    batch: list[Sequence[Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
