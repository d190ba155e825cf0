"""Image fields through the SDK: an EMBED_IMAGE column where the database has one (the
embedded engine), a plain vector the SDK fills otherwise (a database without it, like
TiDB) — the same vectors, the same search results, by URL, PIL image and text.

The Jina mock embeds images by content (tests/mock_providers/images.py); the SDK's own
requests send it the URL, which it fetches from the loopback image server as Jina would,
while the database loads the URL itself and sends the bytes.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from autovec import TiDBClient
from autovec.embeddings import EmbeddingFunction
from autovec.schema import Field, TableModel
from tests.client.sdk import record
from tests.mock_providers.images import COLOURS, ImageServer, make_image
from tests.mock_providers.jina import JinaMock

MODEL = "jina_ai/jina-embeddings-v4"
NAMES = ["red", "blue", "orange"]


@pytest.fixture
def jina_env(jina_mock: JinaMock, monkeypatch: pytest.MonkeyPatch) -> JinaMock:
    """The mock's key and base in the environment: the SDK and the database both read it."""
    for name, value in jina_mock.variables().items():
        monkeypatch.setenv(name, value)
    return jina_mock


@pytest.fixture(params=[True, False], ids=["server-side", "client-side"])
def image_client(
    request: pytest.FixtureRequest, tmp_path: Path, jina_env: JinaMock
) -> Iterator[TiDBClient]:
    """A client whose database embeds images, and one told its database cannot."""
    client = TiDBClient.connect(path=tmp_path / "data", server_embedding=request.param)
    client.execute("SET @@GLOBAL.autovec_image_allow_private_hosts = ON")  # loopback images
    yield client
    client.disconnect()


image_embed = EmbeddingFunction(model_name=MODEL, multimodal=True)


class Picture(TableModel):
    __tablename__ = "sdk_image_columns"
    id: int | None = Field(default=None, primary_key=True)
    image_uri: str | None = Field(default=None)
    image_vec: list[float] | None = image_embed.VectorField(
        source_field="image_uri", source_type="image"
    )


def stored_vector(mock: JinaMock, name: str) -> np.ndarray:
    return mock.expected("image:" + "data:image/png;base64," + _b64(name), "jina-embeddings-v4")


def _b64(name: str) -> str:
    return base64.b64encode(make_image(COLOURS[name])).decode("ascii")


def test_the_column_matches_what_the_database_can_do(
    image_client: TiDBClient, image_server: ImageServer
) -> None:
    server = image_client.supports_server_image_embedding
    table = image_client.create_table(schema=Picture)
    ddl = image_client.query("SHOW CREATE TABLE sdk_image_columns").one()[1]
    assert (
        "GENERATED ALWAYS AS (EMBED_IMAGE('jina_ai/jina-embeddings-v4', image_uri))" in ddl
    ) is server
    assert table.vector_fields["image_vec"].server_side is server
    reopened = image_client.open_table("sdk_image_columns")
    assert reopened is not None
    info = reopened.vector_fields["image_vec"]
    assert info.server_side is server and info.source_type == "image"


def test_inserts_and_searches_give_the_same_results_either_way(
    image_client: TiDBClient, image_server: ImageServer, jina_env: JinaMock, tmp_path: Path
) -> None:
    table = image_client.create_table(schema=Picture)
    recorder = record(image_client)
    rows = table.bulk_insert([Picture(image_uri=image_server.url(f"{n}.png")) for n in NAMES])
    server = image_client.supports_server_image_embedding
    assert ("image_vec" in recorder.matching("INSERT")[0]) is (not server)
    for row, name in zip(rows, NAMES, strict=True):
        np.testing.assert_allclose(row.image_vec, stored_vector(jina_env, name), atol=1e-5)

    by_url = table.search(image_server.url("blue.png")).limit(3).to_list()
    assert by_url[0]["image_uri"].endswith("/blue.png")
    assert by_url[0]["_distance"] == pytest.approx(0.0, abs=1e-5)

    path = tmp_path / "query.png"
    path.write_bytes(make_image(COLOURS["red"], fmt="JPEG"))  # a re-encoded copy
    by_pil = table.search(Image.open(path)).limit(1).to_list()
    assert by_pil[0]["image_uri"].endswith("/red.png")

    by_text = table.search("orange tabby cat").limit(3).to_list()
    assert by_text[0]["image_uri"].endswith("/orange.png")
    text_vector = jina_env.expected("orange tabby cat", "jina-embeddings-v4", "retrieval.query")
    for result in by_text:
        name = result["image_uri"].rsplit("/", 1)[1].removesuffix(".png")
        expected = 1 - float(stored_vector(jina_env, name) @ text_vector)
        assert result["_distance"] == pytest.approx(expected, abs=1e-5)
    frame = table.search("orange tabby cat").limit(2).to_pandas()
    assert list(frame["image_uri"]) == [r["image_uri"] for r in by_text[:2]]


