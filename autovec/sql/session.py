"""A session: one client's connection state, and the statement dispatcher.

``Session.execute(sql, params)`` is the single entry point every upper layer (DB-API,
SQLAlchemy, the shell, the MySQL server) ends in. It parses the TiDB statement, routes
it to the module that owns that kind of statement, and makes it all-or-nothing: each
statement runs inside a SQLite savepoint that is rolled back if any part of it fails.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, cast

import apsw
import numpy as np
from sqlglot import exp

from autovec import errors

# Importing the statement modules registers their handlers (statements.py); ddl and show
# are used through the registry only.
from autovec.sql import (
    auto_embedding,
    background,
    ddl,  # noqa: F401
    dml,
    fulltext,  # full-text search: tokenizers, WITH PARSER text (sql/fulltext.py)
    internal_functions,
    literal_rows,
    literal_select,
    mysql_functions,
    query,
    show,  # noqa: F401
    vector_functions,
)
from autovec.sql import variables as sysvars
from autovec.sql.information_schema import InformationSchema
from autovec.sql.instance import Instance
from autovec.sql.parser import (
    parse,
    prepare_text,
    select_item_texts,
    split_statements,
)
from autovec.sql.query import SELECT_PLANS
from autovec.sql.result import Result, ResultColumn
from autovec.sql.schema import TableSchema
from autovec.sql.sqlite_errors import MAPPED_ERRORS, MysqlErrors, map_sqlite_error, mysql_error
from autovec.sql.statements import handler_for, handles
from autovec.sql.tidb_nodes import IgnoredStatement, ReleaseSavepoint, Savepoint
from autovec.sql.translate import Translator
from autovec.sql.types import (
    UNCHANGED_BY,
    SqlType,
    output_converter,
    type_of_values,
    wide_integer,
)
from autovec.storage import catalog as storage_catalog
from autovec.vector import Vector, VectorError
from autovec.version import SERVER_VERSION, TIDB_RELEASE, __version__

DEFAULT_DATABASE = "test"
# SQLite calls back every this many VM steps (well under a millisecond): a running
# statement notices interrupt(), max_execution_time and Ctrl-C (Python runs its signal
# handlers in the callback) within about that time.
PROGRESS_STEPS = 50_000

Params = Sequence[Any] | Mapping[str, Any] | None
_NO_ROWS: set[int] = set()


class Session:
    """One connection's state: current database, variables, transaction, warnings."""

    def __init__(self, instance: Instance, database: str | None = DEFAULT_DATABASE):
        # Direct references to what the directory's sessions share: no lookup per statement.
        self.instance = instance
        self.store = store = instance.store
        self.plans = instance.plans
        self.conn = store.connect()
        self.user, self.host = "root", "localhost"
        self.started_at: float | None = None  # when the running statement began
        self.idle_since = time.monotonic()
        self.killed = False  # KILL ended this connection: every later statement fails
        self.on_kill: Callable[[], None] | None = None  # what else KILL ends (a socket)
        self.connection_id = 0  # set once the session is whole (end of __init__)
        self.translator = Translator(self)
        self.information_schema = InformationSchema(self)
        self.database: str | None = None
        self.variables: dict[str, Any] = {}
        self.user_variables: dict[str, Any] = {}
        self.warnings: list[tuple[str, int, str]] = []
        self.last_insert_id = 0
        self.last_row_count = -1
        self.found_rows = 0
        # MySQL's CLIENT_FOUND_ROWS: UPDATE (and ON DUPLICATE KEY UPDATE) count the rows
        # they matched, not only those whose values changed.
        self.client_found_rows = False
        self.updated_row_count = 0  # rows UPDATEd so far (the update hook's count)
        self.explicit_transaction = False
        self.savepoints: list[str] = []  # the user's, oldest first
        # Rows this connection changed since its last commit, per (database, table), and
        # the table versions its statements produced: published to shared caches on commit.
        self.pending_rows: dict[tuple[str, str], set[int]] = {}
        self.pending_versions: dict[tuple[str, str], list[int]] = {}
        self._statement_rows: dict[tuple[str, str], set[int]] = {}
        self._versions_unknown = False
        self._depth = 0  # nesting of write_statement (executemany wraps statements)
        self._seen_generation = store.catalog_generation
        # Result columns and converters by the id of a description (see build_result): a
        # repeated statement builds its result without re-deriving types.
        self._result_shapes: dict[int, Any] = {}
        self._schema_versions: dict[str, int] = {}  # read in this statement (schema_version)
        self._seen_schemas: dict[str, int] = {}  # the last schema_version read, by database
        # Result columns of the statements run, by SQL text; forgotten on schema changes.
        self._descriptions: dict[str, Any] = {}
        # Vector indexes found current, with the database's data_version at the time.
        self.current_indexes: dict[tuple[str, str, str], tuple[Any, int]] = {}
        self._attached: set[str] = set()  # databases ATTACHed on this connection
        # Distances vector searches computed for their candidates (by search slot, then
        # rowid), read by the statement that runs on those candidates.
        self.known_distances: dict[int, dict[int, float | None]] = {}
        self.conn.create_scalar_function("__av_known_distance", cast(Any, self._known_distance), 2)
        self.pending_backfills: list[tuple[str, str]] = []
        # Tables whose crashed back-fill opening their database resumed in the background.
        self.resumed_in_background: list[str] = []
        # Long statements (back-fills, index builds) report (done, total, label) here.
        self.progress: Callable[[int, int, str], None] | None = None
        self.current_text: str | None = None  # the statement text being run, for the plan cache
        self.current_tree: exp.Expression | None = None
        self.current_source: str | None = None  # ... and as the user wrote it
        self.closed = False
        vector_functions.register(self.conn)
        mysql_functions.register(self.conn)
        internal_functions.register(self.conn)
        fulltext.register(self.conn)  # FTS5 tokenizers, recursive triggers, __av_fts_query
        auto_embedding.register(self)
        self.conn.set_update_hook(self._on_row_change)
        self._stop_requested = False  # interrupt() was called during this statement
        self._deadline: float | None = None  # max_execution_time of a running SELECT
        self.conn.set_progress_handler(self._should_stop, PROGRESS_STEPS)
        if not store.datadir.exists(DEFAULT_DATABASE):
            store.datadir.create(DEFAULT_DATABASE)
        if database:
            if not store.datadir.exists(database):
                raise errors.unknown_database(database)
            self.use(database)
        self.connection_id = store.register_process(self)

    # -- lifecycle ----------------------------------------------------------------------
    def close(self) -> None:
        if self.closed:
            return
        self.store.unregister_process(self.connection_id)
        try:
            if self.conn.in_transaction:
                self.rollback()
        finally:
            self.closed = True
            self.conn.close()

    # -- databases --------------------------------------------------------------------------
    def use(self, database: str) -> None:
        if not self.store.datadir.exists(database):
            raise errors.unknown_database(database)
        self.attach(database)
        self.database = database.lower()
        if not self.conn.in_transaction:
            self.resumed_in_background += background.resume_backfills(
                self, self.database, lambda: Session(self.instance, None)
            )

    def require_database(self) -> str:
        if not self.database:
            raise errors.OperationalError("No database selected", errors.ER_NO_DB_ERROR, "3D000")
        return self.database

    def attach(self, database: str) -> None:
        name = database.lower()
        if name in self._attached:
            return
        if not self.store.datadir.exists(name):
            raise errors.unknown_database(database)
        if self.conn.in_transaction:
            raise errors.OperationalError(
                f"database '{name}' is first used inside a transaction; run USE {name} before BEGIN",
                errors.ER_UNKNOWN_ERROR,
            )
        self.store.attach(self.conn, name)
        self._attached.add(name)

    def detached(self, database: str) -> None:
        """The database was DETACHed from this connection (DROP DATABASE)."""
        self._attached.discard(database.lower())

    def catalog(self, database: str) -> dict[str, TableSchema]:
        """Table definitions of a database (lower-cased names), cached per store."""
        name = database.lower()
        self.attach(name)
        version = self.schema_version(name)
        cached = self.store.cached_catalog(name, version)
        if cached is None:
            raw = storage_catalog.load_tables(self.conn, name)
            cached = {key: TableSchema.from_dict(value) for key, value in raw.items()}
            if not self.conn.in_transaction:
                self.store.store_catalog(name, version, cached)
        return cached

    def schema_version(self, database: str) -> int:
        """SQLite's schema cookie of an attached database.

        Outside a transaction it is read once per statement (the plan cache and the
        catalog cache both check it): nothing this connection does between two reads can
        change it without opening a transaction, and reading it also brings the
        connection's view of commits by other processes up to date, which the vector
        indexes rely on (``vector_index._known_current``).
        """
        in_transaction = self.conn.in_transaction
        if not in_transaction:
            known = self._schema_versions.get(database)
            if known is not None:
                return known
        row = self.conn.execute(f'PRAGMA "{database}".schema_version').fetchone()
        version = int(row[0]) if row else 0
        if self._seen_schemas.setdefault(database, version) != version:
            self._seen_schemas[database] = version  # changed, perhaps by another process
            self._forget_statements()
        if not in_transaction:
            self._schema_versions[database] = version
        return version

    def database_of(self, table: exp.Expression | None) -> str:
        """The database a statement's table reference names; 1064 if it names no table.

        sqlglot accepts e.g. ``TRUNCATE TABLE SELECT`` and ``INSERT INTO (a) …``; the
        grammar MySQL users know does not.
        """
        if not isinstance(table, exp.Table) or not table.name or isinstance(table.this, exp.Func):
            text = table.sql(dialect="mysql") if table is not None else ""
            raise errors.syntax_error_near(text, reason="a table name is expected")
        return (table.db or self.require_database()).lower()

    def table(self, database: str | None, name: str) -> TableSchema:
        db = (database or self.require_database()).lower()
        schema = self.catalog(db).get(name.lower())
        if schema is None:
            raise errors.no_such_table(db, name)
        return schema

    # -- variables ----------------------------------------------------------------------
    def get_variable(self, name: str, kind: str | None = None) -> Any:
        key = name.lower()
        for prefix in ("global.", "session.", "local."):
            if key.startswith(prefix):
                kind, key = prefix[:-1], key[len(prefix) :]
        settings = self.store.datadir.settings()
        if key not in sysvars.DEFAULTS and key not in settings:
            raise errors.OperationalError(
                f"Unknown system variable '{name}'", errors.ER_UNKNOWN_SYSTEM_VARIABLE, "HY000"
            )
        if key == "warning_count":
            return len(self.warnings)
        value = settings.get(key, sysvars.DEFAULTS.get(key))
        if (kind or "session").lower() != "global" and key in self.variables:
            value = self.variables[key]
        return sysvars.display(key, value)

    def secret_variable(self, name: str) -> Any:
        """The real value of a global variable (API keys), for the embedding layer only."""
        return self.store.datadir.settings().get(name.lower(), sysvars.DEFAULTS.get(name.lower()))

    def set_variable(self, name: str, value: Any, scope: str = "SESSION") -> None:
        key = name.lower()
        if key not in sysvars.DEFAULTS:
            raise errors.OperationalError(
                f"Unknown system variable '{name}'", errors.ER_UNKNOWN_SYSTEM_VARIABLE, "HY000"
            )
        value = sysvars.normalize(key, value)
        if scope.upper() == "GLOBAL" or key in sysvars.GLOBAL_ONLY:
            if scope.upper() != "GLOBAL" and key in sysvars.GLOBAL_ONLY:
                raise errors.OperationalError(
                    f"Variable '{key}' is a GLOBAL variable and should be set with SET GLOBAL",
                    1229,
                    "HY000",
                )
            self.store.datadir.save_setting(key, value)
            return
        if key == "autocommit":
            self._set_autocommit(bool(int(value)))
        self.variables[key] = value

    @property
    def autocommit(self) -> bool:
        return bool(int(self.variables.get("autocommit", 1)))

    def _set_autocommit(self, on: bool) -> None:
        if on and self.conn.in_transaction:
            self.commit()

    @staticmethod
    def tidb_version() -> str:
        return (
            f"Release Version: {TIDB_RELEASE}\nEdition: Community\nGit Commit Hash: autovec-{__version__}\n"
            "Git Branch: main\nStore: autovec (embedded SQLite)\nKernel Type: autovec\n"
            f"Server Version: {SERVER_VERSION}"
        )

    # -- execution ----------------------------------------------------------------------
    def execute(self, sql: str, params: Params = None) -> Result:
        """Run one statement and return its result."""
        if self.closed:
            raise errors.InterfaceError("Connection is closed")
        if self.killed:
            raise errors.OperationalError("Connection was killed", errors.ER_CONNECTION_KILLED)
        self._schema_versions.clear()  # schema_version() is remembered within a statement
        if self._depth == 0:
            self._stop_requested = False
            self.started_at = time.monotonic()
        try:
            return self._execute(sql, params)
        except KeyError as exc:
            if isinstance(params, Mapping) and exc.args and exc.args[0] not in params:
                raise errors.ProgrammingError(
                    f"missing query parameter %({exc.args[0]})s", errors.ER_WRONG_ARGUMENTS
                ) from None
            raise
        except RecursionError:  # translating a deeply nested statement
            raise errors.syntax_error(
                "You have an error in your SQL syntax: the statement is nested too deeply"
            ) from None
        except UnicodeEncodeError as exc:  # a lone surrogate in the text or a parameter
            bad = exc.object[exc.start : exc.end].encode("unicode_escape").decode()
            raise errors.DataError(
                f"Invalid utf8mb4 character string: '{bad}'", errors.ER_INVALID_CHARACTER_STRING
            ) from None
        except UnicodeDecodeError as exc:  # a result string made of bytes (CONCAT(X'80'))
            bad = exc.object[exc.start : exc.end].hex().upper()
            raise errors.DataError(
                f"Invalid utf8mb4 character string: '{bad}'", errors.ER_INVALID_CHARACTER_STRING
            ) from None
        except errors.Error:
            raise
        except Exception as exc:
            # A bug in autovec, never the user's: PEP 249's InternalError, with the cause
            # chained for the report. tests/test_fuzz.py fails on every one of these.
            raise errors.InternalError(
                f"internal error: {type(exc).__name__}: {exc}", errors.ER_UNKNOWN_ERROR
            ) from exc
        finally:
            self._schema_versions.clear()
            if self._depth == 0:
                self._deadline = None
                self.started_at, self.idle_since = None, time.monotonic()

    def interrupt(self) -> None:
        """Stop the running statement (KILL QUERY): it fails with 1317, leaving nothing.

        Safe from any thread. SQLite stops within a few milliseconds; work in Python
        (embedding) stops at its next check. An interrupted write inside an explicit
        transaction rolls the whole transaction back (SQLite cannot keep it).
        """
        self._stop_requested = True
        self.conn.interrupt()

    def kill(self) -> None:
        """KILL: stop the running statement and end the connection (safe from any thread)."""
        self.killed = True
        self.interrupt()
        if self.on_kill is not None:
            self.on_kill()

    def process_row(self) -> tuple[Any, ...]:
        """This connection's SHOW PROCESSLIST row."""
        running = self.started_at is not None
        since = self.started_at if self.started_at is not None else self.idle_since
        info = self.current_source if running else None
        return (
            self.connection_id, self.user, self.host, self.database,
            "Query" if running else "Sleep", int(time.monotonic() - since),
            "autocommit" if self.autocommit else "in transaction", info,
        )  # fmt: skip

    def check_interrupted(self) -> None:
        """Raise 1317 if interrupt() was called during this statement."""
        if self._stop_requested:
            raise errors.query_interrupted()

    def _should_stop(self) -> bool:
        return self._stop_requested or (
            self._deadline is not None and time.monotonic() > self._deadline
        )

    def _start_deadline(self) -> None:
        """``max_execution_time`` (ms, SELECTs only, as in MySQL) for this statement."""
        limit = self.variables.get("max_execution_time") or 0
        if limit and self._depth == 0:
            self._deadline = time.monotonic() + float(limit) / 1000

    def sqlite_error(self, exc: apsw.Error, tree: exp.Expression | None = None) -> errors.Error:
        """The MySQL error for a failed SQLite call of this session."""
        if isinstance(exc, apsw.InterruptError):
            if self._deadline is not None and time.monotonic() > self._deadline:
                return errors.query_timeout()
            return errors.query_interrupted()
        return map_sqlite_error(exc, tree)

    def _execute(self, sql: str, params: Params) -> Result:
        text = statement_text(sql, params is not None)
        cached = self.plans.get(SELECT_PLANS, self.plan_key(text, params))
        if cached is None:
            # Literal values as parameters: literal_rows.py (INSERT), literal_select.py
            inserted = literal_rows.execute_insert(self, text, sql, bind_params(params))
            if inserted is not None:
                return inserted
            if params is None:
                cached, params = literal_select.shaped_plan(self, text)
        if cached is not None:  # only SELECTs are cached (query.py)
            self.warnings = []
            self._start_deadline()
            try:
                result: Result = cached.run(self, bind_params(params))
            except MAPPED_ERRORS as exc:
                raise mysql_error(exc, self.sqlite_error) from None
            return result
        trees = parse(text)
        if not trees:
            raise errors.ProgrammingError("Query was empty", errors.ER_EMPTY_QUERY, "42000")
        if len(trees) > 1:
            raise errors.ProgrammingError(
                "You have an error in your SQL syntax: only one statement is allowed here; use execute_script()",
                errors.ER_PARSE_ERROR,
                "42000",
            )
        tree = trees[0]
        self.current_text, self.current_tree, self.current_source = text, tree, sql
        try:
            return self.execute_tree(tree, bind_params(params))
        finally:
            self.current_text = self.current_tree = self.current_source = None

    def select_item_texts(self, tree: exp.Expression) -> list[str]:
        """The select items of the statement being run, as written, when ``tree`` is it."""
        if tree is not self.current_tree or self.current_source is None:
            return []
        return select_item_texts(self.current_source)

    def plan_key(self, text: str, params: Any) -> tuple[Any, ...]:
        """What a cached translation depends on besides the text."""
        version = 0
        if self.database and self.database in self._attached:
            version = self.schema_version(self.database)
        kind = "list" if isinstance(params, list | tuple) else type(params).__name__
        return (text, self.database, self.store.catalog_generation, version, kind)

    def execute_many(self, sql: str, seq_of_params: Sequence[Params]) -> Result:
        """Run one statement for many parameter sets, all-or-nothing.

        An INSERT … VALUES is translated once and handed to SQLite's executemany, so bulk
        loads do not pay parsing per row; anything else runs statement by statement.
        """
        rows = list(seq_of_params)
        if not rows:
            return Result(rowcount=0)
        text = prepare_text(sql, True)
        trees = parse(text)
        tree = trees[0] if len(trees) == 1 else None
        # Only INSERT takes the bulk path; REPLACE keeps running row by row.
        bulk = isinstance(tree, exp.Insert) and not tree.args.get("replace")
        if bulk and isinstance(tree, exp.Insert) and isinstance(tree.expression, exp.Values):
            self.warnings = []
            first = bind_params(rows[0])
            named = query.name_placeholders(tree, first)
            with MysqlErrors(self.sqlite_error):
                plan = dml.plan_insert(self, tree)
                if isinstance(first, list):
                    all_bindings = [
                        {f"__p{i}": v for i, v in enumerate(bind_params(r))} for r in rows
                    ]  # type: ignore[arg-type]
                else:
                    all_bindings = [named] + [bind_params(r) for r in rows[1:]]
                result = dml.run_insert(self, plan, all_bindings)
            self.last_row_count = result.rowcount
            return result
        total = 0
        result = Result(rowcount=0)
        with self.write_statement():
            for params in rows:
                result = self.execute(sql, params)
                total += max(result.rowcount, 0)
        result.rowcount = total
        return result

    def execute_script(self, sql: str) -> list[Result]:
        """Run several statements separated by semicolons; one result each."""
        return [self.execute(statement) for statement in split_statements(sql)]

    def execute_tree(self, tree: exp.Expression, bindings: Any) -> Result:
        if not isinstance(tree, exp.Show) or str(tree.this).upper() not in ("WARNINGS", "ERRORS"):
            self.warnings = []
        handler = handler_for(tree)
        if handler is query.execute_select:
            self._start_deadline()
        try:
            result = handler(self, tree, bindings)
        except MAPPED_ERRORS as exc:
            raise mysql_error(exc, self.sqlite_error, tree) from None
        if result.columns is None:
            self.last_row_count = result.rowcount
        return result

    def savepoint(self, name: str) -> Result:
        self.begin_if_needed()
        self.conn.execute(f'SAVEPOINT "{name}"')
        # MySQL: a savepoint of the same name replaces the older one.
        self.savepoints = [s for s in self.savepoints if s.lower() != name.lower()]
        self.savepoints.append(name)
        return Result(rowcount=0)

    def release_savepoint(self, name: str) -> Result:
        result = self._savepoint_op("RELEASE", name)
        self._forget_savepoints(name, keep_it=False)
        return result

    def _forget_savepoints(self, name: str, keep_it: bool) -> None:
        """Savepoints after ``name`` (and ``name`` itself unless ``keep_it``) are gone."""
        lowered = [s.lower() for s in self.savepoints]
        if name.lower() in lowered:
            position = len(lowered) - 1 - lowered[::-1].index(name.lower())
            self.savepoints = self.savepoints[: position + 1 if keep_it else position]

    def _savepoint_op(self, op: str, name: str) -> Result:
        try:
            self.conn.execute(f'{op} SAVEPOINT "{name}"')
        except apsw.SQLError:
            raise errors.OperationalError(
                f"SAVEPOINT {name} does not exist", errors.ER_SP_DOES_NOT_EXIST, "42000"
            ) from None
        return Result(rowcount=0)

    # -- transactions -------------------------------------------------------------------
    def begin(self) -> Result:
        if self.conn.in_transaction:
            self.commit()  # MySQL: BEGIN commits the open transaction
        self.conn.execute("BEGIN")
        self.explicit_transaction = True
        return Result(rowcount=0)

    def begin_if_needed(self) -> None:
        if not self.conn.in_transaction:
            self.conn.execute("BEGIN")
            self.explicit_transaction = True

    def commit(self) -> Result:
        if self.conn.in_transaction:
            try:
                self.conn.execute("COMMIT")
            except apsw.Error as exc:
                raise self.sqlite_error(exc) from None
        self.explicit_transaction = False
        self.savepoints = []
        self._publish()
        return Result(rowcount=0)

    def rollback(self) -> Result:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")
        self._transaction_ended()
        return Result(rowcount=0)

    def reset(self) -> None:
        """COM_RESET_CONNECTION: the session as a new connection's, keeping its id, user
        and current database (as MySQL does): the transaction rolled back, session and
        user variables back to their defaults, no warnings, no last insert id."""
        self.rollback()
        self.variables.clear()
        self.user_variables.clear()
        self.warnings = []
        self.last_insert_id, self.last_row_count, self.found_rows = 0, -1, 0

    def _transaction_ended(self) -> None:
        """Forget what the transaction had done: it was rolled back."""
        self.explicit_transaction = False
        self.savepoints = []
        self.pending_rows.clear()
        self.pending_versions.clear()
        self._versions_unknown = False

    def rollback_to(self, name: str) -> Result:
        # Version bumps after the savepoint are undone, so the versions this transaction
        # will commit are no longer known exactly: shared caches of its tables are dropped
        # at commit instead of patched.
        self._versions_unknown = True
        result = self._savepoint_op("ROLLBACK TO", name)
        self._forget_savepoints(name, keep_it=True)
        return result

    def lock_wait_timeout_ms(self) -> int:
        """How long a statement waits for another writer (``innodb_lock_wait_timeout``)."""
        return int(float(self.get_variable("innodb_lock_wait_timeout")) * 1000)

    def _begin_writing(self) -> bool:
        """Hold the database write lock from here to the end of the transaction.

        Waits up to ``innodb_lock_wait_timeout`` for another writer, then fails with 1205
        leaving the connection as it was. True when the transaction is this statement's
        own (autocommit), to be committed when the statement ends.
        """
        self.conn.set_busy_timeout(self.lock_wait_timeout_ms())
        if not self.conn.in_transaction:
            # Locked before the statement reads anything: a write transaction that began
            # as a reader could find its snapshot outdated by another process's commit.
            self.conn.execute("BEGIN IMMEDIATE")
            if self.autocommit:
                return True
            self.explicit_transaction = True  # MySQL: without autocommit, writes open one
            return False
        if self.conn.txn_state() == apsw.SQLITE_TXN_WRITE:
            return False
        # The transaction has only read so far. SQLite refuses at once to write from a
        # snapshot another process has committed past (SQLITE_BUSY_SNAPSHOT), so restart
        # it as a writer; with nothing written, nothing is lost (its savepoints are
        # recreated). Its later reads see the newer snapshot, as InnoDB's writes do.
        self.conn.execute("COMMIT")
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except apsw.Error:
            self.conn.execute("BEGIN")  # after 1205 the transaction stays open, as in MySQL
            raise
        finally:
            for name in self.savepoints:
                self.conn.execute(f'SAVEPOINT "{name}"')
        return False

    @contextmanager
    def write_statement(self) -> Iterator[None]:
        """Run a writing statement all-or-nothing, in MySQL's transaction model."""
        owns_transaction = self._begin_writing() if self._depth == 0 else False
        outer_rows, self._statement_rows = self._statement_rows, {}
        self._depth += 1
        self._schema_versions.clear()  # a writing statement may change the schema
        versions_before = {key: list(v) for key, v in self.pending_versions.items()}
        try:
            self.conn.execute("SAVEPOINT __av_statement")
            yield
            self._bump_versions()
            self.conn.execute("RELEASE __av_statement")
            if owns_transaction:
                self.conn.execute("COMMIT")
        except BaseException:
            self._undo_statement(owns_transaction)
            self.pending_versions = versions_before  # those bumps were rolled back too
            self._statement_rows = outer_rows
            raise
        finally:
            self._depth -= 1
        for key, rows in self._statement_rows.items():
            self.pending_rows.setdefault(key, set()).update(rows)
            outer_rows.setdefault(key, set()).update(rows)
        # Rows of a finished top-level statement live on in pending_rows only.
        self._statement_rows = outer_rows if self._depth else {}
        if not self.conn.in_transaction:
            self.explicit_transaction = False
            self._publish()

    def _undo_statement(self, owns_transaction: bool) -> None:
        """Roll back a failed statement, and its transaction if it was the statement's own."""
        if self.conn.in_transaction:
            try:
                self.conn.execute("ROLLBACK TO __av_statement")
                self.conn.execute("RELEASE __av_statement")
            except apsw.SQLError:
                pass  # failed before its savepoint existed, or after releasing it
            if owns_transaction:
                self.conn.execute("ROLLBACK")
        if not self.conn.in_transaction:
            # Ours, or one SQLite rolled back whole (an interrupted write, a full disk).
            self._transaction_ended()

    @property
    def writes_pending(self) -> bool:
        """Whether this connection changed rows it has not committed yet."""
        return bool(self.pending_rows or self._statement_rows)

    def sees_commits_of(self, database: str) -> bool:
        """Whether this statement has read the database's schema version, which also brings
        the connection's view of other processes' commits (``data_version``) up to date."""
        return database in self._schema_versions

    def own_rows(self, database: str, table: str) -> set[int]:
        """Rows of a table this connection changed and has not committed (read-only)."""
        key = (database, table)
        pending, statement = self.pending_rows.get(key), self._statement_rows.get(key)
        if not statement:
            return pending or _NO_ROWS
        return statement | pending if pending else statement

    def statement_rows(self, database: str, table: str) -> set[int]:
        """Rows of a table the running statement changed so far (read-only)."""
        return self._statement_rows.get((database, table), _NO_ROWS)

    def _known_distance(self, slot: Any, rowid: Any) -> float | None:
        known = self.known_distances.get(slot)
        return known.get(rowid) if known is not None else None

    def _on_row_change(self, op: int, database: str, table: str, rowid: int) -> None:
        if not table.startswith(
            (storage_catalog.INTERNAL_PREFIX, "__av_fts__")
        ):  # + FTS5 shadow tables
            self._statement_rows.setdefault((database.lower(), table.lower()), set()).add(rowid)
            if op == apsw.SQLITE_UPDATE:
                self.updated_row_count += 1

    def _bump_versions(self) -> None:
        for (database, table), rowids in list(self._statement_rows.items()):
            version = storage_catalog.bump_version(self.conn, database, table)
            self.pending_versions.setdefault((database, table), []).append(version)
            schema = self.catalog(database).get(table)
            if schema is not None and any(i.kind == "VECTOR" for i in schema.indexes):
                storage_catalog.log_changes(self.conn, database, table, version, rowids)

    def _publish(self) -> None:
        for (database, table), versions in self.pending_versions.items():
            if self._versions_unknown:
                self.instance.vectors.forget_table(database, table)
            else:
                self.instance.vectors.publish(
                    database, table, versions, self.pending_rows.get((database, table), set())
                )
        self._versions_unknown = False
        self.pending_rows.clear()
        self.pending_versions.clear()

    # -- running SQLite -------------------------------------------------------------------
    def run(
        self,
        sql: str,
        bindings: Any = None,
        static_types: Sequence[SqlType | None] | None = None,
    ) -> Result:
        """Run one SQLite statement; rows become the values a MySQL driver returns."""
        if self._seen_generation != self.store.catalog_generation:
            # Cached prepared statements describe tables as they were: drop them after DDL.
            self._forget_statements()
            self._seen_generation = self.store.catalog_generation
        description = self._descriptions.get(sql)
        cursor = self.conn.cursor()
        if description is not None:
            cursor.execute(sql, bindings)
            rows = cursor.fetchall()
            if not description and not rows:
                return Result(rowcount=self.conn.changes())
            if not rows or len(rows[0]) == len(description):
                return self.build_result(description, rows, static_types)
            # Another process changed the table under a cached statement: describe afresh.
            self._forget_statements()
        description, rows = self._run_described(sql, bindings)
        if rows and len(rows[0]) != len(description):
            self._forget_statements()
            description, rows = self._run_described(sql, bindings, can_cache=False)
        if len(self._descriptions) >= 512:
            self._descriptions.clear()
        self._descriptions[sql] = description
        if not description:
            return Result(rowcount=self.conn.changes())
        return self.build_result(description, rows, static_types)

    def _run_described(
        self, sql: str, bindings: Any, can_cache: bool = True
    ) -> tuple[Any, list[tuple[Any, ...]]]:
        """Run a statement and describe its result columns (also when it returns no rows)."""
        cursor = self.conn.cursor()
        cursor.execute(sql, bindings, can_cache=can_cache)
        try:
            # After the first step: a statement whose table another process changed is
            # re-prepared by SQLite only then, so describing it earlier gives the old columns.
            description = cursor.description_full
        except apsw.ExecutionCompleteError:
            description = self._describe(sql, bindings)
        return description, cursor.fetchall()

    def _describe(self, sql: str, bindings: Any) -> Any:
        """A statement's result columns, from preparing it again without running it."""
        described: list[Any] = []

        def trace(cur: apsw.Cursor, _sql: str, _bindings: Any) -> bool:
            try:
                described.append(cur.description_full)
            except apsw.ExecutionCompleteError:
                described.append(())
            return False  # prepared and described: do not run it a second time

        cursor = self.conn.cursor()
        cursor.set_exec_trace(trace)
        try:
            cursor.execute(sql, bindings)
        except apsw.ExecTraceAbort:
            pass
        return described[0] if described else ()

    def describe_columns(
        self, sql: str, bindings: Any, static_types: Sequence[SqlType | None] | None
    ) -> list[ResultColumn]:
        """The result columns of a translated statement, without running it."""
        return self._result_shape(self._describe(sql, bindings), [], static_types)[0]

    def _forget_statements(self) -> None:
        """Drop prepared statements and result descriptions: the schema changed."""
        self.conn.cache_flush()
        self._descriptions.clear()

    def build_result(
        self,
        description: Sequence[Any],
        rows: list[tuple[Any, ...]],
        static_types: Sequence[SqlType | None] | None,
    ) -> Result:
        # By identity: a repeated statement brings the same description (``run`` keeps
        # it) and the same static types (its plan's).
        shape = self._result_shapes.get(id(description))
        if shape is None or shape[3] is not description or shape[4] is not static_types:
            columns, converters, static = self._result_shape(description, rows, static_types)
            shape = (columns, converters, static, description, static_types)
            if static:  # types that did not depend on this result's values
                if len(self._result_shapes) >= 256:
                    self._result_shapes.clear()
                self._result_shapes[id(description)] = shape
        columns, converters = shape[0], shape[1]
        if rows and any(converters):
            # Column by column: one pass per converted column instead of a generator per row.
            values: list[Any] = list(zip(*rows, strict=True))
            converted = False
            for index, convert in enumerate(converters):
                column = values[index]
                unchanged = UNCHANGED_BY.get(convert) if convert is not None else None
                if convert is None or (unchanged and all(type(v) is unchanged for v in column)):
                    continue
                values[index] = [v if v is None else convert(v) for v in column]
                converted = True
            if converted:
                rows = list(zip(*values, strict=True))
        return Result(columns=list(columns), rows=rows, rowcount=len(rows))

    @staticmethod
    def _result_shape(
        description: Sequence[Any],
        rows: list[tuple[Any, ...]],
        static_types: Sequence[SqlType | None] | None,
    ) -> tuple[list[ResultColumn], list[Callable[[Any], Any] | None], bool]:
        """Result columns and their output converters; True when no value decided a type."""
        columns: list[ResultColumn] = []
        converters: list[Callable[[Any], Any] | None] = []
        static = True
        for index, (name, decl, database, table, _origin) in enumerate(description):
            sql_type = SqlType.from_decl(decl)
            if sql_type is None and static_types and index < len(static_types):
                sql_type = static_types[index]
            if sql_type is None:
                sql_type = type_of_values([r[index] for r in rows])
                static = False
            columns.append(ResultColumn(name, sql_type, True, table, database))
            converters.append(output_converter(sql_type))
        return columns, converters, static


