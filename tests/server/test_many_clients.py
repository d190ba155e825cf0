"""32 clients at once against one ``autovec serve``: nothing lost, no lock errors."""

from __future__ import annotations

import threading

import pymysql

from tests.server.conftest import RunningServer

CLIENTS = 32
ROWS_EACH = 20


def test_32_connections_read_and_write_concurrently(server: RunningServer) -> None:
    setup = pymysql.connect(host=server.host, port=server.port, user="root", database="test",
                            autocommit=True)  # fmt: skip
    with setup.cursor() as cur:
        cur.execute("CREATE TABLE w (client INT, n INT, v VECTOR(2), PRIMARY KEY (client, n))")
    failures: list[BaseException] = []
    reported = [0] * CLIENTS
    start = threading.Barrier(CLIENTS)

    def client(number: int) -> None:
        try:
            conn = pymysql.connect(host=server.host, port=server.port, user="root",
                                   database="test", autocommit=True)  # fmt: skip
            start.wait()
            with conn.cursor() as cur:
                for n in range(ROWS_EACH):
                    reported[number] += cur.execute(
                        "INSERT INTO w VALUES (%s, %s, %s)", (number, n, f"[{n},1]")
                    )
                    cur.execute("SELECT count(*) FROM w WHERE client = %s", (number,))
                    assert cur.fetchall() == ((n + 1,),)  # a connection sees its own writes
            conn.close()
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures[:3]
    assert sum(reported) == CLIENTS * ROWS_EACH
    with setup.cursor() as cur:
        cur.execute("SELECT count(*), count(DISTINCT client) FROM w")
        assert cur.fetchall() == ((CLIENTS * ROWS_EACH, CLIENTS),)
    setup.close()
