"""PyMySQL against a real ``autovec serve``: results, types, counts, errors, sessions."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import pymysql
import pytest
from pymysql.constants import CLIENT

from tests.server.conftest import RunningServer, start_server


def connect(server: RunningServer, **kwargs: object) -> pymysql.Connection:  # type: ignore[type-arg]
    options: dict[str, object] = {"user": "root", "password": "", "database": "test"}
    options.update(kwargs)
    return pymysql.connect(host=server.host, port=server.port, **options)  # type: ignore[arg-type]


def test_query_results_carry_mysql_types(server: RunningServer) -> None:
    with connect(server, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE t (id INT PRIMARY KEY, v VECTOR(3), s TEXT, d DATETIME)")
        cur.execute("INSERT INTO t VALUES (1, '[1,2,3]', 'a', '2024-01-02 03:04:05')")
        cur.execute(
            "SELECT id, v, s, d, VEC_COSINE_DISTANCE(v, '[1,2,3]') AS dist, 0.1 + 0.2 FROM t"
        )
        [row] = cur.fetchall()
        assert row[:3] == (1, "[1,2,3]", "a") and str(row[3]) == "2024-01-02 03:04:05"
        assert row[4] == 0.0 and row[5] == Decimal("0.3")
        types = [d[1] for d in cur.description]
        # LONG, VAR_STRING (a vector is a string on the wire), BLOB/TEXT, DATETIME, DOUBLE, NEWDECIMAL
        assert types == [3, 253, 252, 12, 5, 246]
        cur.execute("SELECT id, v FROM t WHERE id < 0")  # no rows, still described
        assert cur.fetchall() == () and [d[0] for d in cur.description] == ["id", "v"]


def test_affected_rows_and_insert_ids(server: RunningServer) -> None:
    with connect(server, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE n (id BIGINT PRIMARY KEY AUTO_INCREMENT, s TEXT)")
        assert cur.execute("INSERT INTO n (s) VALUES ('a'), ('b'), ('c')") == 3
        assert cur.lastrowid == 1  # MySQL: the first id of a multi-row insert
        assert cur.execute("INSERT INTO n (s) VALUES ('d')") == 1 and cur.lastrowid == 4
        assert cur.execute("UPDATE n SET s = 'x' WHERE id > 2") == 2
        assert cur.execute("DELETE FROM n WHERE id = 1") == 1
        assert cur.execute("DELETE FROM n WHERE id = 1") == 0
        cur.execute("CREATE TABLE k (id INT PRIMARY KEY, x INT)")  # no AUTO_INCREMENT
        assert cur.execute("INSERT INTO k VALUES (1, 1), (2, 2)") == 2 and cur.lastrowid == 0


@pytest.mark.parametrize("found_rows", [False, True])
def test_changed_and_matched_rows_as_mysql_counts_them(
    server: RunningServer, found_rows: bool
) -> None:
    """Without CLIENT_FOUND_ROWS an UPDATE counts the rows it changed; ON DUPLICATE KEY
    UPDATE counts 1 per row inserted, 2 per row updated, 0 (or 1) per row left as it was."""
    flag = CLIENT.FOUND_ROWS if found_rows else 0
    with connect(server, autocommit=True, client_flag=flag) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE u (id INT PRIMARY KEY, x INT)")
        cur.execute("INSERT INTO u VALUES (1, 1), (2, 2)")
        assert cur.execute("UPDATE u SET x = 1") == (2 if found_rows else 1)
        upsert = "INSERT INTO u VALUES (%s, %s) ON DUPLICATE KEY UPDATE x = VALUES(x)"
        assert cur.execute(upsert, (1, 5)) == 2  # updated
        assert cur.execute(upsert, (1, 5)) == (1 if found_rows else 0)  # already so
        assert cur.execute(upsert, (3, 3)) == 1  # inserted
        cur.execute("SELECT id, x FROM u ORDER BY id")
        assert cur.fetchall() == ((1, 5), (2, 1), (3, 3))


def test_errors_keep_their_mysql_codes_and_the_connection(server: RunningServer) -> None:
    with connect(server, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE u (id INT PRIMARY KEY)")
        cur.execute("INSERT INTO u VALUES (1)")
        cases = [
            ("SELECT * FROM nosuch", pymysql.err.ProgrammingError, 1146),
            ("SELECT nosuch FROM u", pymysql.err.OperationalError, 1054),
            ("INSERT INTO u VALUES (1)", pymysql.err.IntegrityError, 1062),
            ("SELEC 1", pymysql.err.ProgrammingError, 1064),
        ]
        messages = []
        for sql, kind, errno in cases:
            with pytest.raises(kind) as info:
                cur.execute(sql)
            assert info.value.args[0] == errno
            messages.append(info.value.args[1])
        assert messages[2] == "Duplicate entry '1' for key 'u.PRIMARY'"
        assert messages[3].endswith('near "SELEC 1"')
        cur.execute("SELECT count(*) FROM u")
        assert cur.fetchall() == ((1,),)


def test_each_connection_is_its_own_session(server: RunningServer) -> None:
    with connect(server) as a, connect(server, autocommit=True) as b:
        with a.cursor() as cur:
            cur.execute("CREATE TABLE s (id INT PRIMARY KEY)")
            cur.execute("SET @x = 5")
            cur.execute("INSERT INTO s VALUES (1)")  # not committed: PyMySQL's autocommit is off
        with b.cursor() as other:
            other.execute("SELECT @x, count(*) FROM s")
            assert other.fetchall() == ((None, 0),)
        a.commit()
        with b.cursor() as other:
            other.execute("SELECT count(*) FROM s")
            assert other.fetchall() == ((1,),)


def test_a_disconnect_rolls_back_its_transaction(server: RunningServer) -> None:
    with connect(server, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE r (id INT PRIMARY KEY)")
    gone = connect(server)
    with gone.cursor() as cur:
        cur.execute("INSERT INTO r VALUES (1)")
    gone.close()
    with connect(server) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM r")
        assert cur.fetchall() == ((0,),)


def test_a_slow_statement_does_not_stall_other_connections(server: RunningServer) -> None:
    slow_sql = (
        "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 3000000)"
        " SELECT count(*) FROM c"
    )
    finished: list[float] = []

    def slow() -> None:
        with connect(server) as conn, conn.cursor() as cur:
            cur.execute(slow_sql)
            finished.append(time.monotonic())

    worker = threading.Thread(target=slow)
    started = time.monotonic()
    worker.start()
    time.sleep(0.2)
    with connect(server) as conn, conn.cursor() as cur:
        cur.execute("SELECT 1")
        answered = time.monotonic()
    worker.join()
    assert finished and answered < finished[0], "a quick query waited for the slow one"
    assert answered - started < 2.0


def test_no_password_means_loopback_only(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "autovec", "serve", "--db", str(tmp_path), "--host", "0.0.0.0"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2 and "refusing to listen on 0.0.0.0" in done.stderr


def test_multi_statements_return_every_result(server: RunningServer) -> None:
    """As django-tidb sends them: several statements in one COM_QUERY, each answered."""
    with (
        connect(
            server, autocommit=True, client_flag=pymysql.constants.CLIENT.MULTI_STATEMENTS
        ) as conn,
        conn.cursor() as cur,
    ):
        cur.execute(
            "CREATE TABLE m (id INT PRIMARY KEY, v VECTOR(2)); "
            "ALTER TABLE m SET TIFLASH REPLICA 1; "
            "CREATE VECTOR INDEX im ON m ((VEC_COSINE_DISTANCE(v))); "
            "INSERT INTO m VALUES (1, '[1,0]'), (2, '[0,1]'); "
            "SELECT id FROM m ORDER BY id; SELECT count(*) FROM m"
        )
        counts = [cur.rowcount]
        sets = []
        while cur.nextset():
            counts.append(cur.rowcount)
            if cur.description:
                sets.append(cur.fetchall())
        assert counts[3:] == [2, 2, 1] and sets == [((1,), (2,)), ((2,),)]
        # The first error ends the batch (the client reads it with the next result); what
        # ran before it stays, what came after it never runs.
        cur.execute("INSERT INTO m VALUES (3, '[1,1]'); SELECT * FROM nosuch; DROP TABLE m")
        with pytest.raises(pymysql.err.ProgrammingError) as info:
            cur.nextset()
        assert info.value.args[0] == 1146
        cur.execute("SELECT count(*) FROM m")
        assert cur.fetchall() == ((3,),)


def test_connections_beyond_the_limit_get_1040(tmp_path: Path) -> None:
    limited = start_server(tmp_path / "data", "--max-connections", "2")
    try:
        first, second = connect(limited), connect(limited)
        with pytest.raises(pymysql.err.OperationalError) as info:
            connect(limited)
        assert info.value.args[0] == 1040
        second.close()
        time.sleep(0.3)
        third = connect(limited)  # a freed slot is usable again
        third.close()
        first.close()
    finally:
        limited.stop()


def test_processlist_kill_query_and_kill(server: RunningServer) -> None:
    slow_sql = (
        "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 100000000)"
        " SELECT count(*) FROM c"
    )
    victim, admin = connect(server), connect(server, autocommit=True)
    with victim.cursor() as cur:
        cur.execute("SELECT CONNECTION_ID()")
        [(victim_id,)] = cur.fetchall()
    assert victim_id == victim.thread_id()  # the handshake's id is the engine's
    outcome: list[BaseException] = []

    def run_slow() -> None:
        try:
            with victim.cursor() as cur:
                cur.execute(slow_sql)
        except pymysql.err.MySQLError as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run_slow)
    worker.start()
    time.sleep(0.5)
    with admin.cursor() as cur:
        cur.execute("SHOW PROCESSLIST")
        rows = {row[0]: row for row in cur.fetchall()}
        assert rows[victim_id][4] == "Query" and rows[victim_id][7] == slow_sql
        started = time.monotonic()
        cur.execute(f"KILL QUERY {victim_id}")
    worker.join(timeout=10)
    assert time.monotonic() - started < 2 and outcome and outcome[0].args[0] == 1317
    with victim.cursor() as cur:  # the connection survives KILL QUERY
        cur.execute("SELECT 1")
        assert cur.fetchall() == ((1,),)
    with admin.cursor() as cur:
        cur.execute(f"KILL {victim_id}")
        with pytest.raises(pymysql.err.OperationalError):
            cur.execute("KILL 424242")
    time.sleep(0.3)
    with pytest.raises(pymysql.err.MySQLError), victim.cursor() as cur:  # KILL ended it
        cur.execute("SELECT 1")
    admin.close()


def test_sigterm_shuts_down_gracefully(tmp_path: Path) -> None:
    """SIGTERM: running statements finish or stop, open transactions roll back, exit 0,
    and a restarted server has every committed row."""
    first = start_server(tmp_path / "data")
    with connect(first, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE g (id INT PRIMARY KEY)")
        cur.execute("INSERT INTO g VALUES (1), (2)")
    open_transaction = connect(first)
    with open_transaction.cursor() as cur:
        cur.execute("INSERT INTO g VALUES (3)")  # never committed
    started = time.monotonic()
    assert first.stop() == 0
    assert time.monotonic() - started < 15
    assert "shutting down: 1 connection(s)" in first.log()
    second = start_server(tmp_path / "data")
    try:
        with connect(second) as conn, conn.cursor() as cur:
            cur.execute("SELECT id FROM g ORDER BY id")
            assert cur.fetchall() == ((1,), (2,))
    finally:
        second.stop()


def test_sigkill_loses_nothing_committed(tmp_path: Path) -> None:
    first = start_server(tmp_path / "data")
    with connect(first, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE k (id INT PRIMARY KEY, v VECTOR(2))")
        cur.executemany("INSERT INTO k VALUES (%s, %s)", [(i, f"[{i},1]") for i in range(50)])
    first.process.kill()
    first.process.wait()
    second = start_server(tmp_path / "data")
    try:
        with connect(second) as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*), MAX(id) FROM k")
            assert cur.fetchall() == ((50, 49),)
    finally:
        second.stop()
