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
import sys
import time

from mysql_mimic.auth import SimpleIdentityProvider
from mysql_mimic.constants import DEFAULT_SERVER_CAPABILITIES
from mysql_mimic.control import LocalControl
from mysql_mimic.errors import ErrorCode
from mysql_mimic.stream import MysqlStream
from mysql_mimic.types import Capabilities

from autovec.server.connection import EngineConnection
from autovec.server.session import EngineSession
from autovec.sql import variables as sysvars

logger = logging.getLogger("autovec.server")


# mysql-mimic's, plus what the engine gives: multi-statements and their several results,
# and transactions (the status bits say when one is open).
SERVER_CAPABILITIES = (
    DEFAULT_SERVER_CAPABILITIES
    | Capabilities.CLIENT_MULTI_STATEMENTS
    | Capabilities.CLIENT_MULTI_RESULTS
    | Capabilities.CLIENT_PS_MULTI_RESULTS
    | Capabilities.CLIENT_TRANSACTIONS
)


DEFAULT_MAX_CONNECTIONS = 151  # MySQL's default max_connections
DEFAULT_GRACE_S = 10.0  # how long SIGTERM lets running statements finish


class Server:
    """``autovec serve``: the MySQL protocol on ``host:port`` for the data directory."""

    def __init__(
        self,
        datadir: str,
        host: str = "127.0.0.1",
        port: int = 4000,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        grace_s: float = DEFAULT_GRACE_S,
    ):
        self.datadir = datadir
        self.host = host
        self.port = port
        self.max_connections = max_connections
        self.grace_s = grace_s
        self.active = 0
        self.connections: dict[EngineConnection, EngineSession] = {}
        self.control = LocalControl()
        self.identity = SimpleIdentityProvider()
        self.version = str(sysvars.DEFAULTS["version"])
        self._server: asyncio.Server | None = None

    async def _serve_client(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        stream = MysqlStream(reader, writer)
        peer = writer.get_extra_info("peername")
        session = EngineSession(self.datadir, self.version)
        connection = EngineConnection(
            stream=stream,
            session=session,
            control=self.control,
            identity_provider=self.identity,
            server_capabilities=SERVER_CAPABILITIES,
        )
        if self.active >= self.max_connections:
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
            logger.info("connection %s from %s", connection.connection_id, peer)
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
            logger.info("connection %s closed", connection.connection_id)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve_client, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def serve_forever(self) -> None:
        await self.start()
        assert self._server is not None
        print(
            f"autovec {self.version} listening on {self.host}:{self.port}; connect with:"
            f" mysql -h {self.host} -P {self.port} -u root",
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
        deadline = time.monotonic() + self.grace_s
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


def run(datadir: str, host: str, port: int, max_connections: int = DEFAULT_MAX_CONNECTIONS) -> int:
    if not is_loopback(host):
        # root has no password: anyone who can reach the address could read and write.
        print(
            f"autovec serve: refusing to listen on {host} with a password-less root account;"
            " listen on 127.0.0.1 (accounts for other addresses are not available yet)",
            file=sys.stderr,
        )
        return 2
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("mysql_mimic").setLevel(logging.WARNING)
    asyncio.run(Server(datadir, host, port, max_connections).serve_forever())
    return 0
