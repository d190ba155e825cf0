"""pytest fixtures: one started mock per provider, fresh for each test.

Enable them for the whole suite with one line in ``tests/conftest.py``::

    from tests.mock_providers.fixtures import *  # noqa: F403

``mock_variables`` gives the ``TIDB_EXP_EMBED_<PROVIDER>_API_KEY/_API_BASE`` values
that point clients at every mock; ``no_internet`` makes any connection to a
non-loopback address fail loudly.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from tests.mock_providers.cohere import CohereMock
from tests.mock_providers.dashscope import DashScopeMock
from tests.mock_providers.gemini import GeminiMock
from tests.mock_providers.huggingface import HuggingFaceMock
from tests.mock_providers.images import COLOURS, ImageServer, make_image
from tests.mock_providers.jina import JinaMock
from tests.mock_providers.nvidia_nim import NvidiaNIMMock
from tests.mock_providers.openai import OpenAIMock
from tests.mock_providers.server import MockServer
from tests.mock_providers.tei import TEIMock
from tests.mock_providers.tidbcloud_free import TiDBCloudFreeMock

__all__ = [
    "cohere_mock",
    "dashscope_mock",
    "gemini_mock",
    "huggingface_mock",
    "image_server",
    "jina_mock",
    "mock_variables",
    "no_internet",
    "nvidia_nim_mock",
    "openai_mock",
    "tei_mock",
    "tidbcloud_free_mock",
]


def _serve(mock: MockServer) -> Iterator[Any]:
    mock.start()
    try:
        yield mock
    finally:
        mock.stop()


@pytest.fixture
def openai_mock() -> Iterator[OpenAIMock]:
    """OpenAI ``/v1/embeddings``; ``.api_base`` is ``http://127.0.0.1:<port>/v1``."""
    yield from _serve(OpenAIMock(api_key="sk-test-0123456789abcdef"))


@pytest.fixture
def jina_mock() -> Iterator[JinaMock]:
    """Jina AI ``/v1/embeddings``."""
    yield from _serve(JinaMock(api_key="jina_test_0123456789abcdef"))


@pytest.fixture
def dashscope_mock() -> Iterator[DashScopeMock]:
    """DashScope native text, multimodal and compatible-mode endpoints."""
    yield from _serve(DashScopeMock(api_key="sk-dashscope-0123456789"))


@pytest.fixture
def huggingface_mock() -> Iterator[HuggingFaceMock]:
    """Hugging Face Inference feature-extraction."""
    yield from _serve(HuggingFaceMock(api_key="hf_test0123456789abcdef"))


@pytest.fixture
def cohere_mock() -> Iterator[CohereMock]:
    """Cohere ``/v2/embed``."""
    yield from _serve(CohereMock(api_key="co-test-0123456789abcdef"))


@pytest.fixture
def gemini_mock() -> Iterator[GeminiMock]:
    """Gemini ``:batchEmbedContents``."""
    yield from _serve(GeminiMock(api_key="AIzaTest0123456789abcdefghijk"))


@pytest.fixture
def nvidia_nim_mock() -> Iterator[NvidiaNIMMock]:
    """NVIDIA NIM ``/v1/embeddings``."""
    yield from _serve(NvidiaNIMMock(api_key="nvapi-test-0123456789abcdef"))


@pytest.fixture
def tidbcloud_free_mock() -> Iterator[TiDBCloudFreeMock]:
    """TiDB Cloud hosted embeddings."""
    yield from _serve(TiDBCloudFreeMock(api_key="tidb-hosted-key"))


@pytest.fixture
def image_server() -> Iterator[ImageServer]:
    """Loopback image URLs for the multimodal mocks to fetch: ``<colour>.png`` for each
    of :data:`~tests.mock_providers.images.COLOURS` (32×32), more by adding to ``.images``."""
    images = {f"{name}.png": make_image(rgb) for name, rgb in COLOURS.items()}
    with ImageServer(images) as server:
        yield server


@pytest.fixture
def tei_mock() -> Iterator[TEIMock]:
    """A text-embeddings-inference re-ranker ``/rerank``, started with ``--api-key``.

    Not part of ``mock_variables``: its key variable is the Hugging Face one, which
    would replace ``huggingface_mock``'s.
    """
    yield from _serve(TEIMock(api_key="tei-secret-0123456789abcdef"))


@pytest.fixture
def mock_variables(
    openai_mock: OpenAIMock,
    jina_mock: JinaMock,
    dashscope_mock: DashScopeMock,
    huggingface_mock: HuggingFaceMock,
    cohere_mock: CohereMock,
    gemini_mock: GeminiMock,
    nvidia_nim_mock: NvidiaNIMMock,
    tidbcloud_free_mock: TiDBCloudFreeMock,
) -> dict[str, str]:
    """Every mock's key and base as ``TIDB_EXP_EMBED_*`` variables."""
    out: dict[str, str] = {}
    for mock in (
        openai_mock,
        jina_mock,
        dashscope_mock,
        huggingface_mock,
        cohere_mock,
        gemini_mock,
        nvidia_nim_mock,
        tidbcloud_free_mock,
    ):
        out.update(mock.variables())
    return out


def _is_loopback(host: object) -> bool:
    if not isinstance(host, str):
        return False
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture
def no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any DNS lookup or connection that is not to the loopback interface."""
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
            raise ConnectionRefusedError(f"test tried to reach the internet: {address!r}")
        return real_connect(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not _is_loopback(host if isinstance(host, str) else host.decode()):
            raise socket.gaierror(f"test tried to resolve a remote host: {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
