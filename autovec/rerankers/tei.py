"""Hugging Face text-embeddings-inference (TEI) ``POST {base}/rerank``.

Wire format followed: TEI's OpenAPI / router types
(https://huggingface.github.io/text-embeddings-inference/, ``router/src/http/types.rs``
``RerankRequest``/``Rank``; the quick tour's re-ranker example at
https://huggingface.co/docs/text-embeddings-inference/en/quick_tour), as summarised in
``shared/reference/providers.md`` §4b:

* request ``{"query", "texts": [str], "truncate"?, "truncation_direction"?,
  "raw_scores"?, "return_text"?}``; no ``model`` (the server serves one) and no
  ``top_n`` (all scores come back and are cut here);
* response ``[{"index", "score", "text"?}]`` sorted by score; errors ``{"error",
  "error_type"}``: 400 ``Empty`` for no texts, 413 ``Validation`` above
  ``--max-client-batch-size`` (default 32), 424 when the model is not a re-ranker,
  429 ``Overloaded``.

TEI is self-hosted: the base is the ``api_base`` given, else
``TIDB_EXP_EMBED_TEI_API_BASE``, else ``http://127.0.0.1:8080`` (the quick tour's
``docker run -p 8080:80``). A key is needed only when the server was started with
``--api-key`` (or sits behind a Hugging Face Inference Endpoint); it is looked up as the
Hugging Face embedding provider's key (``TIDB_EXP_EMBED_HUGGINGFACE_API_KEY``,
``HF_TOKEN``...), and sent as a Bearer token only when one is configured.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autovec.embeddings.keys import Secret
from autovec.rerankers.http import RemoteReranker

__all__ = ["TEIReranker"]


class TEIReranker(RemoteReranker):
    """``tei/<model>``: the model name is a label; the server decides what runs."""

    name = "tei"
    display_name = "TEI"
    credentials_provider = "huggingface"
    default_api_base = "http://127.0.0.1:8080"
    default_model = "reranker"
    key_optional = True
    max_documents = 32
    server_top_n = False
    score_key = "score"

    def api_base(self) -> str:
        # The Hugging Face vendor's base is the hosted Inference API, which serves no
        # /rerank: a TEI server has a base of its own.
        explicit = (self.credentials.api_base_override or "").strip()
        base = explicit or self.credentials.resolver.api_base(self.name) or self.default_api_base
        return base.rstrip("/")

    def api_key(self) -> Secret | None:
        return self.credentials.api_key()

    def endpoint(self) -> str:
        """``{api_base}/rerank``."""
        base = self.api_base()
        return base if base.endswith("/rerank") else base + "/rerank"

    def request(
        self, query: str, documents: list[str], *, top_n: int | None, api_key: Secret | None
    ) -> Sequence[Any]:
        body: dict[str, Any] = {"return_text": False, **self.options}
        body.update(query=query, texts=documents)
        # The answer is the bare list of ranks.
        return self.post_json(
            self.endpoint(), body, headers=self.auth_headers(api_key), secrets=[api_key]
        )
