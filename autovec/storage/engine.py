"""The storage of one data directory in this process: SQLite connections, shared catalogs.

Every session gets its own apsw connection (its own transaction); the table definitions,
expensive to read, are cached for all sessions of the store. The directory's instance
(``autovec.sql.instance``) owns the store, one per directory and process.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

import apsw

from autovec.storage import catalog
from autovec.storage.datadir import DataDirectory

BUSY_TIMEOUT_MS = 10_000
MMAP_BYTES = 1 << 30  # address space, not memory: pages load on first touch
CACHE_KIB = -65536  # negative: KiB, i.e. up to 64 MiB of pages per database and connection


class Process(Protocol):
    """What the process list knows of a connection (``autovec.sql.session.Session``)."""

    def process_row(self) -> tuple[Any, ...]:
        """Its SHOW PROCESSLIST row."""

    def interrupt(self) -> None:
        """KILL QUERY: stop its running statement."""

    def kill(self) -> None:
        """KILL: stop its statement and end the connection."""


class Store:
    """Shared state for one data directory within this process."""

    def __init__(self, datadir: DataDirectory):
        self.datadir = datadir
        self.lock = threading.RLock()
        self.catalog_generation = 0  # bumped by every DDL in this process
        self._catalogs: dict[str, tuple[int, int, dict[str, Any]]] = {}
        self._next_connection_id = 0
        # The connections of this process open on the directory, by id: SHOW PROCESSLIST
        # lists them, KILL finds them.
        self.processes: dict[int, Process] = {}

    def register_process(self, process: Process) -> int:
        """A new connection's id, under which KILL and SHOW PROCESSLIST find it."""
        with self.lock:
            self._next_connection_id += 1
            self.processes[self._next_connection_id] = process
            return self._next_connection_id

    def unregister_process(self, connection_id: int) -> None:
        with self.lock:
            self.processes.pop(connection_id, None)

    # -- SQLite connections -----------------------------------------------------------
    def connect(self) -> apsw.Connection:
        """A fresh connection: scratch ``main`` in memory, databases attached on demand."""
        conn = apsw.Connection(":memory:")
        conn.set_busy_timeout(BUSY_TIMEOUT_MS)
        # SQLite's "double-quoted string" fallback would turn a mistyped quoted column
        # into a string literal (`DELETE … WHERE "idd" = 'idd'` deleting every row):
        # identifiers are identifiers, MySQL's "text" literals are translated before this.
        conn.config(apsw.SQLITE_DBCONFIG_DQS_DML, 0)
        conn.config(apsw.SQLITE_DBCONFIG_DQS_DDL, 0)
        conn.execute("PRAGMA foreign_keys = OFF")
        return conn

    def attach(self, conn: apsw.Connection, database: str) -> None:
        """ATTACH a database's file under its name, creating it (and its catalog) if new."""
        name = database.lower()
        filename = self.datadir.database_file(name)
        conn.execute("ATTACH DATABASE ? AS " + _quote(name), (filename,))
        if not self.datadir.in_memory:
            conn.execute(f"PRAGMA {_quote(name)}.journal_mode = WAL")
            conn.execute(f"PRAGMA {_quote(name)}.synchronous = NORMAL")
            # Reads through memory-mapped pages, and a larger page cache: a vector search
            # ends by fetching a few random rows, which must not each cost system calls.
            conn.execute(f"PRAGMA {_quote(name)}.mmap_size = {MMAP_BYTES}")
            conn.execute(f"PRAGMA {_quote(name)}.cache_size = {CACHE_KIB}")
        catalog.ensure_catalog(conn, name)

    @staticmethod
    def detach(conn: apsw.Connection, database: str) -> None:
        conn.execute("DETACH DATABASE " + _quote(database.lower()))

    @staticmethod
    def attached(conn: apsw.Connection) -> set[str]:
        return {row[1].lower() for row in conn.execute("PRAGMA database_list")}

    # -- catalog cache ------------------------------------------------------------------
    def cached_catalog(self, database: str, schema_version: int) -> dict[str, Any] | None:
        """The table definitions of a database if the cache is current, else None."""
        entry = self._catalogs.get(database)
        if entry is None:
            return None
        generation, version, tables = entry
        if generation != self.catalog_generation or version != schema_version:
            return None
        return tables

    def store_catalog(self, database: str, schema_version: int, tables: dict[str, Any]) -> None:
        self._catalogs[database] = (self.catalog_generation, schema_version, tables)

    def invalidate_catalogs(self) -> None:
        with self.lock:
            self.catalog_generation += 1
            self._catalogs.clear()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
