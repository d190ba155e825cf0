"""Image search through the SDK, in-process: seed 003 with each multimodal provider.

The example runs as the seed writes it (``tests/client/image_seed.py``) against the
embedded database, with the Jina, DashScope (native multimodal API) and Cohere mocks
standing in for the providers, and images served by a loopback HTTP server. The mocks
embed images by their content, so the assertions are about *which* image is found: the
copy of image 2 at another URL finds image 2, the file holding image 3 (opened with PIL)
finds image 3, and "orange tabby cat" finds the orange image 1. Whether the SDK embeds
itself or lets the database do it (``EMBED_IMAGE``), the results are the same; the two
tests at the end pin the client-side route, which the SDK takes when told to.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from autovec import TiDBClient
from autovec.embeddings import (
    EmbeddingFunction,
    LRUEmbeddingCache,
    get_default_cache,
    set_default_cache,
)
from autovec.embeddings.catalog import lookup
from autovec.embeddings.image_fetch import ImageFetchError, ImageFetchPolicy
from autovec.schema import Field, TableModel
from tests.client.image_seed import GALLERY, Gallery, SeedResults, gallery, run_seed_003
from tests.mock_providers import CohereMock, DashScopeMock, JinaMock
from tests.mock_providers.dashscope import MM_PATH, MULTIMODAL_MODELS
from tests.mock_providers.images import COLOURS, ImageServer, make_image
from tests.mock_providers.server import MockServer

# run_seed_003 declares the seed's ImageItem model once per run, as the seed does once per
# program; SQLAlchemy warns that the class name is taken again.
pytestmark = pytest.mark.filterwarnings("ignore:This declarative base already contains a class")


@dataclass(frozen=True)
class Case:
    """One provider/model to run the seed with, and the size its vectors must have."""

    model_name: str
    mock: str
    dimensions: int
    #: The name the provider's API is sent.
    api_model: str
    #: How the SDK fetches the URLs of a provider that fetches none (Cohere).
    image_fetch_policy: ImageFetchPolicy | None = None


#: The SDK fetches public hosts only by default; the tests' images are on loopback.
LOOPBACK = ImageFetchPolicy(allow_private_hosts=True)


#: Seed 003's Jina model (as the seed spells it), seed 004's three Alibaba models, Cohere.
CASES = [
    Case("jina_ai/jina-embedding-v4", "jina_mock", 2048, "jina-embeddings-v4"),
    Case(
        "dashscope/tongyi-embedding-vision-plus",
        "dashscope_mock",
        1152,
        "tongyi-embedding-vision-plus",
    ),
    Case(
        "dashscope/tongyi-embedding-vision-flash",
        "dashscope_mock",
        768,
        "tongyi-embedding-vision-flash",
    ),
    Case("dashscope/multimodal-embedding-v1", "dashscope_mock", 1024, "multimodal-embedding-v1"),
    Case("cohere/embed-v4.0", "cohere_mock", 1536, "embed-v4.0", LOOPBACK),
]


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    """An empty process-wide embedding cache: each test's requests reach its mock."""
    old = get_default_cache()
    set_default_cache(LRUEmbeddingCache())
    yield
    set_default_cache(old)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TiDBClient]:
    """The embedded database; should the database embed the images itself, it may fetch
    the test's loopback URLs (a test-only setting: by default it fetches public ones only)."""
    c = TiDBClient.connect(path=tmp_path / "data")
    c.execute("SET @@GLOBAL.autovec_image_allow_private_hosts = ON", raise_error=True)
    yield c
    c.disconnect()


@pytest.fixture
def images(image_server: ImageServer, tmp_path: Path) -> Gallery:
    return gallery(image_server, tmp_path)


