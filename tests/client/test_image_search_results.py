"""Image search results as a user reads them: ``table.search(image).to_pandas()`` on an
image field, by URL and by PIL image, with the rows' distances (the Jina mock embeds by
colour, so the nearest picture is known)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from autovec import TiDBClient
from autovec.embeddings import EmbeddingFunction
from autovec.schema import Field, TableModel
from tests.mock_providers.images import COLOURS, ImageServer, make_image
from tests.mock_providers.jina import JinaMock

NAMES = ["red", "blue", "orange"]


class Photo(TableModel):
    __tablename__ = "image_search_results"
    id: int | None = Field(default=None, primary_key=True)
    image_uri: str | None = Field(default=None)
    image_vec: list[float] | None = EmbeddingFunction(
        model_name="jina_ai/jina-embeddings-v4", multimodal=True
    ).VectorField(source_field="image_uri", source_type="image")


@pytest.fixture
def client(tmp_path: Path, jina_mock: JinaMock, monkeypatch: pytest.MonkeyPatch) -> TiDBClient:
    for name, value in jina_mock.variables().items():
        monkeypatch.setenv(name, value)
    client = TiDBClient.connect(path=tmp_path / "data")
    client.execute("SET @@GLOBAL.autovec_image_allow_private_hosts = ON")  # loopback images
    return client


def test_search_by_image_to_pandas_has_the_rows_and_their_distances(
    client: TiDBClient, image_server: ImageServer, tmp_path: Path
) -> None:
    table = client.create_table(schema=Photo)
    table.bulk_insert([Photo(image_uri=image_server.url(f"{n}.png")) for n in NAMES])

    frame = table.search(image_server.url("blue.png")).limit(3).to_pandas()
    assert len(frame) == 3
    assert {"id", "image_uri", "_distance"} <= set(frame.columns)
    assert frame["image_uri"].iloc[0].endswith("/blue.png")
    assert frame["_distance"].iloc[0] == pytest.approx(0.0, abs=1e-5)
    assert list(frame["_distance"]) == sorted(frame["_distance"])
    listed = table.search(image_server.url("blue.png")).limit(3).to_list()
    assert list(frame["_distance"]) == pytest.approx([row["_distance"] for row in listed])

    path = tmp_path / "query.jpg"
    path.write_bytes(make_image(COLOURS["orange"], fmt="JPEG"))
    by_pil = table.search(Image.open(path)).limit(2).to_pandas()
    assert len(by_pil) == 2 and by_pil["image_uri"].iloc[0].endswith("/orange.png")
    assert 0.0 <= by_pil["_distance"].iloc[0] < by_pil["_distance"].iloc[1]
    client.disconnect()
