"""PEP 249 (DB-API 2.0) over an autovec session, with PyMySQL's conventions.

``connect(path)`` opens a data directory in-process. Parameters use ``%s`` /
``%(name)s`` like PyMySQL; errors carry MySQL codes in ``args[0]``; vectors come back
as :class:`autovec.Vector`, which prints as TiDB's text and converts to numpy.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from autovec import errors

# PEP 249's exceptions at module level: this module is a whole DB-API module (the
# SQLAlchemy dialect uses it as one); the ``autovec`` package re-exports the same names.
from autovec.errors import *  # noqa: F403
from autovec.sql.instance import acquire, release
from autovec.sql.result import Result
from autovec.sql.session import DEFAULT_DATABASE, Session

__all__ = [
    "BINARY",
    "DATETIME",
    "NUMBER",
    "ROWID",
    "STRING",
    "Binary",
    "Connection",
    "Cursor",
    "DBAPISet",
    "Date",
    "DateFromTicks",
    "Time",
    "TimeFromTicks",
    "Timestamp",
    "TimestampFromTicks",
    "apilevel",
    "connect",
    "paramstyle",
    "threadsafety",
    *errors.__all__,
]

apilevel = "2.0"
threadsafety = 1  # threads may share the module, not connections
paramstyle = "pyformat"


# -- PEP 249 type constructors and type objects (SQLAlchemy's LargeBinary binds via Binary) --
Binary = bytes
Date = datetime.date
Time = datetime.time
Timestamp = datetime.datetime


def DateFromTicks(ticks: float) -> datetime.date:
    return datetime.date.fromtimestamp(ticks)


def TimeFromTicks(ticks: float) -> datetime.time:
    return datetime.datetime.fromtimestamp(ticks).time()


def TimestampFromTicks(ticks: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(ticks)


class DBAPISet(frozenset[int]):
    """A PEP 249 type object: equal to each MySQL type code it groups (as PyMySQL's)."""

    def __eq__(self, other: object) -> bool:
        if isinstance(other, frozenset):
            return frozenset.__eq__(self, other)
        return other in self

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return frozenset.__hash__(self)


STRING = DBAPISet({247, 248, 253, 254})
BINARY = DBAPISet({249, 250, 251, 252})
NUMBER = DBAPISet({0, 1, 2, 3, 4, 5, 8, 9, 13, 16, 246})
DATETIME = DBAPISet({7, 10, 11, 12})
ROWID = DBAPISet()


class Cursor:
    """A PEP 249 cursor; results are fully fetched when a statement completes."""

    arraysize = 1

    def __init__(self, connection: Connection):
        self.connection = connection
        self._result: Result | None = None
        self._position = 0
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.description: tuple[tuple[Any, ...], ...] | None = None
        self._closed = False

    # -- execution ---------------------------------------------------------------------
    def execute(
        self, operation: str, parameters: Sequence[Any] | Mapping[str, Any] | None = None
    ) -> int:
        self._check_open()
        result = self.connection.session.execute(operation, parameters)
        self._set_result(result)
        return self.rowcount

    def executemany(self, operation: str, seq_of_parameters: Sequence[Any]) -> int:
        """Runs the statement once per parameter set, all-or-nothing as one unit."""
        self._check_open()
        result = self.connection.session.execute_many(operation, seq_of_parameters)
        self._set_result(result)
        return self.rowcount

    def _set_result(self, result: Result) -> None:
        self._result = result
        self._position = 0
        self.rowcount = result.rowcount
        self.lastrowid = result.lastrowid
        self.description = (
            tuple(c.description for c in result.columns) if result.columns is not None else None
        )

    # -- fetching ----------------------------------------------------------------------
    def fetchone(self) -> tuple[Any, ...] | None:
        rows = self._rows()
        if self._position >= len(rows):
            return None
        row = rows[self._position]
        self._position += 1
        return row

    def fetchmany(self, size: int | None = None) -> list[tuple[Any, ...]]:
        rows = self._rows()
        size = self.arraysize if size is None else size
        chunk = rows[self._position : self._position + size]
        self._position += len(chunk)
        return chunk

    def fetchall(self) -> list[tuple[Any, ...]]:
        rows = self._rows()
        chunk = rows[self._position :]
        self._position = len(rows)
        return chunk

    def _rows(self) -> list[tuple[Any, ...]]:
        self._check_open()
        if self._result is None or self._result.columns is None:
            raise errors.ProgrammingError(
                "no result set: the last statement did not return rows", 2014
            )
        return self._result.rows

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        while (row := self.fetchone()) is not None:
            yield row

    # -- misc ----------------------------------------------------------------------------
    def setinputsizes(self, sizes: Any) -> None:
        """Not needed: values are bound by their Python type."""

    def setoutputsize(self, size: Any, column: Any = None) -> None:
        """Not needed."""

    def close(self) -> None:
        self._closed = True

    def _check_open(self) -> None:
        if self._closed:
            raise errors.ProgrammingError("Cursor is closed", 2014)
        self.connection._check_open()

    def __enter__(self) -> Cursor:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class Connection:
    """A PEP 249 connection to a data directory (or ``":memory:"``)."""

    Error = errors.Error
    Warning = errors.Warning
    InterfaceError = errors.InterfaceError
    DatabaseError = errors.DatabaseError
    DataError = errors.DataError
    OperationalError = errors.OperationalError
    IntegrityError = errors.IntegrityError
    InternalError = errors.InternalError
    ProgrammingError = errors.ProgrammingError
    NotSupportedError = errors.NotSupportedError

    def __init__(
        self,
        path: str | os.PathLike[str] = "./data",
        database: str | None = DEFAULT_DATABASE,
        autocommit: bool = False,
        found_rows: bool = False,
    ):
        self.path = str(path)
        # The directory's instance, shared with this process's other connections to it;
        # close() hands it back.
        self.instance = acquire(self.path)
        self.store = self.instance.store
        try:
            self._session: Session | None = Session(self.instance, database)
        except BaseException:
            release(self.instance)
            raise
        self._session.client_found_rows = found_rows
        if not autocommit:
            self._session.set_variable("autocommit", 0)

    @property
    def session(self) -> Session:
        return self._check_open()

    def _check_open(self) -> Session:
        if self._session is None:
            raise errors.InterfaceError("Connection is closed")
        return self._session

    def cursor(self) -> Cursor:
        self._check_open()
        return Cursor(self)

    def commit(self) -> None:
        self._check_open().commit()

    def rollback(self) -> None:
        self._check_open().rollback()

    def autocommit(self, on: bool) -> None:
        self._check_open().set_variable("autocommit", 1 if on else 0)

    def get_autocommit(self) -> bool:
        return self._check_open().autocommit

    def select_db(self, database: str) -> None:
        self._check_open().use(database)

    def ping(self, reconnect: bool = False) -> bool:
        self._check_open()
        return True

    def execute(
        self, operation: str, parameters: Sequence[Any] | Mapping[str, Any] | None = None
    ) -> Cursor:
        """Shortcut: a cursor that has run ``operation``."""
        cursor = self.cursor()
        cursor.execute(operation, parameters)
        return cursor

    def close(self) -> None:
        if self._session is not None:
            try:
                self._session.close()
            finally:
                self._session = None
                release(self.instance)

    @property
    def closed(self) -> bool:
        return self._session is None

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, exc_type: object, *_exc: object) -> None:
        if self._session is not None:
            if exc_type is None:
                self.commit()
            else:
                self.rollback()
            self.close()


def connect(
    path: str | os.PathLike[str] = "./data",
    database: str | None = DEFAULT_DATABASE,
    autocommit: bool = False,
    found_rows: bool = False,
    **_ignored: Any,
) -> Connection:
    """Open a data directory (created if missing; ``":memory:"`` for a throw-away one).

    Like PEP 249 and PyMySQL, changes are committed by ``commit()`` (or on leaving a
    ``with`` block); pass ``autocommit=True`` to commit every statement, as the shell does.
    ``rowcount`` counts the rows a statement changed, as MySQL's does; ``found_rows=True``
    (MySQL's CLIENT_FOUND_ROWS, which SQLAlchemy asks for) counts those an UPDATE matched.
    """
    return Connection(path, database, autocommit, found_rows)
