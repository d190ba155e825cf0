"""Mock of a text-embeddings-inference re-ranker server ``POST /rerank`` (providers.md §4b).

Body ``{"query": str, "texts": [str], "truncate": bool, "truncation_direction":
"Left"|"Right", "raw_scores": bool, "return_text": bool}`` (TEI's ``RerankRequest``);
answers ``[{"index", "score", "text"?}]`` sorted by score. Errors are TEI's
``{"error", "error_type"}``: an empty ``texts`` is 400 ``Empty``, more than
``max_client_batch_size`` (32) is 413 ``Validation``, a body that does not deserialize
is 422; ``top_n`` is refused with 422 (TEI has none, so a client sending it would
silently get every score). With ``api_key`` set, a missing or wrong Bearer token is a
401 with an empty body (TEI's ``--api-key``); with ``api_key=None`` any request passes.
Scores: :func:`~tests.mock_providers.rerank.relevance` (``raw_scores`` gives the
logit-like ``10 * s - 5``).
"""

from __future__ import annotations

from typing import Any

from tests.mock_providers.rerank import ranked
from tests.mock_providers.server import Failure, MockServer, Recorded, Reply

__all__ = ["TEIMock"]

_ERROR_TYPES = {
    400: "Empty",
    413: "Validation",
    422: "Tokenizer",
    424: "Backend",
    429: "Overloaded",
    500: "Backend",
    503: "Unhealthy",
}
_BOOLS = ("truncate", "raw_scores", "return_text")


class TEIMock(MockServer):
    """``api_base = base_url``; keys come from the Hugging Face variables (see ``variables``)."""

    name = "tei"
    max_client_batch_size = 32

    def variables(self) -> dict[str, str]:
        # The TEI reranker reads its base as TEI's and its key as the Hugging Face vendor's.
        out = {"TIDB_EXP_EMBED_TEI_API_BASE": self.api_base}
        if self.api_key is not None:
            out["TIDB_EXP_EMBED_HUGGINGFACE_API_KEY"] = self.api_key
        return out

    def expected(self, query: str, texts: list[str]) -> list[tuple[int, float]]:
        """``(index, score)`` this mock answers, best first."""
        return ranked(query, texts)

    def error(self, status: int, message: str, req: Recorded | None = None) -> Reply:
        return Reply(status, {"error": message, "error_type": _ERROR_TYPES.get(status, "Backend")})

    def unauthorized(self, req: Recorded | None = None) -> Reply:
        return Reply(401, raw=b"")

    def rate_limited(self, message: str | None, req: Recorded | None = None) -> Reply:
        return self.error(429, message or "Model is overloaded")

    def route(self, req: Recorded, failure: Failure | None) -> Reply:
        if req.method != "POST" or req.path != "/rerank":
            return self.error(404, f"Not found: {req.path}")
        if not self.bearer_ok(req):
            return self.unauthorized()
        body = req.body
        if not isinstance(body, dict):
            return self._unprocessable("expected a JSON object")
        query, texts = body.get("query"), body.get("texts")
        if not isinstance(query, str):
            return self._unprocessable("missing field `query` or not a string")
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            return self._unprocessable("`texts` must be a list of strings")
        if "top_n" in body:
            return self._unprocessable("unknown field `top_n`")
        for key in _BOOLS:
            if key in body and not isinstance(body[key], bool):
                return self._unprocessable(f"`{key}` must be a boolean")
        if body.get("truncation_direction", "Right") not in ("Left", "Right", "left", "right"):
            return self._unprocessable("`truncation_direction` must be Left or Right")
        if not texts:
            return self.error(400, "`texts` cannot be empty")
        if len(texts) > self.max_client_batch_size:
            return self.error(
                413,
                f"batch size {len(texts)} > maximum allowed batch size "
                f"{self.max_client_batch_size}",
            )
        out: list[dict[str, Any]] = []
        for index, score in ranked(query, texts):
            item: dict[str, Any] = {"index": index}
            if body.get("return_text"):
                item["text"] = texts[index]
            item["score"] = round(10 * score - 5, 6) if body.get("raw_scores") else score
            out.append(item)
        return Reply(200, out)

    def _unprocessable(self, message: str) -> Reply:
        # axum's Json extractor answers 422 before TEI's own validation runs.
        return Reply(422, {"error": f"Failed to deserialize the JSON body: {message}"})
