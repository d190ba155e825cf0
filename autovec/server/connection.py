"""The parts of the protocol mysql-mimic's ``Connection`` leaves out, added by subclassing.

mysql-mimic's OK packet always says 0 affected rows and insert id 0, its status flags never
carry the autocommit or in-transaction bits, and its error packets know the SQLSTATE of a
handful of codes only (1146 would go out as HY000). ``EngineConnection`` answers COM_QUERY
itself, from the engine's result: rows, or an OK with the statement's row count, insert id
and warning count, or an error with the engine's errno and SQLSTATE.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from mysql_mimic import packets
from mysql_mimic.connection import Connection
from mysql_mimic.prepared import PreparedStatement
from mysql_mimic.types import Capabilities, ServerStatus, str_fixed, uint_1, uint_2

from autovec import errors
from autovec.server.prepared import BoundTypes, read_execute
from autovec.server.results import to_result_set
from autovec.server.session import EngineSession
from autovec.sql.parser import split_statements
from autovec.sql.result import Result

logger = logging.getLogger("autovec.server")


class EngineConnection(Connection):
    """One client connection served by an :class:`EngineSession`."""

    session: EngineSession

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Sessions start in autocommit, as MySQL's do; the handshake says so, and drivers
        # (PyMySQL) decide from this bit whether to send SET autocommit = 0.
        self.status_flags = ServerStatus.SERVER_STATUS_AUTOCOMMIT
        self._bound_types = BoundTypes()

    async def handle_query(self, data: bytes) -> None:
        """COM_QUERY: one statement, or several when the client allows multi-statements
        (``ALTER …; CREATE VECTOR INDEX …`` as django-tidb sends), each with its own
        result; the first error ends the batch, as in MySQL."""
        query = packets.parse_com_query(
            capabilities=self.capabilities, client_charset=self.client_charset, data=data
        )
        statements = [query.sql]
        if Capabilities.CLIENT_MULTI_STATEMENTS in self.capabilities:
            statements = split_statements(query.sql) or [query.sql]
        for number, sql in enumerate(statements, start=1):
            try:
                result = await self.session.run(sql)
            except errors.Error as exc:
                await self.send_error(exc)
                return
            await self.send_result(result, more=number < len(statements))

    async def handle_stmt_execute(self, data: bytes) -> None:
        """COM_STMT_EXECUTE with its parameters bound as values (``prepared.py`` says why)."""
        try:
            execute = read_execute(
                data,
                {i: s.num_params for i, s in self.prepared_stmts.items()},
                self.capabilities,
                self.client_charset,
                {i: s.param_buffers for i, s in self.prepared_stmts.items() if s.param_buffers},
                self._bound_types,
            )
            statement = self.prepared_stmts[execute.stmt_id]
            statement.param_buffers = None
            result = await self.session.run(statement.sql, execute.params)
        except errors.Error as exc:
            await self.send_error(exc)
            return
        await self.send_result(result, binary=True)

    def com_stmt_prepare_response(self, statement: PreparedStatement) -> Iterator[bytes]:
        """As mysql-mimic's, but without the EOF a CLIENT_DEPRECATE_EOF client does not
        expect after the parameter definitions (libmysqlclient drops the connection)."""
        yield packets.make_com_stmt_prepare_ok(statement)
        for _ in range(statement.num_params):
            yield packets.make_column_definition_41(server_charset=self.server_charset, name="?")
        if statement.num_params and not self.deprecate_eof():
            yield self.eof()

    async def send_result(self, result: Result, more: bool = False, binary: bool = False) -> None:
        """A statement's rows, or its OK. ``more``: another result of the batch follows;
        ``binary``: rows in the binary protocol of prepared statements."""
        self._refresh_status()
        flags = ServerStatus.SERVER_MORE_RESULTS_EXISTS if more else 0
        warnings = min(len(self.session.engine.warnings), 0xFFFF)
        if not result.is_query:
            await self.stream.write(
                self.ok(
                    affected_rows=max(result.rowcount, 0),
                    last_insert_id=result.lastrowid or 0,
                    warnings=warnings,
                    flags=flags,
                )
            )
            return
        result_set = to_result_set(result)
        columns = result_set.columns
        header = [packets.make_column_count(self.capabilities, len(columns))]
        header += [
            packets.make_column_definition_41(
                server_charset=self.server_charset,
                name=column.name,
                column_type=column.type,
                character_set=column.character_set,
            )
            for column in columns
        ]
        if not self.deprecate_eof():
            header.append(self.eof())
        self.stream.write_many(header)
        assert isinstance(result_set.rows, list)
        if binary:
            self.stream.write_many(
                [packets.make_binary_resultrow(row, columns) for row in result_set.rows]
            )
        else:
            self.stream.write_text_rows(result_set.rows, columns)
        await self.stream.write(self.ok_or_eof(warnings=warnings, flags=flags))

    async def send_error(self, exc: errors.Error) -> None:
        self._refresh_status()
        logger.info("connection %s: error %s: %s", self.connection_id, exc.errno, exc.msg)
        await self.stream.write(self.engine_error(exc))

    def _refresh_status(self) -> None:
        """MySQL's status bits, from the engine: autocommit, inside a transaction."""
        engine = self.session.engine
        flags = ServerStatus(0)
        if engine.autocommit:
            flags |= ServerStatus.SERVER_STATUS_AUTOCOMMIT
        if engine.conn.in_transaction:
            flags |= ServerStatus.SERVER_STATUS_IN_TRANS
        self.status_flags = flags

    def engine_error(self, exc: errors.Error) -> bytes:
        """An ERR packet with the engine's errno and SQLSTATE (mysql-mimic maps few codes)."""
        parts = [uint_1(0xFF), uint_2(exc.errno)]
        if Capabilities.CLIENT_PROTOCOL_41 in self.capabilities:
            parts.append(str_fixed(1, b"#"))
            parts.append(str_fixed(5, exc.sqlstate.encode("ascii")))
        parts.append(self.server_charset.encode(exc.msg))
        return b"".join(parts)
