"""open_table(): declared models first, else a model reflected from the database."""

from __future__ import annotations

import numpy as np

from autovec import TiDBClient
from autovec.client.fields import DistanceMetric
from autovec.client.reflection import parse_embed_text
from tests.client.sdk import MINILM, client  # noqa: F401


def test_parse_embed_text() -> None:
    assert parse_embed_text("(EMBED_TEXT('m/x', content))") == ("m/x", "content", {})
    assert parse_embed_text(
        'EMBED_TEXT("openai/text-embedding-3-small", `body`, \'{"dimensions": 512}\')'
    ) == ("openai/text-embedding-3-small", "body", {"dimensions": 512})
    assert parse_embed_text("(`a` + 1)") is None


def test_unknown_table_is_none(client: TiDBClient) -> None:  # noqa: F811
    assert client.open_table("sdk_nothing_here") is None


def test_a_table_made_in_sql_is_reflected_with_its_special_columns(client: TiDBClient) -> None:  # noqa: F811
    client.execute(
        f"""CREATE TABLE sdk_reflected (
            id INT PRIMARY KEY AUTO_INCREMENT,
            content TEXT,
            plain VECTOR(3),
            embedding VECTOR(384) GENERATED ALWAYS AS (EMBED_TEXT('{MINILM}', content)) STORED,
            FULLTEXT INDEX fts_idx_content (content) WITH PARSER STANDARD,
            VECTOR INDEX vec_idx_plain_l2 ((VEC_L2_DISTANCE(plain)))
        )""",
        raise_error=True,
    )
    table = client.open_table("sdk_reflected")
    assert table is not None and table.table_name == "sdk_reflected"
    vectors = table.vector_fields
    assert vectors["plain"].distance_metric is DistanceMetric.L2 and vectors["plain"].index
    embedded = vectors["embedding"]
    assert embedded.server_side and embedded.source_field == "content"
    assert embedded.embed_fn is not None and embedded.embed_fn.model_name == MINILM
    assert not embedded.index
    assert table.text_fields["content"].fts_parser == "STANDARD"
    row = table.insert({"content": "Deep learning uses neural networks.", "plain": [1, 2, 3]})
    assert row.id == 1 and row.embedding is not None and len(row.embedding) == 384
    expected = embedded.embed_fn.embed_documents(["Deep learning uses neural networks."])[0]
    np.testing.assert_allclose(np.asarray(row.embedding), expected, atol=1e-5)
    assert table.query({"id": 1}).to_list()[0]["content"].startswith("Deep")
