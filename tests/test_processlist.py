"""SHOW PROCESSLIST lists this process's connections to a directory; KILL reaches them."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

import autovec
from tests.conftest import rows

SLOW = (
    "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 100000000)"
    " SELECT count(*) FROM c"
)


def test_processlist_and_kill(datadir: Path) -> None:
    victim = autovec.connect(datadir, autocommit=True)
    admin = autovec.connect(datadir, autocommit=True)
    vcur, acur = victim.cursor(), admin.cursor()
    [(victim_id,)] = rows(vcur, "SELECT CONNECTION_ID()")
    errors: list[autovec.Error] = []

    def slow() -> None:
        try:
            vcur.execute(SLOW)
        except autovec.Error as exc:
            errors.append(exc)

    worker = threading.Thread(target=slow)
    worker.start()
    time.sleep(0.3)
    listed = {row[0]: row for row in rows(acur, "SHOW PROCESSLIST")}
    assert listed[victim_id][4] == "Query" and listed[victim_id][7] == SLOW
    [(admin_id,)] = rows(acur, "SELECT CONNECTION_ID()")
    assert listed[admin_id][7] == "SHOW PROCESSLIST"
    acur.execute(f"KILL QUERY {victim_id}")
    worker.join(timeout=10)
    assert errors and errors[0].args[0] == 1317
    assert rows(vcur, "SELECT 1") == [(1,)]  # KILL QUERY leaves the connection
    acur.execute(f"KILL {victim_id}")
    with pytest.raises(autovec.OperationalError) as info:
        vcur.execute("SELECT 1")
    assert info.value.args == (1927, "Connection was killed")
    with pytest.raises(autovec.OperationalError) as unknown:
        acur.execute("KILL 987654")
    assert unknown.value.args[0] == 1094
    victim.close()
    assert victim_id not in {row[0] for row in rows(acur, "SHOW PROCESSLIST")}
    admin.close()
