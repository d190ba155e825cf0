"""PEP 249 exceptions that carry MySQL error codes.

Every error autovec raises to a client is one of these, with ``errno`` and ``sqlstate``
as MySQL/TiDB would send them, so PyMySQL-style code (``e.args[0] == 1146``) and
SQLAlchemy's MySQL dialect (which reads ``args[0]``) behave the same against autovec.
"""

from __future__ import annotations

#: PEP 249's exceptions, which a DB-API module has at module level: ``autovec.dbapi`` and
#: the ``autovec`` package take them with ``from autovec.errors import *``. (The error
#: numbers below are imported by name.)
__all__ = [
    "DataError",
    "DatabaseError",
    "Error",
    "IntegrityError",
    "InterfaceError",
    "InternalError",
    "NotSupportedError",
    "OperationalError",
    "ProgrammingError",
    "Warning",
]


class Warning(Exception):
    """PEP 249 ``Warning``."""


class Error(Exception):
    """Base of all autovec database errors: ``args == (errno, message)`` like PyMySQL."""

    errno: int = 1105
    sqlstate: str = "HY000"

    def __init__(self, message: str, errno: int | None = None, sqlstate: str | None = None):
        if errno is not None:
            self.errno = errno
        if sqlstate is not None:
            self.sqlstate = sqlstate
        self.msg = message
        super().__init__(self.errno, message)

    def __str__(self) -> str:
        return f"{self.errno} ({self.sqlstate}): {self.msg}"


class InterfaceError(Error):
    """Misuse of the DB-API itself (closed cursor, bad parameters)."""

    errno = 2000


class DatabaseError(Error):
    """Errors reported by the database."""


class DataError(DatabaseError):
    """Bad data: out of range, too long, malformed vector."""


class OperationalError(DatabaseError):
    """Unknown tables/columns/databases, locks, I/O."""


class IntegrityError(DatabaseError):
    """Duplicate keys, NOT NULL and CHECK violations."""


class InternalError(DatabaseError):
    """A bug in autovec."""


class ProgrammingError(DatabaseError):
    """Syntax errors and invalid SQL."""


class NotSupportedError(DatabaseError):
    """Valid SQL that autovec does not support."""


# MySQL error numbers used across the engine, by name, so call sites read clearly.
ER_DB_CREATE_EXISTS = 1007
ER_DB_DROP_EXISTS = 1008
ER_NO_DB_ERROR = 1046
ER_BAD_NULL_ERROR = 1048
ER_BAD_DB_ERROR = 1049
ER_TABLE_EXISTS_ERROR = 1050
ER_BAD_TABLE_ERROR = 1051
ER_BAD_FIELD_ERROR = 1054
ER_DUP_FIELDNAME = 1060
ER_DUP_KEYNAME = 1061
ER_DUP_ENTRY = 1062
ER_PARSE_ERROR = 1064
ER_CONNECTION_KILLED = 1927
ER_NO_SUCH_TABLE = 1146
ER_CANT_DROP_FIELD_OR_KEY = 1091
ER_UNKNOWN_SYSTEM_VARIABLE = 1193
ER_WRONG_VALUE_COUNT_ON_ROW = 1136
ER_TRUNCATED_WRONG_VALUE = 1292
ER_WARN_DATA_OUT_OF_RANGE = 1264
ER_DATA_TOO_LONG = 1406
ER_INVALID_JSON_TEXT = 3140
ER_CHECK_CONSTRAINT_VIOLATED = 3819
ER_NOT_SUPPORTED_YET = 1235
ER_UNKNOWN_ERROR = 1105
ER_UNSUPPORTED_DDL = 8200
ER_SP_DOES_NOT_EXIST = 1305
ER_WRONG_ARGUMENTS = 1210
ER_QUERY_INTERRUPTED = 1317
ER_EMPTY_QUERY = 1065
ER_INVALID_CHARACTER_STRING = 1300
ER_QUERY_TIMEOUT = 3024


def syntax_error(message: str) -> ProgrammingError:
    return ProgrammingError(message, ER_PARSE_ERROR, "42000")


SYNTAX_ERROR_PREFIX = (
    "You have an error in your SQL syntax; check the manual that corresponds to your "
    "TiDB version for the right syntax to use"
)


def syntax_error_near(
    near: str, line: int | None = None, column: int | None = None, reason: str = ""
) -> ProgrammingError:
    """1064 worded as TiDB words it: ``… to use line 1 column 5 near "SELEC 1"``.

    ``near`` is the statement from the first bad token on; ``column`` is where that
    token ends. ``reason`` says what autovec expected there, when that helps.
    """
    where = f" line {line} column {column}" if line is not None and column is not None else ""
    shown = near if len(near) <= 80 else near[:80] + "..."
    suffix = f" ({reason})" if reason else ""
    return syntax_error(f'{SYNTAX_ERROR_PREFIX}{where} near "{shown}"{suffix}')


def wrong_parameter_count(function: str) -> OperationalError:
    """MySQL's 1582 for a native function called with the wrong number of arguments."""
    return OperationalError(
        f"Incorrect parameter count in the call to native function '{function}'", 1582, "42000"
    )


def no_such_table(database: str, table: str) -> ProgrammingError:
    return ProgrammingError(f"Table '{database}.{table}' doesn't exist", ER_NO_SUCH_TABLE, "42S02")


def unknown_column(column: str, where: str = "field list") -> OperationalError:
    return OperationalError(f"Unknown column '{column}' in '{where}'", ER_BAD_FIELD_ERROR, "42S22")


def query_interrupted() -> OperationalError:
    return OperationalError("Query execution was interrupted", ER_QUERY_INTERRUPTED, "70100")


def query_timeout() -> OperationalError:
    return OperationalError(
        "Query execution was interrupted, maximum statement execution time exceeded",
        ER_QUERY_TIMEOUT,
        "HY000",
    )


def unknown_database(name: str) -> OperationalError:
    return OperationalError(f"Unknown database '{name}'", ER_BAD_DB_ERROR, "42000")


def unsupported(message: str) -> NotSupportedError:
    return NotSupportedError(message, ER_NOT_SUPPORTED_YET, "42000")
