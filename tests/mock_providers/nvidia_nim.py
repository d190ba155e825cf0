"""Mock of NVIDIA NIM ``POST /v1/embeddings`` (OpenAI-shaped; TiDB's nvidia embedder).

Validates the Bearer key (a wrong or missing key is 403, which TiDB reports as
"unauthorized"), ``model``, ``input``, ``input_type`` (``query``/``passage``),
``encoding_format`` and ``truncate``. Errors are ``{"status", "title", "detail"}``.
Vectors: :func:`fake_vector` salted ``"<model>|<input_type>"``.
"""

from __future__ import annotations

import numpy as np

from tests.mock_providers.server import Failure, MockServer, Recorded, Reply, b64_f32, fake_vector

__all__ = ["NIM_MODELS", "NvidiaNIMMock"]

NIM_MODELS = {"baai/bge-m3": 1024, "nvidia/nv-embed-v1": 4096}
_TITLES = {
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class NvidiaNIMMock(MockServer):
    """``api_base = {base_url}/v1``."""

    name = "nvidia_nim"

    @property
    def api_base(self) -> str:
        return self.base_url + "/v1"

    def expected(
        self, text: str, model: str = "baai/bge-m3", input_type: str = "passage"
    ) -> np.ndarray:
        return fake_vector(text, NIM_MODELS[model], salt=f"{model}|{input_type}")

    def error(self, status: int, message: str, req: Recorded | None = None) -> Reply:
        return Reply(
            status, {"status": status, "title": _TITLES.get(status, "Error"), "detail": message}
        )

    def unauthorized(self, req: Recorded | None = None) -> Reply:
        return self.error(403, "Authorization failed")

    def route(self, req: Recorded, failure: Failure | None) -> Reply:
        if req.method != "POST" or req.path != "/v1/embeddings":
            return self.error(404, "Not Found")
        if not self.bearer_ok(req):
            return self.unauthorized()
        body = req.body
        if not isinstance(body, dict):
            return self.error(400, "Invalid JSON body")
        model = body.get("model")
        if model not in NIM_MODELS:
            return self.error(404, f"Function not found for account (model '{model}')")
        texts = body.get("input")
        if isinstance(texts, str):
            texts = [texts]
        if (
            not isinstance(texts, list)
            or not texts
            or not all(isinstance(t, str) and t for t in texts)
        ):
            return self.error(422, "input must be a non-empty string or list of non-empty strings")
        input_type = body.get("input_type")
        if input_type not in (None, "query", "passage"):
            return self.error(422, f"input_type must be 'query' or 'passage', got {input_type!r}")
        fmt = body.get("encoding_format", "float")
        if fmt not in ("float", "base64"):
            return self.error(422, f"encoding_format {fmt!r} is not supported")
        if body.get("truncate", "NONE") not in ("NONE", "START", "END"):
            return self.error(422, "truncate must be NONE, START or END")
        native = NIM_MODELS[model]
        size = self.shorten(failure, native)
        data = []
        for index, text in enumerate(texts):
            vec = fake_vector(text, native, salt=f"{model}|{input_type or ''}")[:size]
            data.append(
                {
                    "object": "embedding",
                    "index": index,
                    "embedding": b64_f32(vec) if fmt == "base64" else vec.tolist(),
                }
            )
        tokens = sum(max(1, len(t) // 4) for t in texts)
        return Reply(
            200,
            {
                "object": "list",
                "model": model,
                "data": data,
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            },
        )
