"""Reranking search results with a real reranker client against the in-process Jina
mock (word-overlap scores, :func:`tests.mock_providers.rerank.ranked`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Field, SQLModel

from autovec.client.fields import FullTextFieldInfo, VectorFieldInfo
from autovec.client.search import Search
from autovec.embeddings import KeyResolver
from autovec.rerankers import RemoteReranker, reranker
from autovec.sqlalchemy import VECTOR
from tests.client.test_search_support import ModelTarget, ddl, make_engine
from tests.mock_providers import JinaMock
from tests.mock_providers.rerank import ranked

ROWS = {
    1: ("a treatise on relational databases", "misc", [1.0, 0.0]),
    2: ("the cat sat on the mat", "cats", [0.9, 0.2]),
    3: ("dogs chase the cat", "dogs", [0.8, 0.5]),
    4: ("cat", "cats", [0.5, 0.9]),
    5: ("mat and cat on the sofa", "cats", [0.0, 1.0]),
}
QUERY = "the cat sat on the mat"


class RerankDoc(SQLModel, table=True):
    __tablename__ = "rerank_docs"
    id: int | None = Field(default=None, primary_key=True)
    body: str | None = None
    tag: str | None = None
    v: Any = Field(default=None, sa_type=VECTOR(2))


@pytest.fixture(autouse=True)
def _offline(no_internet: None) -> None:
    """No test reaches the internet."""


@pytest.fixture
def docs(tmp_path: Path) -> Iterator[ModelTarget]:
    engine = make_engine(tmp_path)
    ddl(
        engine,
        "CREATE TABLE rerank_docs (id INT PRIMARY KEY, body TEXT, tag TEXT, v VECTOR(2), "
        "FULLTEXT INDEX fts_idx_body (body) WITH PARSER STANDARD)",
        *[
            f"INSERT INTO rerank_docs VALUES ({i}, '{b}', '{t}', '{v}')"
            for i, (b, t, v) in ROWS.items()
        ],
    )
    yield ModelTarget(
        RerankDoc,
        engine,
        vector_fields={"v": VectorFieldInfo("v", 2, source_field="body")},
        text_fields={"body": FullTextFieldInfo("body")},
    )
    engine.dispose()


@pytest.fixture
def jina(jina_mock: JinaMock) -> RemoteReranker:
    keys = KeyResolver(jina_mock.variables(), use_environ=False)
    return reranker("jina_ai/jina-reranker-v2-base-multilingual", keys=keys)


def test_vector_results_reordered_by_the_reranker(
    docs: ModelTarget, jina: RemoteReranker, jina_mock: JinaMock
) -> None:
    plain = Search(docs, {"query": QUERY, "query_vector": [1.0, 0.0]}).limit(4).to_list()
    assert [r["id"] for r in plain] == [1, 2, 3, 4]
    got = Search(docs, {"query": QUERY, "query_vector": [1.0, 0.0]}).rerank(jina).limit(4).to_list()
    # The reranker saw the 4 candidates' source field (body), in distance order.
    body = jina_mock.last.body
    assert body["query"] == QUERY and body["documents"] == [ROWS[i][0] for i in (1, 2, 3, 4)]
    want = [(i + 1, score) for i, score in ranked(QUERY, [ROWS[i][0] for i in (1, 2, 3, 4)])]
    assert [(r["id"], r["_score"]) for r in got] == want
    # Distances are still the vector search's.
    assert {r["id"]: r["_distance"] for r in got} == {r["id"]: r["_distance"] for r in plain}


def test_rerank_field_and_defaults(
    docs: ModelTarget, jina: RemoteReranker, jina_mock: JinaMock
) -> None:
    Search(docs, {"query": "cats", "query_vector": [1.0, 0.0]}).rerank(jina, "tag").limit(
        3
    ).to_list()
    assert jina_mock.last.body["documents"] == ["misc", "cats", "dogs"]
    # Full-text search: the full-text column is the default field.
    got = Search(docs, "cat", search_type="fulltext").rerank(jina).limit(10).to_list()
    assert jina_mock.last.body["documents"] == [
        ROWS[r["id"]][0] for r in Search(docs, "cat", search_type="fulltext").limit(10).to_list()
    ]
    assert got[0]["id"] == 4 and got[0]["_score"] == 1.0  # "cat" matches itself exactly
    # No source field and no full-text column: say which field.
    docs.vector_fields = {"v": VectorFieldInfo("v", 2)}
    with pytest.raises(ValueError, match="specify the rerank field"):
        Search(docs, {"query": QUERY, "query_vector": [1.0, 0.0]}).rerank(jina).limit(2).to_list()
    with pytest.raises(ValueError, match="'nope' is not a column"):
        Search(docs, [1.0, 0.0]).rerank(jina, "nope")


def test_rerank_needs_query_text(docs: ModelTarget, jina: RemoteReranker) -> None:
    with pytest.raises(ValueError, match="query text is required for reranker"):
        Search(docs, [1.0, 0.0]).rerank(jina).limit(2).to_list()


def test_hybrid_reranks_the_fused_rows_then_cuts(
    docs: ModelTarget, jina: RemoteReranker, jina_mock: JinaMock
) -> None:
    search = Search(docs, {"query": QUERY, "query_vector": [1.0, 0.0]}, search_type="hybrid")
    got = search.rerank(jina).limit(2).to_list()
    documents = jina_mock.last.body["documents"]
    assert len(documents) > 2  # every fused row, not only the top 2
    assert jina_mock.last.body["top_n"] == 2
    scores = dict(ranked(QUERY, documents))
    want = sorted(range(len(documents)), key=lambda i: (-scores[i], i))[:2]
    assert [r["body"] for r in got] == [documents[i] for i in want]
    assert [r["_score"] for r in got] == [scores[i] for i in want]