# -- small statements ------------------------------------------------------------------------


@handles(Savepoint)
def _execute_savepoint(session: Session, tree: Savepoint, _bindings: Any) -> Result:
    return session.savepoint(tree.name)


@handles(ReleaseSavepoint)
def _execute_release(session: Session, tree: ReleaseSavepoint, _bindings: Any) -> Result:
    return session.release_savepoint(tree.name)


@handles(exp.Transaction)
def _execute_begin(session: Session, _tree: exp.Transaction, _bindings: Any) -> Result:
    return session.begin()


@handles(exp.Commit)
def _execute_commit(session: Session, _tree: exp.Commit, _bindings: Any) -> Result:
    return session.commit()


@handles(exp.Rollback)
def _execute_rollback(session: Session, tree: exp.Rollback, _bindings: Any) -> Result:
    savepoint = tree.args.get("savepoint")
    return session.rollback_to(savepoint.name) if savepoint else session.rollback()


@handles(IgnoredStatement)
def _execute_ignored(_session: Session, _tree: IgnoredStatement, _bindings: Any) -> Result:
    """FLUSH, GRANT, LOCK TABLES, ANALYZE, …: nothing to do in an embedded database."""
    return Result(rowcount=0)


@handles(exp.Kill)
def _execute_kill(session: Session, tree: exp.Kill, _bindings: Any) -> Result:
    """KILL [CONNECTION | QUERY] id, for any connection of this process on the directory."""
    target_id = tree.this
    if not (isinstance(target_id, exp.Literal) and str(target_id.this).isdigit()):
        raise errors.syntax_error_near(tree.sql(dialect="mysql"), reason="KILL takes an id")
    target = session.store.processes.get(int(target_id.this))
    if target is None:
        raise errors.OperationalError(f"Unknown thread id: {target_id.this}", 1094, "HY000")
    kind = tree.args.get("kind")
    if kind is not None and kind.name.upper() == "QUERY":
        target.interrupt()
    else:
        target.kill()
    return Result(rowcount=0)


