"""Vector, full-text and hybrid search over a table (pytidb's ``table.search(...)``).

* :class:`Search` — the fluent builder (:mod:`.builder`); ``Table.search`` returns one.
* :class:`SearchResult` — one hit with its scores (``to_pydantic()``), and
  :class:`ResultSet` — an executed search (:mod:`.results`).
* :class:`QueryBundle` — ``{"query": text or image, "query_vector": vector}``.

The SQL is written by :mod:`.vector` and :mod:`.fulltext`, fused by :mod:`.fusion`
and :mod:`.hybrid`, reranked by :mod:`.rerank`; everything runs as SQLAlchemy
statements through the target's session, so it works on the embedded engine, the
``autovec serve`` server and TiDB alike.
"""

from __future__ import annotations

from autovec.client.search.builder import Search
from autovec.client.search.fusion import DEFAULT_RRF_K, FusionSettings
from autovec.client.search.labels import (
    DISTANCE_LABEL,
    HIT_LABEL,
    INNER_HIT_LABEL,
    MATCH_SCORE_LABEL,
    ROW_ID_LABEL,
    SCORE_LABEL,
    FusionMethod,
    SearchType,
)
from autovec.client.search.plan import SearchPlan
from autovec.client.search.query import QueryBundle, VectorInput
from autovec.client.search.results import ResultSet, SearchResult

__all__ = [
    "DEFAULT_RRF_K",
    "DISTANCE_LABEL",
    "HIT_LABEL",
    "INNER_HIT_LABEL",
    "MATCH_SCORE_LABEL",
    "ROW_ID_LABEL",
    "SCORE_LABEL",
    "FusionMethod",
    "FusionSettings",
    "QueryBundle",
    "ResultSet",
    "Search",
    "SearchPlan",
    "SearchResult",
    "SearchType",
    "VectorInput",
]
