"""Accounts over the wire: users files, both password plugins, 1045 with back-off, and the
rules that keep a server without passwords on loopback."""

from __future__ import annotations

import json
import os
import socket
import stat
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pymysql
import pytest

from tests.server.conftest import RunningServer, start_server
from tests.server.test_mysql_cli import MYSQL
from tests.server.test_mysql_connector import run_client


def passwd(users_file: Path, user: str, password: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autovec", "passwd", str(users_file), user],
        input=password + "\n", capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.fixture
def users_file(tmp_path: Path) -> Path:
    path = tmp_path / "users.json"
    assert passwd(path, "app", "s3cret pass").returncode == 0
    assert passwd(path, "reader", "другой").returncode == 0
    return path


@pytest.fixture
def guarded(tmp_path: Path, users_file: Path) -> Iterator[RunningServer]:
    running = start_server(tmp_path / "data", "--users-file", str(users_file))
    yield running
    running.stop()


def login(server: RunningServer, user: str, password: str) -> pymysql.Connection:
    return pymysql.connect(
        host=server.host, port=server.port, user=user, password=password.encode(), autocommit=True
    )


def test_users_file_keeps_hashes_only(users_file: Path) -> None:
    text = users_file.read_text()
    assert "s3cret" not in text and "другой" not in text
    assert stat.S_IMODE(users_file.stat().st_mode) == 0o600
    accounts = {a["user"]: a for a in json.loads(text)["accounts"]}
    assert set(accounts) == {"app", "reader"}
    # MySQL's own authentication string for the password, as mysql.user holds it.
    assert accounts["app"]["mysql_native_password"].startswith("*")
    assert len(accounts["app"]["mysql_native_password"]) == 41
    before = accounts["app"]["caching_sha2_password"]
    assert passwd(users_file, "app", "new one").returncode == 0  # a new password replaces it
    after = {a["user"]: a for a in json.loads(users_file.read_text())["accounts"]}
    assert after["app"]["caching_sha2_password"] != before and set(after) == {"app", "reader"}


def test_native_password_login_and_who_am_i(guarded: RunningServer) -> None:
    with login(guarded, "app", "s3cret pass") as conn, conn.cursor() as cur:
        cur.execute("SELECT USER(), CURRENT_USER()")
        assert cur.fetchone() == ("app@127.0.0.1", "app@%")
        cur.execute("SHOW PROCESSLIST")
        assert [row[1:3] for row in cur.fetchall()] == [("app", "127.0.0.1")]
    with login(guarded, "reader", "другой") as conn, conn.cursor() as cur:
        cur.execute("SELECT 1")
        assert cur.fetchone() == (1,)


def test_caching_sha2_password_fast_path(guarded: RunningServer) -> None:
    """MySQL 8 clients' default plugin, answered against the handshake's challenge."""
    script = """
import json, sys
import mysql.connector
port = int(sys.argv[1])
out = {}
for password in ["s3cret pass", "wrong"]:
    try:
        conn = mysql.connector.connect(host="127.0.0.1", port=port, user="app",
            password=password, auth_plugin="caching_sha2_password", use_pure=True)
        cur = conn.cursor()
        cur.execute("SELECT CURRENT_USER()")
        out[password] = cur.fetchall()[0][0]
    except mysql.connector.Error as exc:
        out[password] = [exc.errno, exc.sqlstate]
print(json.dumps(out))
"""
    out = run_client(script, guarded, "pure")
    assert out == {"s3cret pass": "app@%", "wrong": [1045, "28000"]}


def test_wrong_password_waits_and_backs_off(guarded: RunningServer) -> None:
    waits = []
    for attempt in ("nope", "still nope"):
        started = time.monotonic()
        with pytest.raises(pymysql.err.OperationalError) as refused:
            login(guarded, "app", attempt)
        waits.append(time.monotonic() - started)
        code, message = refused.value.args
        assert code == 1045
        assert message == "Access denied for user 'app'@'127.0.0.1' (using password: YES)"
    assert waits[0] >= 0.2 and waits[1] >= 2 * 0.2 and waits[1] > waits[0]
    with pytest.raises(pymysql.err.OperationalError) as unknown:  # no such user: the same
        login(guarded, "nobody", "")
    assert unknown.value.args == (
        1045,
        "Access denied for user 'nobody'@'127.0.0.1' (using password: NO)",
    )
    with login(guarded, "app", "s3cret pass") as conn:  # the right password still works
        assert conn.open
    guarded.stop()
    log = guarded.log()
    assert "access denied for user 'app' from 127.0.0.1" in log
    assert "nope" not in log and "s3cret" not in log


def _packet(payload: bytes, sequence: int) -> bytes:
    return struct.pack("<I", len(payload) | sequence << 24) + payload


def _read_packet(sock: socket.socket) -> bytes:
    header = sock.recv(4)
    length = struct.unpack("<I", header + b"\0" * (4 - len(header)))[0] & 0xFFFFFF
    data = b""
    while len(data) < length:
        chunk = sock.recv(length - len(data))
        if not chunk:
            break
        data += chunk
    return data


def test_refused_client_cannot_go_on(guarded: RunningServer) -> None:
    """A client that ignores the 1045 and sends a query is hung up on, not answered."""
    with socket.create_connection((guarded.host, guarded.port), timeout=10) as sock:
        _read_packet(sock)  # the handshake
        capabilities = 0x0000_0200 | 0x0000_8000 | 0x0008_0000  # 4.1, secure conn, plugin auth
        response = (
            struct.pack("<IIB23x", capabilities, 1 << 24, 45)
            + b"app\0"
            + bytes([20])
            + b"x" * 20
            + b"mysql_native_password\0"
        )
        sock.sendall(_packet(response, 1))
        error = _read_packet(sock)
        assert error[0] == 0xFF and struct.unpack("<H", error[1:3])[0] == 1045
        try:
            sock.sendall(_packet(b"\x03SELECT 1", 0))
            assert sock.recv(1024) == b""
        except (BrokenPipeError, ConnectionResetError):
            pass  # hung up already


def test_single_account_from_the_command_line(tmp_path: Path) -> None:
    running = start_server(tmp_path / "data", "--user", "admin", "--password", "pw")
    try:
        with pytest.raises(pymysql.err.OperationalError) as refused:
            login(running, "root", "")  # root exists only when no account is configured
        assert refused.value.args[0] == 1045
        with login(running, "admin", "pw") as conn, conn.cursor() as cur:
            cur.execute("SELECT CURRENT_USER()")
            assert cur.fetchone() == ("admin@%",)
    finally:
        running.stop()


@pytest.mark.skipif(MYSQL is None, reason="LOUD SKIP: the mysql client is not installed")
def test_mysql_client_with_a_password(guarded: RunningServer) -> None:
    assert MYSQL is not None
    base = [MYSQL, "-h", guarded.host, "-P", str(guarded.port), "-u", "app", "-N"]
    done = subprocess.run(
        [*base, "-ps3cret pass", "-e", "SELECT CURRENT_USER()"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "app@%"
    refused = subprocess.run(
        [*base, "-pwrong", "-e", "SELECT 1"], capture_output=True, text=True, timeout=60
    )
    assert refused.returncode != 0 and "1045" in refused.stderr and "28000" in refused.stderr


def serve_refusal(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autovec", "serve", "--db", str(tmp_path / "d"), "--port", "0",
         *args],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_no_password_means_loopback_only(tmp_path: Path, users_file: Path) -> None:
    done = serve_refusal(tmp_path, "--host", "0.0.0.0")
    assert done.returncode == 2
    assert "refusing to listen on 0.0.0.0: user(s) root have no password" in done.stderr
    done = serve_refusal(tmp_path, "--host", "0.0.0.0", "--user", "app")
    assert done.returncode == 2 and "user(s) app have no password" in done.stderr
    done = serve_refusal(tmp_path, "--users-file", str(tmp_path / "missing.json"))
    assert done.returncode == 2 and "cannot read users file" in done.stderr
    done = serve_refusal(tmp_path, "--users-file", str(users_file), "--user", "x")
    assert done.returncode == 2 and "not both" in done.stderr


def test_all_addresses_with_passwords(tmp_path: Path, users_file: Path) -> None:
    running = start_server(tmp_path / "data", "--host", "0.0.0.0", "--users-file", str(users_file))
    try:
        assert running.host == "0.0.0.0"
        running.host = "127.0.0.1"
        with login(running, "app", "s3cret pass") as conn:
            assert conn.open
    finally:
        running.stop()
    assert os.path.exists(users_file)


def test_change_user(guarded: RunningServer) -> None:
    """COM_CHANGE_USER logs in anew on the same connection; a wrong password ends it."""
    script = """
import json, sys
import mysql.connector
conn = mysql.connector.connect(host="127.0.0.1", port=int(sys.argv[1]), user="app",
                               password="s3cret pass", use_pure=True)
conn.cmd_query("SET @x = 1")
conn.cmd_change_user(username="reader", password="другой")
cur = conn.cursor()
cur.execute("SELECT CURRENT_USER(), @x")
now, x = cur.fetchall()[0]
out = {"now": now, "x": x}
try:
    conn.cmd_change_user(username="app", password="wrong")
except mysql.connector.Error as exc:
    out["refused"] = [exc.errno, exc.sqlstate]
try:
    conn.cmd_query("SELECT 1")
    out["after"] = "answered"
except mysql.connector.Error:
    out["after"] = "closed"
print(json.dumps(out))
"""
    out = run_client(script, guarded, "pure")
    assert out == {"now": "reader@%", "x": None, "refused": [1045, "28000"], "after": "closed"}


def test_log_has_a_line_per_connection_disconnect_and_failure(guarded: RunningServer) -> None:
    with login(guarded, "app", "s3cret pass") as conn, conn.cursor() as cur:
        cur.execute("SELECT CONNECTION_ID()")
        (connection_id,) = cur.fetchone()
        with pytest.raises(pymysql.err.ProgrammingError):
            cur.execute("SELECT * FROM test.no_such_table")
    guarded.stop()
    lines = [line.split(" ", 2)[2] for line in guarded.log().splitlines()]
    assert f"connection {connection_id} from 127.0.0.1 as app" in lines
    assert (
        f"connection {connection_id}: error 1146: Table 'test.no_such_table' doesn't exist" in lines
    )
    assert f"connection {connection_id} (app) closed" in lines