@handles(exp.Use)
def _execute_use(session: Session, tree: exp.Use, _bindings: Any) -> Result:
    session.use(tree.this.name)
    return Result(rowcount=0)


@handles(exp.Set)
def _execute_set(session: Session, tree: exp.Set, bindings: Any) -> Result:
    for item in tree.expressions:
        kind = (item.args.get("kind") or "").upper()
        if kind in ("NAMES", "CHARACTER SET", "CHARSET", "TRANSACTION"):
            continue
        assignment = item.this
        if not isinstance(assignment, exp.EQ | exp.PropertyEQ):
            raise errors.unsupported(f"Unsupported SET: {item.sql(dialect='mysql')}")
        target, value_node = assignment.this, assignment.expression
        if isinstance(value_node, exp.Alias):  # SET x = 'v' word: sqlglot reads an alias
            raise errors.syntax_error_near(value_node.alias)
        value = evaluate_constant(session, value_node, bindings)
        if isinstance(target, exp.Parameter):
            session.user_variables[target.name.lower()] = value
            continue
        scope = "GLOBAL" if item.args.get("global_") or kind == "GLOBAL" else "SESSION"
        if isinstance(target, exp.SessionParameter):
            name = target.name
            if (target.args.get("kind") or "").upper() == "GLOBAL":
                scope = "GLOBAL"
        else:
            name = (
                target.name
                if isinstance(target, exp.Column | exp.Identifier | exp.Var)
                else target.sql()
            )
        if "." in name and name.split(".", 1)[0].lower() in ("global", "session", "local"):
            prefix, name = name.split(".", 1)
            scope = "GLOBAL" if prefix.lower() == "global" else "SESSION"
        if isinstance(value_node, exp.Column | exp.Var) and not isinstance(
            value_node, exp.Placeholder
        ):
            value = value_node.name  # SET sql_mode = TRADITIONAL, SET autocommit = ON
        session.set_variable(name, value, scope)
    return Result(rowcount=0)


