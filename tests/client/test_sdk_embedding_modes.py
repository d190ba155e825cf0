"""Server-side vs client-side embedding: the same tests with the database embedding
(EMBED_TEXT) and with the SDK told it cannot (plain VECTOR columns filled by the SDK
with autovec's own providers). Both give the same vectors; pytidb's client-side rules
hold (a set vector is kept, a None/"" source gives None, an update re-embeds)."""

from __future__ import annotations

import numpy as np
import pytest

from autovec import TiDBClient
from autovec.datatype import TEXT
from autovec.embeddings import EmbeddingFunction, KeyResolver
from autovec.schema import Field, TableModel
from tests.client.sdk import MINILM, any_client, record  # noqa: F401
from tests.mock_providers.openai import OpenAIMock

DOCS = [
    "Machine learning algorithms can identify patterns in data.",
    "Deep learning uses neural networks with multiple layers.",
]
minilm = EmbeddingFunction(MINILM)


class Passage(TableModel):
    __tablename__ = "sdk_modes_passages"
    id: int | None = Field(default=None, primary_key=True)
    text: str | None = Field(default=None, sa_type=TEXT)
    vec: list[float] | None = minilm.VectorField(source_field="text")


def expected(texts: list[str]) -> np.ndarray:
    return minilm.embed_documents(texts)


def test_the_column_matches_the_mode(any_client: TiDBClient) -> None:  # noqa: F811
    any_client.create_table(schema=Passage)
    ddl = any_client.query("SHOW CREATE TABLE sdk_modes_passages").one()[1]
    server = any_client.supports_server_embedding
    assert ("GENERATED ALWAYS AS (EMBED_TEXT(" in ddl) is server
    table = any_client.open_table("sdk_modes_passages")
    assert table is not None and table.vector_fields["vec"].server_side is server


def test_inserts_embed_the_same_vectors(any_client: TiDBClient) -> None:  # noqa: F811
    table = any_client.create_table(schema=Passage)
    recorder = record(any_client)
    rows = table.bulk_insert([Passage(text=t) for t in DOCS] + [Passage(text=None)])
    inserts = recorder.matching("INSERT")
    assert len(inserts) == 1
    # Client-side, the SDK sends the vectors; server-side, the column is left out.
    assert ("vec" in inserts[0]) is (not any_client.supports_server_embedding)
    np.testing.assert_allclose(np.stack([r.vec for r in rows[:2]]), expected(DOCS), atol=1e-5)
    assert rows[2].vec is None
    one = table.insert({"text": ""})
    assert one.vec is None and one.id == 4
    stored = {p.id: p.vec for p in table.query()}
    np.testing.assert_allclose(stored[2], expected(DOCS[1:])[0], atol=1e-5)


def test_updates_and_saves_re_embed(any_client: TiDBClient) -> None:  # noqa: F811
    table = any_client.create_table(schema=Passage)
    row = table.insert(Passage(text=DOCS[0]))
    table.update({"text": DOCS[1]}, {"id": row.id})
    np.testing.assert_allclose(table.get(row.id).vec, expected(DOCS[1:])[0], atol=1e-5)  # type: ignore[union-attr]
    loaded = table.get(row.id)
    assert loaded is not None
    loaded.text = DOCS[0]
    saved = table.save(loaded)
    np.testing.assert_allclose(saved.vec, expected(DOCS[:1])[0], atol=1e-5)
    fresh = table.save(Passage(id=7, text=DOCS[1]))
    np.testing.assert_allclose(fresh.vec, expected(DOCS[1:])[0], atol=1e-5)


def test_client_side_keeps_a_vector_that_is_given(any_client: TiDBClient) -> None:  # noqa: F811
    if any_client.supports_server_embedding:
        pytest.skip("a generated column takes no value")
    table = any_client.create_table(schema=Passage)
    given = [0.0] * 383 + [1.0]
    row = table.insert(Passage(text=DOCS[0], vec=given))
    assert list(row.vec) == given  # type: ignore[arg-type]


@pytest.mark.filterwarnings("ignore:This declarative base already contains a class")
def test_a_client_side_remote_function_batches_one_call(
    any_client: TiDBClient,  # noqa: F811
    openai_mock: OpenAIMock,
) -> None:
    fn = EmbeddingFunction(
        "openai/text-embedding-3-small",
        dimensions=8,
        use_server=False,
        keys=KeyResolver(openai_mock.variables(), use_environ=False),
        caching=False,
    )

    class Remote(TableModel):
        __tablename__ = f"sdk_modes_remote_{id(any_client)}"
        __table_args__ = {"extend_existing": True}  # noqa: RUF012
        id: int = Field(primary_key=True)
        text: str = Field(sa_type=TEXT)
        v: list[float] | None = fn.VectorField(source_field="text")

    table = any_client.create_table(schema=Remote)
    rows = table.bulk_insert([Remote(id=i, text=f"doc {i}") for i in range(1, 6)])
    assert len(openai_mock.requests) == 1  # one batch for the whole call
    assert all(r.v is not None and len(r.v) == 8 for r in rows)
