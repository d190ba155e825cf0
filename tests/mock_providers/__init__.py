"""In-process mock servers for every remote embedding provider (see ``server.py``).

Each follows ``shared/reference/providers.md``: request validation, response shapes
(base64 included), documented error bodies and rate-limit headers, and switchable
failure modes. The Jina, Cohere and DashScope mocks also serve their vendor's rerank
API, and :class:`TEIMock` is a text-embeddings-inference ``/rerank`` server. Fixtures
are in :mod:`tests.mock_providers.fixtures`.
"""

from tests.mock_providers.cohere import CohereMock
from tests.mock_providers.dashscope import DashScopeMock
from tests.mock_providers.gemini import GeminiMock
from tests.mock_providers.huggingface import HuggingFaceMock
from tests.mock_providers.jina import JinaMock
from tests.mock_providers.nvidia_nim import NvidiaNIMMock
from tests.mock_providers.openai import OpenAIMock
from tests.mock_providers.server import FAILURE_MODES, MockServer, Recorded, b64_f32, fake_vector
from tests.mock_providers.tei import TEIMock
from tests.mock_providers.tidbcloud_free import TiDBCloudFreeMock

__all__ = [
    "FAILURE_MODES",
    "CohereMock",
    "DashScopeMock",
    "GeminiMock",
    "HuggingFaceMock",
    "JinaMock",
    "MockServer",
    "NvidiaNIMMock",
    "OpenAIMock",
    "Recorded",
    "TEIMock",
    "TiDBCloudFreeMock",
    "b64_f32",
    "fake_vector",
]
