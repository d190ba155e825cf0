"""What a search is asked: text (or an image) to embed, a vector, or both.

``table.search(query)`` takes what pytidb takes: a vector (list, tuple, numpy array,
:class:`autovec.Vector`), text, a :class:`QueryBundle` dict carrying both (hybrid search
with a precomputed vector), or an image (``Path``, URL, PIL image) for a multimodal
embedding function. This module sorts the input into those two slots and checks vectors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

import numpy as np
from numpy.typing import NDArray

from autovec.vector import Vector, VectorError

__all__ = ["QueryBundle", "SearchQuery", "VectorInput", "as_query_vector", "split_query"]

VectorInput = Sequence[float] | NDArray[Any] | Vector


class QueryBundle(TypedDict, total=False):
    """pytidb's ``QueryBundle``: a query (text or image) and/or its vector."""

    query: Any
    query_vector: VectorInput | None


@dataclass(frozen=True)
class SearchQuery:
    """The two halves of a query; either may be missing."""

    #: Text (full-text, server-side or client-side embedding, rerank) or an image.
    query: Any = None
    #: A vector given by the caller: used as is, never re-embedded.
    vector: Vector | None = None


def _is_vector(value: object) -> bool:
    # A str is text and bytes are not a query pytidb accepts as a vector; anything else
    # list-like is a vector (pytidb: ``isinstance(query, list)``; numpy added here).
    return isinstance(value, (Vector, np.ndarray, list, tuple))


def as_query_vector(value: object) -> Vector:
    """A query vector from a list, tuple, numpy array or :class:`autovec.Vector`."""
    if not _is_vector(value):
        raise ValueError(
            f"a query vector must be a list of numbers or a numpy array, got {type(value).__name__}"
        )
    try:
        vector = Vector.coerce(value)
    except VectorError as exc:
        raise ValueError(f"invalid query vector: {exc}") from None
    if vector.dims == 0:
        raise ValueError("the query vector is empty")
    return vector


def split_query(query: object) -> SearchQuery:
    """Sort ``table.search(query)``'s argument into text/image and vector."""
    if query is None:
        return SearchQuery()
    if isinstance(query, Mapping):
        unknown = set(query) - {"query", "query_vector"}
        if unknown:
            raise ValueError(
                f"a QueryBundle has only 'query' and 'query_vector', got: {sorted(unknown)}"
            )
        raw_vector = query.get("query_vector")
        vector = None if raw_vector is None else as_query_vector(raw_vector)
        return SearchQuery(query=query.get("query"), vector=vector)
    if _is_vector(query):
        return SearchQuery(vector=as_query_vector(query))
    return SearchQuery(query=query)
