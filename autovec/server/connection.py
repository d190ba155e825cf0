"""The parts of the protocol mysql-mimic's ``Connection`` leaves out, added by subclassing.

mysql-mimic's OK packet always says 0 affected rows and insert id 0, its status flags never
carry the autocommit or in-transaction bits, and its error packets know the SQLSTATE of a
handful of codes only (1146 would go out as HY000). ``EngineConnection`` answers COM_QUERY
itself, from the engine's result: rows, or an OK with the statement's row count, insert id
and warning count, or an error with the engine's errno and SQLSTATE.

Login (``authenticate``) is rewritten too, reusing mysql-mimic's auth plugins and packets:
its own version goes on to the command phase after a refused login (the client is merely
expected to hang up), answers an unknown user differently from a wrong password, cannot
accept a second password plugin against the handshake's challenge, and has no back-off.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from mysql_mimic import packets
from mysql_mimic.auth import AuthInfo, AuthState, Success
from mysql_mimic.connection import Connection
from mysql_mimic.prepared import PreparedStatement
from mysql_mimic.results import ResultColumn as WireColumn
from mysql_mimic.types import Capabilities, ServerStatus, str_fixed, uint_1, uint_2, uint_4

from autovec import errors
from autovec.embeddings.keys import redact
from autovec.server.auth import AccountsIdentityProvider, FailedLogins, FastAuthSuccess
from autovec.server.prepared import BoundTypes, read_execute
from autovec.server.results import to_result_set, to_wire_columns
from autovec.server.session import EngineSession
from autovec.server.stream import LimitedStream, PacketTooLarge
from autovec.sql.parser import split_statements
from autovec.sql.result import Result

logger = logging.getLogger("autovec.server")

# Statements that may carry a credential (SET @@GLOBAL.TIDB_EXP_EMBED_*_API_KEY = '…'):
# their error messages can quote the statement, so the log keeps only the error number.
_CARRIES_SECRET = re.compile(r"api_key|password|identified|secret|token", re.IGNORECASE)

ER_ACCESS_DENIED = 1045
ER_NET_PACKET_TOO_LARGE = 1153
ER_SECURE_TRANSPORT_REQUIRED = 3159
FAST_AUTH_OK = b"\x03"  # caching_sha2_password: the fast path succeeded


class EngineConnection(Connection):
    """One client connection served by an :class:`EngineSession`."""

    session: EngineSession
    stream: LimitedStream
    identity_provider: AccountsIdentityProvider

    def __init__(
        self,
        *args: Any,
        peer_host: str,
        failed_logins: FailedLogins,
        require_secure_transport: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.peer_host = peer_host
        self.failed_logins = failed_logins
        self.require_secure_transport = require_secure_transport
        self.authenticated = False
        # Sessions start in autocommit, as MySQL's do; the handshake says so, and drivers
        # (PyMySQL) decide from this bit whether to send SET autocommit = 0.
        self.status_flags = ServerStatus.SERVER_STATUS_AUTOCOMMIT
        self._bound_types = BoundTypes()

    @property
    def found_rows(self) -> bool:
        """Whether the client asked for UPDATE to count the rows it matched."""
        return Capabilities.CLIENT_FOUND_ROWS in self.capabilities

    @property
    def secure(self) -> bool:
        """Whether the client switched the connection to TLS."""
        return self.stream.writer.get_extra_info("ssl_object") is not None

    async def authenticate(
        self,
        username: str,
        auth_response: bytes,
        client_plugin_name: str | None,
        connect_attrs: dict[str, str],
        auth_state: AuthState | None = None,
        server_plugin: Any = None,
    ) -> None:
        """Log the client in (the handshake, or COM_CHANGE_USER), or refuse and hang up."""
        if auth_state is not None:  # the handshake plugin's state: each plugin starts anew
            await auth_state.aclose()
        self.authenticated = False
        if self.require_secure_transport and not self.secure:
            await self._refuse(
                "Connections using insecure transport are prohibited while"
                " --require_secure_transport=ON.",
                ER_SECURE_TRANSPORT_REQUIRED,
                "HY000",
            )
            return
        user = await self.identity_provider.get_user(username)
        auth_info = AuthInfo(
            username=username,
            data=auth_response,
            user=user,
            connect_attrs=connect_attrs,
            client_plugin_name=client_plugin_name,
            handshake_auth_data=self.handshake_auth_data,
            handshake_plugin_name=self.handshake_auth_plugin or "",
        )
        # No plugin named: a pre-4.1 client, whose scramble is native_password's.
        plugin = self.identity_provider.get_plugin(client_plugin_name or "mysql_native_password")
        if plugin is not None:  # the client answered the handshake's challenge with it
            decision, state = await plugin.start(auth_info)
        else:  # a plugin of the client's that this server lacks: ask it to switch
            plugin = self.identity_provider.get_default_plugin()
            challenge, state = await plugin.start()
            assert isinstance(challenge, bytes)
            await self.stream.write(
                packets.make_auth_switch_request(self.server_charset, plugin.name, challenge)
            )
            decision = await state.asend(auth_info.copy(await self.stream.read()))
        while isinstance(decision, bytes):
            await self.stream.write(packets.make_auth_more_data(decision))
            decision = await state.asend(auth_info.copy(await self.stream.read()))
        if isinstance(decision, Success):
            if isinstance(decision, FastAuthSuccess):
                await self.stream.write(packets.make_auth_more_data(FAST_AUTH_OK))
            self.failed_logins.succeeded(self.peer_host)
            self.session.username = decision.authenticated_as
            self.authenticated = True
            logger.info("connection %s from %s as %s", self.connection_id, self.peer_host, username)
            await self.stream.write(self.ok())
            return
        delay = self.failed_logins.failed(self.peer_host)
        logger.info(
            "connection %s: access denied for user %r from %s (answered after %.2f s)",
            self.connection_id, username, self.peer_host, delay,
        )  # fmt: skip
        await asyncio.sleep(delay)  # slows password guessing; other clients go on meanwhile
        using = "YES" if auth_response not in (b"", b"\x00") else "NO"
        await self._refuse(
            f"Access denied for user '{username}'@'{self.peer_host}' (using password: {using})",
            ER_ACCESS_DENIED,
            "28000",
        )

    async def _refuse(self, message: str, errno: int, sqlstate: str) -> None:
        """Send the error, then hang up, as MySQL does after a refused login."""
        await self.stream.write(
            self.engine_error(errors.OperationalError(message, errno, sqlstate))
        )
        self.stream.writer.close()

    async def command_phase(self) -> None:
        """Commands, once logged in; a packet over ``max_allowed_packet`` ends the connection."""
        if not self.authenticated:
            return
        try:
            await super().command_phase()
        except PacketTooLarge:
            limit = self.stream.max_allowed_packet
            logger.info("connection %s: packet over %d bytes refused", self.connection_id, limit)
            await self._refuse(
                "Got a packet bigger than 'max_allowed_packet' bytes",
                ER_NET_PACKET_TOO_LARGE,
                "08S01",
            )

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
                await self.send_error(exc, sql)
                return
            await self.send_result(result, more=number < len(statements))

    async def handle_stmt_execute(self, data: bytes) -> None:
        """COM_STMT_EXECUTE with its parameters bound as values (``prepared.py`` says why)."""
        statement: PreparedStatement | None = None
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
            await self.send_error(exc, statement.sql if statement is not None else "")
            return
        await self.send_result(result, binary=True)

    async def handle_reset_connection(self, data: bytes) -> None:
        """COM_RESET_CONNECTION (connection pools send it on check-in): mysql-mimic only
        answers OK; here the session starts over and its prepared statements go."""
        await self.session.reset_connection()
        self.prepared_stmts.clear()
        self._refresh_status()
        await self.stream.write(self.ok())

    async def handle_stmt_prepare(self, data: bytes) -> None:
        """COM_STMT_PREPARE, answered with the statement's parameter count and result
        columns from the engine (mysql-mimic describes none: libmysqlclient then
        overruns the buffers it sized for a later result), or with its error."""
        sql = self.client_charset.decode(data)
        try:
            shape = await self.session.describe(sql)
        except errors.Error as exc:
            await self.send_error(exc, sql)
            return
        statement = PreparedStatement(next(self.prepared_stmt_seq), sql, shape.parameters)
        self.prepared_stmts[statement.stmt_id] = statement
        columns = to_wire_columns(shape.columns or [])
        ok = b"".join(
            (uint_1(0), uint_4(statement.stmt_id), uint_2(len(columns)),
             uint_2(statement.num_params), uint_1(0), uint_2(0))  # filler, warnings
        )  # fmt: skip
        parameters = [
            packets.make_column_definition_41(server_charset=self.server_charset, name="?")
        ] * statement.num_params
        packets_out = [ok]
        for group in (parameters, [self.column_definition(c) for c in columns]):
            if group:  # each group ends with an EOF, for clients that still expect one
                packets_out += group if self.deprecate_eof() else [*group, self.eof()]
        self.stream.write_many(packets_out)
        await self.stream.drain()

    def column_definition(self, column: WireColumn) -> bytes:
        return packets.make_column_definition_41(
            server_charset=self.server_charset,
            name=column.name,
            column_type=column.type,
            character_set=column.character_set,
        )

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
        header += [self.column_definition(column) for column in columns]
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

    async def send_error(self, exc: errors.Error, sql: str) -> None:
        """The failed statement's error to the client, and a line in the log."""
        self._refresh_status()
        logger.info(
            "connection %s: error %s: %s", self.connection_id, exc.errno, loggable(exc.msg, sql)
        )
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


def loggable(message: str, sql: str) -> str:
    """An error message fit for the log: no key, whatever the statement was."""
    if _CARRIES_SECRET.search(sql):
        return "(message withheld from the log: the statement may carry a secret)"
    return redact(message)
