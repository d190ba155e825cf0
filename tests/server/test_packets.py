"""``max_allowed_packet``: an oversized packet is refused with MySQL's 1153, not buffered."""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator
from pathlib import Path

import pymysql
import pytest

from tests.server.conftest import RunningServer, start_server

LIMIT = 1 << 20


@pytest.fixture
def small(tmp_path: Path) -> Iterator[RunningServer]:
    running = start_server(tmp_path / "data", "--max-allowed-packet", str(LIMIT))
    yield running
    running.stop()


def connect(server: RunningServer) -> pymysql.Connection:
    return pymysql.connect(host=server.host, port=server.port, user="root", database="test")


def test_oversized_statement_is_refused(small: RunningServer) -> None:
    with connect(small) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE t (id INT PRIMARY KEY, body LONGTEXT)")
        cur.execute("INSERT INTO t VALUES (1, %s)", ("x" * (LIMIT - 1000),))  # under: fine
        conn.commit()
        with pytest.raises(pymysql.err.OperationalError) as refused:
            cur.execute("INSERT INTO t VALUES (2, %s)", ("y" * (2 * LIMIT),))
        assert refused.value.args == (
            1153,
            "Got a packet bigger than 'max_allowed_packet' bytes",
        )
    with connect(small) as conn, conn.cursor() as cur:  # the server serves on
        cur.execute("SELECT id, LENGTH(body) FROM t")
        assert cur.fetchall() == ((1, LIMIT - 1000),)
    small.stop()
    assert f"packet over {LIMIT} bytes refused" in small.log()


def test_a_huge_packet_header_costs_nothing(small: RunningServer) -> None:
    """A client announcing a chain of 16 MiB packets and then vanishing ends only itself."""
    with socket.create_connection((small.host, small.port), timeout=10) as sock:
        sock.recv(4096)  # the handshake
        sock.sendall(struct.pack("<I", 0xFFFFFF | 1 << 24) + b"\0" * 65536)
    with connect(small) as conn, conn.cursor() as cur:
        cur.execute("SELECT 1")
        assert cur.fetchone() == (1,)
