"""Where a data directory keeps its vector indexes on disk, and reading and writing them.

Layout: ``<database>/indexes/<table>/<index>.usearch`` holds the graph and
``<index>.json`` beside it the metadata (the table version the graph reflects, its row
count); :class:`autovec.storage.hnsw.HnswIndex` writes both atomically. Table and index
names are lower-cased, as MySQL compares them. An in-memory directory has no files: every
operation here is then a no-op (loading finds nothing).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from autovec.storage.datadir import DataDirectory
from autovec.storage.hnsw import HnswIndex, HnswParams

INDEXES_DIR = "indexes"
GRAPH_SUFFIX = ".usearch"
META_SUFFIX = ".json"


class IndexFiles:
    """The vector-index files of one data directory."""

    def __init__(self, datadir: DataDirectory):
        self.datadir = datadir

    def path(self, database: str, table: str, index: str) -> Path | None:
        """The graph file of an index; None for an in-memory directory."""
        folder = self._table_folder(database, table)
        return None if folder is None else folder / f"{index.lower()}{GRAPH_SUFFIX}"

    def _table_folder(self, database: str, table: str) -> Path | None:
        if self.datadir.in_memory:
            return None
        return self.datadir.database_dir(database) / INDEXES_DIR / table.lower()

    # -- reading and writing ---------------------------------------------------------------
    def load(
        self, database: str, table: str, index: str, dims: int, metric: str, params: HnswParams
    ) -> HnswIndex | None:
        """The saved index, or None when there is none, it is unreadable or built differently."""
        path = self.path(database, table, index)
        if path is None or not path.exists():
            return None
        return HnswIndex.load(path, dims, metric, params)

    def save(self, database: str, table: str, index: str, hnsw: HnswIndex) -> None:
        path = self.path(database, table, index)
        if path is not None:
            hnsw.save(path)

    def save_if_database_exists(
        self, database: str, table: str, index: str, hnsw: HnswIndex
    ) -> None:
        """Save, unless the database's folder is gone (saving would create it again)."""
        if self.datadir.in_memory or not self.datadir.database_dir(database).is_dir():
            return
        self.save(database, table, index, hnsw)

    def saved_rows(self, database: str, table: str, index: str) -> int:
        """Rows in the saved index, from its metadata; 0 when there is none yet."""
        path = self.path(database, table, index)
        if path is None:
            return 0
        try:
            return int(json.loads(path.with_suffix(META_SUFFIX).read_text())["count"])
        except (OSError, ValueError, KeyError):
            return 0

    # -- DDL effects -----------------------------------------------------------------------
    def delete_index(self, database: str, table: str, index: str) -> None:
        folder = self._table_folder(database, table)
        if folder is not None:
            for suffix in (GRAPH_SUFFIX, META_SUFFIX):
                (folder / f"{index.lower()}{suffix}").unlink(missing_ok=True)

    def delete_table(self, database: str, table: str) -> None:
        """Delete the files of every index of a table."""
        folder = self._table_folder(database, table)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)

    def rename_table(self, database: str, old: str, new: str) -> None:
        """Move a table's index files to its new name (replacing any left under it)."""
        old_folder = self._table_folder(database, old)
        new_folder = self._table_folder(database, new)
        if old_folder is None or new_folder is None or not old_folder.exists():
            return
        shutil.rmtree(new_folder, ignore_errors=True)
        old_folder.rename(new_folder)
