"""Cohere ``POST https://api.cohere.com/v2/rerank``.

Wire format followed: Cohere's "Rerank V2 API" (https://docs.cohere.com/reference/rerank),
with the request schema of the OpenAPI description at
https://raw.githubusercontent.com/api-evangelist/cohere/refs/heads/main/openapi/cohere-rerank-api-openapi.yml,
the response example reproduced at https://docs.newapi.pro/en/api/cohere-rerank, and
"Best Practices for using Rerank" (https://docs.cohere.com/v2/docs/reranking-best-practices):

* request ``{"model", "query", "documents": [str], "top_n"?, "max_tokens_per_doc"?}``
  with ``Authorization: Bearer ...``; v2 has no ``return_documents``;
* response ``{"id", "results": [{"index", "relevance_score"}], "meta": {"api_version",
  "billed_units": {"search_units"}}}``, best first.

The key is the Cohere embedding provider's (``TIDB_EXP_EMBED_COHERE_API_KEY``,
``COHERE_API_KEY``, ``CO_API_KEY``); errors are ``{"message": ...}``. The API takes up
to 10,000 documents but recommends at most 1,000 per request, so larger lists are split.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autovec.embeddings.keys import Secret
from autovec.rerankers.http import RemoteReranker

__all__ = ["CohereReranker"]


class CohereReranker(RemoteReranker):
    """``cohere/<model>``, e.g. ``cohere/rerank-v3.5``."""

    name = "cohere"
    display_name = "Cohere"
    default_api_base = "https://api.cohere.com"
    default_model = "rerank-v3.5"
    max_documents = 1000

    def endpoint(self) -> str:
        """``{api_base}/v2/rerank``; a base ending in ``/v2`` or ``/v2/embed`` is completed."""
        base = self.api_base()
        if base.endswith("/rerank"):
            return base
        base = base.removesuffix("/embed")
        return base + ("/rerank" if base.endswith("/v2") else "/v2/rerank")

    def request(
        self, query: str, documents: list[str], *, top_n: int | None, api_key: Secret | None
    ) -> Sequence[Any]:
        body: dict[str, Any] = {**self.options, "model": self.model}
        body.update(query=query, documents=documents)
        if top_n is not None:
            body["top_n"] = top_n
        payload = self.post_json(
            self.endpoint(), body, headers=self.auth_headers(api_key), secrets=[api_key]
        )
        return self.results_of(payload, "results")
