"""The vector indexes of one data directory loaded in this process, and those being built.

One set per data directory, shared by its sessions (owned by ``autovec.sql.instance``);
keys are ``(database, table, index)``, table and index lower-cased. What an index holds
and when it is current is the SQL side's business (``autovec.sql.vector_index``).
"""

from __future__ import annotations

import threading

from autovec.storage.hnsw import HnswIndex
from autovec.storage.index_files import IndexFiles

IndexKey = tuple[str, str, str]


class LiveIndexes:
    """The loaded indexes of one data directory, and which ones are being built."""

    def __init__(self, files: IndexFiles):
        self.files = files
        self.indexes: dict[IndexKey, HnswIndex] = {}
        self.building: set[IndexKey] = set()
        self.lock = threading.RLock()

    def forget(
        self, database: str, table: str, index: str | None = None, delete_files: bool = False
    ) -> None:
        """Unload one index of a table (all when ``index`` is None), and maybe delete its files."""
        with self.lock:
            for key in [
                k
                for k in self.indexes
                if k[:2] == (database, table.lower()) and (index is None or k[2] == index.lower())
            ]:
                del self.indexes[key]
        if delete_files:
            if index is None:
                self.files.delete_table(database, table)
            else:
                self.files.delete_index(database, table, index)

    def save_dirty(self) -> None:
        """Save the indexes changed since they were last saved (a reopening replays less)."""
        with self.lock:
            items = list(self.indexes.items())
        for (database, table, name), index in items:
            if index.dirty:
                self.files.save_if_database_exists(database, table, name, index)
