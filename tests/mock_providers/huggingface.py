"""Mock of Hugging Face Inference feature-extraction (providers.md §4a).

``POST /models/{id}/pipeline/feature-extraction`` (and the legacy ``/models/{id}``),
``Authorization: Bearer hf_...``. Body ``{"inputs": str | [str], "normalize",
"prompt_name", "truncate", "truncation_direction"}``; answers ``[[...], ...]`` for a list
and ``[...]`` for a single string. Errors are ``{"error": "..."}``; more than 32 inputs
is TEI's 413 ``Validation``. A model listed in ``cold`` answers its first request with
503 ``{"error": "Model X is currently loading", "estimated_time": ...}`` unless the
client sends ``x-wait-for-model: true`` (then the mock waits and answers 200).
Vectors: :func:`fake_vector` salted with the model id, over the text as received.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tests.mock_providers.server import Failure, MockServer, Recorded, Reply, fake_vector

__all__ = ["HF_MODELS", "HuggingFaceMock"]

HF_MODELS = {
    "intfloat/multilingual-e5-large": 1024,
    "BAAI/bge-m3": 1024,
    "sentence-transformers/all-MiniLM-L6-v2": 384,
    "sentence-transformers/all-mpnet-base-v2": 768,
    "Qwen/Qwen3-Embedding-0.6B": 1024,
}
_PROMPTS = {
    "intfloat/multilingual-e5-large": {"query": "query: ", "passage": "passage: "},
}


class HuggingFaceMock(MockServer):
    """``api_base = base_url`` (stands in for ``https://router.huggingface.co/hf-inference``)."""

    name = "huggingface"
    max_client_batch_size = 32

    def __init__(
        self,
        *,
        cold: set[str] | None = None,
        estimated_time: float = 0.05,
        honor_wait_header: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.cold = set(cold or ())
        self.estimated_time = estimated_time
        self.honor_wait_header = honor_wait_header

    def expected(self, text: str, model: str) -> np.ndarray:
        """The vector for ``text`` exactly as sent (prompt prefix included)."""
        return fake_vector(text, HF_MODELS[model], salt=model)

    def error(self, status: int, message: str, req: Recorded | None = None) -> Reply:
        return Reply(status, {"error": message})

    def unauthorized(self, req: Recorded | None = None) -> Reply:
        return self.error(401, "Invalid credentials in Authorization header")

    def route(self, req: Recorded, failure: Failure | None) -> Reply:
        path = req.path
        suffix = "/pipeline/feature-extraction"
        if req.method != "POST" or not path.startswith("/models/"):
            return self.error(404, "Not Found")
        model = path[len("/models/") :]
        if model.endswith(suffix):
            model = model[: -len(suffix)]
        if not self.bearer_ok(req):
            return self.unauthorized()
        if model not in HF_MODELS:
            return self.error(404, f"Model {model} does not exist")
        if model in self.cold:
            self.cold.discard(model)
            if self.honor_wait_header and req.header("x-wait-for-model") == "true":
                import time

                time.sleep(self.estimated_time)
            else:
                return Reply(
                    503,
                    {
                        "error": f"Model {model} is currently loading",
                        "estimated_time": self.estimated_time,
                    },
                )
        body = req.body
        if not isinstance(body, dict) or "inputs" not in body:
            return self.error(400, "Failed to deserialize the JSON body: missing field `inputs`")
        inputs = body["inputs"]
        single = isinstance(inputs, str)
        texts = [inputs] if single else inputs
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
            return self.error(400, "inputs must be a string or a list of strings")
        if len(texts) > self.max_client_batch_size:
            return Reply(
                413,
                {
                    "error": f"batch size {len(texts)} > maximum allowed batch size "
                    f"{self.max_client_batch_size}",
                    "error_type": "Validation",
                },
            )
        prompt_name = body.get("prompt_name")
        if prompt_name is not None:
            prompts = _PROMPTS.get(model, {})
            if prompt_name not in prompts:
                return Reply(
                    422,
                    {"error": f"Prompt name {prompt_name} not found", "error_type": "Validation"},
                )
            texts = [prompts[prompt_name] + t for t in texts]
        size = self.shorten(failure, HF_MODELS[model])
        vectors = [fake_vector(t, HF_MODELS[model], salt=model)[:size].tolist() for t in texts]
        return Reply(200, vectors[0] if single else vectors)
