"""TLS: ``--ssl-cert/--ssl-key``, clients that switch to it, and ``--require-secure-transport``."""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pymysql
import pytest

from tests.certificates import self_signed
from tests.server.conftest import RunningServer, start_server
from tests.server.test_mysql_cli import MYSQL


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, and its key (PEM files)."""
    made = self_signed(tmp_path_factory.mktemp("tls"), "autovec test", ["127.0.0.1", "localhost"])
    return made.cert, made.key


def tls_server(tmp_path: Path, certificate: tuple[Path, Path], *extra: str) -> RunningServer:
    cert, key = certificate
    return start_server(tmp_path / "data", "--ssl-cert", str(cert), "--ssl-key", str(key), *extra)


@pytest.fixture
def required(tmp_path: Path, certificate: tuple[Path, Path]) -> Iterator[RunningServer]:
    running = tls_server(tmp_path, certificate, "--require-secure-transport")
    yield running
    running.stop()


def connect(server: RunningServer, **tls: object) -> pymysql.Connection:
    return pymysql.connect(host=server.host, port=server.port, user="root", autocommit=True, **tls)  # type: ignore[arg-type]


def test_client_verifies_the_certificate_and_talks_tls(
    tmp_path: Path, certificate: tuple[Path, Path]
) -> None:
    running = tls_server(tmp_path, certificate)
    try:
        with connect(running, ssl={"ca": str(certificate[0])}) as conn, conn.cursor() as cur:
            socket = conn._sock  # the driver's socket: wrapped once the server agreed
            assert isinstance(socket, ssl.SSLSocket) and socket.version() in ("TLSv1.2", "TLSv1.3")
            cur.execute("USE test")
            cur.execute("CREATE TABLE t (id INT PRIMARY KEY, v VECTOR(2))")
            cur.execute("INSERT INTO t VALUES (1, '[1,2]')")
            cur.execute("SELECT v FROM t")
            assert cur.fetchone() == ("[1,2]",)
        with connect(running, ssl_disabled=True) as plain, plain.cursor() as cur:
            assert not isinstance(plain._sock, ssl.SSLSocket)  # TLS is offered, not required
            cur.execute("SELECT COUNT(*) FROM test.t")
            assert cur.fetchone() == (1,)
    finally:
        running.stop()


def test_require_secure_transport(required: RunningServer, certificate: tuple[Path, Path]) -> None:
    with pytest.raises(pymysql.err.OperationalError) as refused:
        connect(required, ssl_disabled=True)
    assert refused.value.args == (
        3159,
        "Connections using insecure transport are prohibited while --require_secure_transport=ON.",
    )
    with connect(required, ssl={"ca": str(certificate[0])}) as conn, conn.cursor() as cur:
        cur.execute("SELECT 1")
        assert cur.fetchone() == (1,)


@pytest.mark.skipif(MYSQL is None, reason="LOUD SKIP: the mysql client is not installed")
def test_mysql_client_over_tls(required: RunningServer, certificate: tuple[Path, Path]) -> None:
    assert MYSQL is not None
    done = subprocess.run(
        [MYSQL, "-h", required.host, "-P", str(required.port), "-u", "root", "--ssl",
         f"--ssl-ca={certificate[0]}", "-e", "status"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Cipher in use is" in done.stdout


def test_bad_tls_options_refuse_to_start(tmp_path: Path, certificate: tuple[Path, Path]) -> None:
    for args, message in [
        (["--ssl-cert", str(certificate[0])], "--ssl-cert and --ssl-key go together"),
        (["--require-secure-transport"], "--require-secure-transport needs --ssl-cert"),
        (
            ["--ssl-cert", str(tmp_path / "none.pem"), "--ssl-key", str(certificate[1])],
            "cannot load the TLS certificate or key",
        ),
    ]:
        with pytest.raises(AssertionError, match=message):
            start_server(tmp_path / "data", *args)
