"""Filters on searches: post-filter (on the nearest candidates) and pre-filter (on the
table, distance conditions in HAVING), with dict, raw SQL and SQLAlchemy filters."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from autovec.client.fields import FullTextFieldInfo, VectorFieldInfo
from autovec.client.search import Search
from autovec.sqlalchemy import VECTOR
from tests.client.test_search_support import ModelTarget, cosine, ddl, make_engine

# id: (genre, year, lang, vector); nearest to QUERY first: 1, 2, 3, ... 8
ROWS = {
    1: ("news", 2020, "en", [1.0, 0.0]),
    2: ("news", 2021, "fr", [1.0, 0.1]),
    3: ("sport", 2022, "en", [1.0, 0.2]),
    4: ("sport", 2023, "fr", [1.0, 0.3]),
    5: ("news", 2024, "en", [1.0, 0.5]),
    6: ("arts", 2019, "en", [1.0, 0.8]),
    7: ("arts", 2018, "fr", [1.0, 1.2]),
    8: ("arts", 2017, "en", [0.1, 1.0]),
}
QUERY = [1.0, 0.0]


class FilterDoc(SQLModel, table=True):
    __tablename__ = "filter_docs"
    id: int | None = Field(default=None, primary_key=True)
    genre: str | None = None
    year: int | None = None
    meta: Any = Field(default=None, sa_type=sa.JSON)
    body: str | None = None
    v: Any = Field(default=None, sa_type=VECTOR(2))


@pytest.fixture
def docs(tmp_path: Path) -> Iterator[ModelTarget]:
    engine = make_engine(tmp_path)
    ddl(
        engine,
        "CREATE TABLE filter_docs (id INT PRIMARY KEY, genre VARCHAR(10), year INT, meta JSON, "
        "body TEXT, v VECTOR(2), FULLTEXT INDEX fts_idx_body (body) WITH PARSER STANDARD)",
        *[
            f'INSERT INTO filter_docs VALUES ({i}, \'{g}\', {y}, \'{{"lang": "{lang}", "rank": {i}}}\', '
            f"'{g} story {i}', '{v}')"
            for i, (g, y, lang, v) in ROWS.items()
        ],
    )
    yield ModelTarget(
        FilterDoc,
        engine,
        vector_fields={"v": VectorFieldInfo("v", 2)},
        text_fields={"body": FullTextFieldInfo("body")},
    )
    engine.dispose()


def ids(search: Search) -> list[int]:
    return [r["id"] for r in search.to_list()]


def flat(sql: str | None) -> str:
    return " ".join((sql or "").split())


def test_dict_filters_after_the_nearest_candidates(docs: ModelTarget) -> None:
    assert ids(Search(docs, QUERY).filter({"genre": "arts"}).limit(3)) == [6, 7, 8]
    assert ids(Search(docs, QUERY).filter({"year": {"$gte": 2022}}).limit(10)) == [3, 4, 5]
    assert ids(Search(docs, QUERY).filter({"genre": {"$in": ["sport", "arts"]}}).limit(2)) == [3, 4]
    assert ids(
        Search(docs, QUERY).filter({"genre": {"$nin": ["news"]}, "year": {"$lt": 2019}}).limit(5)
    ) == [7, 8]
    either = {"$or": [{"genre": "sport"}, {"year": 2017}]}
    assert ids(Search(docs, QUERY).filter(either).limit(5)) == [3, 4, 8]
    # A JSON path is compiled onto the candidates too (its results: see below).
    sql = flat(
        Search(docs, QUERY).filter({"meta.rank": {"$gt": 5}}).limit(5).compiled_vector_query_sql()
    )
    assert "WHERE json_extract(candidates.meta, '$.rank') > 5" in sql


def test_json_path_filters(docs: ModelTarget) -> None:
    assert ids(Search(docs, QUERY).filter({"meta.rank": {"$gt": 5}}).limit(5)) == [6, 7, 8]
    assert ids(Search(docs, QUERY).filter({"meta.lang": "fr"}).limit(5)) == [2, 4, 7]


def test_raw_sql_and_sqlalchemy_filters(docs: ModelTarget) -> None:
    assert ids(Search(docs, QUERY).filter("year BETWEEN 2020 AND 2022").limit(5)) == [1, 2, 3]
    expr = (FilterDoc.genre == "news") & (FilterDoc.year > 2020)  # type: ignore[operator]
    assert ids(Search(docs, QUERY).filter(expr).limit(5)) == [2, 5]
    sql = flat(Search(docs, QUERY).filter(expr).limit(5).compiled_vector_query_sql())
    assert "WHERE candidates.genre = 'news' AND candidates.year > 2020" in sql


def test_post_filter_statement_shape(docs: ModelTarget) -> None:
    sql = flat(
        Search(docs, QUERY)
        .filter({"genre": "news"})
        .distance_range(0.0, 0.5)
        .limit(2)
        .compiled_vector_query_sql()
    )
    assert "FROM filter_docs AS _inner_hit ORDER BY _distance ASC LIMIT 20) AS candidates" in sql
    assert sql.endswith(
        "WHERE candidates.genre = 'news' AND candidates._distance >= 0.0 AND "
        "candidates._distance <= 0.5 ORDER BY candidates._distance ASC LIMIT 2"
    )


def test_post_filter_only_sees_the_candidates(docs: ModelTarget) -> None:
    # With 2 candidates (ids 1, 2) an "arts" filter finds nothing; pre-filter finds them.
    assert ids(Search(docs, QUERY).filter({"genre": "arts"}).num_candidate(2).limit(2)) == []
    # limit 1 → 10 candidates: all 8 rows, so the filter finds the nearest "arts" row.
    assert ids(Search(docs, QUERY).filter({"genre": "arts"}).limit(1)) == [6]
    pre = Search(docs, QUERY).filter({"genre": "arts"}, prefilter=True).num_candidate(2).limit(2)
    assert ids(pre) == [6, 7]


def test_pre_filter_statement_shape(docs: ModelTarget) -> None:
    search = Search(docs, [1, 2]).filter({"genre": "news"}, prefilter=True).limit(3)
    assert flat(search.compiled_vector_query_sql()) == (
        "SELECT _hit.id, _hit.genre, _hit.year, _hit.meta, _hit.body, _hit.v, "
        "VEC_COSINE_DISTANCE(_hit.v, '[1,2]') AS _distance, "
        "1 - VEC_COSINE_DISTANCE(_hit.v, '[1,2]') AS _score FROM filter_docs AS _hit "
        "WHERE _hit.genre = 'news' ORDER BY _distance ASC LIMIT 3"
    )
    conditions = search.distance_threshold(0.3).skip_null_vectors()
    assert flat(conditions.compiled_vector_query_sql()).endswith(
        "WHERE _hit.genre = 'news' HAVING _distance IS NOT NULL AND _distance <= 0.3 "
        "ORDER BY _distance ASC LIMIT 3"
    )


def test_pre_filter_results(docs: ModelTarget) -> None:
    got = Search(docs, QUERY).filter({"year": {"$lt": 2020}}, prefilter=True).limit(2).to_list()
    assert [r["id"] for r in got] == [6, 7]
    for row in got:
        assert row["_distance"] == pytest.approx(cosine(ROWS[row["id"]][3], QUERY), abs=1e-6)
        assert row["_score"] == pytest.approx(1 - row["_distance"], abs=1e-9)


def test_pre_filter_distance_conditions_run(docs: ModelTarget) -> None:
    search = Search(docs, QUERY).filter({"genre": "news"}, prefilter=True).distance_threshold(0.01)
    assert ids(search.limit(5)) == [1, 2]


def test_filters_on_fulltext_search(docs: ModelTarget) -> None:
    search = Search(docs, "story", search_type="fulltext").filter({"genre": "sport"}).limit(5)
    assert sorted(ids(search)) == [3, 4]
    assert flat(search.compiled_fulltext_query_sql()).endswith(
        "WHERE FTS_MATCH_WORD('story', _hit.body) AND _hit.genre = 'sport' "
        "ORDER BY _match_score DESC LIMIT 5"
    )
