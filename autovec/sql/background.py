"""Work a connection finds left over and finishes in the background: crashed back-fills.

A back-fill (``ALTER TABLE … ADD COLUMN … EMBED_TEXT``) commits batch by batch; one that a
crash interrupted is resumed when a connection next opens its database. It runs here, on
a thread with its own connection, so opening the database never waits for it: the table
stays readable and writable while its rows fill in. Only one resumer runs per database
and process (and per table across processes, see ``auto_embedding.backfill``); the
resumers are the data directory's (``instance.Instance.backfills``), and its worker
session holds the instance open. A process ending interrupts them (``instance``'s exit
hook) and leaves their unfinished batch for next time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from autovec import errors
from autovec.sql import auto_embedding
from autovec.sql.instance import open_instances, release, retain

if TYPE_CHECKING:
    from autovec.sql.context import ExecContext

log = logging.getLogger("autovec")


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
    instance = session.instance
    with instance.backfill_lock:
        if database not in instance.backfills:
            retain(instance)  # the worker holds the instance open until it is done
            try:
                worker = open_session()
            except BaseException:
                release(instance)
                raise
            thread = threading.Thread(
                target=_run,
                args=(worker, database, tables),
                name=f"autovec-backfill-{database}",
                daemon=True,
            )
            instance.backfills[database] = (thread, worker)
            thread.start()
    return [f"{database}.{table}" for table in tables]


def _run(worker: ExecContext, database: str, tables: list[str]) -> None:
    try:
        for table in tables:
            auto_embedding.backfill(worker, database, table)
    except errors.Error as exc:  # interrupted at exit, or the provider failed: next time
        log.warning("back-fill of %s stopped: %s", database, exc)
    finally:
        worker.close()
        instance = worker.instance
        with instance.backfill_lock:
            instance.backfills.pop(database, None)
        release(instance)


def wait_for_backfills(timeout: float | None = None) -> bool:
    """Wait for the running resumers; True when none is left."""
    threads = []
    for instance in open_instances():
        with instance.backfill_lock:
            threads += [thread for thread, _ in instance.backfills.values()]
    for thread in threads:
        thread.join(timeout)
    return not any(thread.is_alive() for thread in threads)
