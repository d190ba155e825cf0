"""TiDB's own statements: which node the TiDB parser reads from each text (parser.py, tidb_nodes.py)."""

from __future__ import annotations

import pytest
from sqlglot import exp

from autovec.sql.parser import parse
from autovec.sql.tidb_nodes import (
    AddVectorIndex,
    CreateFulltextIndex,
    CreateVectorIndex,
    IgnoredStatement,
    MultiSchemaVectorIndex,
)


def _one(sql: str) -> exp.Expression:
    trees = parse(sql)
    assert len(trees) == 1
    return trees[0]


def test_create_vector_index_reads_every_part() -> None:
    node = _one(
        "CREATE VECTOR INDEX IF NOT EXISTS `iv` ON db.t ((VEC_COSINE_DISTANCE(v)))"
        " USING HNSW COMMENT 'hnsw(m=8)' VISIBLE"
    )
    assert isinstance(node, CreateVectorIndex)
    assert node.this.name == "t" and node.this.db == "db"
    assert node.args["name"].name == "iv" and node.args["exists"] is True
    distance = node.expression.unnest()
    assert isinstance(distance, exp.Anonymous) and distance.name.upper() == "VEC_COSINE_DISTANCE"
    assert node.args["using"].name == "HNSW" and node.args["comment"].name == "hnsw(m=8)"
    assert node.args.get("visible") is None and node.args.get("unreadable") is None


def test_create_vector_key_with_type_and_invisible() -> None:
    node = _one("create vector key i on t ((VEC_L2_DISTANCE(v))) TYPE HNSW INVISIBLE;")
    assert isinstance(node, CreateVectorIndex) and node.args["visible"] is False


def test_add_vector_index_with_and_without_a_name() -> None:
    named = _one("ALTER TABLE t ADD VECTOR INDEX IF NOT EXISTS i ((VEC_L2_DISTANCE(v)))")
    assert isinstance(named, AddVectorIndex) and named.args["name"].name == "i"
    assert named.args["exists"] is True
    unnamed = _one("ALTER TABLE t ADD VECTOR KEY ((VEC_COSINE_DISTANCE(v))) USING HNSW")
    assert isinstance(unnamed, AddVectorIndex) and unnamed.args.get("name") is None


def test_options_that_are_not_tidb_s_keep_the_whole_tail_to_refuse_when_run() -> None:
    node = _one("CREATE VECTOR INDEX i ON t ((VEC_L2_DISTANCE(v))) USING HNSW FOO BAR")
    assert node.args["unreadable"].name == "USING HNSW FOO BAR"
    btree = _one("ALTER TABLE t ADD VECTOR INDEX i ((VEC_L2_DISTANCE(v))) USING BTREE")
    assert btree.args["unreadable"].name == "USING BTREE"


def test_a_vector_index_with_other_changes_is_marked() -> None:
    after = _one("ALTER TABLE t ADD VECTOR INDEX i ((VEC_L2_DISTANCE(v))), ADD COLUMN y INT")
    assert isinstance(after, AddVectorIndex) and after.args["more_changes"] is True
    before = _one("ALTER TABLE t ADD COLUMN x INT, ADD VECTOR KEY i ((VEC_L2_DISTANCE(v)))")
    assert isinstance(before, MultiSchemaVectorIndex) and before.this.name == "t"


def test_create_fulltext_index_reads_columns_and_parser() -> None:
    node = _one("CREATE FULLTEXT KEY f ON t (`a`, b) WITH PARSER ngram(2) COMMENT 'x'")
    assert isinstance(node, CreateFulltextIndex)
    assert [c.name for c in node.expressions] == ["a", "b"]
    assert node.args["parser"].name == "ngram" and node.args["comment"].name == "x"


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE VECTOR INDEX ON t ((VEC_L2_DISTANCE(v)))",  # no name
        "CREATE VECTOR INDEX i ON t (VEC_L2_DISTANCE(v))",  # the expression not in parentheses
        "ALTER TABLE t ADD INDEX i (c)",
        "CREATE INDEX i ON t (c)",
    ],
)
def test_other_forms_are_left_to_sqlglot(sql: str) -> None:
    node = _one(sql)
    assert not isinstance(node, CreateVectorIndex | AddVectorIndex | CreateFulltextIndex)


@pytest.mark.parametrize(
    ("sql", "words"),
    [
        ("FLUSH PRIVILEGES", "FLUSH"),
        ("CREATE USER 'u'@'%' IDENTIFIED BY 'p'", "CREATE USER"),
        ("DROP USER u", "DROP USER"),
        ("GRANT ALL ON *.* TO 'u'@'%'", "GRANT"),
        ("REVOKE ALL ON *.* FROM 'u'@'%'", "REVOKE"),
        ("LOCK TABLES t WRITE", "LOCK TABLES"),
        ("unlock tables", "UNLOCK TABLES"),
        ("ANALYZE TABLE t", "ANALYZE"),
        ("OPTIMIZE TABLE t", "OPTIMIZE"),
    ],
)
def test_statements_accepted_and_ignored(sql: str, words: str) -> None:
    node = _one(sql)
    assert isinstance(node, IgnoredStatement) and node.name == words


def test_ignored_words_inside_another_statement_stay_sqlglot_s() -> None:
    assert isinstance(_one("EXPLAIN ANALYZE SELECT 1"), exp.Describe)
    assert isinstance(_one("DROP TABLE user"), exp.Drop)


@pytest.mark.parametrize(
    "sql",
    [
        "REPLACE INTO t VALUES (1)",
        "replace t (a) VALUES (1), (2)",
        "REPLACE INTO t SET a = 1",
        "REPLACE INTO t SELECT a FROM s",
        "/* why */ REPLACE INTO t VALUES (1)",
    ],
)
def test_replace_is_an_insert_that_replaces(sql: str) -> None:
    node = _one(sql)
    assert isinstance(node, exp.Insert) and node.args["replace"] is True
    assert node.this.find(exp.Table).name == "t"


def test_replace_the_function_stays_a_function() -> None:
    node = _one("SELECT REPLACE('a', 'b', 'c')")
    assert isinstance(node, exp.Select) and node.args.get("replace") is None
