"""What drivers, ORMs and pytidb read: versions, SHOW, DESCRIBE, variables, information_schema."""

from __future__ import annotations

import pytest

import autovec
from tests.conftest import rows


@pytest.fixture
def docs(cur: autovec.Cursor) -> autovec.Cursor:
    cur.execute(
        "CREATE TABLE docs (id BIGINT PRIMARY KEY AUTO_INCREMENT, title VARCHAR(100) NOT NULL, body TEXT, "
        "embedding VECTOR(3), UNIQUE KEY uk_title (title), KEY idx_body (body(10)))"
    )
    return cur


def test_versions(cur: autovec.Cursor) -> None:
    version = rows(cur, "SELECT VERSION()")[0][0]
    assert version.startswith("8.0.11-TiDB-v8.5.0-autovec-")
    assert "Release Version: v8.5.0" in rows(cur, "SELECT TIDB_VERSION()")[0][0]
    assert rows(cur, "SELECT DATABASE()") == [("test",)]


def test_show_create_table_prints_vector_columns_like_tidb(docs: autovec.Cursor) -> None:
    create = rows(docs, "SHOW CREATE TABLE docs")[0][1]
    assert "`embedding` vector(3)" in create
    assert "PRIMARY KEY (`id`)" in create and "UNIQUE KEY `uk_title` (`title`)" in create


def test_describe_and_show_columns(docs: autovec.Cursor) -> None:
    described = rows(docs, "DESCRIBE docs")
    assert described[0] == ("id", "bigint(20)", "NO", "PRI", None, "auto_increment")
    assert described[3] == ("embedding", "vector(3)", "YES", "", None, "")
    assert rows(docs, "SHOW COLUMNS FROM docs LIKE 'tit%'")[0][:4] == (
        "title",
        "varchar(100)",
        "NO",
        "UNI",
    )
    full = rows(docs, "SHOW FULL COLUMNS FROM docs")
    assert len(full[0]) == 9


def test_show_index(docs: autovec.Cursor) -> None:
    index = {(r[2], r[4]) for r in rows(docs, "SHOW INDEX FROM docs")}
    assert index == {("PRIMARY", "id"), ("uk_title", "title"), ("idx_body", "body")}


def test_show_tables_and_databases(docs: autovec.Cursor) -> None:
    docs.execute("CREATE VIEW v AS SELECT id FROM docs")
    assert rows(docs, "SHOW TABLES") == [("docs",), ("v",)]
    assert rows(docs, "SHOW FULL TABLES") == [("docs", "BASE TABLE"), ("v", "VIEW")]
    assert rows(docs, "SHOW TABLES LIKE 'd%'") == [("docs",)]
    assert ("test",) in rows(docs, "SHOW DATABASES")


def test_variables(cur: autovec.Cursor) -> None:
    assert rows(cur, "SHOW VARIABLES LIKE 'lower_case_table_names'") == [
        ("lower_case_table_names", "2")
    ]
    assert rows(cur, "SELECT @@autocommit, @@session.autocommit") == [(1, 1)]
    cur.execute("SET autocommit = 0")
    assert rows(cur, "SELECT @@autocommit") == [(0,)]
    cur.execute("SET SESSION sql_mode = 'ANSI_QUOTES'")
    assert rows(cur, "SELECT @@sql_mode") == [("ANSI_QUOTES",)]
    cur.execute("SET @x = 41")
    assert rows(cur, "SELECT @x + 1") == [(42,)]
    with pytest.raises(autovec.OperationalError) as info:
        cur.execute("SELECT @@no_such_variable")
    assert info.value.args[0] == 1193


def test_quoted_variable_names_and_stray_words(cur: autovec.Cursor) -> None:
    """pytidb writes ``SET @@GLOBAL.`NAME` = …``; a word after the value is an error."""
    cur.execute("SET @@SESSION.`sql_mode` = 'ANSI_QUOTES';")
    assert rows(cur, "SELECT @@session.`sql_mode`, @@`sql_mode`") == [
        ("ANSI_QUOTES", "ANSI_QUOTES")
    ]
    with pytest.raises(autovec.ProgrammingError) as info:
        cur.execute("SET @@SESSION.sql_mode = 'TRADITIONAL' stray_word")
    assert info.value.args[0] == 1064 and 'near "stray_word"' in info.value.args[1]
    assert rows(cur, "SELECT @@sql_mode") == [("ANSI_QUOTES",)]


def test_api_keys_are_global_persisted_and_masked(datadir: object) -> None:
    conn = autovec.connect(datadir, autocommit=True)  # type: ignore[arg-type]
    cur = conn.cursor()
    cur.execute("SET @@GLOBAL.TIDB_EXP_EMBED_JINA_AI_API_KEY = 'jina-secret'")
    assert rows(cur, "SELECT @@GLOBAL.tidb_exp_embed_jina_ai_api_key") == [("******",)]
    assert rows(cur, "SHOW GLOBAL VARIABLES LIKE 'tidb_exp_embed_jina_ai_api_key'") == [
        ("tidb_exp_embed_jina_ai_api_key", "******")
    ]
    conn.close()
    import os
    import stat
    from pathlib import Path

    settings = Path(str(datadir)) / "settings.json"
    assert "jina-secret" in settings.read_text()
    assert stat.S_IMODE(os.stat(settings).st_mode) == 0o600
    reopened = autovec.connect(datadir, autocommit=True)  # type: ignore[arg-type]
    assert reopened.session.secret_variable("tidb_exp_embed_jina_ai_api_key") == "jina-secret"
    reopened.close()


def test_warnings(cur: autovec.Cursor) -> None:
    cur.execute("CREATE TABLE w (a INT)")
    cur.execute("CREATE TABLE IF NOT EXISTS w (a INT)")
    assert rows(cur, "SHOW WARNINGS") == [("Note", 1050, "Table 'test.w' already exists")]


def test_information_schema(docs: autovec.Cursor) -> None:
    assert ("test",) in rows(docs, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA")
    assert rows(
        docs,
        "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'test'",
    ) == [("docs", "BASE TABLE")]
    columns = rows(
        docs,
        "SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, COLUMN_KEY FROM information_schema.COLUMNS "
        "WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION",
        ["test", "docs"],
    )
    assert columns[0] == ("id", "bigint", "bigint(20)", "NO", "PRI")
    assert columns[3] == ("embedding", "vector", "vector(3)", "YES", "")
    stats = rows(
        docs,
        "SELECT INDEX_NAME, COLUMN_NAME, NON_UNIQUE FROM information_schema.STATISTICS WHERE TABLE_NAME = 'docs' ORDER BY INDEX_NAME",
    )
    assert stats == [("PRIMARY", "id", "0"), ("idx_body", "body", "1"), ("uk_title", "title", "0")]


def test_explain(docs: autovec.Cursor) -> None:
    docs.execute(
        "EXPLAIN SELECT id FROM docs ORDER BY VEC_COSINE_DISTANCE(embedding, '[1,2,3]') LIMIT 5"
    )
    assert [d[0] for d in docs.description or ()] == [
        "id",
        "estRows",
        "task",
        "access object",
        "operator info",
    ]
    assert any("exactSearch:COSINE" in r[4] for r in docs.fetchall())
    assert rows(docs, "EXPLAIN SELECT * FROM docs WHERE id = 1")
