"""The reranker interface, its result type, and the checks every reranker makes first.

A reranker scores each document against one query and returns the documents best
first. Only this module is imported by ``import autovec.rerankers``: it pulls in no HTTP
client, so the package stays as cheap to import as :mod:`autovec.embeddings`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from autovec.embeddings.errors import InvalidOptionsError, UnsupportedInputError

__all__ = ["RerankResult", "Reranker", "check_rerank_request"]


@dataclass(frozen=True, slots=True)
class RerankResult:
    """One ranked document: where it was in the input, its score, and its text."""

    #: Position of the document in the ``documents`` passed to :meth:`Reranker.rerank`.
    index: int
    #: The provider's relevance score (higher is better; scales differ per provider).
    relevance_score: float
    #: The document's text, as passed in.
    document: str


@runtime_checkable
class Reranker(Protocol):
    """Anything that can rank documents against a query."""

    def rerank(
        self, query: str, documents: Sequence[str], top_n: int | None = None
    ) -> list[RerankResult]:
        """The ``top_n`` (default: all) most relevant documents, best first."""
        ...


def check_rerank_request(query: object, documents: object, top_n: object) -> list[str]:
    """Reject what no provider could take, before any request; returns the documents."""
    if not isinstance(query, str):
        raise UnsupportedInputError(f"rerank query must be text, got {type(query).__name__}")
    # A lone string is a sequence too: ranking its characters is never what was meant.
    if isinstance(documents, (str, bytes)) or not isinstance(documents, Sequence):
        raise UnsupportedInputError(
            f"rerank documents must be a list of strings, got {type(documents).__name__}"
        )
    docs = list(documents)
    for position, doc in enumerate(docs):
        if not isinstance(doc, str):
            raise UnsupportedInputError(
                f"rerank documents must be strings, got {type(doc).__name__} at index {position}"
            )
    if top_n is not None and (isinstance(top_n, bool) or not isinstance(top_n, int) or top_n < 1):
        raise InvalidOptionsError(f"top_n must be a positive integer, got: {top_n!r}")
    return docs
