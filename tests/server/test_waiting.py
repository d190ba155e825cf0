"""Waiting over the wire: a slow embedding stalls no one, and a writer that cannot get the
write lock in time gets MySQL's 1205 and keeps its connection."""

from __future__ import annotations

import threading
import time

import pymysql
import pytest

from tests.mock_providers.jina import JinaMock
from tests.server.conftest import RunningServer
from tests.server.test_seed_jina import KEY, jina, jina_server

__all__ = ["jina", "jina_server"]  # fixtures, used by name

EMBED_SECONDS = 3.0


def connect(server: RunningServer) -> pymysql.Connection:
    return pymysql.connect(
        host=server.host, port=server.port, user="root", database="test", autocommit=True
    )


def test_a_slow_embedding_stalls_neither_reads_nor_writes(
    jina: JinaMock, jina_server: RunningServer
) -> None:
    with connect(jina_server) as setup, setup.cursor() as cur:
        cur.execute(f"SET @@GLOBAL.TIDB_EXP_EMBED_JINA_AI_API_KEY = '{KEY}'")
        cur.execute(
            "CREATE TABLE docs (id INT PRIMARY KEY, content TEXT, embedding VECTOR(1024)"
            " GENERATED ALWAYS AS (EMBED_TEXT('jina_ai/jina-embeddings-v3', content)) STORED)"
        )
        cur.execute("CREATE TABLE notes (id INT PRIMARY KEY)")
    jina.fail_next("timeout", sleep=EMBED_SECONDS)  # answers, after a while
    done: list[float] = []

    def embed() -> None:
        with connect(jina_server) as conn, conn.cursor() as cur:
            cur.execute("INSERT INTO docs (id, content) VALUES (1, 'slow to embed')")
            done.append(time.monotonic())

    worker = threading.Thread(target=embed)
    started = time.monotonic()
    worker.start()
    time.sleep(0.5)  # the INSERT is waiting on the provider now
    with connect(jina_server) as conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM docs")
        assert cur.fetchone() == (0,)
        cur.execute("INSERT INTO notes VALUES (1)")  # the write lock is free meanwhile
        answered = time.monotonic() - started
    worker.join(timeout=60)
    assert done and answered < 2.0 < done[0] - started
    with connect(jina_server) as conn, conn.cursor() as cur:
        cur.execute("SELECT id FROM docs WHERE embedding IS NOT NULL")
        assert cur.fetchall() == ((1,),)


def test_lock_wait_timeout_is_1205_and_the_connection_lives_on(server: RunningServer) -> None:
    with connect(server) as holder, connect(server) as waiter:
        with holder.cursor() as cur:
            cur.execute("CREATE TABLE t (id INT PRIMARY KEY)")
            cur.execute("BEGIN")
            cur.execute("INSERT INTO t VALUES (1)")  # holds the write lock until COMMIT
        with waiter.cursor() as cur:
            cur.execute("SET innodb_lock_wait_timeout = 1")
            started = time.monotonic()
            with pytest.raises(pymysql.err.OperationalError) as waited:
                cur.execute("INSERT INTO t VALUES (2)")
            assert waited.value.args[0] == 1205
            assert 0.9 < time.monotonic() - started < 5
            cur.execute("SELECT COUNT(*) FROM t")  # reads go on: the committed state
            assert cur.fetchone() == (0,)
        holder.commit()
        with waiter.cursor() as cur:
            cur.execute("INSERT INTO t VALUES (2)")
            cur.execute("SELECT id FROM t ORDER BY id")
            assert cur.fetchall() == ((1,), (2,))