def evaluate_constant(session: Session, node: exp.Expression, bindings: Any) -> Any:
    """Evaluate a constant expression (SET values, search vectors) through SQLite."""
    if isinstance(node, exp.Literal):
        return node.this if node.is_string else _number(node.this)
    if isinstance(node, exp.Null):
        return None
    if isinstance(node, exp.Boolean):
        return 1 if node.this else 0
    if isinstance(node, exp.Column | exp.Var) and not node.args.get("table"):
        return node.name
    wrapped = exp.select(node.copy())
    scope = session.translator.prepare(wrapped)
    static_types = [session.translator.output_type(wrapped.expressions[0], scope)]
    result = session.run(session.translator.sql(wrapped), bindings, static_types)
    return result.rows[0][0] if result.rows else None


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        return float(text)


# Shared by every data directory: a pure function of the text.
@lru_cache(maxsize=1024)
def statement_text(sql: str, with_params: bool) -> str:
    """The statement as the parser takes it.

    Cached: a repeated statement (the common case for drivers) pays for no regexes.
    """
    text = prepare_text(sql, with_params)
    text = fulltext.normalize_text(text)  # FTS_MATCH_WORD('q' WITH PARSER p, …) → parseable
    if "_ON_DEMAND" in text.upper():
        # TiDB Cloud's clause for creating the columnar replica: always "on" here.
        text = re.sub(r"\s+ADD_COLUMNAR_REPLICA_ON_DEMAND\b", "", text, flags=re.I)
    return text


