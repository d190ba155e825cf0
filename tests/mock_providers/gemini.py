"""Mock of Google Gemini embeddings (providers.md §5).

``POST /v1beta/models/{model}:batchEmbedContents`` (and ``:embedContent``), key in
``x-goog-api-key`` or ``?key=``. Each request needs ``model`` = ``models/{model}`` and
``content.parts[].text``; ``taskType``, ``title`` and ``outputDimensionality`` are checked
(snake_case spellings are accepted, as proto JSON does; unknown fields are rejected).
More than 100 requests is the documented 400 INVALID_ARGUMENT. Errors are Google's
``{"error": {"code", "message", "status"}}``. Vectors: :func:`fake_vector` salted
``"<model>|<taskType>"``; like the real API, only full-size output is unit length
(truncated vectors are *not* renormalised by the server).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tests.mock_providers.server import Failure, MockServer, Recorded, Reply, fake_vector

__all__ = ["GEMINI_MODELS", "GeminiMock"]

GEMINI_MODELS = {"gemini-embedding-001": 3072, "text-embedding-004": 768}
TASK_TYPES = {
    "TASK_TYPE_UNSPECIFIED",
    "SEMANTIC_SIMILARITY",
    "CLASSIFICATION",
    "CLUSTERING",
    "RETRIEVAL_DOCUMENT",
    "RETRIEVAL_QUERY",
    "CODE_RETRIEVAL_QUERY",
    "QUESTION_ANSWERING",
    "FACT_VERIFICATION",
}
_FIELDS = {
    "model": "model",
    "content": "content",
    "taskType": "taskType",
    "task_type": "taskType",
    "title": "title",
    "outputDimensionality": "outputDimensionality",
    "output_dimensionality": "outputDimensionality",
}
_STATUS = {
    400: "INVALID_ARGUMENT",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


class GeminiMock(MockServer):
    """``api_base = {base_url}/v1beta``."""

    name = "gemini"
    max_requests = 100

    @property
    def api_base(self) -> str:
        return self.base_url + "/v1beta"

    def expected(
        self, text: str, model: str = "gemini-embedding-001", task_type: str = "RETRIEVAL_DOCUMENT"
    ) -> np.ndarray:
        """The full-size vector for ``text``."""
        return fake_vector(text, GEMINI_MODELS[model], salt=f"{model}|{task_type}")

    def error(self, status: int, message: str, req: Recorded | None = None) -> Reply:
        return Reply(
            status,
            {
                "error": {
                    "code": status,
                    "message": message,
                    "status": _STATUS.get(status, "UNKNOWN"),
                }
            },
        )

    def unauthorized(self, req: Recorded | None = None) -> Reply:
        return self.error(400, "API key not valid. Please pass a valid API key.")

    def rate_limited(self, message: str | None, req: Recorded | None = None) -> Reply:
        return self.error(429, message or "Resource has been exhausted (e.g. check quota).")

    def route(self, req: Recorded, failure: Failure | None) -> Reply:
        prefix = "/v1beta/models/"
        if req.method != "POST" or not req.path.startswith(prefix) or ":" not in req.path:
            return self.error(404, f"Not found: {req.path}")
        model, _, method = req.path[len(prefix) :].partition(":")
        key = req.header("x-goog-api-key") or next(iter(req.query.get("key", [])), None)
        if not key:
            return self.error(
                403,
                "Method doesn't allow unregistered callers (callers without established identity).",
            )
        if key != self.api_key:
            return self.unauthorized()
        if model not in GEMINI_MODELS:
            return self.error(404, f"models/{model} is not found for API version v1beta")
        body = req.body
        if not isinstance(body, dict):
            return self.error(400, "Invalid JSON payload received.")
        if method == "embedContent":
            result = self._one(model, {**body, "model": f"models/{model}"}, failure, "")
            return (
                result
                if isinstance(result, Reply)
                else Reply(200, {"embedding": {"values": result}})
            )
        if method != "batchEmbedContents":
            return self.error(404, f"Method {method} not found")
        requests = body.get("requests")
        if not isinstance(requests, list) or not requests:
            return self.error(400, "* BatchEmbedContentsRequest.requests: requests is required\n")
        if len(requests) > self.max_requests:
            return self.error(
                400,
                "* BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch\n",
            )
        out = []
        for i, item in enumerate(requests):
            result = self._one(model, item, failure, f"requests[{i}]")
            if isinstance(result, Reply):
                return result
            out.append({"values": result})
        return Reply(200, {"embeddings": out})

    def _one(
        self, model: str, item: Any, failure: Failure | None, where: str
    ) -> list[float] | Reply:
        if not isinstance(item, dict):
            return self.error(400, f"Invalid JSON payload received at '{where}'.")
        fields: dict[str, Any] = {}
        for name, value in item.items():
            if name not in _FIELDS:
                return self.error(
                    400,
                    f"Invalid JSON payload received. Unknown name \"{name}\" at '{where}': "
                    "Cannot find field.",
                )
            fields[_FIELDS[name]] = value
        if fields.get("model") != f"models/{model}":
            return self.error(
                400, f"* BatchEmbedContentsRequest.{where}.model: unexpected model name format"
            )
        parts = (fields.get("content") or {}).get("parts")
        if (
            not isinstance(parts, list)
            or not parts
            or not all(isinstance(p, dict) and isinstance(p.get("text"), str) for p in parts)
        ):
            return self.error(
                400, f"* BatchEmbedContentsRequest.{where}.content: contents is not specified"
            )
        text = "".join(p["text"] for p in parts)
        if not text:
            return self.error(400, f"* BatchEmbedContentsRequest.{where}.content: empty text")
        task = fields.get("taskType", "TASK_TYPE_UNSPECIFIED")
        if task not in TASK_TYPES:
            return self.error(400, f"Invalid value at '{where}.task_type', \"{task}\"")
        if "title" in fields and task != "RETRIEVAL_DOCUMENT":
            return self.error(400, "Title is only applicable for RETRIEVAL_DOCUMENT task type.")
        native = GEMINI_MODELS[model]
        dims = fields.get("outputDimensionality", native)
        if not isinstance(dims, int) or not 1 <= dims <= native:
            return self.error(400, f"* {where}.output_dimensionality: {dims!r} is out of range")
        size = self.shorten(failure, dims)
        return fake_vector(text, native, salt=f"{model}|{task}")[:size].tolist()
