"""Seed 003's image search example, and the gallery it runs on (for the SDK image tests).

:func:`run_seed_003` is the seed's code with pytidb's imports replaced by autovec's; what
the seed leaves to the reader (the client, the key, the image URLs, the query image's
path) and the model name (the seed says "or another provider/model that supports
multimodal input") are its parameters; so is one argument the seed does not pass,
``image_fetch_policy``, for a provider that fetches nothing (Cohere): the SDK then fetches
the URLs itself, from public hosts only unless told otherwise, and the tests' images are
on loopback. The gallery is three small JPEGs that the mocks tell apart by colour (see
``tests/mock_providers/images.py``): an orange one (the "orange tabby cat"), a blue one
and a green one, served at the seed's file names.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image
from sqlmodel import SQLModel

from autovec import TiDBClient
from autovec.embeddings import EmbeddingFunction
from autovec.embeddings.image_fetch import ImageFetchPolicy
from autovec.schema import Field, TableModel
from tests.mock_providers.images import COLOURS, ImageServer, make_image

__all__ = ["GALLERY", "Gallery", "SeedResults", "gallery", "run_seed_003"]

#: The seed's image names → what they show.
GALLERY = {
    "image1.jpg": make_image(COLOURS["orange"], shape="circle", fmt="JPEG"),
    "image2.jpg": make_image(COLOURS["blue"], shape="square", fmt="JPEG"),
    "image3.jpg": make_image(COLOURS["green"], shape="triangle", fmt="JPEG"),
}


@dataclass(frozen=True)
class Gallery:
    """Where the seed's images are: three row URLs, a query URL (a copy of image 2 under
    another name) and a query file (a copy of image 3)."""

    uris: list[str]
    query_url: str
    query_path: Path


def gallery(server: ImageServer, tmp_path: Path) -> Gallery:
    """Serve :data:`GALLERY` (plus ``query.jpg``) on ``server``; write ``query.jpg``."""
    server.images.update(GALLERY)
    server.images["query.jpg"] = GALLERY["image2.jpg"]
    path = tmp_path / "query.jpg"
    path.write_bytes(GALLERY["image3.jpg"])
    return Gallery([server.url(name) for name in GALLERY], server.url("query.jpg"), path)


@dataclass(frozen=True)
class SeedResults:
    """What the seed's three searches returned, plus ``to_pandas()`` of the text one."""

    by_url: list[dict[str, Any]]
    by_image: list[dict[str, Any]]
    by_text: list[dict[str, Any]]
    frame: Any
    dimensions: int


def run_seed_003(
    client: TiDBClient,
    model_name: str,
    api_key: str,
    where: Gallery,
    image_fetch_policy: ImageFetchPolicy | None = None,
) -> SeedResults:
    """Seed 003, steps 1–4."""
    # Step 1. Define the embedding function.
    image_embed = EmbeddingFunction(
        # Or another provider/model that supports multimodal input
        model_name=model_name,
        api_key=api_key,
        multimodal=True,
        image_fetch_policy=image_fetch_policy,  # not in the seed: see the module docstring
    )

    # Step 2. Create the table and the vector field.
    class ImageItem(TableModel):
        __tablename__ = "image_items"
        id: int = Field(primary_key=True)
        image_uri: str = Field()
        image_vec: list[float] = image_embed.VectorField(source_field="image_uri")

    try:
        table = client.create_table(schema=ImageItem, if_exists="overwrite")

        # Step 3. Insert image data.
        table.bulk_insert(
            [
                ImageItem(image_uri=where.uris[0]),
                ImageItem(image_uri=where.uris[1]),
                ImageItem(image_uri=where.uris[2]),
            ]
        )

        # Step 4. Image search: option 1, by image URL.
        by_url = table.search(where.query_url).limit(3).to_list()

        # Option 2, by PIL image.
        image = Image.open(where.query_path)

        by_image = table.search(image).limit(3).to_list()

        # Option 3, by keyword text.
        by_text = table.search("orange tabby cat").limit(3).to_list()

        frame = table.search("orange tabby cat").limit(3).to_pandas()
        dimensions = table.vector_fields["image_vec"].dimensions
    finally:
        # The seed defines its model once per program; the tests run it once per provider.
        SQLModel.metadata.remove(ImageItem.__table__)  # type: ignore[attr-defined]
    return SeedResults(by_url, by_image, by_text, frame, dimensions)
