"""A top-k search with nothing to return gives no rows, not an error (with or without an index)."""

from __future__ import annotations

import pytest

import autovec
from tests.conftest import rows

SEARCHES = [
    "SELECT id FROM docs ORDER BY VEC_COSINE_DISTANCE(embedding, '[1,0,0]') LIMIT 2",
    "SELECT id FROM docs ORDER BY VEC_L2_DISTANCE('[1,0,0]', embedding) LIMIT 2",
    "SELECT id, VEC_COSINE_DISTANCE(embedding, '[1,0,0]') AS d FROM docs ORDER BY d LIMIT 2",
    "SELECT id FROM docs WHERE category = 99 ORDER BY VEC_COSINE_DISTANCE(embedding, '[1,0,0]') LIMIT 2",
    "WITH near AS (SELECT id FROM docs ORDER BY VEC_COSINE_DISTANCE(embedding, '[1,0,0]') LIMIT 3) "
    "SELECT count(*) FROM near",
]

INDEXES = {
    "no index": "",
    "cosine index": ", VECTOR INDEX idx_emb ((VEC_COSINE_DISTANCE(embedding))) USING HNSW",
    "l2 index": ", VECTOR INDEX idx_emb ((VEC_L2_DISTANCE(embedding)))",
}


@pytest.fixture(params=list(INDEXES))
def docs(request: pytest.FixtureRequest, cur: autovec.Cursor) -> autovec.Cursor:
    cur.execute(
        "CREATE TABLE docs (id INT PRIMARY KEY, body TEXT, category INT, embedding VECTOR(3)"
        + INDEXES[request.param]
        + ")"
    )
    return cur


@pytest.mark.parametrize("sql", SEARCHES)
def test_empty_table(docs: autovec.Cursor, sql: str) -> None:
    expected = [(0,)] if "count(*)" in sql else []
    assert rows(docs, sql) == expected


@pytest.mark.parametrize("sql", SEARCHES)
def test_table_emptied_by_delete(docs: autovec.Cursor, sql: str) -> None:
    docs.execute("INSERT INTO docs VALUES (1, 'a', 1, '[1,0,0]'), (2, 'b', 1, '[0,1,0]')")
    rows(docs, sql)  # the search structures now hold rows...
    docs.execute("DELETE FROM docs")  # ...that are gone
    expected = [(0,)] if "count(*)" in sql else []
    assert rows(docs, sql) == expected


def test_filter_matching_nothing_among_rows(docs: autovec.Cursor) -> None:
    docs.executemany(
        "INSERT INTO docs VALUES (%s, %s, %s, %s)",
        [(i, f"doc {i}", i % 3, [1.0, i, 0.0]) for i in range(50)],
    )
    sql = "SELECT id FROM docs WHERE category = %s ORDER BY VEC_COSINE_DISTANCE(embedding, '[1,0,0]') LIMIT 2"
    assert rows(docs, sql, [7]) == []
    assert rows(docs, sql, [1]) == [(1,), (4,)]


def test_only_null_vectors(docs: autovec.Cursor) -> None:
    docs.execute("INSERT INTO docs VALUES (1, 'a', 1, NULL), (2, 'b', 1, NULL)")
    got = rows(
        docs, "SELECT id FROM docs ORDER BY VEC_COSINE_DISTANCE(embedding, '[1,0,0]'), id LIMIT 2"
    )
    assert got == [(1,), (2,)]  # NULL distances sort first, as in MySQL


def test_readme_vector_index_block(cur: autovec.Cursor) -> None:
    """The README's vector-index example, run as written on a fresh table."""
    cur.execute(
        "CREATE TABLE docs (id INT PRIMARY KEY, body TEXT, category INT, embedding VECTOR(3),"
        " VECTOR INDEX idx_emb ((VEC_COSINE_DISTANCE(embedding))) USING HNSW,"
        " FULLTEXT INDEX ft_body (body) WITH PARSER MULTILINGUAL)"
    )
    assert (
        rows(
            cur,
            "SELECT id FROM docs WHERE category = 3 "
            "ORDER BY VEC_COSINE_DISTANCE(embedding, '[1,0,0]') LIMIT 10",
        )
        == []
    )
    assert (
        rows(
            cur,
            "SELECT id, FTS_MATCH_WORD('衣服', body) AS score FROM docs "
            "WHERE FTS_MATCH_WORD('衣服', body) ORDER BY score DESC LIMIT 10",
        )
        == []
    )
