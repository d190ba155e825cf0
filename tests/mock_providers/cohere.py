"""Mock of Cohere ``POST /v2/embed`` (providers.md §5).

Validates the Bearer key, ``model``, a required ``input_type``, exactly one of ``texts``
(≤ 96) / ``images`` (1 data URI) / ``inputs`` (≤ 96 content lists), ``embedding_types``,
``output_dimension`` (embed-v4.0 only: 256/512/1024/1536) and ``truncate``. Answers
``{"id", "embeddings": {"float": [[...]], ...}, "texts", "meta", "response_type":
"embeddings_by_type"}``; errors are ``{"message": "..."}``. Vectors:
:func:`fake_vector` salted ``"<model>|<input_type>"``; embed-v4.0's images (inline
``data:image/png|jpeg;base64`` URIs only, at most 5 MB, decodable) and its texts naming a
colour share the colour space of :mod:`tests.mock_providers.images`.

``POST /v2/rerank`` is served too: ``model`` (one of :data:`COHERE_RERANK_MODELS`,
else 404), ``query`` (string), ``documents`` (1..10,000 strings; v2 takes no objects),
``top_n`` and ``max_tokens_per_doc`` (integers ≥ 1); any other field (v1's
``return_documents``, ``rank_fields``...) is a 400. Answers ``{"id", "results":
[{"index", "relevance_score"}], "meta": {"api_version", "billed_units":
{"search_units"}}}`` best first, scored by :func:`~tests.mock_providers.rerank.relevance`.
"""

from __future__ import annotations

import uuid
from typing import Any

import numpy as np

from tests.mock_providers.images import (
    ImageRejected,
    check_decodable,
    content_vector,
    image_bytes,
    multimodal_vector,
    sniff_format,
)
from tests.mock_providers.openai import truncate
from tests.mock_providers.rerank import ranked
from tests.mock_providers.server import Failure, MockServer, Recorded, Reply, b64_f32, fake_vector

__all__ = ["COHERE_MODELS", "COHERE_RERANK_MODELS", "CohereMock"]

#: model → (default dims, allowed output_dimension values or None, multimodal inputs)
COHERE_MODELS: dict[str, tuple[int, set[int] | None, bool]] = {
    "embed-v4.0": (1536, {256, 512, 1024, 1536}, True),
    "embed-english-v3.0": (1024, None, False),
    "embed-multilingual-v3.0": (1024, None, False),
    "embed-english-light-v3.0": (384, None, False),
    "embed-multilingual-light-v3.0": (384, None, False),
}
MAX_IMAGE_BYTES = 5 * 1024 * 1024
_INPUT_TYPES = {"search_document", "search_query", "classification", "clustering", "image"}
_TYPES = {"float", "int8", "uint8", "binary", "ubinary", "base64"}
COHERE_RERANK_MODELS = frozenset(
    {
        "rerank-v4.0-pro",
        "rerank-v4.0-fast",
        "rerank-v3.5",
        "rerank-english-v3.0",
        "rerank-multilingual-v3.0",
    }
)
_RERANK_FIELDS = frozenset({"model", "query", "documents", "top_n", "max_tokens_per_doc"})