def use(mock: MockServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the provider at ``mock`` (its API base, as a user's environment would) and
    return the key to pass as ``api_key=``, as the seed does."""
    monkeypatch.setenv(f"TIDB_EXP_EMBED_{mock.name.upper()}_API_BASE", mock.api_base)
    assert mock.api_key is not None
    return mock.api_key


def ids(rows: list[dict[str, object]]) -> list[object]:
    return [row["id"] for row in rows]


def check_seed_results(results: SeedResults, dimensions: int) -> None:
    """The right image first for each of the seed's three queries, all three returned."""
    assert results.dimensions == dimensions
    by_url, by_image, by_text = results.by_url, results.by_image, results.by_text
    assert ids(by_url)[0] == 2 and sorted(ids(by_url)) == [1, 2, 3]
    assert ids(by_image)[0] == 3 and sorted(ids(by_image)) == [1, 2, 3]
    assert ids(by_text)[0] == 1 and sorted(ids(by_text)) == [1, 2, 3]
    # The same picture at another URL is the same vector; a PIL image is re-encoded.
    assert by_url[0]["_distance"] == pytest.approx(0, abs=1e-5)
    assert by_image[0]["_distance"] < 0.01
    for rows in (by_url, by_image, by_text):
        distances = [row["_distance"] for row in rows]
        assert distances == sorted(distances)
        assert all(len(row["image_vec"]) == dimensions for row in rows)
    frame = results.frame
    assert list(frame["id"]) == ids(by_text)
    assert {"image_uri", "image_vec", "_distance", "_score"} <= set(frame.columns)
    assert frame["_distance"].tolist() == pytest.approx([row["_distance"] for row in by_text])


@pytest.mark.parametrize("case", CASES, ids=[c.model_name for c in CASES])
def test_seed_003_with_each_provider(
    case: Case,
    client: TiDBClient,
    images: Gallery,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mock: MockServer = request.getfixturevalue(case.mock)
    key = use(mock, monkeypatch)
    results = run_seed_003(client, case.model_name, key, images, case.image_fetch_policy)
    check_seed_results(results, case.dimensions)
    assert results.by_url[0]["image_uri"] == images.uris[1]
    assert {r.body["model"] for r in mock.requests} == {case.api_model}


def test_seed_004_models_match_the_catalog() -> None:
    # Seed 004's table: name → dimensions, and per-request image limit (≤ 8 / 1).
    seed = {
        "tongyi-embedding-vision-plus": (1152, 8),
        "tongyi-embedding-vision-flash": (768, 8),
        "multimodal-embedding-v1": (1024, 1),
    }
    for name, (dims, images_per_request) in seed.items():
        spec = lookup("dashscope", name)
        assert spec is not None and spec.multimodal and spec.full_name == f"dashscope/{name}"
        assert spec.dimensions == dims and spec.max_batch_size == images_per_request
        assert (
            MULTIMODAL_MODELS[name][0] == dims and MULTIMODAL_MODELS[name][3] == images_per_request
        )
    jina = lookup("jina_ai", "jina-embedding-v4")  # seed 003's spelling
    assert jina is not None and jina.name == "jina-embeddings-v4" and jina.multimodal


@pytest.mark.parametrize(
    ("model", "per_request"),
    [("tongyi-embedding-vision-plus", [8, 1]), ("multimodal-embedding-v1", [1] * 9)],
)
def test_dashscope_keeps_to_the_image_limit_per_request(
    model: str,
    per_request: list[int],
    client: TiDBClient,
    image_server: ImageServer,
    dashscope_mock: DashScopeMock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fn = EmbeddingFunction(
        f"dashscope/{model}", api_key=use(dashscope_mock, monkeypatch), multimodal=True
    )

    class Shot(TableModel):
        __tablename__ = "shots"
        id: int = Field(primary_key=True)
        uri: str = Field()
        vec: list[float] = fn.VectorField(source_field="uri")

    image_server.images["grey.png"] = make_image((128, 128, 128))
    names = [f"{colour}.png" for colour in COLOURS] + ["grey.png"]  # nine different images
    try:
        table = client.create_table(schema=Shot, if_exists="overwrite")
        table.bulk_insert([Shot(uri=image_server.url(name)) for name in names])
        sent = [
            len(r.body["input"]["contents"]) for r in dashscope_mock.requests if r.path == MM_PATH
        ]
        assert sorted(sent, reverse=True) == per_request
        hit = table.search("something purple").limit(1).to_list()[0]
        assert hit["uri"] == image_server.url("purple.png")
    finally:
        Shot.metadata.remove(Shot.__table__)  # type: ignore[attr-defined]


# --- the client-side route, pinned -------------------------------------------------------


class Photo(TableModel):
    """Two image columns the SDK fills itself (``use_server=False``)."""

    __tablename__ = "photos"
    id: int = Field(primary_key=True)
    uri: str = Field()
    jina_vec: list[float] = EmbeddingFunction(
        "jina_ai/jina-embeddings-v4", multimodal=True, use_server=False
    ).VectorField(source_field="uri")
    cohere_vec: list[float] = EmbeddingFunction(
        "cohere/embed-v4.0", multimodal=True, use_server=False, image_fetch_policy=LOOPBACK
    ).VectorField(source_field="uri")


def test_client_side_jina_gets_urls_and_cohere_gets_inline_data(
    client: TiDBClient,
    images: Gallery,
    image_server: ImageServer,
    jina_mock: JinaMock,
    cohere_mock: CohereMock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for mock in (jina_mock, cohere_mock):
        monkeypatch.setenv(f"TIDB_EXP_EMBED_{mock.name.upper()}_API_KEY", str(mock.api_key))
        use(mock, monkeypatch)
    table = client.create_table(schema=Photo, if_exists="overwrite")
    assert not any(f.server_side for f in table.vector_fields.values())
    table.bulk_insert([Photo(uri=uri) for uri in images.uris])
    # Jina fetches the URLs itself (the mock fetched each once); Cohere takes inline data
    # only, so the SDK fetched them and sent data URIs with the very same bytes.
    assert jina_mock.last.body["input"] == [{"image": uri} for uri in images.uris]
    contents = [item["content"][0] for item in cohere_mock.last.body["inputs"]]
    sent = [base64.b64decode(c["image_url"]["url"].split(",", 1)[1]) for c in contents]
    assert sent == list(GALLERY.values())
    assert sorted(image_server.fetched) == sorted(["image1.jpg", "image2.jpg", "image3.jpg"] * 2)
    # A PIL image goes to Jina as raw base64, to Cohere as a data URI; both find image 3.
    for field in ("jina_vec", "cohere_vec"):
        query = Image.open(images.query_path)
        hits = table.search(query).vector_column(field).limit(1).to_list()
        assert hits[0]["id"] == 3
    # A Path is an image too (pytidb's third form).
    assert (
        table.search(images.query_path).vector_column("jina_vec").limit(1).to_list()[0]["id"] == 3
    )
    jina_sent = jina_mock.last.body["input"][0]["image"]
    assert not jina_sent.startswith("data:") and base64.b64decode(jina_sent)[:3] == b"\xff\xd8\xff"
    assert cohere_mock.last.body["inputs"][0]["content"][0]["image_url"]["url"].startswith(
        "data:image/jpeg;base64,"
    )
    stored = {row.id: row for row in table.query()}
    np.testing.assert_allclose(
        stored[1].cohere_vec,
        cohere_mock.expected(
            "image:data:image/jpeg;base64," + base64.b64encode(GALLERY["image1.jpg"]).decode()
        ),
        atol=1e-5,
    )


def test_client_side_cohere_url_that_cannot_be_loaded(
    client: TiDBClient,
    image_server: ImageServer,
    cohere_mock: CohereMock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = use(cohere_mock, monkeypatch)
    # By default the SDK fetches as the database does: public hosts only.
    safe = EmbeddingFunction("cohere/embed-v4.0", api_key=key, multimodal=True, use_server=False)
    with pytest.raises(ImageFetchError, match="autovec_image_allow_private_hosts") as refused:
        safe.get_source_embeddings([image_server.url("red.png")], source_type="image")
    assert refused.value.errno == 1290
    fn = EmbeddingFunction(
        "cohere/embed-v4.0",
        api_key=key,
        multimodal=True,
        use_server=False,
        image_fetch_policy=LOOPBACK,
    )
    image_server.images["notes.txt"] = b"not an image at all"
    # Cohere's own limit (5 MB) is below the fetch policy's (10 MB).
    image_server.images["big.jpg"] = GALLERY["image1.jpg"] + bytes(5 * 1024 * 1024)
    for name, message in (
        ("missing.jpg", "404"),
        ("notes.txt", "not an image"),
        ("big.jpg", "larger than the embedding provider accepts"),
    ):
        with pytest.raises(ImageFetchError, match=message) as exc:
            fn.get_source_embeddings([image_server.url(name)], source_type="image")
        assert image_server.url(name) in str(exc.value) and exc.value.errno > 0
    assert cohere_mock.requests == []
    assert image_server.fetched == ["missing.jpg", "notes.txt", "big.jpg"]
