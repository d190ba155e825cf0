"""Seed 003's image search through the SDK against a real ``autovec serve``.

The same example as ``tests/client/test_sdk_image_search.py`` (``run_seed_003``), with the
client connected over the MySQL protocol (``TiDBClient.connect(host=..., port=...)``, as to
TiDB Cloud) to one server subprocess. The Jina, Cohere and DashScope mocks and the image
server run in this process; the server inherits the mocks' API bases from its environment,
in case the SDK leaves the embedding to it. Images are on loopback, which the database
fetches only with the test-only ``autovec_image_allow_private_hosts`` setting, so that is
turned on; the SDK's own requests need no such thing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from autovec import TiDBClient
from tests.client.image_seed import Gallery, gallery, run_seed_003
from tests.client.test_sdk_image_search import LOOPBACK, check_seed_results
from tests.mock_providers import CohereMock, DashScopeMock, JinaMock
from tests.mock_providers.images import ImageServer
from tests.mock_providers.server import MockServer
from tests.server.conftest import RunningServer, start_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:This declarative base already contains a class"),
]

MOCKS: dict[str, MockServer] = {
    "jina_ai/jina-embedding-v4": JinaMock(api_key="jina_seed003_0123456789abcdef"),
    "cohere/embed-v4.0": CohereMock(api_key="co-seed003-0123456789abcdef"),
    "dashscope/tongyi-embedding-vision-plus": DashScopeMock(api_key="sk-seed003-0123456789"),
}
DIMENSIONS = {
    "jina_ai/jina-embedding-v4": 2048,
    "cohere/embed-v4.0": 1536,
    "dashscope/tongyi-embedding-vision-plus": 1152,
}


@pytest.fixture(scope="module")
def mocks() -> Iterator[dict[str, MockServer]]:
    for mock in MOCKS.values():
        mock.start()
    with pytest.MonkeyPatch.context() as patch:
        for mock in MOCKS.values():
            patch.setenv(f"TIDB_EXP_EMBED_{mock.name.upper()}_API_BASE", mock.api_base)
        yield MOCKS
    for mock in MOCKS.values():
        mock.stop()


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gallery]:
    with ImageServer() as server:
        yield gallery(server, tmp_path_factory.mktemp("query"))


@pytest.fixture(scope="module")
def server(
    mocks: dict[str, MockServer], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("served") / "data")
    yield running
    running.stop()


@pytest.fixture
def client(server: RunningServer) -> Iterator[TiDBClient]:
    c = TiDBClient.connect(
        host=server.host,
        port=server.port,
        username="root",
        password="",
        database="test",
        ensure_db=True,
    )
    c.execute("SET @@GLOBAL.autovec_image_allow_private_hosts = ON", raise_error=True)
    yield c
    c.disconnect()


@pytest.mark.parametrize("model_name", list(MOCKS))
def test_seed_003_against_autovec_serve(
    model_name: str, client: TiDBClient, images: Gallery, mocks: dict[str, MockServer]
) -> None:
    mock = mocks[model_name]
    assert mock.api_key is not None
    # The SDK fetches Cohere's URLs itself, public hosts only unless told (see image_seed).
    policy = LOOPBACK if model_name.startswith("cohere/") else None
    results = run_seed_003(client, model_name, mock.api_key, images, policy)
    check_seed_results(results, DIMENSIONS[model_name])
    assert results.by_url[0]["image_uri"] == images.uris[1]
    # The rows are in the server's data directory: a second connection sees them.
    other = TiDBClient.connect(host=client.db_engine.url.host, port=client.db_engine.url.port)
    try:
        stored = other.query("SELECT id, image_uri FROM test.image_items ORDER BY id").to_list()
    finally:
        other.disconnect()
    assert [row["image_uri"] for row in stored] == images.uris
