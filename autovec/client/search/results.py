"""A search's results in the shapes pytidb returns them.

Every row carries the ``_hit`` entity and some of ``_distance`` (vector search),
``_match_score`` (full-text), ``_score`` (vector: ``1 - _distance``; full-text: the
match score; hybrid: the fused score; reranked: the reranker's score) and, for tables
without a primary key, ``_tidb_rowid``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import Row
from sqlmodel import SQLModel

from autovec.client.dumps import Dump, fields_dumper
from autovec.client.search.labels import DISTANCE_LABEL, HIT_LABEL, MATCH_SCORE_LABEL, SCORE_LABEL

if TYPE_CHECKING:
    from pandas import DataFrame

__all__ = ["ResultRow", "ResultSet", "SearchResult"]

T = TypeVar("T", bound=SQLModel)


class SearchResult(BaseModel, Generic[T]):
    """One hit with its scores (``to_pydantic(with_score=True)``); unknown attributes are
    read from the hit, so ``result.text`` works like ``result.hit.text``."""

    hit: T
    distance: float | None = Field(
        default=None, description="Distance between the query vector and the row's vector."
    )
    match_score: float | None = Field(
        default=None, description="Full-text match score (BM25) of the row for the query."
    )
    score: float | None = Field(default=None, description="The score the results are ranked by.")

    @property
    def similarity_score(self) -> float | None:
        """``1 - distance`` (pytidb's definition, whatever the metric)."""
        return None if self.distance is None else 1 - self.distance

    def __getattr__(self, item: str) -> Any:
        # Only reached when normal lookup fails; pydantic's own private names never
        # belong to the hit.
        if not item.startswith("__"):
            hit = self.__dict__.get("hit")
            if hit is not None and hasattr(hit, item):
                return getattr(hit, item)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {item!r}")


class ResultRow(dict[str, Any]):
    """A row of ``to_list()``: a dict whose keys also read as attributes, so ``doc.id``
    works as the TiDB documentation's examples write it (dict methods such as ``keys``
    keep their names; read such columns as ``doc["keys"]``)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"the row has no column {name!r}") from None


@dataclass(frozen=True)
class ResultSet:
    """The rows of one executed search and their keys (``_hit``, ``_distance``…)."""

    keys: Sequence[str]
    rows: Sequence[Row[Any]]
    model: type[SQLModel]

    @cached_property
    def _dump(self) -> Dump:
        return fields_dumper(self.model)

    def _fields_of(self, hit: SQLModel | None) -> dict[str, Any]:
        """The hit's fields in the model's declared order (a loaded instance's own order
        is the order the ORM happened to set them in)."""
        if hit is None:
            return {}
        dumped = self._dump(hit)
        ordered = {name: dumped.pop(name) for name in self.model.model_fields if name in dumped}
        return {**ordered, **dumped}

    def to_rows(self) -> list[Row[Any]]:
        return list(self.rows)

    def to_list(self) -> list[ResultRow]:
        """Each row as a dict: the hit's fields, then the score columns."""
        results: list[ResultRow] = []
        for row in self.rows:
            values = dict(row._mapping)
            hit = values.pop(HIT_LABEL, None)
            results.append(ResultRow({**self._fields_of(hit), **values}))
        return results

    def to_pydantic(self, with_score: bool = True) -> list[Any]:
        """``SearchResult``s (``with_score``), else the hits themselves."""
        results: list[Any] = []
        for row in self.rows:
            values = row._mapping
            hit = values[HIT_LABEL]
            if not with_score:
                results.append(hit)
                continue
            results.append(
                SearchResult(
                    hit=hit,
                    distance=values.get(DISTANCE_LABEL),
                    match_score=values.get(MATCH_SCORE_LABEL),
                    score=values.get(SCORE_LABEL),
                )
            )
        return results

    def to_pandas(self) -> DataFrame:
        """A DataFrame: the model's fields as columns, then the score columns."""
        # pandas is optional and heavy: loaded only when a DataFrame is asked for.
        try:
            import pandas as pd
        except ImportError:
            raise ImportError(
                "Failed to import pandas, please install it with `pip install pandas`"
            ) from None
        extra = [key for key in self.keys if key != HIT_LABEL]
        columns = [*self.model.model_fields, *extra]
        data = []
        for row in self.rows:
            values = dict(row._mapping)
            hit = values.pop(HIT_LABEL, None)
            fields = self._fields_of(hit)
            data.append([fields[c] if c in fields else values.get(c) for c in columns])
        return pd.DataFrame(data, columns=columns)
