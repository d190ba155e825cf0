"""``TiDBClient``: pytidb's client, on the embedded engine, ``autovec serve`` or TiDB.

::

    client = TiDBClient.connect()                          # embedded, ./data
    client = TiDBClient.connect(path="/srv/vectors")       # embedded, another directory
    client = TiDBClient.connect(url="autovec:///data")     # the same, as a URL
    client = TiDBClient.connect(host="127.0.0.1", port=4000, username="root",
                                password="", database="test", ensure_db=True)
    client = TiDBClient.connect(url="mysql+pymysql://root@127.0.0.1:4000/test")

Everything goes through SQLAlchemy and SQL, so one program moves between the three by
changing how it connects.

**Server-side embedding.** Vector fields whose function is server-side are
``GENERATED ALWAYS AS (EMBED_TEXT(...)) STORED`` columns. Whether the connected database
can run ``EMBED_TEXT`` is probed once per client (``SELECT EMBED_TEXT('autovec/probe',
NULL)`` fails with 1305 "FUNCTION … does not exist" on a TiDB without Auto Embedding), or
set with ``connect(..., server_embedding=True|False)``. Without it, such columns are
created as plain vectors and the SDK embeds rows and queries with autovec's own providers.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any, Literal, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapper
from sqlmodel import Session, SQLModel
from sqlmodel.main import default_registry

from autovec.client import urls
from autovec.client.reflection import reflect_model
from autovec.client.results import SQLExecuteResult, SQLQueryResult
from autovec.client.session import SessionScope
from autovec.client.table import Table
from autovec.embeddings.keys import base_variable, key_variable
from autovec.embeddings.providers import provider_names

__all__ = ["EMBED_PROVIDER_API_KEY_VARS", "Client", "TiDBClient"]

T = TypeVar("T", bound=SQLModel)

#: pytidb's providers and the variables holding their keys.
EMBED_PROVIDER_API_KEY_VARS = {
    "openai": "TIDB_EXP_EMBED_OPENAI_API_KEY",
    "jina_ai": "TIDB_EXP_EMBED_JINA_AI_API_KEY",
    "cohere": "TIDB_EXP_EMBED_COHERE_API_KEY",
    "huggingface": "TIDB_EXP_EMBED_HUGGINGFACE_API_KEY",
    "nvidia_nim": "TIDB_EXP_EMBED_NVIDIA_NIM_API_KEY",
    "gemini": "TIDB_EXP_EMBED_GEMINI_API_KEY",
}

#: MySQL's ER_SP_DOES_NOT_EXIST: "FUNCTION db.embed_text does not exist".
_NO_SUCH_FUNCTION = 1305
_PROBE = "SELECT EMBED_TEXT('autovec/probe', NULL)"
#: autovec's image columns; TiDB (even with Auto Embedding) has no EMBED_IMAGE.
_IMAGE_PROBE = "SELECT EMBED_IMAGE('autovec/probe', NULL)"


def _sql_literal(value: str) -> str:
    """A quoted SQL string (pytidb sends keys unescaped; the same text for ordinary keys)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def _error_code(exc: sa.exc.DBAPIError) -> int | None:
    args = getattr(exc.orig, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


class TiDBClient:
    """A connection to one database (pytidb's ``TiDBClient``; also ``autovec.Client``)."""

    def __init__(
        self,
        db_engine: sa.Engine,
        reconnect_params: Mapping[str, Any] | None = None,
        *,
        server_embedding: bool | None = None,
    ) -> None:
        self._db_engine = db_engine
        self._reconnect_params = dict(reconnect_params or {})
        self._server_embedding = server_embedding
        self._server_image_embedding: bool | None = None
        self._probe_lock = threading.Lock()
        self._sessions = SessionScope(lambda: self._db_engine)

    # --- connecting -------------------------------------------------------------------

    @classmethod
    def connect(
        cls,
        url: str | sa.URL | None = None,
        *,
        path: str | os.PathLike[str] | None = None,
        host: str | None = None,
        port: int = 4000,
        username: str = "root",
        password: str = "",
        database: str | None = None,
        enable_ssl: bool | None = None,
        ensure_db: bool = False,
        debug: bool | None = None,
        server_embedding: bool | None = None,
        **kwargs: Any,
    ) -> TiDBClient:
        """Open a client; with no ``url``, ``path`` or ``host``: the embedded ``./data``.

        ``host=...`` builds pytidb's ``mysql+pymysql://`` URL (TLS verified on TiDB Cloud
        Starter hosts unless ``enable_ssl`` says otherwise). ``ensure_db`` creates the
        database first. ``server_embedding`` forces (True) or rules out (False) the
        database's own ``EMBED_TEXT``; None probes once. ``**kwargs`` go to
        ``sqlalchemy.create_engine``.
        """
        if url is not None:
            target = urls.parse_url(url)
            if database is not None:
                target = urls.with_database(target, database)
        elif host is not None:
            target = urls.build_tidb_url(
                host=host,
                port=port,
                username=username,
                password=password,
                database=database or urls.DEFAULT_DATABASE,
                enable_ssl=enable_ssl,
            )
        else:
            target = urls.embedded_url(
                path if path is not None else urls.DEFAULT_DATA_DIR, database
            )
        db_name = urls.database_of(target)
        if ensure_db and db_name:
            bootstrap = sa.create_engine(urls.without_database(target), echo=bool(debug), **kwargs)
            try:
                if not _database_exists(bootstrap, db_name):
                    _create_database(bootstrap, db_name, if_exists="skip")
            finally:
                bootstrap.dispose()
        if urls.is_serverless(target):
            kwargs.setdefault("pool_recycle", 300)
            kwargs.setdefault("pool_pre_ping", True)
            kwargs.setdefault("pool_timeout", 10)
        engine = sa.create_engine(target, echo=bool(debug), **kwargs)
        reconnect = {"debug": debug, **kwargs}
        return cls(engine, reconnect, server_embedding=server_embedding)

    def disconnect(self) -> None:
        self._db_engine.dispose()

    @property
    def db_engine(self) -> sa.Engine:
        return self._db_engine

    @property
    def is_serverless(self) -> bool:
        """Connected to a TiDB Cloud Starter gateway."""
        return urls.is_serverless(self._db_engine.url)

    @property
    def supports_server_embedding(self) -> bool:
        """Whether the database runs ``EMBED_TEXT`` itself (probed once, then remembered)."""
        if self._server_embedding is None:
            with self._probe_lock:
                if self._server_embedding is None:
                    self._server_embedding = self._probe_embed_text()
        return self._server_embedding

    @property
    def supports_server_image_embedding(self) -> bool:
        """Whether the database runs autovec's ``EMBED_IMAGE`` itself (probed once, after
        ``EMBED_TEXT``: ``server_embedding=False`` turns both off)."""
        if self._server_image_embedding is None:
            text = self.supports_server_embedding
            with self._probe_lock:
                if self._server_image_embedding is None:
                    self._server_image_embedding = text and self._probe(_IMAGE_PROBE, "embed_image")
        return self._server_image_embedding

    def _probe_embed_text(self) -> bool:
        return self._probe(_PROBE, "embed_text")

    def _probe(self, sql: str, function: str) -> bool:
        # Its own connection: a failed statement must not touch an open session.
        with self._db_engine.connect() as conn:
            try:
                conn.exec_driver_sql(sql).fetchall()
            except sa.exc.DBAPIError as exc:
                # Any other error: the function exists but refused the probe's arguments.
                message = str(exc.orig).lower()
                missing = function in message and "does not exist" in message
                return not (_error_code(exc) == _NO_SUCH_FUNCTION or missing)
        return True

    # --- databases ---------------------------------------------------------------------

    def create_database(self, name: str, if_exists: Literal["raise", "skip"] = "raise") -> None:
        _create_database(self._db_engine, name, if_exists=if_exists)

    def drop_database(self, name: str) -> None:
        with self._db_engine.begin() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {self._quote(name)}")

    def list_databases(self) -> list[str]:
        with self._db_engine.connect() as conn:
            return [row[0] for row in conn.exec_driver_sql("SHOW DATABASES")]

    def has_database(self, name: str) -> bool:
        return _database_exists(self._db_engine, name)

    def current_database(self) -> str | None:
        with self._db_engine.connect() as conn:
            value = conn.exec_driver_sql("SELECT DATABASE()").scalar()
            return None if value is None else str(value)

    def use_database(self, database: str, *, ensure_db: bool = False) -> None:
        """Switch to ``database`` (a new engine; open sessions are not carried over).

        ``ValueError`` if it does not exist, unless ``ensure_db`` creates it.
        """
        if not self.has_database(database):
            if not ensure_db:
                raise ValueError(f"Database '{database}' does not exist")
            self.create_database(database, if_exists="skip")
        engine = sa.create_engine(
            urls.with_database(self._db_engine.url, database),
            echo=bool(self._reconnect_params.get("debug")),
            **{k: v for k, v in self._reconnect_params.items() if k != "debug"},
        )
        old, self._db_engine = self._db_engine, engine
        old.dispose()

    # --- tables -------------------------------------------------------------------------

    def create_table(
        self,
        *,
        schema: type[T],
        if_exists: Literal["raise", "overwrite", "skip"] = "raise",
    ) -> Table[T]:
        if if_exists == "raise":
            return Table(schema=schema, client=self).create(if_exists="raise")
        if if_exists == "overwrite":
            table = Table(schema=schema, client=self)
            table.drop(if_not_exists="skip")
            return table.create(if_exists="raise")
        if if_exists == "skip":
            return Table(schema=schema, client=self).create(if_exists="skip")
        raise ValueError(f"Invalid if_exists value: {if_exists}")

    def _registered_model(self, table_name: str) -> type[SQLModel] | None:
        # The most recently declared model wins (a re-declared model replaces an old one).
        mappers: list[Mapper[Any]] = list(default_registry.mappers)
        for mapper in reversed(mappers):
            table = mapper.local_table
            if isinstance(table, sa.Table) and table.name == table_name:
                return mapper.class_  # type: ignore[no-any-return]
        return None

    def open_table(self, table_name: str) -> Table[Any] | None:
        """The table's declared model, else one reflected from the database; None if absent."""
        model = self._registered_model(table_name)
        if model is not None:
            return Table(schema=model, client=self)
        with self.connection() as conn:
            if not sa.inspect(conn).has_table(table_name):
                return None
            return Table(schema=reflect_model(conn, table_name), client=self)

    def list_tables(self) -> list[str]:
        with self.connection() as conn:
            return [row[0] for row in conn.exec_driver_sql("SHOW TABLES")]

    def has_table(self, table_name: str) -> bool:
        with self.connection() as conn:
            return bool(sa.inspect(conn).has_table(table_name))

    def drop_table(
        self, table_name: str, if_not_exists: Literal["raise", "skip"] = "raise"
    ) -> None:
        if if_not_exists not in ("raise", "skip"):
            raise ValueError(f"Invalid if_not_exists value: {if_not_exists}")
        exists = "IF EXISTS " if if_not_exists == "skip" else ""
        with self.connection() as conn:
            conn.exec_driver_sql(f"DROP TABLE {exists}{self._quote(table_name)}")

    # --- raw SQL ------------------------------------------------------------------------

    def execute(
        self,
        sql: str | sa.Executable,
        params: Mapping[str, Any] | None = None,
        raise_error: bool = False,
    ) -> SQLExecuteResult:
        """Run a statement; failures are reported in the result unless ``raise_error``."""
        stmt = sa.text(sql) if isinstance(sql, str) else sql
        try:
            with self.session() as session:
                result = session.execute(stmt, dict(params or {}))
                rowcount = getattr(result, "rowcount", 0)
                return SQLExecuteResult(
                    rowcount=max(int(rowcount or 0), 0), success=True, message=None
                )
        except Exception as exc:
            if raise_error:
                raise
            return SQLExecuteResult(rowcount=0, success=False, message=str(exc))

    def query(
        self, sql: str | sa.Executable, params: Mapping[str, Any] | None = None
    ) -> SQLQueryResult:
        """Run a query; its rows are fetched before the call's session closes."""
        stmt = sa.text(sql) if isinstance(sql, str) else sql
        with self.session() as session:
            return SQLQueryResult(session.execute(stmt, dict(params or {})))

    def configure_embedding_provider(
        self, provider: str, api_key: str | None = None, api_base: str | None = None
    ) -> SQLExecuteResult:
        """``SET @@GLOBAL.`TIDB_EXP_EMBED_<PROVIDER>_API_KEY` = '<key>';`` (and ``_API_BASE``)."""
        known = set(EMBED_PROVIDER_API_KEY_VARS) | (set(provider_names()) - {"local"})
        if provider not in known:
            raise ValueError(f"Unsupported configure api key for embedding provider: {provider}")
        result = SQLExecuteResult(rowcount=0, success=True, message=None)
        if api_key is not None:
            name = EMBED_PROVIDER_API_KEY_VARS.get(provider, key_variable(provider))
            result = self.execute(
                f"SET @@GLOBAL.{self._quote_always(name)} = {_sql_literal(api_key)};"
            )
        if api_base is not None and result.success:
            name = base_variable(provider)
            result = self.execute(
                f"SET @@GLOBAL.{self._quote_always(name)} = {_sql_literal(api_base)};"
            )
        return result

    # --- sessions -----------------------------------------------------------------------

    def session(
        self, *, provided_session: Session | None = None, **kwargs: Any
    ) -> AbstractContextManager[Session]:
        """The session open in this context, else a new one (commit on exit)."""
        return self._sessions.session(provided_session=provided_session, **kwargs)

    def connection(self) -> AbstractContextManager[sa.Connection]:
        """The open session's connection, else a connection in a new transaction."""
        return self._sessions.connection()

    # --- helpers ------------------------------------------------------------------------

    def _quote(self, name: str) -> str:
        return self._db_engine.dialect.identifier_preparer.quote(name)

    def _quote_always(self, name: str) -> str:
        return self._db_engine.dialect.identifier_preparer.quote_identifier(name)


def _create_database(
    engine: sa.Engine, name: str, if_exists: Literal["raise", "skip"] = "raise"
) -> None:
    if if_exists not in ("raise", "skip"):
        raise ValueError(f"Invalid if_exists value: {if_exists}")
    quoted = engine.dialect.identifier_preparer.quote(name)
    clause = "IF NOT EXISTS " if if_exists == "skip" else ""
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {clause}{quoted}")


def _database_exists(engine: sa.Engine, name: str) -> bool:
    stmt = sa.text("SELECT SCHEMA_NAME FROM INFORMATION_SCHEMA.SCHEMATA WHERE SCHEMA_NAME = :name")
    with engine.connect() as conn:
        return bool(conn.execute(stmt, {"name": name}).scalar())


#: pytidb-free name for the same class (``autovec.Client``).
Client = TiDBClient
