"""SELECTs with literal query vectors and ids share a plan per shape (sql/literal_select.py).

Each query runs as written (the shaped plan) and after a comment (which keeps it from
being shaped, so it is parsed and translated as written): rows, column names, types,
warnings and errors must be the same.
"""

from __future__ import annotations

import random
import re
from typing import Any

import pytest

import autovec
from autovec.sql import literal_select
from autovec.sql import session as session_module

DIMS = 8


def vector(rng: random.Random) -> str:
    return "[" + ",".join(f"{rng.uniform(-1, 1):.4f}" for _ in range(DIMS)) + "]"


@pytest.fixture
def docs(cur: autovec.Cursor) -> autovec.Cursor:
    cur.execute(
        f"CREATE TABLE docs (id INT PRIMARY KEY, name VARCHAR(20), code VARCHAR(10),"
        f" v VECTOR({DIMS}), w VECTOR({DIMS}))"
    )
    rng = random.Random(1)
    cur.executemany(
        "INSERT INTO docs VALUES (%s, %s, %s, %s, %s)",
        [(n, f"doc {n}", str(n), vector(rng), vector(rng)) for n in range(300)],
    )
    cur.execute("ALTER TABLE docs ADD VECTOR INDEX iv ((VEC_COSINE_DISTANCE(v)))")
    return cur


def outcome(cur: autovec.Cursor, sql: str) -> tuple[Any, ...]:
    try:
        cur.execute(sql)
    except autovec.Error as exc:
        return ("error", type(exc).__name__, *exc.args)
    names = [d[0] for d in cur.description or ()]
    types = [d[1] for d in cur.description or ()]
    found = cur.fetchall()
    cur.execute("SHOW WARNINGS")
    return names, types, [tuple(repr(v) for v in row) for row in found], cur.fetchall()


def compare(cur: autovec.Cursor, sql: str) -> tuple[Any, ...]:
    """The outcome as written and as parsed afresh, which must be equal."""
    as_written = outcome(cur, sql)
    parsed = outcome(cur, re.sub("SELECT", "SELECT /* parsed */", sql, count=1))
    assert as_written == parsed
    return as_written


# Each query, and whether it is shaped (else it is planned as written, as before).
QUERIES = [
    ("SELECT id FROM docs ORDER BY VEC_COSINE_DISTANCE(v, '{q}') LIMIT 10", True),
    ("SELECT id, VEC_COSINE_DISTANCE(v, '{q}') AS d FROM docs ORDER BY d LIMIT 5", True),
    ("SELECT id, VEC_COSINE_DISTANCE('{q}', v) d FROM docs ORDER BY d LIMIT 3", True),
    ("SELECT id FROM docs ORDER BY VEC_L2_DISTANCE(v, '{q}') LIMIT 4", True),  # not iv's metric
    ("SELECT id FROM docs ORDER BY VEC_L1_DISTANCE(w, '{q}'), id LIMIT 4", True),  # no index
    ("SELECT id FROM docs ORDER BY VEC_NEGATIVE_INNER_PRODUCT(v, '{q}') LIMIT 4 OFFSET 2", True),
    (
        "SELECT id, name FROM docs WHERE id < 100 ORDER BY VEC_COSINE_DISTANCE(v, '{q}') LIMIT 5",
        True,
    ),
    ("SELECT id FROM docs WHERE id = {n}", True),
    ("SELECT id, name FROM docs WHERE id = {n} AND name = 'doc {n}'", True),
    ("SELECT * FROM docs WHERE (id = {n} OR id = 7) ORDER BY id", True),
    ("SELECT id FROM docs WHERE id = {n} ORDER BY VEC_COSINE_DISTANCE(v, '{q}') LIMIT 3", True),
    ("SELECT COUNT(*) FROM docs WHERE id = {n}", True),
    ("SELECT id, VEC_COSINE_DISTANCE(v, '{q}') + 1 AS d FROM docs ORDER BY d LIMIT 2", True),
    ("SELECT id FROM docs d WHERE d.id = {n};", True),
    ("SELECT id FROM docs WHERE id = {n} LIMIT 1", True),
    ("SELECT VEC_COSINE_DISTANCE(v, '{q}') FROM docs WHERE id = {n}", False),  # named by text
    ("SELECT 'WHERE id = {n}' AS s, id FROM docs WHERE code = '{n}'", False),
    ("SELECT id FROM docs WHERE code = {n}", False),  # a string column
    ("SELECT id FROM docs WHERE id = {n} + 1", False),  # arithmetic
    ("SELECT id FROM docs WHERE id IN (SELECT id FROM docs WHERE id = {n})", False),
]


