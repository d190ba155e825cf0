"""Full-text search: FTS_MATCH_WORD('q', col) first, ``_match_score`` = ``_score`` = the
engine's BM25, best first; the statement's shape; column choice and errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Field, SQLModel

from autovec.client.fields import FullTextFieldInfo
from autovec.client.search import Search
from tests.client.test_search_support import ModelTarget, ddl, make_engine

FRUIT = {
    1: ("apple banana", "red"),
    2: ("Apple apple cherry", "green"),
    3: ("banana cherry date", "yellow"),
    4: ("date elderberry fig", "purple"),
    5: ("fig grape", "green"),
    6: ("grape honeydew kiwi lemon", "yellow"),
}


class Fruit(SQLModel, table=True):
    __tablename__ = "fts_fruit"
    id: int | None = Field(default=None, primary_key=True)
    body: str | None = None
    note: str | None = None


@pytest.fixture
def fruit(tmp_path: Path) -> Iterator[ModelTarget]:
    engine = make_engine(tmp_path)
    ddl(
        engine,
        "CREATE TABLE fts_fruit (id INT PRIMARY KEY, body TEXT, note TEXT, "
        "FULLTEXT INDEX fts_idx_body (body) WITH PARSER STANDARD, "
        "FULLTEXT INDEX fts_idx_note (note) WITH PARSER STANDARD)",
        *[f"INSERT INTO fts_fruit VALUES ({i}, '{b}', '{n}')" for i, (b, n) in FRUIT.items()],
    )
    yield ModelTarget(Fruit, engine, text_fields={"body": FullTextFieldInfo("body")})
    engine.dispose()


def engine_scores(target: ModelTarget, query: str, column: str = "body") -> list[tuple[Any, ...]]:
    """The engine's own FTS_MATCH_WORD scores, best first (ties by id)."""
    with target.db_engine.connect() as conn:
        rows = conn.exec_driver_sql(
            f"SELECT id, FTS_MATCH_WORD('{query}', {column}) AS s FROM fts_fruit "
            f"WHERE FTS_MATCH_WORD('{query}', {column})"
        ).all()
    return sorted((tuple(r) for r in rows), key=lambda r: (-r[1], r[0]))


def test_rows_ranked_by_match_score(fruit: ModelTarget) -> None:
    got = Search(fruit, "apple cherry", search_type="fulltext").limit(10).to_list()
    want = engine_scores(fruit, "apple cherry")
    assert [r["id"] for r in got] == [i for i, _ in want] and got[0]["id"] == 2
    for row, (_, score) in zip(got, want, strict=True):
        assert row["_match_score"] == pytest.approx(score) and row["_score"] == row["_match_score"]
        assert row["_match_score"] > 0
    assert list(got[0]) == ["id", "body", "note", "_match_score", "_score"]
    assert len(Search(fruit, "apple cherry", search_type="fulltext").limit(2).to_list()) == 2
    assert Search(fruit, "nothing", search_type="fulltext").limit(5).to_list() == []


def test_statement_shape(fruit: ModelTarget) -> None:
    search = Search(fruit, "apple", search_type="fulltext").limit(3)
    assert search.compiled_vector_query_sql() is None
    sql = " ".join((search.compiled_fulltext_query_sql() or "").split())
    assert sql == (
        "SELECT _hit.id, _hit.body, _hit.note, FTS_MATCH_WORD('apple', _hit.body) AS _match_score, "
        "FTS_MATCH_WORD('apple', _hit.body) AS _score FROM fts_fruit AS _hit "
        "WHERE FTS_MATCH_WORD('apple', _hit.body) ORDER BY _match_score DESC LIMIT 3"
    )
    quoted = Search(fruit, "it's", search_type="fulltext").limit(1).compiled_fulltext_query_sql()
    assert "FTS_MATCH_WORD('it''s', _hit.body)" in (quoted or "")


def test_text_given_separately(fruit: ModelTarget) -> None:
    got = Search(fruit, search_type="fulltext").text("grape").limit(5).to_list()
    assert sorted(r["id"] for r in got) == [5, 6]


def test_choosing_the_text_column(fruit: ModelTarget) -> None:
    fruit.text_fields = {"body": FullTextFieldInfo("body"), "note": FullTextFieldInfo("note")}
    with pytest.raises(ValueError, match=r"more than one full-text column .* \.text_column\(\)"):
        Search(fruit, "green", search_type="fulltext").limit(3).to_list()
    got = Search(fruit, "green", search_type="fulltext").text_column("note").limit(5).to_list()
    assert [r["id"] for r in got] == [i for i, _ in engine_scores(fruit, "green", "note")]
    assert sorted(r["id"] for r in got) == [2, 5]


def test_impossible_fulltext_searches(fruit: ModelTarget) -> None:
    with pytest.raises(ValueError, match="query string is required for fulltext search"):
        Search(fruit, search_type="fulltext").limit(1).to_list()
    with pytest.raises(ValueError, match="fulltext search needs a text query, got list"):
        Search(fruit, {"query": [1, 2]}, search_type="fulltext").limit(1).to_list()
    fruit.text_fields = {}
    with pytest.raises(ValueError, match="no full-text column found"):
        Search(fruit, "apple", search_type="fulltext").limit(1).to_list()
    assert fruit.sessions == 0
