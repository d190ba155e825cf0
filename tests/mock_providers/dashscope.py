"""Mock of Alibaba Cloud Model Studio / DashScope embeddings (providers.md §2, seed 004).

Three endpoints on one server (``api_base = base_url``):

* native text ``/api/v1/services/embeddings/text-embedding/text-embedding``:
  ``{"model", "input": {"texts"}, "parameters": {dimension, text_type, output_type,
  instruct}}`` → ``output.embeddings[].{text_index, embedding, sparse_embedding}``;
  errors ``{"code", "message", "request_id"}``;
* native multimodal ``/api/v1/services/embeddings/multimodal-embedding/multimodal-embedding``:
  ``input.contents[]`` of ``{"text"}``/``{"image"}`` → ``output.embeddings[].{index, type,
  embedding}``;
* OpenAI-compatible ``/compatible-mode/v1/embeddings`` (floats only, even when asked
  for base64), errors in OpenAI shape plus ``id``/``request_id``.

Batch caps: v3/v4 10 texts, v1/v2 25 (the documented 400 ``batch size is invalid``).
Both ``Authorization: Bearer`` and ``X-DashScope-ApiKey`` are accepted. Vectors:
:func:`fake_vector` salted ``"<model>|<text_type>|<instruct>"`` (compat mode behaves as
``document``), Matryoshka-truncated to ``dimension``. Multimodal vectors live in the
colour space of :mod:`tests.mock_providers.images`: an image (a URL, fetched from
loopback only, or a ``data:image/...;base64`` URI) must be JPG, PNG or BMP and at most
3 MB, and a request holds at most 8 images for the tongyi models, 1 for
multimodal-embedding-v1 (seed 004); ``multi_images`` (≤ 8) is one fused vector. The cap
of 8 *contents* for the tongyi models is an assumption ([?] in the reference); v1 takes
one content per call.

The native text rerank ``/api/v1/services/rerank/text-rerank/text-rerank`` is served
too (Model Studio "Text rerank" page): ``{"model": gte-rerank / gte-rerank-v2 /
qwen3-rerank, "input": {"query", "documents": [1..500 non-empty strings]},
"parameters": {"top_n" ≥ 1, "return_documents": bool, "instruct" (qwen3-rerank only)}}``,
at most 30,000 tokens per request (estimated as characters / 4 over query + document,
per document); other parameters are a 400. Answers ``{"output": {"results": [{"index",
"relevance_score", "document"?: {"text"}}]}, "usage": {"total_tokens"}, "request_id"}``
best first, scored by :func:`~tests.mock_providers.rerank.relevance`.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import numpy as np

from tests.mock_providers.images import (
    ImageRejected,
    content_vector,
    image_bytes,
    multimodal_vector,
    sniff_format,
)
from tests.mock_providers.openai import truncate
from tests.mock_providers.rerank import ranked
from tests.mock_providers.server import Failure, MockServer, Recorded, Reply, fake_vector

__all__ = [
    "DASHSCOPE_MODELS",
    "MULTIMODAL_MODELS",
    "RERANK_MODELS",
    "DashScopeMock",
    "sparse_for",
]

TEXT_PATH = "/api/v1/services/embeddings/text-embedding/text-embedding"
MM_PATH = "/api/v1/services/embeddings/multimodal-embedding/multimodal-embedding"
COMPAT_PATH = "/compatible-mode/v1/embeddings"
RERANK_PATH = "/api/v1/services/rerank/text-rerank/text-rerank"

#: rerank model → (max documents, max tokens per request, takes ``instruct``)
RERANK_MODELS: dict[str, tuple[int, int, bool]] = {
    "gte-rerank": (500, 30_000, False),
    "gte-rerank-v2": (500, 30_000, False),
    "qwen3-rerank": (500, 30_000, True),
}
_RERANK_PARAMETERS = frozenset({"top_n", "return_documents", "instruct"})

#: model → (default dims, allowed dims, max texts per request, sparse/instruct support)
DASHSCOPE_MODELS: dict[str, tuple[int, set[int], int, bool]] = {
    "text-embedding-v1": (1536, {1536}, 25, False),
    "text-embedding-v2": (1536, {1536}, 25, False),
    "text-embedding-v3": (1024, {1024, 768, 512, 256, 128, 64}, 10, True),
    "text-embedding-v4": (1024, {2048, 1536, 1024, 768, 512, 256, 128, 64}, 10, True),
}
#: model → (default dims, allowed dims, max contents per request, max images per request)
MULTIMODAL_MODELS: dict[str, tuple[int, set[int], int, int]] = {
    "tongyi-embedding-vision-plus": (1152, {1152, 1024, 512, 256, 128, 64}, 8, 8),
    "tongyi-embedding-vision-flash": (768, {768, 512, 256, 128, 64}, 8, 8),
    "multimodal-embedding-v1": (1024, {1024}, 1, 1),
}
#: The image formats the multimodal models take (seed 004: JPG, PNG, BMP) and their size cap.
IMAGE_FORMATS = frozenset({"jpeg", "png", "bmp"})
MAX_IMAGE_BYTES = 3 * 1024 * 1024


def sparse_for(text: str) -> list[dict[str, Any]]:
    """Deterministic lexical weights: one entry per distinct whitespace token."""
    out = []
    for token in dict.fromkeys(text.split()):
        digest = hashlib.sha256(token.encode()).digest()
        out.append(
            {
                "index": int.from_bytes(digest[:4], "little") % 250_000,
                "value": round(0.1 + digest[4] / 255, 4),
                "token": token,
            }
        )
    return out


class DashScopeMock(MockServer):
    """All three DashScope embedding endpoints."""

    name = "dashscope"

    @property
    def compat_base(self) -> str:
        """The base URL that selects OpenAI-compatible mode."""
        return self.base_url + "/compatible-mode/v1"

    def expected(
        self,
        text: str,
        model: str = "text-embedding-v4",
        text_type: str = "document",
        instruct: str = "",
        dims: int | None = None,
    ) -> np.ndarray:
        """The dense vector the native API returns."""
        native = max(DASHSCOPE_MODELS[model][1])
        vec = fake_vector(text, native, salt=f"{model}|{text_type}|{instruct}")
        return truncate(vec, dims or DASHSCOPE_MODELS[model][0])

    def expected_mm(self, key: str, model: str, dims: int | None = None) -> np.ndarray:
        """A multimodal vector (``key`` is text or ``"image:<uri>"``)."""
        if key.startswith("image:"):
            vec = self._image_vector(key.removeprefix("image:"), model)
        else:
            vec = self._text_vector(key, model)
        return truncate(vec, dims or MULTIMODAL_MODELS[model][0])

    @staticmethod
    def _text_vector(text: str, model: str) -> np.ndarray:
        native = max(MULTIMODAL_MODELS[model][1])
        return multimodal_vector(text, native, salt=model, text_salt=f"{model}|mm")

    @staticmethod
    def _image_vector(value: str, model: str) -> np.ndarray:
        """An image content's vector; :class:`ImageRejected` says why it is refused."""
        if not value.startswith(("http://", "https://", "data:image/")):
            raise ImageRejected("InvalidURL")
        try:
            data = image_bytes(value)
        except ImageRejected:
            raise ImageRejected("InvalidURL") from None
        if sniff_format(data) not in IMAGE_FORMATS:
            raise ImageRejected("InvalidParameter.DataInspection")
        if len(data) > MAX_IMAGE_BYTES:
            raise ImageRejected("InvalidParameter")
        try:
            return content_vector(data, max(MULTIMODAL_MODELS[model][1]), salt=model)
        except ImageRejected:
            raise ImageRejected("InvalidParameter.DataInspection") from None

    # --- error bodies --------------------------------------------------------------------

    def _rid(self) -> str:
        return str(uuid.uuid4())

    def error(
        self, status: int, message: str, req: Recorded | None = None, code: str | None = None
    ) -> Reply:
        code = code or {
            400: "InvalidParameter",
            401: "InvalidApiKey",
            429: "Throttling.RateQuota",
            500: "InternalError",
            503: "ServiceUnavailable",
        }.get(status, "InternalError")
        rid = self._rid()
        if req is not None and req.path == COMPAT_PATH:
            return Reply(
                status,
                {
                    "error": {"message": message, "type": code, "param": None, "code": code},
                    "id": rid,
                    "request_id": rid,
                },
            )
        return Reply(status, {"code": code, "message": message, "request_id": rid})

    def unauthorized(self, req: Recorded | None = None) -> Reply:
        if req is not None and req.path == COMPAT_PATH:
            rid = self._rid()
            return Reply(
                401,
                {
                    "error": {
                        "message": "Incorrect API key provided. ",
                        "type": "invalid_request_error",
                        "param": None,
                        "code": "invalid_api_key",
                    },
                    "request_id": rid,
                },
            )
        return self.error(401, "Invalid API-key provided.", req, code="InvalidApiKey")

    def rate_limited(self, message: str | None, req: Recorded | None = None) -> Reply:
        return self.error(
            429, message or "Requests rate limit exceeded, please try again later.", req
        )

    # --- routing -------------------------------------------------------------------------

    def _key_ok(self, req: Recorded) -> bool:
        return self.bearer_ok(req) or req.header("x-dashscope-apikey") == self.api_key

    def route(self, req: Recorded, failure: Failure | None) -> Reply:
        if req.method != "POST" or req.path not in (TEXT_PATH, MM_PATH, COMPAT_PATH, RERANK_PATH):
            return self.error(404, f"Not found: {req.path}", req, code="NotFound")
        if not self._key_ok(req):
            return self.unauthorized(req)
        if not isinstance(req.body, dict):
            return self.error(400, "Request body is not valid JSON.", req)
        if req.path == TEXT_PATH:
            return self._text(req, failure)
        if req.path == MM_PATH:
            return self._multimodal(req, failure)
        if req.path == RERANK_PATH:
            return self._rerank(req)
        return self._compat(req, failure)

    def _batch_error(self, limit: int, field: str, req: Recorded) -> Reply:
        return self.error(
            400,
            "<400> InternalError.Algo.InvalidParameter: Value error, batch size is invalid, "
            f"it should not be larger than {limit}.: {field}",
            req,
        )

    def _text(self, req: Recorded, failure: Failure | None) -> Reply:
        body = req.body
        model = body.get("model")
        if not model:
            return self.error(
                400,
                'Required parameter "model" missing from request.',
                req,
                "BadRequest.EmptyModel",
            )
        if model not in DASHSCOPE_MODELS:
            return self.error(400, f"Model not exist: {model}", req, "InvalidParameter")
        default, allowed, limit, advanced = DASHSCOPE_MODELS[model]
        texts = (body.get("input") or {}).get("texts")
        if not isinstance(texts, list) or not texts:
            return self.error(
                400, "Required input missing from request.", req, "BadRequest.EmptyInput"
            )
        if not all(isinstance(t, str) and t for t in texts):
            return self.error(400, "input.texts must be non-empty strings", req)
        if len(texts) > limit:
            return self._batch_error(limit, "input.texts", req)
        params = body.get("parameters") or {}
        dims = params.get("dimension", default)
        if dims not in allowed:
            return self.error(400, f"Value error, dimension {dims} is invalid.", req)
        text_type = params.get("text_type", "document")
        if text_type not in ("query", "document"):
            return self.error(400, f"Value error, text_type {text_type!r} is invalid.", req)
        output_type = params.get("output_type", "dense")
        if output_type not in ("dense", "sparse", "dense&sparse") or (
            output_type != "dense" and not advanced
        ):
            return self.error(400, f"Value error, output_type {output_type!r} is invalid.", req)
        instruct = params.get("instruct", "")
        if instruct and model != "text-embedding-v4":
            return self.error(400, "instruct is only supported by text-embedding-v4", req)
        size = self.shorten(failure, dims)
        native = max(allowed)
        items = []
        for index, text in enumerate(texts):
            item: dict[str, Any] = {"text_index": index}
            if output_type in ("dense", "dense&sparse"):
                vec = fake_vector(text, native, salt=f"{model}|{text_type}|{instruct}")
                item["embedding"] = truncate(vec, size).tolist()
            if output_type in ("sparse", "dense&sparse"):
                item["sparse_embedding"] = sparse_for(text)
            items.append(item)
        tokens = sum(max(1, len(t) // 2) for t in texts)
        return Reply(
            200,
            {
                "output": {"embeddings": items},
                "usage": {"total_tokens": tokens},
                "request_id": self._rid(),
            },
        )

    def _multimodal(self, req: Recorded, failure: Failure | None) -> Reply:
        body = req.body
        model = body.get("model")
        if model not in MULTIMODAL_MODELS:
            return self.error(400, f"Model not exist: {model}", req)
        default, allowed, limit, max_images = MULTIMODAL_MODELS[model]
        contents = (body.get("input") or {}).get("contents")
        if not isinstance(contents, list) or not contents:
            return self.error(
                400, "Required input missing from request.", req, "BadRequest.EmptyInput"
            )
        if len(contents) > limit:
            return self._batch_error(limit, "input.contents", req)
        params = body.get("parameters") or {}
        dims = params.get("dimension", default)
        if dims not in allowed:
            return self.error(400, f"Value error, dimension {dims} is invalid.", req)
        size = self.shorten(failure, dims)
        items, images = [], 0
        for index, content in enumerate(contents):
            if not isinstance(content, dict) or len(content) != 1:
                return self.error(400, "each content must hold exactly one of text/image", req)
            ((kind, value),) = content.items()
            try:
                if kind == "text":
                    vec = self._text_vector(str(value), model)
                elif kind == "image":
                    vec = self._image_vector(str(value), model)
                    images += 1
                elif kind == "multi_images" and isinstance(value, list) and 0 < len(value) <= 8:
                    fused = np.mean([self._image_vector(str(v), model) for v in value], axis=0)
                    vec = (fused / np.linalg.norm(fused)).astype(np.float32)
                    images += len(value)
                else:
                    return self.error(400, f"unsupported content type {kind!r}", req)
            except ImageRejected as exc:
                return self._image_error(str(exc), req)
            if images > max_images:
                return self.error(400, f"The number of images should not exceed {max_images}.", req)
            items.append({"index": index, "type": kind, "embedding": truncate(vec, size).tolist()})
        return Reply(
            200,
            {
                "output": {"embeddings": items},
                "usage": {"input_tokens": 10 * len(items), "image_count": images, "duration": 0},
                "request_id": self._rid(),
            },
        )

    def _image_error(self, code: str, req: Recorded) -> Reply:
        if code == "InvalidURL":
            return self.error(400, "Invalid URL provided in your request.", req, code)
        if code == "InvalidParameter.DataInspection":
            return self.error(
                400,
                "The media format is not supported or incorrect for the data inspection.",
                req,
                code,
            )
        if code == "InvalidParameter":
            return self.error(400, "The image size must not exceed 3MB.", req, code)
        return self.error(400, f"Invalid image: {code}", req, "InvalidParameter")

    def _compat(self, req: Recorded, failure: Failure | None) -> Reply:
        body = req.body
        model = body.get("model")
        if model not in DASHSCOPE_MODELS:
            return self.error(404, f"The model `{model}` does not exist.", req, "model_not_found")
        default, allowed, limit, _ = DASHSCOPE_MODELS[model]
        texts = body.get("input")
        if isinstance(texts, str):
            texts = [texts]
        if (
            not isinstance(texts, list)
            or not texts
            or not all(isinstance(t, str) and t for t in texts)
        ):
            return self.error(400, "input must be a non-empty string or list of strings", req)
        if len(texts) > limit:
            return self._batch_error(limit, "input.contents", req)
        dims = body.get("dimensions", default)
        if dims not in allowed:
            return self.error(400, f"Value error, dimensions {dims} is invalid.", req)
        if body.get("encoding_format", "float") not in ("float", "base64"):
            return self.error(400, "encoding_format must be float", req)
        size = self.shorten(failure, dims)
        native = max(allowed)
        data = [
            {
                "object": "embedding",
                "index": i,
                # "only float is supported": floats even when base64 was asked for.
                "embedding": truncate(
                    fake_vector(t, native, salt=f"{model}|document|"), size
                ).tolist(),
            }
            for i, t in enumerate(texts)
        ]
        rid = self._rid()
        tokens = sum(max(1, len(t) // 2) for t in texts)
        return Reply(
            200,
            {
                "object": "list",
                "data": data,
                "model": model,
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
                "id": rid,
            },
        )

    def _rerank(self, req: Recorded) -> Reply:
        body = req.body
        model = body.get("model")
        if not model:
            return self.error(
                400,
                'Required parameter "model" missing from request.',
                req,
                "BadRequest.EmptyModel",
            )
        if model not in RERANK_MODELS:
            return self.error(400, f"Model not exist: {model}", req, "InvalidParameter")
        max_docs, max_tokens, takes_instruct = RERANK_MODELS[model]
        data = body.get("input")
        query = data.get("query") if isinstance(data, dict) else None
        docs = data.get("documents") if isinstance(data, dict) else None
        if not isinstance(query, str) or not query or not isinstance(docs, list) or not docs:
            return self.error(
                400, "Required input missing from request.", req, "BadRequest.EmptyInput"
            )
        if not all(isinstance(d, str) and d for d in docs):
            return self.error(400, "input.documents must be non-empty strings", req)
        if len(docs) > max_docs:
            return self._batch_error(max_docs, "input.documents", req)
        tokens = sum(max(1, (len(query) + len(d)) // 4) for d in docs)
        if tokens > max_tokens:
            return self.error(
                400, f"Range of input length should be [1, {max_tokens}], got {tokens}", req
            )
        params = body.get("parameters", {})
        if not isinstance(params, dict):
            return self.error(400, "parameters must be an object", req)
        unknown = sorted(set(params) - _RERANK_PARAMETERS)
        if unknown:
            return self.error(400, f"Unknown parameter(s): {', '.join(unknown)}", req)
        top_n = params.get("top_n")
        if top_n is not None and (
            isinstance(top_n, bool) or not isinstance(top_n, int) or top_n < 1
        ):
            return self.error(400, f"Value error, top_n {top_n!r} is invalid.", req)
        with_docs = params.get("return_documents", False)
        if not isinstance(with_docs, bool):
            return self.error(400, "Value error, return_documents must be a boolean.", req)
        if "instruct" in params and (not takes_instruct or not isinstance(params["instruct"], str)):
            return self.error(400, f"instruct is not supported by {model}", req)
        results: list[dict[str, Any]] = []
        for index, score in ranked(query, docs)[:top_n]:
            item: dict[str, Any] = {"index": index, "relevance_score": score}
            if with_docs:
                item["document"] = {"text": docs[index]}
            results.append(item)
        return Reply(
            200,
            {
                "output": {"results": results},
                "usage": {"total_tokens": tokens},
                "request_id": self._rid(),
            },
        )