class CohereMock(MockServer):
    """``api_base = base_url`` (the client appends ``/v2/embed``)."""

    name = "cohere"
    max_texts = 96
    max_rerank_documents = 10_000

    def expected(
        self, key: str, model: str = "embed-v4.0", input_type: str = "search_document", dims=None
    ) -> np.ndarray:
        """The float vector returned for ``key`` (text, or ``"image:<data URI>"``)."""
        vec = self._vector(key, model, input_type)
        return truncate(vec, dims) if dims else vec

    @staticmethod
    def _vector(key: str, model: str, input_type: str) -> np.ndarray:
        native, _, multimodal = COHERE_MODELS[model]
        if key.startswith("image:"):
            return content_vector(image_bytes(key.removeprefix("image:")), native, salt=model)
        if multimodal:
            return multimodal_vector(key, native, salt=model, text_salt=f"{model}|{input_type}")
        return fake_vector(key, native, salt=f"{model}|{input_type}")

    @staticmethod
    def _image_problem(uri: str) -> str | None:
        """Why Cohere refuses an image, or None: inline PNG/JPEG up to 5 MB only."""
        if not uri.startswith("data:image/"):
            return "image_url must be a data URI (base64-encoded image)"
        try:
            data = image_bytes(uri, allow_urls=False)
            check_decodable(data)
        except ImageRejected as exc:
            return str(exc)
        if sniff_format(data) not in ("png", "jpeg"):
            return "unsupported image type, expected image/png or image/jpeg"
        if len(data) > MAX_IMAGE_BYTES:
            return f"image size must be at most {MAX_IMAGE_BYTES} bytes"
        return None

    def error(self, status: int, message: str, req: Recorded | None = None) -> Reply:
        return Reply(status, {"id": str(uuid.uuid4()), "message": message})

    def unauthorized(self, req: Recorded | None = None) -> Reply:
        return Reply(401, {"message": "invalid api token"})

    def rate_limited(self, message: str | None, req: Recorded | None = None) -> Reply:
        return self.error(
            429, message or "You are using a Trial key, which is limited to 100 API calls / minute."
        )

    def route(self, req: Recorded, failure: Failure | None) -> Reply:
        if req.method == "POST" and req.path == "/v2/rerank":
            return self._rerank(req)
        if req.method != "POST" or req.path != "/v2/embed":
            return self.error(404, f"Not found: {req.path}")
        if not self.bearer_ok(req):
            return self.unauthorized()
        body = req.body
        if not isinstance(body, dict):
            return self.error(400, "invalid request: body is not JSON")
        model = body.get("model")
        if model not in COHERE_MODELS:
            return self.error(
                404, f"model '{model}' not found, make sure the correct model ID was used"
            )
        native, allowed, multimodal = COHERE_MODELS[model]
        input_type = body.get("input_type")
        if input_type not in _INPUT_TYPES:
            return self.error(
                400,
                "invalid request: valid input_type must be provided with the provided model",
            )
        given = [k for k in ("texts", "images", "inputs") if k in body]
        if len(given) != 1:
            return self.error(
                400, "invalid request: exactly one of texts, images or inputs is required"
            )
        keys = self._keys(given[0], body[given[0]], multimodal)
        if isinstance(keys, Reply):
            return keys
        types = body.get("embedding_types", ["float"])
        if not isinstance(types, list) or not types or not set(types) <= _TYPES:
            return self.error(400, f"invalid request: embedding_types {types!r} is invalid")
        dims = body.get("output_dimension")
        if dims is not None and (allowed is None or dims not in allowed):
            return self.error(400, f"invalid request: output_dimension {dims!r} is not supported")
        if body.get("truncate", "END") not in ("NONE", "START", "END"):
            return self.error(400, "invalid request: truncate must be one of NONE, START, END")
        size = self.shorten(failure, dims or native)
        vectors = [truncate(self._vector(k, model, input_type), size) for k in keys]
        embeddings: dict[str, Any] = {}
        for kind in types:
            if kind == "float":
                embeddings["float"] = [v.tolist() for v in vectors]
            elif kind == "base64":
                embeddings["base64"] = [b64_f32(v) for v in vectors]
            elif kind in ("int8", "uint8"):
                shift = 0 if kind == "int8" else 128
                embeddings[kind] = [
                    (np.round(v * 127) + shift).astype(int).tolist() for v in vectors
                ]
            else:
                embeddings[kind] = [np.packbits(v > 0).astype(int).tolist() for v in vectors]
        images = sum(1 for k in keys if k.startswith("image:"))
        return Reply(
            200,
            {
                "id": str(uuid.uuid4()),
                "embeddings": embeddings,
                "texts": [k for k in keys if not k.startswith("image:")],
                "meta": {
                    "api_version": {"version": "2"},
                    "billed_units": {"input_tokens": 5 * len(keys), "image_tokens": 1610 * images},
                },
                "response_type": "embeddings_by_type",
            },
        )

    def _keys(self, field: str, value: Any, multimodal: bool) -> list[str] | Reply:
        if not isinstance(value, list) or not value:
            return self.error(400, f"invalid request: {field} must be a non-empty list")
        if field == "texts":
            if len(value) > self.max_texts:
                return self.error(
                    400,
                    f"invalid request: total number of texts must be at most {self.max_texts} "
                    f"- received {len(value)}",
                )
            if not all(isinstance(t, str) for t in value):
                return self.error(400, "invalid request: texts must be strings")
            return list(value)
        if field == "images":
            if len(value) != 1 or not str(value[0]).startswith("data:image/"):
                return self.error(400, "invalid request: images must hold one data URI")
            problem = self._image_problem(str(value[0]))
            if problem:
                return self.error(400, f"invalid request: {problem}")
            return ["image:" + value[0]]
        if not multimodal:
            return self.error(400, "invalid request: inputs are not supported by this model")
        if len(value) > self.max_texts:
            return self.error(400, f"invalid request: at most {self.max_texts} inputs")
        keys = []
        for item in value:
            content = item.get("content") if isinstance(item, dict) else None
            if not isinstance(content, list) or len(content) != 1:
                return self.error(400, "invalid request: each input needs one content item")
            part = content[0]
            if part.get("type") == "text" and isinstance(part.get("text"), str):
                keys.append(part["text"])
            elif part.get("type") == "image_url":
                url = str((part.get("image_url") or {}).get("url", ""))
                problem = self._image_problem(url)
                if problem:
                    return self.error(400, f"invalid request: {problem}")
                keys.append("image:" + url)
            else:
                return self.error(400, "invalid request: bad content item")
        return keys

    def _rerank(self, req: Recorded) -> Reply:
        if not self.bearer_ok(req):
            return self.unauthorized()
        body = req.body
        if not isinstance(body, dict):
            return self.error(400, "invalid request: body is not JSON")
        unknown = sorted(set(body) - _RERANK_FIELDS)
        if unknown:
            return self.error(400, f"invalid request: unknown field(s) {', '.join(unknown)}")
        model = body.get("model")
        if model not in COHERE_RERANK_MODELS:
            return self.error(
                404, f"model '{model}' not found, make sure the correct model ID was used"
            )
        query = body.get("query")
        if not isinstance(query, str) or not query:
            return self.error(400, "invalid request: query must be a non-empty string")
        docs = body.get("documents")
        if not isinstance(docs, list) or not docs or not all(isinstance(d, str) for d in docs):
            return self.error(400, "invalid request: documents must be a non-empty list of strings")
        if len(docs) > self.max_rerank_documents:
            return self.error(
                400,
                f"invalid request: too many documents, got {len(docs)}, "
                f"max {self.max_rerank_documents}",
            )
        for field in ("top_n", "max_tokens_per_doc"):
            value = body.get(field)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 1
            ):
                return self.error(400, f"invalid request: {field} must be a positive integer")
        results = [
            {"index": index, "relevance_score": score}
            for index, score in ranked(query, docs)[: body.get("top_n")]
        ]
        return Reply(
            200,
            {
                "id": str(uuid.uuid4()),
                "results": results,
                "meta": {
                    "api_version": {"version": "2"},
                    "billed_units": {"search_units": -(-len(docs) // 100)},
                },
            },
        )
