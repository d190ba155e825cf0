"""Alibaba Cloud Model Studio (DashScope) text rerank: ``gte-rerank-v2``, ``qwen3-rerank``.

Wire format followed: Model Studio "Text rerank" API reference
(https://www.alibabacloud.com/help/en/model-studio/text-rerank-api; Chinese edition
https://help.aliyun.com/zh/model-studio/text-rerank-api, which adds qwen3-rerank and
``instruct``):

* ``POST {host}/api/v1/services/rerank/text-rerank/text-rerank`` with
  ``{"model", "input": {"query", "documents": [str]}, "parameters": {"top_n"?,
  "return_documents"?, "instruct"? (qwen3-rerank)}}`` and ``Authorization: Bearer sk-...``;
* response ``{"output": {"results": [{"index", "relevance_score", "document"?:
  {"text"}}]}, "usage": {"total_tokens"}, "request_id"}``, best first; errors are
  ``{"code", "message", "request_id"}``;
* limits: 500 documents, 4,000 tokens per query or document (longer is truncated),
  30,000 tokens per request (query + documents).

The host is Beijing (``https://dashscope.aliyuncs.com``) unless configured: the page
lists gte-rerank-v2 for Beijing; Singapore (``https://dashscope-intl.aliyuncs.com``)
serves qwen3-rerank. Keys are region-specific. The key and base are the DashScope
embedding provider's (``TIDB_EXP_EMBED_DASHSCOPE_API_KEY`` / ``_API_BASE``,
``DASHSCOPE_API_KEY``, ``DASHSCOPE_BASE_URL``); a base configured for embeddings
(``.../api/v1`` or ``.../compatible-mode/v1``) is reduced to its host.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autovec.embeddings.keys import Secret
from autovec.rerankers.http import RemoteReranker

__all__ = ["RERANK_PATH", "DashScopeReranker"]

RERANK_PATH = "/api/v1/services/rerank/text-rerank/text-rerank"


class DashScopeReranker(RemoteReranker):
    """``dashscope/<model>``, e.g. ``dashscope/gte-rerank-v2``."""

    name = "dashscope"
    display_name = "DashScope"
    default_api_base = "https://dashscope.aliyuncs.com"
    default_model = "gte-rerank-v2"
    max_documents = 500
    max_request_tokens = 30_000

    def endpoint(self) -> str:
        """The rerank URL on the configured host."""
        base = self.api_base()
        if base.endswith(RERANK_PATH):
            return base
        for suffix in ("/compatible-mode/v1", "/api/v1"):
            base = base.removesuffix(suffix)
        return base + RERANK_PATH

    def request(
        self, query: str, documents: list[str], *, top_n: int | None, api_key: Secret | None
    ) -> Sequence[Any]:
        parameters: dict[str, Any] = {"return_documents": False, **self.options}
        if top_n is not None:
            parameters["top_n"] = top_n
        body = {
            "model": self.model,
            "input": {"query": query, "documents": documents},
            "parameters": parameters,
        }
        payload = self.post_json(
            self.endpoint(), body, headers=self.auth_headers(api_key), secrets=[api_key]
        )
        return self.results_of(payload, "output", "results")

    def error_message(self, status: int, payload: Any) -> str | None:
        # Native errors carry a machine code next to the text (e.g. "InvalidApiKey").
        if isinstance(payload, dict) and isinstance(payload.get("message"), str):
            code = payload.get("code")
            message = payload["message"].strip()
            return f"{message} ({code})" if code else message
        return super().error_message(status, payload)
