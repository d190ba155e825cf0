"""mysql-mimic's packet stream with MySQL's ``max_allowed_packet``.

mysql-mimic reassembles a packet of any size in memory, so one client could exhaust it.
:class:`LimitedStream` refuses a packet larger than the limit as MySQL does (error 1153,
then the connection closes): it reads the rest of that packet without keeping it, so the
client, still sending, receives the error rather than a reset connection.

It also switches to TLS without losing the client's first TLS bytes. A client sends its
SSLRequest and, without waiting, its TLS ClientHello; asyncio may read both at once, and
then the ClientHello sits in the stream's buffer while the TLS layer waits for it from the
socket, until the client gives up (mysql-mimic's ``start_tls`` hangs so, about every other
connection here). ``start_tls`` hands such bytes to the TLS layer first.

``MysqlStream`` is compiled (mypyc) and cannot be subclassed, so ``LimitedStream`` wraps
one: its own ``read`` and ``start_tls``, and the wrapped stream's writers.
"""

from __future__ import annotations

import asyncio
import ssl
import struct
from typing import Any

from mysql_mimic.errors import ErrorCode, MysqlError
from mysql_mimic.stream import ConnectionClosed, MysqlStream

DEFAULT_MAX_ALLOWED_PACKET = 64 * 1024 * 1024  # MySQL 8's and TiDB's default
_CHUNK = 0xFFFFFF  # a payload this long continues in the next packet
_DISCARD_LIMIT = 1 << 30  # past this, stop reading a refused packet and just close
_HEADER = struct.Struct("<I")


class PacketTooLarge(Exception):
    """A client packet over ``max_allowed_packet``; the connection must close."""


class LimitedStream:
    """A ``MysqlStream`` whose ``read`` refuses packets over ``max_allowed_packet``."""

    def __init__(self, stream: MysqlStream, max_allowed_packet: int):
        self.stream = stream
        self.reader = stream.reader
        self.writer = stream.writer
        self.max_allowed_packet = max_allowed_packet

    def __getattr__(self, name: str) -> Any:  # write, write_many, drain, reset_seq, …
        return getattr(self.stream, name)

    async def start_tls(self, context: ssl.SSLContext) -> None:
        """Switch to TLS (after the client's SSLRequest), server side."""
        # The bytes already read past the SSLRequest: asyncio offers no public way to
        # take back what a StreamReader holds.
        early = bytes(self.reader._buffer)
        self.reader._buffer.clear()
        transport = self.writer.transport
        plain = transport.get_protocol()
        upgrade = asyncio.ensure_future(self.writer.start_tls(context))
        if early:
            while transport.get_protocol() is plain:  # until start_tls has put TLS in place
                await asyncio.sleep(0)
            # Queued after the TLS layer's start, so it sees these bytes first of all.
            asyncio.get_running_loop().call_soon(_feed, transport.get_protocol(), early)
        await upgrade

    async def read(self) -> bytes:
        parts: list[bytes] = []
        size = 0
        while True:
            length = await self._read_header()
            if size + length > self.max_allowed_packet:
                await self._discard(length, size)
                raise PacketTooLarge()
            if length:
                parts.append(await self.reader.readexactly(length))
                size += length
            if length < _CHUNK:
                return b"".join(parts)

    async def _read_header(self) -> int:
        try:
            header = await self.reader.readexactly(4)
        except EOFError:  # asyncio.IncompleteReadError: the client went away
            raise ConnectionClosed() from None
        value = _HEADER.unpack(header)[0]
        sequence_id = value >> 24
        expected = next(self.stream.seq)
        if sequence_id != expected:
            raise MysqlError(
                f"Expected seq({expected}) got seq({sequence_id})", ErrorCode.MALFORMED_PACKET
            )
        return int(value & _CHUNK)

    async def _discard(self, length: int, read_so_far: int) -> None:
        """Read and drop the rest of a refused packet (``length``: the current chunk's)."""
        total = read_so_far
        while True:
            remaining = length
            while remaining:
                data = await self.reader.read(min(remaining, 1 << 16))
                if not data:
                    raise ConnectionClosed()
                remaining -= len(data)
            total += length
            if length < _CHUNK or total > _DISCARD_LIMIT:
                return
            length = await self._read_header()


def _feed(protocol: asyncio.BaseProtocol, data: bytes) -> None:
    """Give ``data`` to a protocol as if its transport had just read it."""
    if not isinstance(protocol, asyncio.BufferedProtocol):
        assert isinstance(protocol, asyncio.Protocol)
        protocol.data_received(data)
        return
    view = memoryview(data)
    while view:
        buffer = memoryview(protocol.get_buffer(len(view)))
        size = min(len(buffer), len(view))
        buffer[:size] = view[:size]
        protocol.buffer_updated(size)
        view = view[size:]
