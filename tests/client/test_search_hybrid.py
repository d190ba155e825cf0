"""Hybrid search: both statements run, rows merged on the primary key (or _tidb_rowid),
fused by RRF or by weights, checked against the formulas computed here by hand."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Field, SQLModel

from autovec.client.fields import DistanceMetric, FullTextFieldInfo, VectorFieldInfo
from autovec.client.search import Search
from autovec.sqlalchemy import VECTOR
from tests.client.test_search_support import ModelTarget, cosine, ddl, l2, make_engine

ROWS = {
    1: ("red apple pie", [1.0, 0.0]),
    2: ("green apple", [0.9, 0.4]),
    3: ("banana bread", [0.8, 0.6]),
    4: ("apple apple cider", [0.0, 1.0]),
    5: ("plum jam", [0.95, 0.1]),
    6: ("apple", [-1.0, 0.2]),
}
QUERY = [1.0, 0.05]
TEXT = "apple"


class HybridDoc(SQLModel, table=True):
    __tablename__ = "hybrid_docs"
    id: int | None = Field(default=None, primary_key=True)
    body: str | None = None
    v: Any = Field(default=None, sa_type=VECTOR(2))


def _create(engine: Any, primary_key: bool) -> None:
    key = "PRIMARY KEY" if primary_key else ""
    ddl(
        engine,
        f"CREATE TABLE hybrid_docs (id INT {key}, body TEXT, v VECTOR(2), "
        "FULLTEXT INDEX fts_idx_body (body) WITH PARSER STANDARD)",
        *[f"INSERT INTO hybrid_docs VALUES ({i}, '{b}', '{v}')" for i, (b, v) in ROWS.items()],
    )


@pytest.fixture
def docs(tmp_path: Path) -> Iterator[ModelTarget]:
    engine = make_engine(tmp_path)
    _create(engine, primary_key=True)
    yield ModelTarget(
        HybridDoc,
        engine,
        vector_fields={"v": VectorFieldInfo("v", 2)},
        text_fields={"body": FullTextFieldInfo("body")},
    )
    engine.dispose()


def vector_ranking(limit: int, metric: Any = cosine) -> list[tuple[int, float]]:
    return sorted(((i, metric(v, QUERY)) for i, (_, v) in ROWS.items()), key=lambda p: p[1])[:limit]


def text_ranking(target: ModelTarget, limit: int) -> list[tuple[int, float]]:
    with target.db_engine.connect() as conn:
        rows = conn.exec_driver_sql(
            f"SELECT id, FTS_MATCH_WORD('{TEXT}', body) FROM hybrid_docs "
            f"WHERE FTS_MATCH_WORD('{TEXT}', body)"
        ).all()
    return sorted(((r[0], r[1]) for r in rows), key=lambda r: (-r[1], r[0]))[:limit]


def rrf(target: ModelTarget, limit: int, k: float) -> dict[int, float]:
    scores: dict[int, float] = {}
    for ranking in (vector_ranking(limit), text_ranking(target, limit)):
        for rank, (i, _) in enumerate(ranking, start=1):
            scores[i] = scores.get(i, 0.0) + 1 / (k + rank)
    return scores


def best(scores: dict[int, float], limit: int) -> list[tuple[int, float]]:
    # Python's sort is stable and rows are merged vector-first: ties keep that order.
    return sorted(scores.items(), key=lambda p: -p[1])[:limit]


def hybrid(target: ModelTarget, limit: int) -> Search:
    return Search(target, {"query": TEXT, "query_vector": QUERY}, search_type="hybrid").limit(limit)


def check(got: list[dict[str, Any]], want: list[tuple[int, float]]) -> None:
    assert [(r["id"], pytest.approx(r["_score"])) for r in got] == [
        (i, pytest.approx(s)) for i, s in want
    ]


def test_default_fusion_is_rrf_with_k_60(docs: ModelTarget) -> None:
    got = hybrid(docs, 3).to_list()
    assert len(docs.selects()) == 2 and docs.sessions == 1  # both statements, one session
    check(got, best(rrf(docs, 3, 60), 3))


def test_rrf_without_k_uses_the_limit_as_pytidb_does(docs: ModelTarget) -> None:
    check(hybrid(docs, 4).fusion("rrf").to_list(), best(rrf(docs, 4, 4), 4))
    check(hybrid(docs, 4).fusion().to_list(), best(rrf(docs, 4, 4), 4))
    check(hybrid(docs, 4).fusion("rrf", k=10).to_list(), best(rrf(docs, 4, 10), 4))


def test_rows_found_by_both_searches_carry_both_scores(docs: ModelTarget) -> None:
    got = {r["id"]: r for r in hybrid(docs, 6).to_list()}
    vector = dict(vector_ranking(6))
    text = dict(text_ranking(docs, 6))
    assert set(got) == set(vector) | set(text)
    for i, row in got.items():
        assert row["_distance"] == pytest.approx(vector[i], abs=1e-6)
        if i in text:
            assert row["_match_score"] == pytest.approx(text[i])
        else:
            assert row["_match_score"] is None
    assert list(next(iter(got.values()))) == [
        "id",
        "body",
        "v",
        "_distance",
        "_score",
        "_match_score",
    ]


@pytest.mark.parametrize(("vs", "fts"), [(0.5, 0.5), (0.7, 0.3), (0.2, 0.9)])
def test_weighted_cosine(docs: ModelTarget, vs: float, fts: float) -> None:
    scores: dict[int, float] = {}
    for i, d in vector_ranking(5):
        scores[i] = vs * (1 - d / 2)
    for i, s in text_ranking(docs, 5):
        scores[i] = scores.get(i, 0.0) + fts * (2 * math.atan(s) / math.pi)
    got = hybrid(docs, 5).fusion("weighted", vs_weight=vs, fts_weight=fts).to_list()
    check(got, best(scores, 5))


def test_weighted_l2(docs: ModelTarget) -> None:
    scores: dict[int, float] = {}
    for i, d in vector_ranking(3, l2):
        scores[i] = 0.6 * (1 - 2 * math.atan(d) / math.pi)
    for i, s in text_ranking(docs, 3):
        scores[i] = scores.get(i, 0.0) + 0.4 * (2 * math.atan(s) / math.pi)
    search = hybrid(docs, 3).distance_metric("L2").fusion("weighted", vs_weight=0.6, fts_weight=0.4)
    check(search.to_list(), best(scores, 3))
    # The column's own metric counts too.
    docs.vector_fields = {"v": VectorFieldInfo("v", 2, DistanceMetric.L2)}
    check(
        hybrid(docs, 3).fusion("weighted", vs_weight=0.6, fts_weight=0.4).to_list(), best(scores, 3)
    )


def test_fusion_settings_are_checked(docs: ModelTarget) -> None:
    for vs, fts in [(0, 0.5), (1, 0.5), (0.5, 1.2), (0.5, -0.1)]:
        with pytest.raises(ValueError, match="must be a number between 0 and 1"):
            hybrid(docs, 3).fusion("weighted", vs_weight=vs, fts_weight=fts)
    with pytest.raises(ValueError, match="k must be a positive number"):
        hybrid(docs, 3).fusion("rrf", k=0)
    with pytest.raises(ValueError, match="invalid fusion method 'max'"):
        hybrid(docs, 3).fusion("max")  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="apply to weighted fusion"):
        hybrid(docs, 3).fusion("rrf", vs_weight=0.5)  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="k applies to 'rrf'"):
        hybrid(docs, 3).fusion("weighted", k=5)  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="only supported for hybrid search"):
        Search(docs, QUERY).fusion("rrf")


def test_hybrid_needs_both_halves(docs: ModelTarget) -> None:
    with pytest.raises(ValueError, match="query string is required for fulltext search"):
        Search(docs, QUERY, search_type="hybrid").limit(3).to_list()
    with pytest.raises(ValueError, match="didn't configure the embed_fn"):
        Search(docs, TEXT, search_type="hybrid").limit(3).to_list()
    docs.text_fields = {}
    with pytest.raises(ValueError, match="no full-text column found"):
        hybrid(docs, 3).to_list()
    assert docs.sessions == 0
    # .vector() + .text() is the same as a QueryBundle.
    docs.text_fields = {"body": FullTextFieldInfo("body")}
    built = Search(docs, search_type="hybrid").vector(QUERY).text(TEXT).limit(3).to_list()
    bundled = hybrid(docs, 3).to_list()
    assert [(r["id"], r["_score"]) for r in built] == [(r["id"], r["_score"]) for r in bundled]


def test_tables_without_a_primary_key_merge_on_tidb_rowid(tmp_path: Path) -> None:
    engine = make_engine(tmp_path)
    _create(engine, primary_key=False)
    target = ModelTarget(
        HybridDoc,
        engine,
        vector_fields={"v": VectorFieldInfo("v", 2)},
        text_fields={"body": FullTextFieldInfo("body")},
        primary_key=(),
    )
    try:
        with_pk = ModelTarget(
            HybridDoc, engine, vector_fields=target.vector_fields, text_fields=target.text_fields
        )
        got = hybrid(target, 4).to_list()
        check(got, best(rrf(with_pk, 4, 60), 4))
        # The row ids are the insertion order here, so they equal the ids.
        assert [r["_tidb_rowid"] for r in got] == [r["id"] for r in got]
        sql = " ".join((hybrid(target, 4).compiled_vector_query_sql() or "").split())
        assert "_inner_hit._tidb_rowid AS _inner_tidb_rowid" in sql
        assert "candidates._inner_tidb_rowid AS _tidb_rowid" in sql
        fts = " ".join((hybrid(target, 4).compiled_fulltext_query_sql() or "").split())
        assert "_hit._tidb_rowid AS _tidb_rowid FROM hybrid_docs AS _hit" in fts
    finally:
        engine.dispose()
