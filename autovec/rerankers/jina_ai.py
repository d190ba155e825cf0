"""Jina AI ``POST https://api.jina.ai/v1/rerank``.

Wire format followed: Jina's Reranker API (https://jina.ai/reranker), with the fields
of the OpenAPI description at
https://raw.githubusercontent.com/api-evangelist/jina-ai/refs/heads/main/openapi/jina-ai-reranker-openapi.yml
and the request/response example reproduced at https://docs.newapi.pro/en/api/jinaai-rerank:

* request ``{"model", "query", "documents": [str], "top_n"?, "return_documents"?}`` with
  ``Authorization: Bearer jina_...``;
* response ``{"model", "usage": {"total_tokens"}, "results": [{"index",
  "relevance_score", "document"?: {"text"}}]}``, best first.

``return_documents`` is sent as false: the text is known here, so it is not shipped
back. The key is the Jina embedding provider's (``TIDB_EXP_EMBED_JINA_AI_API_KEY``,
``JINA_API_KEY``); errors are Jina's ``{"detail": ...}``. At most 2048 documents go in
one request (the cap quoted for Jina's embeddings; the rerank page gives none).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autovec.embeddings.keys import Secret
from autovec.rerankers.http import RemoteReranker

__all__ = ["JinaReranker"]


class JinaReranker(RemoteReranker):
    """``jina_ai/<model>``, e.g. ``jina_ai/jina-reranker-v2-base-multilingual``."""

    name = "jina_ai"
    display_name = "JinaAI"
    default_api_base = "https://api.jina.ai/v1"
    default_model = "jina-reranker-v2-base-multilingual"
    max_documents = 2048

    def endpoint(self) -> str:
        """``{api_base}/rerank``; a base configured for embeddings (``.../embeddings``) works."""
        base = self.api_base()
        if base.endswith("/rerank"):
            return base
        base = base.removesuffix("/embeddings")
        return base + "/rerank"

    def request(
        self, query: str, documents: list[str], *, top_n: int | None, api_key: Secret | None
    ) -> Sequence[Any]:
        body: dict[str, Any] = {"return_documents": False, **self.options}
        body.update(model=self.model, query=query, documents=documents)
        if top_n is not None:
            body["top_n"] = top_n
        payload = self.post_json(
            self.endpoint(), body, headers=self.auth_headers(api_key), secrets=[api_key]
        )
        return self.results_of(payload, "results")