# -- parameters --------------------------------------------------------------------------------


def bind_value(value: Any) -> Any:
    """A Python parameter as SQLite binds it (vectors as float32 blobs, dates as text)."""
    kind = type(value)
    if kind is str or kind is float or kind is bytes or value is None:
        return value
    if isinstance(value, np.ndarray | list | tuple):
        try:
            return Vector.coerce(value).to_blob()
        except VectorError as exc:
            raise errors.DataError(str(exc), exc.errno) from None
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63:
        return wide_integer(value)  # beyond SQLite's integers: BIGINT UNSIGNED, DECIMAL
    if value is None or isinstance(value, str | int | float | bytes):
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, Vector):
        return value.to_blob()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f").rstrip("0").rstrip(".")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        total = int(value.total_seconds())
        return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    if isinstance(value, dict):
        return json.dumps(value)
    raise errors.InterfaceError(f"Cannot bind a parameter of type {type(value).__name__}")


def bind_params(params: Params) -> Any:
    if params is None:
        return None
    if isinstance(params, Mapping):
        return {k: bind_value(v) for k, v in params.items()}
    if isinstance(params, str | bytes) or not isinstance(params, Sequence | np.ndarray):
        raise errors.ProgrammingError(
            f"query parameters must be a sequence or a mapping, not {type(params).__name__}",
            errors.ER_WRONG_ARGUMENTS,
        )
    return [bind_value(v) for v in params]
