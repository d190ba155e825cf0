"""Work a connection finds left over and finishes in the background: crashed back-fills.

A back-fill (``ALTER TABLE … ADD COLUMN … EMBED_TEXT``) commits batch by batch; one that a
crash interrupted is resumed when a connection next opens its database. It runs here, on
a thread with its own connection, so opening the database never waits for it: the table
stays readable and writable while its rows fill in. Only one resumer runs per database
and process (and per table across processes, see ``auto_embedding.backfill``); at exit it
is interrupted and its unfinished batch is left for next time.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from autovec import errors
from autovec.sql import auto_embedding

if TYPE_CHECKING:
    from autovec.sql.context import ExecContext

log = logging.getLogger("autovec")

_running: dict[tuple[str, str], tuple[threading.Thread, ExecContext]] = {}
_lock = threading.Lock()


def pending_backfills(session: ExecContext, database: str) -> list[str]:
    """Tables of ``database`` whose back-fill a crash left unfinished."""
    return [s.name for s in session.catalog(database).values() if s.options.get("backfill")]


def resume_backfills(
    session: ExecContext, database: str, open_session: Callable[[], ExecContext]
) -> list[str]:
    """Resume ``database``'s unfinished back-fills on a background thread.

    Returns what is being resumed (``db.table`` labels) for the caller to tell the user.
    ``open_session`` gives the thread its own connection.
    """
    tables = pending_backfills(session, database)
    if not tables:
        return []
    key = (session.store.datadir.key, database)
    with _lock:
        if key not in _running:
            worker = open_session()
            thread = threading.Thread(
                target=_run,
                args=(worker, database, tables, key),
                name=f"autovec-backfill-{database}",
                daemon=True,
            )
            _running[key] = (thread, worker)
            thread.start()
    return [f"{database}.{table}" for table in tables]


def _run(worker: ExecContext, database: str, tables: list[str], key: tuple[str, str]) -> None:
    try:
        for table in tables:
            auto_embedding.backfill(worker, database, table)
    except errors.Error as exc:  # interrupted at exit, or the provider failed: next time
        log.warning("back-fill of %s stopped: %s", database, exc)
    finally:
        worker.close()
        with _lock:
            _running.pop(key, None)


def wait_for_backfills(timeout: float | None = None) -> bool:
    """Wait for the running resumers; True when none is left."""
    with _lock:
        threads = [thread for thread, _ in _running.values()]
    for thread in threads:
        thread.join(timeout)
    return not any(thread.is_alive() for thread in threads)


@atexit.register
def _stop_at_exit() -> None:
    with _lock:
        running = list(_running.values())
    for _, worker in running:
        worker.interrupt()
    for thread, _ in running:
        thread.join(timeout=10)
