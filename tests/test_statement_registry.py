"""The statement registry: each kind of statement finds the handler its module registered."""

from __future__ import annotations

import pytest
from sqlglot import exp

from autovec import errors
from autovec.sql import ddl, dml, query, show
from autovec.sql.parser import parse
from autovec.sql.session import Session
from autovec.sql.statements import handler_for


@pytest.mark.parametrize(
    ("sql", "handler"),
    [
        ("SELECT 1", query.execute_select),
        ("SELECT 1 UNION SELECT 2", query.execute_select),  # a subclass of SetOperation
        ("INSERT INTO t VALUES (1)", dml.execute_insert),
        ("UPDATE t SET a = 1", dml.execute_update),
        ("DELETE FROM t", dml.execute_delete),
        ("CREATE TABLE t (a INT)", ddl.execute_create),
        ("DROP TABLE t", ddl.execute_drop),
        ("SHOW TABLES", show.execute_show),
    ],
)
def test_statements_find_their_module_handler(sql: str, handler: object) -> None:
    assert Session  # importing session.py fills the registry
    assert handler_for(parse(sql)[0]) is handler


def test_a_statement_no_module_owns_is_not_supported() -> None:
    with pytest.raises(errors.NotSupportedError):
        handler_for(exp.Literal.number(1))  # a bare literal is no statement


@pytest.mark.parametrize(
    "sql",
    [
        "SAVEPOINT a",
        "RELEASE SAVEPOINT a",
        "ROLLBACK TO SAVEPOINT a",
        "RENAME TABLE a TO b",
        "CREATE VECTOR INDEX i ON t ((VEC_COSINE_DISTANCE(v)))",
        "ALTER TABLE t ADD VECTOR INDEX i ((VEC_COSINE_DISTANCE(v)))",
        "ALTER TABLE t ADD COLUMN c INT, ADD VECTOR INDEX i ((VEC_COSINE_DISTANCE(v)))",
        "CREATE FULLTEXT INDEX f ON t (c)",
        "FLUSH PRIVILEGES",
        "ANALYZE TABLE t",
    ],
)
def test_tidb_statements_parse_to_nodes_with_handlers(sql: str) -> None:
    assert Session  # importing session.py fills the registry
    assert handler_for(parse(sql)[0]) is not None
