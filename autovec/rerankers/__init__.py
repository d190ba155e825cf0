"""Rerankers: score documents against a query with a provider's cross-encoder.

* :func:`reranker` — ``reranker("jina_ai/jina-reranker-v2-base-multilingual")`` parses
  ``provider/model`` as the embedding catalog does and builds the provider's class;
* :class:`Reranker` — the protocol (``rerank(query, documents, top_n=None)``), and
  :class:`RerankResult` — ``index``, ``relevance_score``, ``document``, best first;
* the providers, one module each: :class:`JinaReranker` (``jina_ai``),
  :class:`CohereReranker` (``cohere``), :class:`DashScopeReranker` (``dashscope``),
  :class:`TEIReranker` (``tei``, a text-embeddings-inference server).

Keys, API bases, retries, timeouts and errors follow :mod:`autovec.embeddings` exactly
(the same variables per vendor, the same error classes, re-exported here). Importing
this package is cheap: a provider's module (and httpx) is loaded on first use.
"""

from __future__ import annotations

import importlib
import threading
from typing import TYPE_CHECKING, Any

from autovec.embeddings.base import split_model_name
from autovec.embeddings.errors import (
    EmbeddingError,
    EmbeddingProviderError,
    EmbeddingResponseError,
    InvalidModelNameError,
    InvalidOptionsError,
    MissingAPIKeyError,
    RetryableError,
    UnauthorizedError,
    UnknownProviderError,
    UnsupportedInputError,
)
from autovec.embeddings.keys import KeyResolver, Secret
from autovec.rerankers.base import Reranker, RerankResult

if TYPE_CHECKING:
    from autovec.embeddings.http import HttpSettings
    from autovec.rerankers.cohere import CohereReranker
    from autovec.rerankers.dashscope import DashScopeReranker
    from autovec.rerankers.http import RemoteReranker
    from autovec.rerankers.jina_ai import JinaReranker
    from autovec.rerankers.tei import TEIReranker

__all__ = [
    "CohereReranker",
    "DashScopeReranker",
    "EmbeddingError",
    "EmbeddingProviderError",
    "EmbeddingResponseError",
    "InvalidModelNameError",
    "InvalidOptionsError",
    "JinaReranker",
    "MissingAPIKeyError",
    "RemoteReranker",
    "RerankResult",
    "Reranker",
    "RetryableError",
    "TEIReranker",
    "UnauthorizedError",
    "UnknownProviderError",
    "UnsupportedInputError",
    "reranker",
    "reranker_class",
    "reranker_names",
]

_lock = threading.Lock()

#: provider id → implementing class, imported on first use.
_REGISTRY: dict[str, str | type[RemoteReranker]] = {
    "jina_ai": "autovec.rerankers.jina_ai:JinaReranker",
    "cohere": "autovec.rerankers.cohere:CohereReranker",
    "dashscope": "autovec.rerankers.dashscope:DashScopeReranker",
    "tei": "autovec.rerankers.tei:TEIReranker",
}

#: Public class name → registry id, for ``from autovec.rerankers import JinaReranker``.
_CLASS_NAMES = {
    "JinaReranker": "jina_ai",
    "CohereReranker": "cohere",
    "DashScopeReranker": "dashscope",
    "TEIReranker": "tei",
}


def reranker_names() -> list[str]:
    """Registered provider ids, sorted (the list an unknown provider's error shows)."""
    return sorted(_REGISTRY)


def reranker_class(provider: str) -> type[RemoteReranker]:
    """The class serving ``provider`` (an id from :func:`reranker_names`)."""
    key = provider.strip().lower()
    with _lock:
        if key not in _REGISTRY:
            raise UnknownProviderError(key, sorted(_REGISTRY), kind="reranker")
        target = _REGISTRY[key]
        if isinstance(target, str):
            module_name, _, attr = target.partition(":")
            target = getattr(importlib.import_module(module_name), attr)
            assert isinstance(target, type)
            _REGISTRY[key] = target
        return target


def reranker(
    name: str,
    *,
    api_key: str | Secret | None = None,
    api_base: str | None = None,
    keys: KeyResolver | None = None,
    settings: HttpSettings | None = None,
    timeout: float | None = None,
    **options: Any,
) -> RemoteReranker:
    """A reranker for ``provider/model``, e.g. ``"cohere/rerank-v3.5"``.

    ``api_key``/``api_base`` override the configured ones; ``options`` are extra fields
    sent with every request (``max_tokens_per_doc`` for Cohere, ``instruct`` for
    qwen3-rerank, ``truncate`` for TEI...).
    """
    ref = split_model_name(name)
    cls = reranker_class(ref.provider)
    return cls(
        ref.model,
        api_key=api_key,
        api_base=api_base,
        keys=keys,
        settings=settings,
        timeout=timeout,
        options=options,
    )


def __getattr__(name: str) -> Any:
    # The provider classes load lazily: their modules import httpx.
    if name in _CLASS_NAMES:
        return reranker_class(_CLASS_NAMES[name])
    if name == "RemoteReranker":
        return importlib.import_module("autovec.rerankers.http").RemoteReranker
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
