"""The data directory: one sub-directory per database, plus server-wide settings.

Layout::

    data/
      settings.json          global variables set with SET GLOBAL (owner-only: may hold API keys)
      <database>/data.sqlite one SQLite file per MySQL database (WAL mode)

``":memory:"`` gives a throw-away directory: databases are in-memory SQLite files.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
from pathlib import Path
from typing import Any

MEMORY = ":memory:"
DATA_FILE = "data.sqlite"
SETTINGS_FILE = "settings.json"
_NAME_RE = re.compile(r"^[A-Za-z0-9_$\-]+$")


class DataDirectory:
    """Knows where databases live on disk; never opens SQL connections itself."""

    def __init__(self, path: str | os.PathLike[str]):
        self.in_memory = str(path) == MEMORY
        self.path = Path(path) if not self.in_memory else Path(MEMORY)
        self._memory_databases: set[str] = set()
        self._settings: dict[str, Any] | None = None
        self._lock = threading.Lock()
        if not self.in_memory:
            self.path.mkdir(parents=True, exist_ok=True)

    @property
    def key(self) -> str:
        """Identifies this directory within the process (shared caches are keyed by it)."""
        return f"memory:{id(self)}" if self.in_memory else str(self.path.resolve())

    # -- databases ----------------------------------------------------------------------
    @staticmethod
    def valid_name(name: str) -> bool:
        return (
            bool(_NAME_RE.match(name)) and len(name) <= 64 and name.lower() not in ("main", "temp")
        )

    def database_file(self, name: str) -> str:
        """The SQLite filename to ATTACH for a database (``:memory:`` when in memory)."""
        if self.in_memory:
            return MEMORY
        return str(self.path / name.lower() / DATA_FILE)

    def database_dir(self, name: str) -> Path:
        return self.path / name.lower()

    def list_databases(self) -> list[str]:
        if self.in_memory:
            return sorted(self._memory_databases)
        return sorted(p.name for p in self.path.iterdir() if p.is_dir() and self.valid_name(p.name))

    def exists(self, name: str) -> bool:
        return name.lower() in self.list_databases()

    def create(self, name: str) -> None:
        if self.in_memory:
            self._memory_databases.add(name.lower())
        else:
            self.database_dir(name).mkdir(parents=True, exist_ok=True)

    def drop(self, name: str) -> None:
        if self.in_memory:
            self._memory_databases.discard(name.lower())
        else:
            shutil.rmtree(self.database_dir(name), ignore_errors=True)

    # -- persisted global settings ------------------------------------------------------
    def settings(self) -> dict[str, Any]:
        with self._lock:
            if self._settings is None:
                file = self.path / SETTINGS_FILE
                self._settings = {}
                if not self.in_memory and file.exists():
                    self._settings = json.loads(file.read_text())
            return dict(self._settings)

    def save_setting(self, name: str, value: Any) -> None:
        """Persist one global variable; the file is created readable by the owner only."""
        with self._lock:
            current = dict(self._settings or {})
            if not self.in_memory:
                file = self.path / SETTINGS_FILE
                if file.exists():
                    current = json.loads(file.read_text())
            current[name] = value
            self._settings = current
            if self.in_memory:
                return
            tmp = self.path / (SETTINGS_FILE + ".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                json.dump(current, handle, indent=1, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path / SETTINGS_FILE)
