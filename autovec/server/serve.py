"""The listening socket: one :class:`EngineConnection` per client, and the log lines.

mysql-mimic's ``MysqlServer`` builds its own ``Connection`` inside a private callback, so
the server loop is written here (a few lines: stream, engine session, connection, run) to
serve :class:`EngineConnection` instead; everything else is mysql-mimic's. Connections are
registered in the engine's process list (SHOW PROCESSLIST, KILL), not mysql-mimic's
``Control``, which its ``Connection`` requires but this server does not consult.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import signal
import ssl
import sys
import time
from dataclasses import dataclass, field

from mysql_mimic.constants import DEFAULT_SERVER_CAPABILITIES
from mysql_mimic.control import LocalControl
from mysql_mimic.errors import ErrorCode
from mysql_mimic.stream import MysqlStream
from mysql_mimic.types import Capabilities

from autovec.server.accounts import Accounts, UsersFileError
from autovec.server.auth import AccountsIdentityProvider, FailedLogins
from autovec.server.connection import EngineConnection
from autovec.server.session import EngineSession
from autovec.server.stream import DEFAULT_MAX_ALLOWED_PACKET, LimitedStream
from autovec.sql import variables as sysvars

logger = logging.getLogger("autovec.server")


# mysql-mimic's, plus what the engine gives: multi-statements and their several results,
# transactions (the status bits say when one is open), and UPDATE counts of rows matched
# for clients that ask (SQLAlchemy's MySQL dialects do).
SERVER_CAPABILITIES = (
    DEFAULT_SERVER_CAPABILITIES
    | Capabilities.CLIENT_FOUND_ROWS
    | Capabilities.CLIENT_MULTI_STATEMENTS
    | Capabilities.CLIENT_MULTI_RESULTS
    | Capabilities.CLIENT_PS_MULTI_RESULTS
    | Capabilities.CLIENT_TRANSACTIONS
)


DEFAULT_MAX_CONNECTIONS = 151  # MySQL's default max_connections
DEFAULT_GRACE_S = 10.0  # how long SIGTERM lets running statements finish


@dataclass
class ServerConfig:
    """What ``autovec serve`` was asked for."""

    datadir: str
    host: str = "127.0.0.1"
    port: int = 4000
    accounts: Accounts = field(default_factory=Accounts.default)
    tls: ssl.SSLContext | None = None
    require_secure_transport: bool = False
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    max_allowed_packet: int = DEFAULT_MAX_ALLOWED_PACKET
    grace_s: float = DEFAULT_GRACE_S


class Server:
    """``autovec serve``: the MySQL protocol on ``host:port`` for the data directory."""

    def __init__(self, config: ServerConfig):
        self.config = config
        self.port = config.port
        self.active = 0
        self.connections: dict[EngineConnection, EngineSession] = {}
        self.control = LocalControl()
        self.identity = AccountsIdentityProvider(config.accounts)
        self.failed_logins = FailedLogins()
        self.version = str(sysvars.DEFAULTS["version"])
        self._server: asyncio.Server | None = None

    async def _serve_client(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        config = self.config
        stream = LimitedStream(MysqlStream(reader, writer), config.max_allowed_packet)
        peer = writer.get_extra_info("peername")
        peer_host = str(peer[0]) if isinstance(peer, tuple) else "localhost"
        session = EngineSession(config.datadir, self.version)
        connection = EngineConnection(
            stream=stream,
            session=session,
            control=self.control,
            identity_provider=self.identity,
            server_capabilities=SERVER_CAPABILITIES,
            ssl=config.tls,
            peer_host=peer_host,
            failed_logins=self.failed_logins,
            require_secure_transport=config.require_secure_transport,
        )
        if self.active >= config.max_connections:
            await stream.write(
                connection.error(msg="Too many connections", code=ErrorCode.CON_COUNT_ERROR)
            )
            writer.close()
            return
        self.active += 1
        try:
            # The engine's connection id is the protocol's: CONNECTION_ID(), SHOW
            # PROCESSLIST and KILL all speak of the same number.
            connection.connection_id = await session.open()
            loop = asyncio.get_running_loop()

            def end_connection() -> None:  # KILL, from whichever thread ran it
                loop.call_soon_threadsafe(connection.kill)

            session.engine.on_kill = end_connection
            self.connections[connection] = session
            await connection.start()
        except Exception as exc:  # a client that breaks off mid-packet ends only itself
            logger.info("connection %s ended: %s", connection.connection_id, exc)
        except asyncio.CancelledError:  # shut down while connecting: the session still closes
            pass
        finally:
            self.active -= 1
            self.connections.pop(connection, None)
            writer.close()
            await session.close()
            user = session.username or "-"
            logger.info("connection %s (%s) closed", connection.connection_id, user)

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._serve_client, self.config.host, self.config.port
        )
        self.port = self._server.sockets[0].getsockname()[1]

    def connect_hint(self) -> str:
        """The mysql command that reaches this server."""
        accounts = self.config.accounts
        user = "root" if "root" in accounts else next(iter(accounts), "root")
        password = " -p" if accounts[user].has_password else ""
        tls = " --ssl" if self.config.tls is not None else ""
        return f"mysql -h {self.config.host} -P {self.port} -u {user}{password}{tls}"

    async def serve_forever(self) -> None:
        await self.start()
        assert self._server is not None
        print(
            f"autovec {self.version} listening on {self.config.host}:{self.port};"
            f" connect with: {self.connect_hint()}",
            flush=True,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        async with self._server:
            await stop.wait()
            self._server.close()
            await self.shut_down()

    async def shut_down(self) -> None:
        """SIGTERM: accept no one; let running statements finish for the grace period,
        then interrupt them; every session closes, rolling back what it left open."""
        logger.info("shutting down: %d connection(s)", len(self.connections))
        deadline = time.monotonic() + self.config.grace_s
        while time.monotonic() < deadline and any(
            s.engine_busy() for s in self.connections.values()
        ):
            await asyncio.sleep(0.05)
        for connection, session in list(self.connections.items()):
            session.interrupt()
            connection.kill()
        while self.connections and time.monotonic() < deadline + 5:
            await asyncio.sleep(0.05)


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def tls_context(cert: str, key: str) -> ssl.SSLContext:
    """The server's TLS context from a PEM certificate (chain) and its private key."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    return context


