"""The SDK over the MySQL protocol: a real ``autovec serve`` subprocess, pytidb's
``connect(host=, port=, …, ensure_db=True)`` and ``mysql+pymysql://`` URLs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from autovec import TiDBClient
from autovec.datatype import TEXT, VARCHAR
from autovec.embeddings import EmbeddingFunction
from autovec.schema import Field, FullTextField, TableModel
from tests.client.sdk import MINILM, record
from tests.server.conftest import RunningServer, start_server

pytestmark = pytest.mark.slow
minilm = EmbeddingFunction(MINILM)


class Article(TableModel):
    __tablename__ = "sdk_server_articles"
    id: int | None = Field(default=None, primary_key=True)
    tag: str = Field(sa_type=VARCHAR(10))
    body: str = FullTextField()
    vec: list[float] | None = minilm.VectorField(source_field="body")


class Memo(TableModel):
    __tablename__ = "sdk_server_memos"
    id: int | None = Field(default=None, primary_key=True)
    text: str = Field(sa_type=TEXT)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(Path(tmp_path_factory.mktemp("sdk-server")) / "data")
    yield running
    running.stop()


@pytest.fixture(params=[True, False], ids=["server-side", "client-side"])
def remote(request: pytest.FixtureRequest, server: RunningServer) -> Iterator[TiDBClient]:
    database = f"sdk_{'srv' if request.param else 'cli'}"
    client = TiDBClient.connect(
        host=server.host,
        port=server.port,
        username="root",
        password="",
        database=database,
        ensure_db=True,
        server_embedding=None if request.param else False,
    )
    yield client
    client.drop_database(database)
    client.disconnect()


def test_connects_with_pytidb_arguments(remote: TiDBClient) -> None:
    assert remote.db_engine.url.drivername == "mysql+pymysql"
    assert remote.current_database() in ("sdk_srv", "sdk_cli")
    assert remote.has_database("test")


def test_tables_writes_and_filters(remote: TiDBClient) -> None:
    table = remote.create_table(schema=Article, if_exists="overwrite")
    assert table.has_vector_index("vec") and table.has_fts_index("body")
    assert table.vector_fields["vec"].server_side is remote.supports_server_embedding
    recorder = record(remote)
    rows = table.bulk_insert(
        [
            Article(tag="ml", body="Deep learning uses neural networks with multiple layers."),
            Article(tag="cv", body="Computer vision enables machines to interpret images."),
            {"tag": "ml", "body": "Machine learning algorithms can identify patterns in data."},
        ]
    )
    assert len(recorder.matching("INSERT")) == 1
    assert [r.id for r in rows] == [1, 2, 3]
    want = minilm.embed_documents([r.body for r in rows])
    np.testing.assert_allclose(np.stack([r.vec for r in rows]), want, atol=1e-5)
    assert [a.id for a in table.query({"tag": "ml"}, order_by="id")] == [1, 3]
    assert table.update({"tag": "ai"}, {"id": {"$in": [1, 3]}}) == 2
    assert table.delete({"tag": {"$ne": "ai"}}) == 1
    assert table.rows() == 2
    reflected = remote.open_table("sdk_server_articles")
    assert reflected is not None and set(reflected.vector_fields) == {"vec"}


def test_sessions_over_the_wire(remote: TiDBClient) -> None:
    table = remote.create_table(schema=Memo, if_exists="overwrite")
    with pytest.raises(RuntimeError), remote.session():
        table.insert(Memo(text="rolled back"))
        raise RuntimeError
    with remote.session():
        first = table.insert(Memo(text="kept"))
        remote.execute("INSERT INTO sdk_server_memos (text) VALUES ('too')", raise_error=True)
    assert first.id is not None and table.rows() == 2
    assert remote.query("SELECT text FROM sdk_server_memos ORDER BY id").to_list() == [
        {"text": "kept"},
        {"text": "too"},
    ]


ARTICLES = [
    ("ml", "Deep learning uses neural networks with multiple layers."),
    ("cv", "Computer vision enables machines to interpret images."),
    ("ml", "Machine learning algorithms can identify patterns in data."),
    ("nlp", "Natural language processing helps computers understand text."),
]


def searches(client: TiDBClient) -> dict[str, list[tuple[int, float]]]:
    """One program: the same table, rows and searches, whatever the client is connected to."""
    table = client.create_table(schema=Article, if_exists="overwrite")
    table.bulk_insert([Article(tag=tag, body=body) for tag, body in ARTICLES])
    query = "How do neural networks learn?"
    found = {
        "vector": table.search(query).limit(3).to_list(),
        "filtered": table.search(query).filter({"tag": "ml"}).limit(2).to_list(),
        "prefiltered": table.search(query).filter({"tag": "ml"}, prefilter=True).limit(2).to_list(),
        "fulltext": table.search("learning", search_type="fulltext").limit(3).to_list(),
        "hybrid": table.search(query, search_type="hybrid").text("learning").limit(3).to_list(),
    }
    return {kind: [(row.id, round(row._score, 5)) for row in rows] for kind, rows in found.items()}


def test_the_same_searches_embedded_and_over_the_wire(remote: TiDBClient, tmp_path: Path) -> None:
    embedded = TiDBClient.connect(path=str(tmp_path / "embedded"))
    try:
        expected = searches(embedded)
    finally:
        embedded.disconnect()
    got = searches(remote)
    assert got == expected
    assert got["vector"][0][0] == 1 and got["filtered"][0][0] == 1
    assert {i for i, _ in got["fulltext"]} == {1, 3}
