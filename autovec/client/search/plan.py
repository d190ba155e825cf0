"""Everything a search has been told, as one immutable value.

The builder (:mod:`autovec.client.search.builder`) makes a new plan per call, so a
partly built search can be reused and branched (``base = t.search(v).limit(5)``, then
``base.filter(a)`` and ``base.filter(b)``) as with pytidb's generative builder. The SQL
modules read plans; nothing writes to one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from autovec.client.fields import DistanceMetric
from autovec.client.search.fusion import FusionSettings
from autovec.client.search.labels import SearchType
from autovec.rerankers.base import Reranker
from autovec.vector import Vector

__all__ = ["SearchPlan"]


@dataclass(frozen=True)
class SearchPlan:
    search_type: SearchType = "vector"
    #: Text or an image: embedded for vector search, matched by full-text search,
    #: passed to a reranker.
    query: Any = None
    #: A vector the caller gave: used as is.
    query_vector: Vector | None = None
    vector_column: str | None = None  # None: the table's only vector column
    text_column: str | None = None  # None: the table's only full-text column
    distance_metric: DistanceMetric | None = None  # None: the column's own metric
    distance_threshold: float | None = None
    distance_lower_bound: float | None = None
    distance_upper_bound: float | None = None
    skip_null_vectors: bool = False
    num_candidate: int | None = None
    filters: Any = None
    prefilter: bool = False
    fusion: FusionSettings = field(default_factory=FusionSettings)
    reranker: Reranker | None = None
    rerank_field: str | None = None
    limit: int | None = None
    debug: bool = False

    def required_limit(self) -> int:
        """The limit, which every search needs (pytidb's rule: no unbounded searches)."""
        if self.limit is None:
            raise ValueError("limit is required for search, please specify it through .limit(n)")
        return self.limit
