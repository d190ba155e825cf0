"""Vector search on a real data directory: exact order and distances (numpy), the
post-filter statement's shape and inner LIMIT, distance conditions, metrics, query
forms, column choice, client-side and server-side (EMBED_TEXT) embedding."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlmodel import Field, SQLModel

from autovec.client.fields import DistanceMetric, VectorFieldInfo
from autovec.client.search import Search
from autovec.embeddings import EmbeddingFunction
from autovec.sqlalchemy import VECTOR
from autovec.vector import Vector
from tests.client.test_search_support import ModelTarget, cosine, ddl, l2, make_engine

ROWS: dict[int, list[float]] = {
    1: [1.0, 0.0, 0.0],
    2: [0.0, 1.0, 0.0],
    3: [0.7, 0.7, 0.0],
    4: [0.2, 0.1, 0.9],
    5: [-1.0, 0.2, 0.0],
}
QUERY = [0.9, 0.3, 0.1]


class VecDoc(SQLModel, table=True):
    __tablename__ = "vec_docs"
    id: int | None = Field(default=None, primary_key=True)
    name: str | None = None
    v: Any = Field(default=None, sa_type=VECTOR(3))
    w: Any = Field(default=None, sa_type=VECTOR(2))


@pytest.fixture
def docs(tmp_path: Path) -> Iterator[ModelTarget]:
    engine = make_engine(tmp_path)
    ddl(
        engine,
        "CREATE TABLE vec_docs (id INT PRIMARY KEY, name VARCHAR(20), v VECTOR(3), w VECTOR(2))",
        *[f"INSERT INTO vec_docs VALUES ({i}, 'doc{i}', '{v}', NULL)" for i, v in ROWS.items()],
    )
    yield ModelTarget(VecDoc, engine, vector_fields={"v": VectorFieldInfo("v", 3)})
    engine.dispose()


def expected(metric: Any = cosine, query: list[float] = QUERY) -> list[tuple[int, float]]:
    pairs = [(i, metric(v, query)) for i, v in ROWS.items()]
    return sorted(pairs, key=lambda p: p[1])


def test_nearest_rows_with_exact_cosine_distances_and_scores(docs: ModelTarget) -> None:
    got = Search(docs, QUERY).limit(3).to_list()
    want = expected()[:3]
    assert [r["id"] for r in got] == [i for i, _ in want]
    for row, (_, distance) in zip(got, want, strict=True):
        assert row["_distance"] == pytest.approx(distance, abs=1e-6)
        assert row["_score"] == pytest.approx(1 - distance, abs=1e-6)
        assert isinstance(row["_distance"], float)
    assert list(got[0]) == ["id", "name", "v", "w", "_distance", "_score"]
    assert np.asarray(got[0]["v"]).tolist() == ROWS[got[0]["id"]]


def test_every_query_form_gives_the_same_result(docs: ModelTarget) -> None:
    want = [r["id"] for r in Search(docs, QUERY).limit(4).to_list()]
    for query in (
        tuple(QUERY),
        np.array(QUERY),
        np.array(QUERY, dtype=np.float32),
        Vector(QUERY),
        {"query_vector": QUERY},
    ):
        assert [r["id"] for r in Search(docs, query).limit(4).to_list()] == want
    assert [r["id"] for r in Search(docs).vector(np.array(QUERY)).limit(4).to_list()] == want


def test_the_post_filter_statement_has_pytidbs_shape(docs: ModelTarget) -> None:
    sql = Search(docs, [1, 2, 3]).distance_threshold(0.5).limit(5).compiled_vector_query_sql()
    assert sql is not None
    flat = " ".join(sql.split())
    assert flat == (
        "SELECT candidates.id, candidates.name, candidates.v, candidates.w, candidates._distance, "
        "1 - candidates._distance AS _score FROM (SELECT _inner_hit.id AS id, _inner_hit.name AS "
        "name, _inner_hit.v AS v, _inner_hit.w AS w, VEC_COSINE_DISTANCE(_inner_hit.v, '[1,2,3]') "
        "AS _distance FROM vec_docs AS _inner_hit ORDER BY _distance ASC LIMIT 50) AS candidates "
        "WHERE candidates._distance <= 0.5 ORDER BY candidates._distance ASC LIMIT 5"
    )
    # The statement sent is the same one, with parameters.
    Search(docs, [1, 2, 3]).distance_threshold(0.5).limit(5).to_list()
    sent = " ".join(docs.selects()[-1].split())
    assert re.sub(r"%\(\w+\)s", "?", sent).startswith("SELECT candidates.id")


@pytest.mark.parametrize(
    ("limit", "num_candidate", "inner"),
    [(5, None, 50), (99, None, 990), (100, None, 100), (250, None, 250), (5, 7, 7), (200, 30, 30)],
)
def test_inner_limit(docs: ModelTarget, limit: int, num_candidate: int | None, inner: int) -> None:
    search = Search(docs, QUERY).limit(limit)
    if num_candidate is not None:
        search = search.num_candidate(num_candidate)
    sql = " ".join((search.compiled_vector_query_sql() or "").split())
    assert f"ORDER BY _distance ASC LIMIT {inner}) AS candidates" in sql
    assert sql.endswith(f"ORDER BY candidates._distance ASC LIMIT {limit}")


def test_threshold_range_and_null_vectors(docs: ModelTarget) -> None:
    dist = dict(expected())
    got = Search(docs, QUERY).distance_threshold(0.2).limit(10).to_list()
    assert [r["id"] for r in got] == [i for i, d in expected() if d <= 0.2]

    got = Search(docs, QUERY).distance_range(0.05, 0.9).limit(10).to_list()
    assert [r["id"] for r in got] == [i for i, d in expected() if 0.05 <= d <= 0.9]
    assert all(0.05 <= dist[r["id"]] <= 0.9 for r in got)

    # A NULL vector has a NULL distance, which sorts first (MySQL's order)...
    ddl(docs.db_engine, "INSERT INTO vec_docs VALUES (6, 'doc6', NULL, NULL)")
    got = Search(docs, QUERY).limit(3).to_list()
    assert [r["id"] for r in got] == [6, *[i for i, _ in expected()[:2]]]
    assert got[0]["_distance"] is None and got[0]["_score"] is None
    # ... and not with it.
    ids = [r["id"] for r in Search(docs, QUERY).skip_null_vectors().limit(10).to_list()]
    assert ids == [i for i, _ in expected()]
    sql = " ".join(
        (Search(docs, QUERY).skip_null_vectors().limit(1).compiled_vector_query_sql() or "").split()
    )
    assert "WHERE candidates._distance IS NOT NULL ORDER BY" in sql


def test_a_threshold_of_zero_is_honoured(docs: ModelTarget) -> None:
    # pytidb drops a 0 threshold (`if self._distance_threshold:`); it means "exact matches".
    got = Search(docs, [0.0, 1.0, 0.0]).distance_threshold(0).limit(10).to_list()
    assert [r["id"] for r in got] == [2] and got[0]["_distance"] == pytest.approx(0, abs=1e-7)
    sql = Search(docs, QUERY).distance_threshold(0).limit(1).compiled_vector_query_sql() or ""
    assert "candidates._distance <= 0" in sql
    cleared = Search(docs, QUERY).distance_threshold(0).distance_threshold(None).limit(1)
    assert "WHERE" not in (cleared.compiled_vector_query_sql() or "").split("AS candidates")[1]


def test_l2_metric(docs: ModelTarget) -> None:
    got = Search(docs, QUERY).distance_metric("L2").limit(5).to_list()
    want = expected(l2)
    assert [r["id"] for r in got] == [i for i, _ in want]
    assert [r["_distance"] for r in got] == pytest.approx([d for _, d in want], abs=1e-6)
    assert "VEC_L2_DISTANCE(_inner_hit.v" in (
        Search(docs, QUERY).distance_metric(DistanceMetric.L2).limit(1).compiled_vector_query_sql()
        or ""
    )


def test_the_columns_metric_is_the_default(docs: ModelTarget) -> None:
    docs.vector_fields = {"v": VectorFieldInfo("v", 3, DistanceMetric.L2)}
    sql = Search(docs, QUERY).limit(1).compiled_vector_query_sql() or ""
    assert "VEC_L2_DISTANCE" in sql
    sql = Search(docs, QUERY).distance_metric("cosine").limit(1).compiled_vector_query_sql() or ""
    assert "VEC_COSINE_DISTANCE" in sql


def test_choosing_among_vector_columns(docs: ModelTarget) -> None:
    docs.vector_fields = {"v": VectorFieldInfo("v", 3), "w": VectorFieldInfo("w", 2)}
    with pytest.raises(ValueError, match=r"more than one vector column .* \.vector_column\(\)"):
        Search(docs, QUERY).limit(1).to_list()
    assert len(Search(docs, QUERY).vector_column("v").limit(2).to_list()) == 2
    sql = Search(docs, [1, 2]).vector_column("w").limit(1).compiled_vector_query_sql() or ""
    assert "VEC_COSINE_DISTANCE(_inner_hit.w, '[1,2]')" in sql

    docs.vector_fields = {}
    with pytest.raises(ValueError, match="no vector column found"):
        Search(docs, QUERY).limit(1).to_list()


def test_impossible_queries(docs: ModelTarget) -> None:
    with pytest.raises(ValueError, match="the query vector has 2 dimensions, but column 'v' has 3"):
        Search(docs, [1, 2]).limit(1).to_list()
    with pytest.raises(ValueError, match="query is required for vector search"):
        Search(docs).limit(1).to_list()
    with pytest.raises(ValueError, match="didn't configure the embed_fn"):
        Search(docs, "some text").limit(1).to_list()
    assert docs.sessions == 0


# --- embedding the query ---------------------------------------------------------------

MODEL = "huggingface/sentence-transformers/all-MiniLM-L6-v2"
TEXTS = {
    1: "A cat sleeps on the warm windowsill",
    2: "Stock markets fell sharply on Monday",
    3: "The kitten naps in the sunshine",
    4: "A recipe for tomato soup",
}


class AutoDoc(SQLModel, table=True):
    __tablename__ = "auto_docs"
    id: int | None = Field(default=None, primary_key=True)
    content: str | None = None
    embedding: Any = Field(default=None, sa_type=VECTOR(384))


@pytest.fixture
def auto(tmp_path: Path) -> Iterator[ModelTarget]:
    engine = make_engine(tmp_path)
    ddl(
        engine,
        "CREATE TABLE auto_docs (id INT PRIMARY KEY, content TEXT, embedding VECTOR(384) "
        f"GENERATED ALWAYS AS (EMBED_TEXT('{MODEL}', content)) STORED)",
        *[f"INSERT INTO auto_docs (id, content) VALUES ({i}, '{t}')" for i, t in TEXTS.items()],
    )
    yield ModelTarget(AutoDoc, engine)
    engine.dispose()


@pytest.mark.slow
def test_server_side_text_query_uses_vec_embed_distance(auto: ModelTarget) -> None:
    fn = EmbeddingFunction(MODEL)
    auto.vector_fields = {
        "embedding": VectorFieldInfo(
            "embedding", 384, embed_fn=fn, source_field="content", server_side=True
        )
    }
    search = Search(auto, "a sleepy cat").limit(2)
    sql = " ".join((search.compiled_vector_query_sql() or "").split())
    assert "VEC_EMBED_COSINE_DISTANCE(_inner_hit.embedding, 'a sleepy cat') AS _distance" in sql
    got = search.to_list()
    assert [r["id"] for r in got] == [1, 3]
    # The database embedded the text with the column's model: the same distances as
    # embedding it here.
    q = fn.embed_query("a sleepy cat")
    stored = {r["id"]: np.asarray(r["embedding"]) for r in got}
    for row in got:
        assert row["_distance"] == pytest.approx(cosine(stored[row["id"]], q), abs=1e-5)
    assert "VEC_EMBED_COSINE_DISTANCE" in auto.selects()[-1]

    # A vector given by the caller is used as is, server-side column or not.
    by_vector = Search(auto, {"query": "ignored here", "query_vector": q}).limit(2)
    assert "VEC_COSINE_DISTANCE(_inner_hit.embedding, '[" in (
        by_vector.compiled_vector_query_sql() or ""
    )
    assert [r["id"] for r in by_vector.to_list()] == [1, 3]
    with pytest.raises(ValueError, match="embeds text queries only"):
        Search(auto, Path("cat.png")).limit(1).to_list()


@pytest.mark.slow
def test_client_side_text_query_is_embedded_with_the_fields_function(auto: ModelTarget) -> None:
    fn = EmbeddingFunction(MODEL, use_server=False)
    auto.vector_fields = {
        "embedding": VectorFieldInfo("embedding", 384, embed_fn=fn, source_field="content")
    }
    search = Search(auto, "a sleepy cat").limit(2)
    sql = search.compiled_vector_query_sql() or ""
    assert "VEC_COSINE_DISTANCE(_inner_hit.embedding, '[" in sql and "sleepy" not in sql
    got = search.to_list()
    assert [r["id"] for r in got] == [1, 3]
    q = fn.embed_query("a sleepy cat")
    for row in got:
        assert row["_distance"] == pytest.approx(cosine(np.asarray(row["embedding"]), q), abs=1e-5)
