"""Connecting: the embedded default, paths and URLs, pytidb's host/port form, TLS rule."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

import autovec
from autovec import TiDBClient
from autovec.client import urls


def test_connect_without_arguments_opens_data_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    client = TiDBClient.connect()
    try:
        assert client.db_engine.dialect.driver == "autovec"
        assert client.current_database() == "test"
        client.execute("CREATE TABLE t (id INT PRIMARY KEY)", raise_error=True)
        assert client.list_tables() == ["t"]
    finally:
        client.disconnect()
    assert (tmp_path / "data").is_dir()


def test_path_and_url_name_the_same_directory(tmp_path: Path) -> None:
    first = TiDBClient.connect(path=tmp_path / "db")
    first.execute("CREATE TABLE shared (id INT PRIMARY KEY)", raise_error=True)
    first.disconnect()
    second = TiDBClient.connect(url=f"autovec:///{tmp_path / 'db'}")
    assert second.has_table("shared")
    assert second.db_engine.url.database == str(tmp_path / "db")
    second.disconnect()


def test_client_aliases_and_lazy_import() -> None:
    assert autovec.Client is autovec.TiDBClient is TiDBClient
    code = "import sys, autovec; autovec.__version__; assert 'sqlmodel' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_host_form_builds_pytidb_url() -> None:
    url = urls.build_tidb_url("127.0.0.1", 4001, "root", "p@ss", "db1")
    assert url.drivername == "mysql+pymysql"
    assert (url.host, url.port, url.username, url.password, url.database) == (
        "127.0.0.1",
        4001,
        "root",
        "p@ss",
        "db1",
    )
    assert dict(url.query) == {}
    assert dict(urls.build_tidb_url("127.0.0.1", enable_ssl=True).query) == {
        "ssl_verify_cert": "true",
        "ssl_verify_identity": "true",
    }


@pytest.mark.parametrize(
    ("host", "tls"),
    [
        ("gateway01.us-west-2.prod.aws.tidbcloud.com", True),
        ("gateway01.eu-central-1.dev.shared.aws.tidbcloud.com", True),
        ("gateway12.ap-southeast-1.staging.alicloud.tidbcloud.com", True),
        ("tidb.example.com", False),
        ("localhost", False),
    ],
)
def test_tls_only_for_tidb_cloud_starter_hosts(host: str, tls: bool) -> None:
    url = urls.build_tidb_url(host)
    assert ("ssl_verify_cert" in url.query) is tls
    assert urls.is_serverless(url) is tls
    assert "ssl_verify_cert" not in urls.build_tidb_url(host, enable_ssl=False).query


def test_connect_to_a_missing_database_fails_and_ensure_db_creates_it(tmp_path: Path) -> None:
    with pytest.raises(sa.exc.DBAPIError):
        TiDBClient.connect(path=tmp_path / "d", database="missing").current_database()
    client = TiDBClient.connect(path=tmp_path / "d", database="made", ensure_db=True)
    assert client.current_database() == "made"
    assert client.has_database("made")
    client.disconnect()


def test_server_embedding_is_probed_once_and_can_be_forced(tmp_path: Path) -> None:
    client = TiDBClient.connect(path=tmp_path / "d")
    statements: list[str] = []
    sa.event.listen(client.db_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    assert client.supports_server_embedding is True
    assert client.supports_server_embedding is True
    assert sum("EMBED_TEXT" in s for s in statements) == 1
    forced = TiDBClient.connect(path=tmp_path / "d", server_embedding=False)
    assert forced.supports_server_embedding is False


def test_a_database_without_embed_text_is_detected(tmp_path: Path) -> None:
    client = TiDBClient.connect(path=tmp_path / "d")

    def hide_embed_text(conn, cursor, statement, params, context, many):  # type: ignore[no-untyped-def]
        # What a TiDB without Auto Embedding answers: 1305 FUNCTION … does not exist.
        return statement.replace("EMBED_TEXT(", "NO_EMBED_TEXT_HERE("), params

    sa.event.listen(client.db_engine, "before_cursor_execute", hide_embed_text, retval=True)
    assert client.supports_server_embedding is False


def test_a_relative_path_is_taken_when_connecting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The directory is the one the path named at connect(), even if the program then
    changes directory before the first statement."""
    (tmp_path / "here").mkdir()
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    client = TiDBClient.connect(path="store")
    monkeypatch.chdir(tmp_path / "elsewhere")
    client.execute("CREATE TABLE t (id INT PRIMARY KEY)", raise_error=True)
    client.disconnect()
    assert (tmp_path / "here" / "store").is_dir()
    assert not (tmp_path / "elsewhere" / "store").exists()
