"""Databases: create, list, has, use, current, drop."""

from __future__ import annotations

import pytest

from autovec import TiDBClient
from tests.client.sdk import client  # noqa: F401


def test_database_lifecycle(client: TiDBClient) -> None:  # noqa: F811
    assert client.current_database() == "test"
    assert not client.has_database("sdk_db")
    client.create_database("sdk_db")
    with pytest.raises(Exception, match="exists"):
        client.create_database("sdk_db")
    client.create_database("sdk_db", if_exists="skip")
    assert "sdk_db" in client.list_databases() and client.has_database("sdk_db")
    client.use_database("sdk_db")
    assert client.current_database() == "sdk_db"
    client.execute("CREATE TABLE only_here (id INT PRIMARY KEY)", raise_error=True)
    assert client.list_tables() == ["only_here"]
    client.use_database("test")
    assert "only_here" not in client.list_tables()
    client.drop_database("sdk_db")
    assert not client.has_database("sdk_db")


def test_use_database_requires_it_unless_ensured(client: TiDBClient) -> None:  # noqa: F811
    with pytest.raises(ValueError, match="does not exist"):
        client.use_database("missing_db")
    client.use_database("missing_db", ensure_db=True)
    assert client.current_database() == "missing_db"


def test_tables(client: TiDBClient) -> None:  # noqa: F811
    client.execute("CREATE TABLE t1 (id INT PRIMARY KEY)", raise_error=True)
    assert client.has_table("t1") and not client.has_table("t2")
    client.drop_table("t1")
    assert not client.has_table("t1")
    with pytest.raises(Exception, match=r"Unknown table|doesn't exist"):
        client.drop_table("t1")
    client.drop_table("t1", if_not_exists="skip")
