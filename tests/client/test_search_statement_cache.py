"""Search SELECTs built once per shape: every query of a shape runs the same cached
statement with its own value, and the results are each query's own; anything that
shapes the SQL (filters, limits, metric, conditions) gets a statement of its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from autovec.client.fields import FullTextFieldInfo, VectorFieldInfo
from autovec.client.search import Search
from autovec.client.search.statement import StatementCache, filter_key, statements
from autovec.sqlalchemy import VECTOR
from tests.client.test_search_support import ModelTarget, cosine, ddl, make_engine

ROWS: dict[int, tuple[str, int, list[float]]] = {
    1: ("red apple", 1, [1.0, 0.0, 0.0]),
    2: ("green apple", 0, [0.0, 1.0, 0.0]),
    3: ("red pear", 1, [0.7, 0.7, 0.0]),
    4: ("blue plum", 0, [0.2, 0.1, 0.9]),
    5: ("yellow pear", 1, [-1.0, 0.2, 0.0]),
}


class CachedDoc(SQLModel, table=True):
    __tablename__ = "cached_docs"
    id: int | None = Field(default=None, primary_key=True)
    name: str | None = None
    flag: int | None = None
    v: Any = Field(default=None, sa_type=VECTOR(3))


@pytest.fixture
def docs(tmp_path: Path) -> Iterator[ModelTarget]:
    engine = make_engine(tmp_path)
    ddl(
        engine,
        "CREATE TABLE cached_docs (id INT PRIMARY KEY, name TEXT, flag INT, v VECTOR(3),"
        " FULLTEXT INDEX (name) WITH PARSER standard)",
        *[
            f"INSERT INTO cached_docs VALUES ({i}, '{name}', {flag}, '{v}')"
            for i, (name, flag, v) in ROWS.items()
        ],
    )
    yield ModelTarget(
        CachedDoc,
        engine,
        vector_fields={"v": VectorFieldInfo("v", 3)},
        text_fields={"name": FullTextFieldInfo("name")},
    )
    engine.dispose()


def nearest(query: list[float], ids: set[int] | None = None) -> list[int]:
    pairs = [(cosine(v, query), i) for i, (_, _, v) in ROWS.items() if ids is None or i in ids]
    return [i for _, i in sorted(pairs)]


def ids(rows: list[Any]) -> list[int]:
    return [row["id"] for row in rows]


def test_queries_of_one_shape_share_a_statement_and_get_their_own_results(
    docs: ModelTarget,
) -> None:
    queries = [[1.0, 0.1, 0.0], [0.0, 0.2, 1.0], [-1.0, 0.0, 0.1], [0.5, 0.5, 0.1]]
    Search(docs, queries[0]).limit(3).to_list()
    cached = len(statements)
    for query in queries:
        assert ids(Search(docs, query).limit(3).to_list()) == nearest(query)[:3]
    assert len(statements) == cached
    # Two consecutive searches compile to the text of their own query.
    first = Search(docs, [1, 2, 3]).limit(3).compiled_vector_query_sql() or ""
    second = Search(docs, [3, 2, 1]).limit(3).compiled_vector_query_sql() or ""
    assert "'[1,2,3]'" in first and "'[3,2,1]'" in second


def test_what_shapes_the_sql_gets_its_own_statement(docs: ModelTarget) -> None:
    query = [0.9, 0.3, 0.1]
    base = Search(docs, query)
    assert ids(base.limit(2).to_list()) == nearest(query)[:2]
    assert ids(base.limit(4).to_list()) == nearest(query)[:4]
    assert ids(base.limit(4).filter({"flag": 1}).to_list()) == nearest(query, {1, 3, 5})
    assert ids(base.limit(4).filter({"flag": 0}).to_list()) == nearest(query, {2, 4})
    assert ids(base.limit(4).filter("flag = 0").to_list()) == nearest(query, {2, 4})
    assert ids(base.limit(4).filter({"flag": 1}, prefilter=True).to_list()) == nearest(
        query, {1, 3, 5}
    )
    within = base.limit(4).distance_threshold(0.1).to_list()
    assert ids(within) == [i for i in nearest(query) if cosine(ROWS[i][2], query) <= 0.1]
    l2 = base.limit(4).distance_metric("L2").compiled_vector_query_sql() or ""
    assert "VEC_L2_DISTANCE" in l2


def test_filter_values_of_equal_python_value_but_different_type_are_apart(
    docs: ModelTarget,
) -> None:
    query = [0.9, 0.3, 0.1]
    by_int = Search(docs, query).limit(5).filter({"name": {"$in": [1]}}).to_list()
    by_text = Search(docs, query).limit(5).filter({"name": {"$in": ["red pear"]}}).to_list()
    assert by_int == [] and ids(by_text) == [3]
    assert filter_key({"a": 1}) != filter_key({"a": True}) != filter_key({"a": 1.0})
    assert filter_key({"a": 1, "b": [1, 2]}) == filter_key({"b": [1, 2], "a": 1})


def test_expression_filters_are_built_each_time(docs: ModelTarget) -> None:
    query = [0.9, 0.3, 0.1]
    Search(docs, query).limit(5).filter(sa.column("flag") == 1).to_list()
    cached = len(statements)
    for flag, want in ((1, {1, 3, 5}), (0, {2, 4})):
        rows = Search(docs, query).limit(5).filter(sa.column("flag") == flag).to_list()
        assert ids(rows) == nearest(query, want)
    assert len(statements) == cached


def test_fulltext_queries_share_a_statement(docs: ModelTarget) -> None:
    Search(docs, "apple", search_type="fulltext").limit(5).to_list()
    cached = len(statements)
    apples = Search(docs, "apple", search_type="fulltext").limit(5).to_list()
    pears = Search(docs, "pear", search_type="fulltext").limit(5).to_list()
    assert sorted(ids(apples)) == [1, 2] and sorted(ids(pears)) == [3, 5]
    assert len(statements) == cached


def test_the_cache_keeps_the_most_recently_used() -> None:
    cache = StatementCache(size=2)
    built: list[str] = []

    def build(name: str) -> Any:
        def make() -> Any:
            built.append(name)
            return sa.select(sa.literal(name))

        return make

    for key in ("a", "b", "a", "c", "a", "b"):
        cache.get((key,), build(key))
    assert built == ["a", "b", "c", "b"] and len(cache) == 2
