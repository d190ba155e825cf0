"""Rerankers reached over HTTP: the same keys, client, retries and errors as embeddings.

Everything below the request body comes from :class:`~autovec.embeddings.http.RemoteService`:

* the key: an explicit ``api_key``, then ``TIDB_EXP_EMBED_<VENDOR>_API_KEY`` (injected
  variables, then the environment), then the vendor's customary variables
  (``JINA_API_KEY``, ``COHERE_API_KEY``...), exactly as the embedding provider of the
  same vendor finds its key; the API base likewise;
* retries of 429/408/409/5xx, timeouts and connection errors with backoff, obeying
  ``retry-after``; 401 gives :class:`~autovec.embeddings.errors.UnauthorizedError` with
  TiDB's text, and keys never appear in messages or reprs.

What is added here: more documents than one request may carry are split into requests
(sent one after another) and the results merged; a 413 halves the request (a server
configured below the documented cap); the response is checked (indices in range and
unique, finite numeric scores, the expected count) before it is trusted.
"""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Self

from autovec.embeddings.base import BatchLimits
from autovec.embeddings.errors import EmbeddingProviderError, EmbeddingResponseError
from autovec.embeddings.http import HttpSettings, RemoteService, plan_batches
from autovec.embeddings.keys import KeyResolver, ProviderCredentials, Secret, get_default_resolver
from autovec.rerankers.base import RerankResult, check_rerank_request

__all__ = ["RemoteReranker"]


class RemoteReranker(RemoteService, ABC):
    """A reranking API; subclasses write :meth:`request`."""

    #: The vendor whose keys and base are used (default: :attr:`name`).
    credentials_provider: ClassVar[str] = ""
    #: Used when no model is given.
    default_model: ClassVar[str] = ""
    #: Most documents in one request; more are split into several requests.
    max_documents: ClassVar[int] = 1000
    #: Estimated token budget of one request (query + document, per document), if any.
    max_request_tokens: ClassVar[int | None] = None
    #: Whether the API applies ``top_n`` itself (else all scores come back and are cut here).
    server_top_n: ClassVar[bool] = True
    #: The key of the score in one result item.
    score_key: ClassVar[str] = "relevance_score"

    def __init__(
        self,
        model: str | None = None,
        *,
        api_key: str | Secret | None = None,
        api_base: str | None = None,
        keys: KeyResolver | None = None,
        settings: HttpSettings | None = None,
        timeout: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(settings=(settings or HttpSettings()).with_timeout(timeout), sleep=sleep)
        self.model = (model or self.default_model).strip()
        secret = (
            api_key if isinstance(api_key, Secret) or api_key is None else Secret(api_key.strip())
        )
        self.credentials = ProviderCredentials(
            self.credentials_provider or self.name,
            keys or get_default_resolver(),
            secret if secret else None,
            api_base,
        )
        #: Extra provider fields sent with every request (e.g. Cohere ``max_tokens_per_doc``).
        self.options: dict[str, Any] = dict(options or {})

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.model!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def full_name(self) -> str:
        """``provider/model``, as :func:`autovec.rerankers.reranker` takes it."""
        return f"{self.name}/{self.model}"

    # --- the one public method -----------------------------------------------------

    def rerank(
        self, query: str, documents: Sequence[str], top_n: int | None = None
    ) -> list[RerankResult]:
        """The ``top_n`` (default: all) documents most relevant to ``query``, best first.

        No request is made for an empty ``documents``. Scores are the provider's own;
        documents of equal score keep the provider's order.
        """
        docs = check_rerank_request(query, documents, top_n)
        if not docs:
            return []
        key = self.api_key()
        scored: list[tuple[int, float]] = []
        for batch in self._plan(query, docs):
            scored.extend(self._run(query, docs, batch, top_n, key))
        scored.sort(key=lambda pair: -pair[1])  # stable: ties keep the provider's order
        limit = len(docs) if top_n is None else min(top_n, len(docs))
        return [RerankResult(index, score, docs[index]) for index, score in scored[:limit]]

    def _plan(self, query: str, docs: list[str]) -> list[range]:
        limits = BatchLimits(
            max_batch_size=self.max_documents, max_batch_tokens=self.max_request_tokens
        )
        if self.max_request_tokens is None:
            return plan_batches(docs, limits)
        # Each document is scored together with the query, so both count against the budget.
        return plan_batches([f"{query} {doc}" for doc in docs], limits)

    def _run(
        self, query: str, docs: list[str], batch: range, top_n: int | None, key: Secret | None
    ) -> list[tuple[int, float]]:
        texts = [docs[i] for i in batch]
        want = None if top_n is None or not self.server_top_n else min(top_n, len(texts))
        try:
            items = self.request(query, texts, top_n=want, api_key=key)
        except EmbeddingProviderError as exc:
            if exc.status == 413 and len(batch) > 1:
                mid = len(batch) // 2
                first = self._run(query, docs, batch[:mid], top_n, key)
                return first + self._run(query, docs, batch[mid:], top_n, key)
            raise
        checked = self.check_results(items, count=len(texts), expected=want or len(texts))
        return [(batch.start + index, score) for index, score in checked]

    # --- what a provider writes ------------------------------------------------------

    @abstractmethod
    def request(
        self, query: str, documents: list[str], *, top_n: int | None, api_key: Secret | None
    ) -> Sequence[Any]:
        """Send one request (within the limits); return the API's list of result items.

        ``top_n`` is None when all documents must come back (or the API has no top_n).
        """

    def check_results(self, items: Any, *, count: int, expected: int) -> list[tuple[int, float]]:
        """``(index, score)`` per item, after checking the items can be trusted."""
        if not isinstance(items, list):
            raise self._malformed("response has no results list")
        if len(items) != expected:
            raise self._malformed(f"response has {len(items)} results, expected {expected}")
        seen: set[int] = set()
        out: list[tuple[int, float]] = []
        for item in items:
            if not isinstance(item, dict):
                raise self._malformed("response result is not an object")
            index = item.get("index")
            if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < count:
                raise self._malformed(f"response result has a bad index {index!r}")
            if index in seen:
                raise self._malformed(f"response has index {index} twice")
            seen.add(index)
            score = item.get(self.score_key)
            if isinstance(score, bool) or not isinstance(score, (int, float)):
                raise self._malformed(f"response result has no numeric '{self.score_key}'")
            if not math.isfinite(score):
                raise self._malformed(f"response result has a non-finite '{self.score_key}'")
            out.append((index, float(score)))
        return out

    def _malformed(self, what: str) -> EmbeddingResponseError:
        return EmbeddingResponseError(f"{self.display_name}: {what}", provider=self.name)

    def results_of(self, payload: Any, *path: str) -> Any:
        """``payload[path[0]][path[1]]...``, or None where the shape does not match."""
        for key in path:
            if not isinstance(payload, dict):
                return None
            payload = payload.get(key)
        return payload
