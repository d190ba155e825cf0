"""The shapes a search returns: rows, dicts, SearchResult models, DataFrames; debug
logging of the statement."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlmodel import Field, SQLModel

from autovec.client.fields import FullTextFieldInfo, VectorFieldInfo
from autovec.client.search import Search, SearchResult
from autovec.sqlalchemy import VECTOR
from tests.client.test_search_support import ModelTarget, cosine, ddl, make_engine

ROWS = {1: ("alpha beta", [1.0, 0.0]), 2: ("beta gamma", [0.6, 0.8]), 3: ("gamma", [0.0, 1.0])}
QUERY = [1.0, 0.2]


class ResultDoc(SQLModel, table=True):
    __tablename__ = "result_docs"
    id: int | None = Field(default=None, primary_key=True)
    body: str | None = None
    v: Any = Field(default=None, sa_type=VECTOR(2))


@pytest.fixture
def docs(tmp_path: Path) -> Iterator[ModelTarget]:
    engine = make_engine(tmp_path)
    ddl(
        engine,
        "CREATE TABLE result_docs (id INT PRIMARY KEY, body TEXT, v VECTOR(2), "
        "FULLTEXT INDEX fts_idx_body (body) WITH PARSER STANDARD)",
        *[f"INSERT INTO result_docs VALUES ({i}, '{b}', '{v}')" for i, (b, v) in ROWS.items()],
    )
    yield ModelTarget(
        ResultDoc,
        engine,
        vector_fields={"v": VectorFieldInfo("v", 2)},
        text_fields={"body": FullTextFieldInfo("body")},
    )
    engine.dispose()


def test_rows_carry_the_hit_and_the_scores(docs: ModelTarget) -> None:
    rows = Search(docs, QUERY).limit(2).to_rows()
    assert list(rows[0]._mapping) == ["_hit", "_distance", "_score"]
    hit = rows[0]._hit
    assert isinstance(hit, ResultDoc) and hit.id == 1 and hit.body == "alpha beta"
    assert rows[0]._distance == pytest.approx(cosine(ROWS[1][1], QUERY), abs=1e-6)
    fts = Search(docs, "beta", search_type="fulltext").limit(2).to_rows()
    assert list(fts[0]._mapping) == ["_hit", "_match_score", "_score"]


def test_to_list(docs: ModelTarget) -> None:
    got = Search(docs, QUERY).limit(3).to_list()
    assert [list(r) for r in got] == [["id", "body", "v", "_distance", "_score"]] * 3
    assert got[0]["id"] == 1 and isinstance(got[0]["v"], np.ndarray)
    assert got[0].id == 1 and got[0]._distance == got[0]["_distance"]  # as the TiDB docs read
    with pytest.raises(AttributeError, match="no column 'nope'"):
        _ = got[0].nope


def test_to_pydantic(docs: ModelTarget) -> None:
    results = Search(docs, QUERY).limit(2).to_pydantic()
    first = results[0]
    assert isinstance(first, SearchResult) and isinstance(first.hit, ResultDoc)
    assert first.distance is not None
    assert first.distance == pytest.approx(cosine(ROWS[1][1], QUERY), abs=1e-6)
    assert first.score == pytest.approx(1 - first.distance) and first.match_score is None
    assert first.similarity_score == pytest.approx(1 - first.distance)
    assert first.body == "alpha beta" and first.id == 1  # read through to the hit
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = first.nope
    hits = Search(docs, QUERY).limit(2).to_pydantic(with_score=False)
    assert [type(h) for h in hits] == [ResultDoc, ResultDoc] and [h.id for h in hits] == [1, 2]

    fts = Search(docs, "gamma", search_type="fulltext").limit(5).to_pydantic()
    assert {r.id for r in fts} == {2, 3}
    assert all(r.distance is None and r.similarity_score is None for r in fts)
    assert all(r.match_score is not None and r.score == r.match_score for r in fts)


def test_to_pandas(docs: ModelTarget) -> None:
    pd = pytest.importorskip("pandas")
    frame = Search(docs, QUERY).limit(3).to_pandas()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["id", "body", "v", "_distance", "_score"]
    assert frame["id"].tolist() == [1, 2, 3]


def test_to_pandas_without_pandas_says_how_to_install(docs: ModelTarget) -> None:
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pip install pandas"):
            Search(docs, QUERY).limit(1).to_pandas()
    else:
        pytest.skip("pandas is installed")


def test_execute_once_convert_many_times(docs: ModelTarget) -> None:
    result = Search(docs, QUERY).limit(2).execute()
    assert [r["id"] for r in result.to_list()] == [
        h.id for h in result.to_pydantic(with_score=False)
    ]
    assert len(docs.selects()) == 1


def test_debug_logs_the_statement(docs: ModelTarget, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="autovec.client.search"):
        Search(docs, QUERY).limit(2).debug().to_list()
        Search(docs, "beta", search_type="fulltext").limit(2).debug().to_list()
        Search(docs, QUERY).limit(2).to_list()
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2
    assert messages[0].startswith("Build vector search query on table <result_docs>:")
    assert "VEC_COSINE_DISTANCE(_inner_hit.v, '[1,0.2]')" in messages[0]
    assert "FTS_MATCH_WORD('beta', _hit.body)" in messages[1]
