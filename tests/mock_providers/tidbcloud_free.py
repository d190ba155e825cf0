"""Mock of TiDB Cloud's hosted embedding service (TiDB ``tidbcloud_free`` embedder).

``POST /api/v1/inference/embeddings/{billing_id}`` with ``{"model", "texts", ...}``;
answers ``{"embeddings": [<base64 float32>, ...]}``, errors ``{"error": "..."}``. The
Cohere models require ``input_type``; titan accepts ``dimensions`` 1024/512/256.
Vectors: :func:`fake_vector` salted ``"<model>|<input_type>"``.
"""

from __future__ import annotations

import numpy as np

from tests.mock_providers.openai import truncate
from tests.mock_providers.server import Failure, MockServer, Recorded, Reply, b64_f32, fake_vector

__all__ = ["TIDBCLOUD_MODELS", "TiDBCloudFreeMock"]

TIDBCLOUD_MODELS = {
    "amazon/titan-embed-text-v2": (1024, {1024, 512, 256}),
    "cohere/embed-english-v3": (1024, {1024}),
    "cohere/embed-multilingual-v3": (1024, {1024}),
}


class TiDBCloudFreeMock(MockServer):
    """``api_base = base_url``; no key needed."""

    name = "tidbcloud_free"
    max_texts = 16

    def expected(
        self, text: str, model: str, input_type: str = "", dims: int | None = None
    ) -> np.ndarray:
        native = TIDBCLOUD_MODELS[model][0]
        return truncate(fake_vector(text, native, salt=f"{model}|{input_type}"), dims or native)

    def error(self, status: int, message: str, req: Recorded | None = None) -> Reply:
        return Reply(status, {"error": message})

    def route(self, req: Recorded, failure: Failure | None) -> Reply:
        prefix = "/api/v1/inference/embeddings/"
        if req.method != "POST" or not req.path.startswith(prefix):
            return self.error(404, "not found")
        body = req.body
        if not isinstance(body, dict):
            return self.error(400, "invalid JSON")
        model = body.get("model")
        if model not in TIDBCLOUD_MODELS:
            return self.error(400, f"unsupported model {model!r}")
        native, allowed = TIDBCLOUD_MODELS[model]
        texts = body.get("texts")
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
            return self.error(400, "texts must be a non-empty list of strings")
        if len(texts) > self.max_texts:
            return self.error(400, f"at most {self.max_texts} texts per request")
        input_type = body.get("input_type", "")
        if model.startswith("cohere/") and input_type not in ("search_document", "search_query"):
            return self.error(400, "input_type is required for cohere models")
        dims = body.get("dimensions", native)
        if dims not in allowed:
            return self.error(400, f"dimensions {dims!r} not supported by {model}")
        size = self.shorten(failure, dims)
        vectors = [
            b64_f32(truncate(fake_vector(t, native, salt=f"{model}|{input_type}"), size))
            for t in texts
        ]
        return Reply(200, {"embeddings": vectors})