@pytest.mark.parametrize(("template", "shaped"), QUERIES)
def test_shaped_queries_answer_as_written(
    conn: autovec.Connection, docs: autovec.Cursor, template: str, shaped: bool
) -> None:
    rng = random.Random(template)
    for _ in range(3):  # the first plans the shape, the later ones reuse it
        sql = template.format(q=vector(rng), n=rng.randint(0, 299))
        compare(docs, sql)
        assert (literal_select.shaped_plan(conn.session, sql)[0] is not None) == shaped


def test_a_shape_is_planned_once(docs: autovec.Cursor, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(2)
    docs.execute(f"SELECT id FROM docs ORDER BY VEC_COSINE_DISTANCE(v, '{vector(rng)}') LIMIT 5")
    docs.execute("SELECT name FROM docs WHERE id = 1")

    def no_parse(sql: str) -> Any:
        raise AssertionError(f"parsed: {sql[:60]}")

    monkeypatch.setattr(session_module, "parse", no_parse)
    monkeypatch.setattr(literal_select, "parse", no_parse)
    for n in range(20):
        query = vector(rng)
        docs.execute(f"SELECT id FROM docs ORDER BY VEC_COSINE_DISTANCE(v, '{query}') LIMIT 5")
        assert len(docs.fetchall()) == 5
        docs.execute(f"SELECT name FROM docs WHERE id = {n}")
        assert docs.fetchall() == [(f"doc {n}",)]


@pytest.mark.parametrize(
    "query",
    ["[1,2]", "abc", "[1,2,3,4,5,6,7,8,9]", "[]", "[1,2,3,4,5,6,7,nan]", "[1,2,3,4,5,6,7,1e39]"],
)
def test_bad_query_vectors_fail_as_written(docs: autovec.Cursor, query: str) -> None:
    for template, _shaped in QUERIES[:3]:
        for _ in range(2):
            found = compare(docs, template.format(q=query))
            assert found[0] == "error"


def test_shapes_follow_schema_changes(docs: autovec.Cursor) -> None:
    assert compare(docs, "SELECT name FROM docs WHERE id = 5")[2] == [("'doc 5'",)]
    docs.execute("ALTER TABLE docs ADD COLUMN extra INT")
    docs.execute("UPDATE docs SET extra = id * 2")
    assert compare(docs, "SELECT * FROM docs WHERE id = 6")[0][-1] == "extra"
    assert compare(docs, "SELECT extra FROM docs WHERE id = 7")[2] == [("14",)]
    docs.execute("DROP TABLE docs")
    assert compare(docs, "SELECT name FROM docs WHERE id = 5")[0] == "error"


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT id FROM docs WHERE id = ?",
        "SELECT id FROM docs WHERE id = 1 -- comment",
        "SELECT id FROM docs WHERE id = 1 # comment",
        "SELECT @a := 1 FROM docs WHERE id = 1",
        "SELECT id FROM docs WHERE id = 99999999999999999999",
        "SELECT id FROM docs WHERE id = -1",
        "SELECT id FROM docs WHERE id = 1.5",
        "SELECT 'VEC_COSINE_DISTANCE(v, ''[1]'')' FROM docs",
        "SELECT id FROM docs ORDER BY VEC_COSINE_DISTANCE(v, CONCAT('[1', ']')) LIMIT 1",
        "SELECT id FROM docs ORDER BY VEC_EMBED_COSINE_DISTANCE(v, 'text') LIMIT 1",
        "UPDATE docs SET name = 'x' WHERE id = 1",
        "SELECT id FROM docs LIMIT 10",
    ],
)
def test_other_statements_are_not_shaped(sql: str) -> None:
    assert literal_select.shape(sql) is None


def test_shape_takes_only_its_positions() -> None:
    found = literal_select.shape(
        "SELECT id, 'x' AS s FROM docs WHERE id = 12 AND code = '3'"
        " ORDER BY VEC_COSINE_DISTANCE(v, '[1,2]') LIMIT 10"
    )
    assert found is not None
    text, values, kinds = found
    assert text == (
        "SELECT id, 'x' AS s FROM docs WHERE id = :__l0 AND code = '3'"
        " ORDER BY VEC_COSINE_DISTANCE(v, :__l1) LIMIT 10"
    )
    assert values == {"__l0": 12, "__l1": "[1,2]"} and kinds == ["integer", "vector"]


def test_through_the_in_process_api_with_bound_and_literal_mixed(docs: autovec.Cursor) -> None:
    rng = random.Random(9)
    query = vector(rng)
    docs.execute("SELECT id FROM docs ORDER BY VEC_COSINE_DISTANCE(v, %s) LIMIT 10", (query,))
    bound = docs.fetchall()
    docs.execute(f"SELECT id FROM docs ORDER BY VEC_COSINE_DISTANCE(v, '{query}') LIMIT 10")
    assert docs.fetchall() == bound
