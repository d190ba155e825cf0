"""The autovec instance of one data directory in this process: what its sessions share.

An :class:`Instance` owns the directory's storage (``storage.engine.Store``: SQLite
connections, catalog cache, process list), the plan cache, the embedder, the loaded
vector indexes, the in-memory vector matrices and the back-fills running in the
background. Sessions hold it directly, so a statement never looks it up.

Opening is explicit and counted: :func:`acquire` (``dbapi.connect``) gives every
connection of this process to one directory the same instance, :func:`release`
(``Connection.close``) hands it back, and the last release closes it. ``":memory:"``
gets an instance of its own per connection.
"""

from __future__ import annotations

import atexit
import logging
import threading
from typing import Protocol

from autovec.sql.embedder import Embedder
from autovec.sql.plan_cache import PlanCache
from autovec.storage.datadir import DataDirectory
from autovec.storage.engine import Store
from autovec.storage.index_files import IndexFiles
from autovec.storage.live_indexes import LiveIndexes
from autovec.storage.vector_cache import VectorCache

log = logging.getLogger("autovec")

BACKGROUND_STOP_SECONDS = 10  # how long closing waits for an interrupted back-fill


class BackgroundWork(Protocol):
    """A session working on a thread of its own (``background``'s back-fill resumers)."""

    def interrupt(self) -> None:
        """Stop its running statement."""


class Instance:
    """The shared state of one data directory within this process."""

    def __init__(self, datadir: DataDirectory):
        self.datadir = datadir
        self.key = datadir.key
        self.store = Store(datadir)
        self.plans = PlanCache()
        self.embedder = Embedder(datadir)
        self.indexes = LiveIndexes(IndexFiles(datadir))
        self.vectors = VectorCache()
        # Back-fills resumed in the background, by database: the thread and its session.
        self.backfills: dict[str, tuple[threading.Thread, BackgroundWork]] = {}
        self.backfill_lock = threading.Lock()
        self.users = 0  # connections (and background workers) holding it; see acquire()
        self.closed = False

    def invalidate_catalogs(self) -> None:
        """After DDL: every cached table definition, plan and vector matrix is stale."""
        with self.store.lock:
            self.store.invalidate_catalogs()
            self.plans.clear()
            self.vectors.clear()

    def stop_background_work(self) -> None:
        """Interrupt the running back-fills and wait for them (their batch is redone later)."""
        with self.backfill_lock:
            running = list(self.backfills.values())
        for _, worker in running:
            worker.interrupt()
        for thread, _ in running:
            thread.join(timeout=BACKGROUND_STOP_SECONDS)

    def close(self) -> None:
        """Save what is worth saving and release the files; sessions must be closed first."""
        if self.closed:
            return
        self.closed = True
        try:
            # An optimisation, never needed for safety: the change log has every change
            # a saved index lacks, and a reopening catches up from it.
            self.indexes.save_dirty()
        except Exception as exc:  # the change log still has everything
            log.warning("saving the vector indexes of %s failed: %s", self.datadir.path, exc)
        self.embedder.close()


# The open instances, by directory key: a plain dict, counted by acquire()/release().
_open: dict[str, Instance] = {}
_lock = threading.Lock()


def acquire(path: str) -> Instance:
    """The instance of ``path`` for one more user; every call needs its :func:`release`."""
    datadir = DataDirectory(path)
    with _lock:
        instance = _open.get(datadir.key)
        if instance is None:
            instance = _open[datadir.key] = Instance(datadir)
        instance.users += 1
        return instance


def retain(instance: Instance) -> Instance:
    """One more user of an instance already open (a background worker's session)."""
    with _lock:
        instance.users += 1
        return instance


def release(instance: Instance) -> None:
    """One user fewer; the last one closes the instance and forgets it."""
    with _lock:
        instance.users -= 1
        if instance.users > 0:
            return
        if _open.get(instance.key) is instance:
            del _open[instance.key]
    instance.close()


def open_instances() -> list[Instance]:
    with _lock:
        return list(_open.values())


@atexit.register
def _close_at_exit() -> None:
    # The only exit hook of the engine: a process may end with connections still open
    # (scripts rarely close them), and only then is there anything left to do — stop
    # the back-fills, then save dirty indexes. Closed connections did it on release().
    for instance in open_instances():
        instance.stop_background_work()
    for instance in open_instances():
        instance.close()
