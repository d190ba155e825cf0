"""Mock of Jina AI ``POST /v1/embeddings`` (providers.md §3).

Validates the Bearer key, ``model``, ``input`` (strings, or ``{"text"}`` / ``{"image"}``
objects for the multimodal models clip-v2 and v4; at most 2048), ``task`` (per-model
sets), ``dimensions`` (MRL range or set) and ``embedding_type``
(``float``/``base64``/``binary``/``ubinary``). Errors use the FastAPI ``{"detail": ...}``
body that LangChain/Chroma/LlamaIndex read. Vectors: :func:`fake_vector` salted with
``"<model>|<task>"``; for the multimodal models, images and texts naming a colour share
the colour space of :mod:`tests.mock_providers.images` (an ``{"image"}`` URL is fetched,
as Jina does, from loopback only; raw base64 is decoded; an image that cannot be fetched
or decoded is a 400).

``POST /v1/rerank`` (Jina's Reranker API) is served too: ``model`` (one of
:data:`JINA_RERANK_MODELS`), ``query`` (string), ``documents`` (1..2048 strings or
``{"text"}`` objects), ``top_n`` (integer ≥ 1), ``return_documents`` (boolean, default
true); any other field is a 400. Answers ``{"model", "usage": {"total_tokens"},
"results": [{"index", "relevance_score", "document"?: {"text"}}]}`` best first, scored by
:func:`~tests.mock_providers.rerank.relevance`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tests.mock_providers.images import (
    ImageRejected,
    content_vector,
    image_bytes,
    multimodal_vector,
)
from tests.mock_providers.openai import truncate
from tests.mock_providers.rerank import ranked
from tests.mock_providers.server import Failure, MockServer, Recorded, Reply, b64_f32, fake_vector

__all__ = ["JINA_MODELS", "JINA_RERANK_MODELS", "JinaMock"]

_V3_TASKS = {
    "retrieval.query",
    "retrieval.passage",
    "text-matching",
    "classification",
    "separation",
}
_V4_TASKS = {"retrieval.query", "retrieval.passage", "text-matching", "code.query", "code.passage"}

#: model → (native dims, allowed dims (set or (lo, hi)), tasks or None, multimodal)
JINA_MODELS: dict[str, tuple[int, Any, set[str] | None, bool]] = {
    "jina-embeddings-v2-base-en": (768, {768}, None, False),
    "jina-embeddings-v3": (1024, (32, 1024), _V3_TASKS, False),
    "jina-embeddings-v4": (2048, {128, 256, 512, 1024, 2048}, _V4_TASKS, True),
    "jina-clip-v2": (1024, (64, 1024), None, True),
}

JINA_RERANK_MODELS = frozenset(
    {
        "jina-reranker-v3",
        "jina-reranker-m0",
        "jina-reranker-v2-base-multilingual",
        "jina-colbert-v2",
        "jina-reranker-v1-base-en",
        "jina-reranker-v1-turbo-en",
        "jina-reranker-v1-tiny-en",
    }
)
_RERANK_FIELDS = frozenset({"model", "query", "documents", "top_n", "return_documents"})


class JinaMock(MockServer):
    """``{api_base}/embeddings`` with ``api_base = {base_url}/v1``."""

    name = "jina_ai"
    max_inputs = 2048
    max_rerank_documents = 2048

    @property
    def api_base(self) -> str:
        return self.base_url + "/v1"

    def expected(
        self, item: str, model: str = "jina-embeddings-v3", task: str | None = None, dims=None
    ) -> np.ndarray:
        """The vector this mock returns (``item`` is text or ``"image:<value>"``)."""
        if item.startswith("image:"):
            vec = self._image_vector(item.removeprefix("image:"), model)
        else:
            vec = self._text_vector(item, model, task)
        return truncate(vec, dims) if dims else vec

    @staticmethod
    def _text_vector(text: str, model: str, task: str | None) -> np.ndarray:
        native, _, _, multimodal = JINA_MODELS[model]
        salt = f"{model}|{task or ''}"
        if multimodal:
            return multimodal_vector(text, native, salt=model, text_salt=salt)
        return fake_vector(text, native, salt=salt)

    @staticmethod
    def _image_vector(value: str, model: str) -> np.ndarray:
        """An ``{"image": <URL or raw base64>}`` item's vector (task-independent: one space)."""
        return content_vector(image_bytes(value), JINA_MODELS[model][0], salt=model)

    def error(self, status: int, message: str, req: Recorded | None = None) -> Reply:
        return Reply(status, {"detail": message})

    def unauthorized(self, req: Recorded | None = None) -> Reply:
        return self.error(
            401, "Invalid API key. Please get your free API key at https://jina.ai/?sui=apikey"
        )

    def rate_limited(self, message: str | None, req: Recorded | None = None) -> Reply:
        return self.error(429, message or "Rate limit exceeded, please try again later.")

    def route(self, req: Recorded, failure: Failure | None) -> Reply:
        if req.method == "POST" and req.path == "/v1/rerank":
            return self._rerank(req)
        if req.method != "POST" or req.path != "/v1/embeddings":
            return self.error(404, "Not Found")
        if not self.bearer_ok(req):
            return self.unauthorized()
        body = req.body
        if not isinstance(body, dict):
            return self.error(400, "Invalid JSON body")
        model = body.get("model")
        if model not in JINA_MODELS:
            return self.error(400, f"Model '{model}' not found (INPUT_MODEL_NOT_FOUND)")
        native, allowed, tasks, multimodal = JINA_MODELS[model]
        items = body.get("input")
        if isinstance(items, str):
            items = [items]
        if not isinstance(items, list) or not items:
            return self.error(400, "input must be a non-empty list")
        if len(items) > self.max_inputs:
            return self.error(400, f"input has {len(items)} items; at most {self.max_inputs}")
        task = body.get("task")
        if task is not None and (tasks is None or task not in tasks):
            return self.error(400, f"task '{task}' is not supported by {model}")
        keys: list[str] = []
        vectors: list[np.ndarray] = []
        for item in items:
            if isinstance(item, dict) and multimodal and set(item) == {"text"}:
                item = item["text"]
            if isinstance(item, str):
                keys.append(item)
                vectors.append(self._text_vector(item, model, task))
            elif isinstance(item, dict) and multimodal and set(item) == {"image"}:
                try:
                    vectors.append(self._image_vector(str(item["image"]), model))
                except ImageRejected as exc:
                    return self.error(400, f"invalid image input: {exc}")
                keys.append("image")
            else:
                return self.error(400, f"invalid input item for model {model}: {item!r:.60}")
        dims = body.get("dimensions")
        if dims is not None:
            ok = allowed[0] <= dims <= allowed[1] if isinstance(allowed, tuple) else dims in allowed
            if not isinstance(dims, int) or not ok:
                return self.error(400, f"dimensions {dims!r} not supported by {model}")
        etype = body.get("embedding_type", "float")
        if etype not in ("float", "base64", "binary", "ubinary"):
            return self.error(400, f"invalid embedding_type {etype!r}")
        size = self.shorten(failure, dims or native)
        data = []
        for index, full in enumerate(vectors):
            vec = truncate(full, size)
            if etype == "base64":
                value: Any = b64_f32(vec)
            elif etype in ("binary", "ubinary"):
                packed = np.packbits(vec > 0)
                value = (
                    (packed.astype(np.int16) - 128).tolist()
                    if etype == "binary"
                    else packed.tolist()
                )
            else:
                value = vec.tolist()
            data.append({"object": "embedding", "index": index, "embedding": value})
        tokens = sum(max(1, len(k) // 4) for k in keys)
        return Reply(
            200,
            {
                "model": model,
                "object": "list",
                "usage": {"total_tokens": tokens, "prompt_tokens": tokens},
                "data": data,
            },
            headers={
                "X-RateLimit-Remaining-Requests": "499",
                "X-RateLimit-Remaining-Tokens": "999000",
            },
        )

    def _rerank(self, req: Recorded) -> Reply:
        if not self.bearer_ok(req):
            return self.unauthorized()
        body = req.body
        if not isinstance(body, dict):
            return self.error(400, "Invalid JSON body")
        unknown = sorted(set(body) - _RERANK_FIELDS)
        if unknown:
            return self.error(400, f"Unknown field(s): {', '.join(unknown)}")
        model = body.get("model")
        if model not in JINA_RERANK_MODELS:
            return self.error(400, f"Model '{model}' not found (INPUT_MODEL_NOT_FOUND)")
        query = body.get("query")
        if not isinstance(query, str):
            return self.error(400, "query must be a string")
        docs = body.get("documents")
        if not isinstance(docs, list) or not docs:
            return self.error(400, "documents must be a non-empty list")
        if len(docs) > self.max_rerank_documents:
            return self.error(
                400, f"documents has {len(docs)} items; at most {self.max_rerank_documents}"
            )
        texts: list[str] = []
        for doc in docs:
            if isinstance(doc, dict) and set(doc) == {"text"} and isinstance(doc["text"], str):
                doc = doc["text"]
            if not isinstance(doc, str):
                return self.error(400, f"invalid document: {doc!r:.60}")
            texts.append(doc)
        top_n = body.get("top_n")
        if top_n is not None and (
            isinstance(top_n, bool) or not isinstance(top_n, int) or top_n < 1
        ):
            return self.error(400, f"top_n must be a positive integer, got {top_n!r}")
        with_docs = body.get("return_documents", True)
        if not isinstance(with_docs, bool):
            return self.error(400, "return_documents must be a boolean")
        results: list[dict[str, Any]] = []
        for index, score in ranked(query, texts)[:top_n]:
            item: dict[str, Any] = {"index": index, "relevance_score": score}
            if with_docs:
                item["document"] = {"text": texts[index]}
            results.append(item)
        tokens = sum(max(1, (len(query) + len(t)) // 4) for t in texts)
        return Reply(200, {"model": model, "usage": {"total_tokens": tokens}, "results": results})