def load_accounts(user: str | None, password: str | None, users_file: str | None) -> Accounts:
    """The accounts from ``--user/--password`` or ``--users-file`` (else root, no password)."""
    if users_file is not None:
        if user is not None or password is not None:
            raise UsersFileError("use either --users-file or --user/--password, not both")
        return Accounts.load(users_file)
    if password is not None or user is not None:
        return Accounts.single(user or "root", password or "")
    return Accounts.default()


def refusal(config: ServerConfig) -> str | None:
    """Why this configuration must not start, if it must not."""
    passwordless = config.accounts.passwordless()
    if passwordless and not is_loopback(config.host):
        # Anyone who can reach the address could read and write everything.
        who = ", ".join(passwordless)
        return (
            f"refusing to listen on {config.host}: user(s) {who} have no password; set one"
            " with --user/--password or --users-file, or listen on 127.0.0.1"
        )
    if config.require_secure_transport and config.tls is None:
        return "--require-secure-transport needs --ssl-cert and --ssl-key"
    if not config.accounts:
        return "the users file has no accounts"
    return None


def run(config: ServerConfig) -> int:
    refused = refusal(config)
    if refused is not None:
        print(f"autovec serve: {refused}", file=sys.stderr)
        return 2
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("mysql_mimic").setLevel(logging.WARNING)
    asyncio.run(Server(config).serve_forever())
    return 0
