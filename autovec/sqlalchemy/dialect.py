"""``autovec://``: SQLAlchemy's MySQL dialect over autovec's embedded DB-API.

The engine speaks TiDB's SQL, so everything SQLAlchemy's MySQL dialect compiles and
reflects works as it does against TiDB; this module only supplies what a MySQL *driver*
dialect supplies (how to connect, error codes, autocommit, ping). The dialect keeps
``name == "mysql"`` (the driver is ``autovec``) so MySQL-specific extensions, Alembic and
SQLModel treat it as the MySQL it imitates.

URLs::

    autovec:///relative/dir          a data directory relative to the working directory
    autovec:////absolute/dir         an absolute one
    autovec://  or  autovec:///:memory:   a throw-away in-memory database (one shared
                                     connection: each in-memory connect is a new database)
    ...?database=name                the database to USE (default ``test``)
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal, cast

from sqlalchemy import exc, pool, util
from sqlalchemy.dialects.mysql.base import MySQLDialect, MySQLExecutionContext
from sqlalchemy.dialects.mysql.reflection import MySQLTableDefinitionParser

from autovec import dbapi
from autovec.sqlalchemy.vector import VECTOR

if TYPE_CHECKING:
    from sqlalchemy.engine.base import Connection
    from sqlalchemy.engine.interfaces import (
        ConnectArgsType,
        DBAPIConnection,
        DBAPICursor,
        DBAPIModule,
        IsolationLevel,
        ReflectedIndex,
    )
    from sqlalchemy.engine.url import URL
    from sqlalchemy.pool import PoolProxiedConnection

MEMORY = ":memory:"

#: MySQL client codes that mean the server went away. The embedded engine cannot lose
#: its server, but the codes keep ``is_disconnect`` honest if a future transport does.
_DISCONNECT_CODES = frozenset({2006, 2013, 2055})

_MYSQL_VERSION = re.compile(r"^\s*(\d+)\.(\d+)\.(\d+)")
_TIDB_VERSION = re.compile(r"TiDB-v?(\d+)\.(\d+)\.(\d+)", re.I)


def _is_memory(url: URL) -> bool:
    return url.database in (None, "", MEMORY)


class TiDBTableDefinitionParser(MySQLTableDefinitionParser):
    """MySQL's SHOW CREATE TABLE parser, taught TiDB's vector and full-text index lines.

    TiDB prints ``VECTOR INDEX `i`((VEC_COSINE_DISTANCE(`v`)))`` and
    ``FULLTEXT INDEX `f`(`c`) WITH PARSER STANDARD``, which MySQL's parser does not know
    (it warns "Unknown schema content" and drops the index).
    """

    _re_vector_index = re.compile(
        r"^  VECTOR INDEX `(?P<name>(?:``|[^`])+)`\s*\((?P<expression>\(.*\))\)"
        r"(?: +COMMENT +'(?P<comment>(?:''|[^'])*)')?(?: +/\*.*\*/)? *,?$"
    )
    _re_fulltext_index = re.compile(r"^  FULLTEXT INDEX (`(?:``|[^`])+`)\s*\(")

    def _parse_constraints(self, line: str) -> Any:
        vector = self._re_vector_index.match(line)
        if vector:
            # A plain KEY to MySQL's get_indexes (no "unknown KEY type" warning);
            # AutovecDialect.get_indexes turns it back into a VECTOR index.
            spec: dict[str, Any] = {
                "type": None,
                "name": vector["name"].replace("``", "`"),
                "columns": [],
                "parser": None,
                "comment": vector["comment"],
                "vector_expression": vector["expression"],
            }
            return "key", spec
        return super()._parse_constraints(self._re_fulltext_index.sub(r"  FULLTEXT KEY \1 (", line))


class AutovecExecutionContext(MySQLExecutionContext):
    """MySQL's execution context; autovec cursors report ``lastrowid`` like PyMySQL's."""


class AutovecDialect(MySQLDialect):
    """SQLAlchemy's MySQL dialect, driven by autovec's in-process DB-API."""

    name = "mysql"
    driver = "autovec"
    supports_statement_cache = True
    supports_unicode_statements = True
    supports_sane_rowcount = True  # UPDATE counts matched rows, like PyMySQL's FOUND_ROWS
    supports_sane_multi_rowcount = True
    supports_native_decimal = True
    supports_server_side_cursors = False
    default_paramstyle = "pyformat"
    execution_ctx_cls = AutovecExecutionContext
    ischema_names = {**MySQLDialect.ischema_names, "vector": VECTOR}  # noqa: RUF012 - as in MySQLDialect

    #: The TiDB release the engine imitates, parsed from ``VERSION()``; None until connected.
    tidb_version_info: tuple[int, ...] | None = None

    # -- the DB-API module and connecting -----------------------------------------------
    @classmethod
    def import_dbapi(cls) -> DBAPIModule:
        """:mod:`autovec.dbapi`, the PEP 249 module (connect, exceptions, paramstyle)."""
        return cast("DBAPIModule", dbapi)

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        """One shared connection for ``:memory:`` (each connect would be a new database)."""
        if _is_memory(url):
            return pool.StaticPool
        return pool.QueuePool

    def create_connect_args(self, url: URL) -> ConnectArgsType:
        """``autovec:///dir?database=name`` → ``autovec.connect("dir", database="name")``."""
        if url.host or url.port or url.username or url.password:
            raise exc.ArgumentError(
                f"autovec URLs name a local directory, not a server: use autovec:///relative/dir, "
                f"autovec:////absolute/dir or autovec:// (in memory), not {url.render_as_string()!r}"
            )
        opts: dict[str, Any] = dict(url.query)
        util.coerce_kw_type(opts, "autocommit", bool)
        opts.setdefault("autocommit", False)
        opts["found_rows"] = True  # rowcount = rows matched, as SQLAlchemy's ORM expects
        path = MEMORY if _is_memory(url) else cast(str, url.database)
        return [path], opts

    def retrieve_dbapi_version(self, dbapi: DBAPIModule) -> util.VersionInfo:
        """autovec's own version (SQLAlchemy 2.1's ``dialect.dbapi_version``)."""
        return util.parse_version_string(getattr(dbapi, "__version__", None))

    # -- errors and liveness ---------------------------------------------------------------
    def _extract_error_code(self, exception: DBAPIModule.Error) -> int | None:
        """autovec errors carry the MySQL code in ``args[0]``, as PyMySQL's do."""
        args = getattr(exception, "args", ())
        return args[0] if args and isinstance(args[0], int) else None

    def is_disconnect(
        self,
        e: DBAPIModule.Error,
        connection: PoolProxiedConnection | DBAPIConnection | None,
        cursor: DBAPICursor | None,
    ) -> bool:
        """Only a closed connection is gone; autovec's cursor errors (code 2014) are not.

        MySQL's list treats 2014 ("commands out of sync") as a lost connection, but autovec
        uses it for a closed cursor or fetching without a result, and invalidating a
        ``:memory:`` connection would throw the whole database away.
        """
        dbapi = self.loaded_dbapi
        if isinstance(e, dbapi.InterfaceError) and "Connection is closed" in str(e):
            return True
        return (
            isinstance(e, dbapi.OperationalError | dbapi.InterfaceError)
            and self._extract_error_code(e) in _DISCONNECT_CODES
        )

    def do_ping(self, dbapi_connection: DBAPIConnection) -> Literal[True]:
        dbapi_connection.ping()
        return True

    # -- server facts ------------------------------------------------------------------------
    def _detect_charset(self, connection: Connection) -> str:
        """Strings are Python str end to end; the engine's only charset is utf8mb4."""
        return "utf8mb4"

    def _parse_server_version(self, val: str) -> tuple[int, ...]:
        """``8.0.11-TiDB-v8.5.0-autovec-0.1.0`` → MySQL ``(8, 0, 11)``; TiDB's release aside.

        MySQL's parser would collect every number in the string, (8, 0, 11, 5, 0, 0, 1, 0).
        """
        tidb = _TIDB_VERSION.search(val)
        self.tidb_version_info = tuple(int(part) for part in tidb.groups()) if tidb else None
        mysql = _MYSQL_VERSION.match(val)
        return super()._parse_server_version(mysql.group(0) if mysql else val)

    # -- reflection -------------------------------------------------------------------------
    @util.memoized_property
    def _tabledef_parser(self) -> MySQLTableDefinitionParser:
        return TiDBTableDefinitionParser(self, self.identifier_preparer)

    def get_indexes(
        self, connection: Connection, table_name: str, schema: str | None = None, **kw: Any
    ) -> list[ReflectedIndex]:
        """MySQL's indexes, with vector indexes as ``VECTOR`` expression indexes.

        A reflected vector index recreates itself: ``Index(name, text("(VEC_…(`v`))"),
        mysql_prefix="VECTOR")`` compiles to ``CREATE VECTOR INDEX name ON t ((VEC_…(`v`)))``.
        """
        state = self._parsed_state_or_create(connection, table_name, schema, **kw)
        vectors = {key["name"]: key for key in state.keys if key.get("vector_expression")}
        indexes: list[ReflectedIndex] = []
        for reflected in super().get_indexes(connection, table_name, schema, **kw):
            index = cast("ReflectedIndex", dict(reflected))  # the original is cached: copy
            key = vectors.get(index["name"])
            if key is not None:
                index["column_names"] = [None]
                index["expressions"] = [key["vector_expression"]]
                index["dialect_options"] = {
                    **index.get("dialect_options", {}),
                    f"{self.name}_prefix": "VECTOR",
                }
            indexes.append(index)
        return indexes

    # -- transactions -------------------------------------------------------------------------
    def get_isolation_level_values(self, dbapi_conn: DBAPIConnection) -> tuple[IsolationLevel, ...]:
        return (
            "SERIALIZABLE",
            "READ UNCOMMITTED",
            "READ COMMITTED",
            "REPEATABLE READ",
            "AUTOCOMMIT",
        )

    def detect_autocommit_setting(self, dbapi_conn: DBAPIConnection) -> bool:
        return bool(dbapi_conn.get_autocommit())

    def set_isolation_level(self, dbapi_connection: DBAPIConnection, level: IsolationLevel) -> None:
        """AUTOCOMMIT through the DB-API switch; levels through ``transaction_isolation``.

        (SQLite serializes writers, so every level is at least as strict as asked.)
        """
        if level == "AUTOCOMMIT":
            dbapi_connection.autocommit(True)
            return
        dbapi_connection.autocommit(False)
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SET SESSION transaction_isolation = %s", (level.replace(" ", "-"),))
        finally:
            cursor.close()


dialect = AutovecDialect
