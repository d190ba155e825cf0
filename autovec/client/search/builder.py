"""``Search``: pytidb's fluent search builder over any :class:`SearchTarget`.

``table.search(query, search_type=...)`` returns one; each option returns a new
``Search`` (the original is unchanged, so partial searches can be shared), and
``to_list()``, ``to_pydantic()``, ``to_pandas()`` or ``to_rows()`` run it::

    table.search("a quiet cafe").filter({"city": "Paris"}).distance_threshold(0.5).limit(5).to_list()
    table.search("cafe", search_type="hybrid").fusion("weighted", vs_weight=0.7, fts_weight=0.3)

Differences from pytidb 0.0.14, all deliberate: a distance threshold of 0 is honoured
(pytidb drops it); the default metric is the column's own (pytidb: always cosine);
invalid options fail when they are set rather than when the search runs; hybrid ties
keep a stable order.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any, Literal, overload

from sqlalchemy import Row

from autovec.client.fields import DistanceMetric, SearchTarget
from autovec.client.search.columns import check_column
from autovec.client.search.execute import (
    compile_sql,
    fulltext_statement,
    run_search,
    vector_statement,
)
from autovec.client.search.fusion import FusionSettings
from autovec.client.search.labels import FusionMethod, SearchType
from autovec.client.search.plan import SearchPlan
from autovec.client.search.query import VectorInput, as_query_vector, split_query
from autovec.client.search.results import ResultRow, ResultSet
from autovec.rerankers.base import Reranker

if TYPE_CHECKING:
    from pandas import DataFrame

__all__ = ["Search"]

_SEARCH_TYPES = ("vector", "fulltext", "hybrid")


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise ValueError(f"{name} must be a number, got: {value!r}")
    return float(value)


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got: {value!r}")
    return value


def _metric(value: DistanceMetric | str) -> DistanceMetric:
    if isinstance(value, DistanceMetric):
        return value
    if isinstance(value, str):
        try:
            return DistanceMetric(value.strip().upper())
        except ValueError:
            pass
    supported = ", ".join(repr(m.value) for m in DistanceMetric)
    raise ValueError(f"invalid distance metric {value!r}, supported metrics: {supported}")


class Search:
    """A vector, full-text or hybrid search on ``target``, built step by step."""

    def __init__(
        self,
        target: SearchTarget,
        query: Any = None,
        *,
        search_type: SearchType = "vector",
    ) -> None:
        if search_type not in _SEARCH_TYPES:
            raise ValueError(
                f"invalid search type: {search_type!r}, allowed search types are "
                "'vector', 'fulltext' and 'hybrid'"
            )
        split = split_query(query)
        self._target = target
        self._plan = SearchPlan(
            search_type=search_type, query=split.query, query_vector=split.vector
        )

    def _with(self, **changes: Any) -> Search:
        clone = object.__new__(Search)
        clone._target = self._target
        clone._plan = dataclasses.replace(self._plan, **changes)
        return clone

    @property
    def plan(self) -> SearchPlan:
        """Everything set so far (read-only)."""
        return self._plan

    @property
    def search_type(self) -> SearchType:
        return self._plan.search_type

    # --- the query ---------------------------------------------------------------------

    def vector(self, query_vector: VectorInput) -> Search:
        """Search with this vector (not re-embedded); hybrid search still needs ``.text``."""
        return self._with(query_vector=as_query_vector(query_vector))

    def text(self, query_text: str) -> Search:
        """The query text: matched by full-text search, embedded for vector search."""
        if not isinstance(query_text, str):
            raise ValueError(f"query text must be a string, got {type(query_text).__name__}")
        return self._with(query=query_text)

    # --- columns and metric -------------------------------------------------------------

    def vector_column(self, column_name: str) -> Search:
        if column_name not in self._target.vector_fields:
            raise ValueError(
                f"{column_name!r} is not a vector column of table {self._target.table_name!r}"
                f" (vector columns: {sorted(self._target.vector_fields)})"
            )
        return self._with(vector_column=column_name)

    def text_column(self, column_name: str) -> Search:
        if column_name not in self._target.text_fields:
            raise ValueError(
                f"{column_name!r} is not a full-text column of table "
                f"{self._target.table_name!r} (full-text columns: {sorted(self._target.text_fields)})"
            )
        return self._with(text_column=column_name)

    def distance_metric(self, metric: DistanceMetric | str) -> Search:
        """``"COSINE"`` or ``"L2"`` (any case); default: the column's metric."""
        return self._with(distance_metric=_metric(metric))

    # --- vector conditions -------------------------------------------------------------

    def distance_threshold(self, threshold: float | None = None) -> Search:
        """Keep rows with ``_distance <= threshold`` (0 included); ``None`` removes it."""
        value = None if threshold is None else _number("distance threshold", threshold)
        return self._with(distance_threshold=value)

    def distance_range(self, lower_bound: float = 0, upper_bound: float = 1) -> Search:
        """Keep rows with ``lower_bound <= _distance <= upper_bound``."""
        lower = _number("lower_bound", lower_bound)
        upper = _number("upper_bound", upper_bound)
        if lower > upper:
            raise ValueError(
                f"lower_bound must not exceed upper_bound, got {lower_bound!r} > {upper_bound!r}"
            )
        return self._with(distance_lower_bound=lower, distance_upper_bound=upper)

    def skip_null_vectors(self, flag: bool = True) -> Search:
        """Leave out rows whose vector is NULL (``_distance IS NOT NULL``)."""
        return self._with(skip_null_vectors=bool(flag))

    def num_candidate(self, num_candidate: int) -> Search:
        """How many nearest rows the post-filter's inner query keeps."""
        return self._with(num_candidate=_positive_int("num_candidate", num_candidate))

    def filter(self, filters: Any = None, prefilter: bool = False) -> Search:
        """A dict filter, a raw SQL condition or a SQLAlchemy expression.

        Post-filter (default) applies it to the nearest candidates; ``prefilter=True``
        searches only the rows that match it.
        """
        return self._with(filters=filters, prefilter=bool(prefilter))

    # --- ranking -----------------------------------------------------------------------

    @overload
    def fusion(self, method: Literal["rrf"] = "rrf", *, k: float | None = None) -> Search: ...

    @overload
    def fusion(
        self,
        method: Literal["weighted"],
        *,
        vs_weight: float | None = None,
        fts_weight: float | None = None,
    ) -> Search: ...

    def fusion(
        self,
        method: FusionMethod = "rrf",
        *,
        k: float | None = None,
        vs_weight: float | None = None,
        fts_weight: float | None = None,
    ) -> Search:
        """How hybrid search merges its two lists.

        ``"rrf"``: ``Σ 1/(k + rank)``. Without ``k`` the search's limit is used as ``k``
        — pytidb's behaviour, kept; a hybrid search that never calls ``fusion`` uses 60.
        ``"weighted"``: ``vs_weight·norm(distance) + fts_weight·norm(match score)``,
        weights strictly between 0 and 1 (default 0.5 each).
        """
        if self._plan.search_type != "hybrid":
            raise ValueError(
                "fusion method is only supported for hybrid search, please specify the "
                "search type through table.search(query, search_type='hybrid')"
            )
        if method == "rrf":
            if vs_weight is not None or fts_weight is not None:
                raise ValueError("vs_weight and fts_weight apply to weighted fusion, not 'rrf'")
            settings = FusionSettings(method="rrf", k=k)
        elif method == "weighted":
            if k is not None:
                raise ValueError("k applies to 'rrf' fusion, not 'weighted'")
            settings = FusionSettings(
                method="weighted",
                vs_weight=0.5 if vs_weight is None else vs_weight,
                fts_weight=0.5 if fts_weight is None else fts_weight,
            )
        else:
            settings = FusionSettings(method=method)
        return self._with(fusion=settings.check())

    def rerank(self, reranker: Reranker, rerank_field: str | None = None) -> Search:
        """Reorder the results with ``reranker`` on ``rerank_field`` (default: the vector
        column's source field, or the full-text column)."""
        if not isinstance(reranker, Reranker):
            raise ValueError(
                f"reranker must have a rerank(query, documents, top_n) method, got "
                f"{type(reranker).__name__}"
            )
        if rerank_field is not None:
            check_column(self._target, rerank_field, "rerank field")
        return self._with(reranker=reranker, rerank_field=rerank_field)

    def limit(self, k: int) -> Search:
        """The number of results (required)."""
        return self._with(limit=_positive_int("limit", k))

    def debug(self, flag: bool = True) -> Search:
        """Log each statement (values inlined) on the ``autovec.client.search`` logger."""
        return self._with(debug=bool(flag))

    # --- SQL ---------------------------------------------------------------------------

    def compiled_vector_query_sql(self) -> str | None:
        """The vector statement as the target's dialect writes it (values inlined);
        ``None`` for a full-text search. Embeds a text query to write it."""
        if self._plan.search_type == "fulltext":
            return None
        stmt = vector_statement(self._target, self._plan)
        return compile_sql(self._target, stmt)

    def compiled_fulltext_query_sql(self) -> str | None:
        """The full-text statement (values inlined); ``None`` for a vector search."""
        if self._plan.search_type == "vector":
            return None
        stmt = fulltext_statement(self._target, self._plan)
        return compile_sql(self._target, stmt)

    # --- results -----------------------------------------------------------------------

    def execute(self) -> ResultSet:
        """Run the search once; the result converts to every shape below."""
        return run_search(self._target, self._plan)

    def to_rows(self) -> list[Row[Any]]:
        """SQLAlchemy rows: ``_hit`` (the model instance), ``_distance``, ``_score``…"""
        return self.execute().to_rows()

    def to_list(self) -> list[ResultRow]:
        """Dicts (whose keys read as attributes too): the hit's fields plus
        ``_distance`` / ``_match_score`` / ``_score``."""
        return self.execute().to_list()

    def to_pydantic(self, with_score: bool = True) -> list[Any]:
        """``SearchResult(hit, distance, match_score, score)``s, or bare hits."""
        return self.execute().to_pydantic(with_score=with_score)

    def to_pandas(self) -> DataFrame:
        """A pandas DataFrame (pandas must be installed)."""
        return self.execute().to_pandas()