def test_a_function_with_its_own_key_or_use_server_false_embeds_client_side(
    tmp_path: Path, jina_env: JinaMock, image_server: ImageServer
) -> None:
    client = TiDBClient.connect(path=tmp_path / "data")
    assert client.supports_server_image_embedding is True
    keyed = EmbeddingFunction(
        model_name="jina_ai/jina-embedding-v4",  # seed 003's spelling
        api_key=jina_env.api_key,
        api_base=jina_env.api_base,
        multimodal=True,
    )
    told = EmbeddingFunction(MODEL, multimodal=True, use_server=False)
    wanted = EmbeddingFunction(MODEL, multimodal=True, use_server=True)
    assert (keyed.server_images, told.server_images, wanted.server_images) == (False, False, True)

    class Keyed(TableModel):
        __tablename__ = "sdk_image_keyed"
        id: int | None = Field(default=None, primary_key=True)
        image_uri: str | None = Field(default=None)
        image_vec: list[float] | None = keyed.VectorField(source_field="image_uri")

    table = client.create_table(schema=Keyed)
    assert "EMBED_IMAGE" not in client.query("SHOW CREATE TABLE sdk_image_keyed").one()[1]
    row = table.insert(Keyed(image_uri=image_server.url("red.png")))
    np.testing.assert_allclose(row.image_vec, stored_vector(jina_env, "red"), atol=1e-5)
    client.disconnect()


def test_a_pil_query_reaches_an_image_column_as_inline_data(
    tmp_path: Path, jina_env: JinaMock, image_server: ImageServer
) -> None:
    client = TiDBClient.connect(path=tmp_path / "data")
    client.execute("SET @@GLOBAL.autovec_image_allow_private_hosts = ON")
    table = client.create_table(schema=Picture)
    table.bulk_insert([Picture(image_uri=image_server.url(f"{n}.png")) for n in NAMES])
    recorder = record(client)
    jina_env.clear()
    buffer = io.BytesIO(make_image(COLOURS["red"]))
    results = table.search(Image.open(buffer)).limit(1).to_list()
    assert results[0]["image_uri"].endswith("red.png")
    select = recorder.matching("SELECT")[-1]
    assert "VEC_EMBED_COSINE_DISTANCE" in select
    assert [list(item) for r in jina_env.requests for item in r.body["input"]] == [["image"]]
    client.disconnect()


def test_a_table_made_in_sql_is_reflected_with_its_image_column(
    tmp_path: Path, jina_env: JinaMock, image_server: ImageServer
) -> None:
    client = TiDBClient.connect(path=tmp_path / "data")
    client.execute("SET @@GLOBAL.autovec_image_allow_private_hosts = ON")
    client.execute(
        "CREATE TABLE sql_gallery (id INT PRIMARY KEY, src TEXT, "
        f"v VECTOR(2048) GENERATED ALWAYS AS (EMBED_IMAGE('{MODEL}', src)) STORED)"
    )
    table = client.open_table("sql_gallery")
    assert table is not None
    info = table.vector_fields["v"]
    assert (info.source_type, info.server_side, info.source_field) == ("image", True, "src")
    table.insert({"id": 1, "src": image_server.url("blue.png")})
    table.insert({"id": 2, "src": image_server.url("red.png")})
    found = table.search(image_server.url("red.png")).limit(1).to_list()
    assert found[0]["id"] == 2
    client.disconnect()
