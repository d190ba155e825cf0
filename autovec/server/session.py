"""One client's session: its own engine connection, its statements on a thread of its own.

mysql-mimic runs every connection on one asyncio loop; an engine call there would stop
every other client while it embeds or waits for the write lock. Each session therefore
owns a one-thread executor: its statements run in order, off the loop, and the engine's
own locking (SQLite's, the write lock with its timeout) arbitrates between sessions.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from mysql_mimic.results import AllowedResult
from mysql_mimic.session import BaseSession
from mysql_mimic.variables import GlobalVariables, SessionVariables

import autovec
from autovec.server.results import to_result_set
from autovec.sql.describe import StatementShape, describe
from autovec.sql.result import Result
from autovec.sql.session import Session as EngineSessionState


class EngineSession(BaseSession):
    """The engine behind one client connection (mysql-mimic's ``BaseSession``)."""

    def __init__(self, datadir: str, server_version: str):
        # mysql-mimic reads these during the handshake only (server version, the client's
        # character set); every variable a query sees is the engine's.
        self.variables = SessionVariables(GlobalVariables())
        self.variables.set("version", server_version, force=True)
        self.username: str | None = None
        self.database: str | None = None
        self.peer_host = "localhost"
        self._datadir = datadir
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="autovec-session")
        self._connection: autovec.Connection | None = None

    @property
    def engine(self) -> EngineSessionState:
        assert self._connection is not None, "the session is not open"
        return self._connection.session

    async def _call(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._worker, fn, *args)

    async def open(self) -> int:
        """Open the engine connection (before the handshake, which carries its id)."""
        # No database until the handshake names one: none selected, as in MySQL.
        self._connection = await self._call(autovec.connect, self._datadir, None, True)
        return self.engine.connection_id

    async def init(self, connection: Any) -> None:
        """After the handshake: who logged in from where, and the database the client
        asked for, if any (else 1049). Nothing, when the login was refused."""
        if not connection.authenticated:
            return
        self.peer_host = connection.peer_host
        self.engine.client_found_rows = connection.found_rows
        await self.reset()
        if self.database:
            await self.use(self.database)

    async def reset(self) -> None:
        """After the handshake or COM_CHANGE_USER: the session starts over, as MySQL's
        does on a change of user, and USER(), the process list and KILL speak of the
        account now logged in."""
        await self.reset_connection()
        if self.username is not None:
            self.engine.user, self.engine.host = self.username, self.peer_host

    async def run(self, sql: str, params: Any = None) -> Result:
        """Run one statement on this session's thread."""
        return await self._call(self.engine.execute, sql, params)

    async def describe(self, sql: str) -> StatementShape:
        """A statement's parameters and result columns, for COM_STMT_PREPARE."""
        return await self._call(describe, self.engine, sql)

    async def handle_query(self, sql: str, attrs: dict[str, str]) -> AllowedResult:
        result = await self.run(sql)
        return to_result_set(result) if result.is_query else None

    async def use(self, database: str) -> None:
        await self.run(f"USE `{database.replace('`', '``')}`")

    async def reset_connection(self) -> None:
        """COM_RESET_CONNECTION: the engine session as new (same id, user, database)."""
        await self._call(self.engine.reset)

    def engine_busy(self) -> bool:
        """Whether a statement of this session is running."""
        return self._connection is not None and self.engine.started_at is not None

    def interrupt(self) -> None:
        """KILL QUERY: stop the running statement (safe from the loop's thread)."""
        if self._connection is not None:
            self.engine.interrupt()

    async def close(self) -> None:
        """The client went away: roll back what it left open and close its connection."""
        if self._connection is not None:
            await self._call(self._connection.close)
            self._connection = None
        self._worker.shutdown(wait=False)
