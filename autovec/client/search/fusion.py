"""Fusing a vector search's rows with a full-text search's rows (hybrid search).

Both formulas are pytidb 0.0.14's (``pytidb/fusion.py``), reimplemented:

* **RRF** — ``_score = Σ 1 / (k + rank)`` over the lists a row appears in, rank 1-based.
  pytidb's quirk, kept for compatibility: ``.fusion("rrf")`` with no ``k`` uses the
  search's ``limit`` as ``k``, while a search that never calls ``.fusion()`` uses 60.
* **weighted** — ``_score = vs_weight · norm(_distance) + fts_weight · norm(_match_score)``,
  with cosine ``1 - d/2``, L2 ``1 - 2·atan(d)/π`` and BM25 ``2·atan(s)/π``, so every
  part lies in [0, 1] and higher is better; each weight strictly in (0, 1).

Rows are matched by a key (the primary key, or ``_tidb_rowid``): a row found by both
searches becomes one row carrying ``_distance`` and ``_match_score``. Unlike pytidb
(which walks a ``set``), merged rows keep first-seen order — vector rows, then full-text
rows — before a stable sort by ``_score``, so ties come out the same on every run.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, result_tuple

from autovec.client.fields import DistanceMetric
from autovec.client.search.labels import (
    DISTANCE_LABEL,
    MATCH_SCORE_LABEL,
    SCORE_LABEL,
    FusionMethod,
)

__all__ = [
    "DEFAULT_RRF_K",
    "FusionSettings",
    "RowKey",
    "fuse",
    "merge_rows",
    "normalize_bm25",
    "normalize_distance",
    "rrf_scores",
    "weighted_scores",
]

#: ``k`` when ``.fusion()`` is never called (pytidb's default parameters).
DEFAULT_RRF_K = 60

RowKey = Callable[[Row[Any]], Hashable]


@dataclass(frozen=True)
class FusionSettings:
    """How a hybrid search ranks; validated by :meth:`check` when set."""

    method: FusionMethod = "rrf"
    #: RRF's constant; ``None``: the search's limit (pytidb's ``.fusion("rrf")``).
    k: float | None = DEFAULT_RRF_K
    vs_weight: float = 0.5
    fts_weight: float = 0.5

    def check(self) -> FusionSettings:
        if self.method not in ("rrf", "weighted"):
            raise ValueError(
                f"invalid fusion method {self.method!r}, supported methods: 'rrf', 'weighted'"
            )
        if self.method == "rrf" and self.k is not None:
            _check_number("k", self.k)
            if self.k <= 0:
                raise ValueError(f"k must be a positive number, got: {self.k!r}")
        if self.method == "weighted":
            for name, weight in (("vs_weight", self.vs_weight), ("fts_weight", self.fts_weight)):
                _check_number(name, weight)
                if not 0 < weight < 1:
                    raise ValueError(f"{name} must be a number between 0 and 1, got: {weight!r}")
        return self

    def rrf_k(self, limit: int) -> float:
        return limit if self.k is None else self.k


def _check_number(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise ValueError(f"{name} must be a number, got: {value!r}")


def normalize_distance(distance: float, metric: DistanceMetric) -> float:
    """A vector distance as a similarity in [0, 1] (pytidb's normalisation)."""
    if metric is DistanceMetric.COSINE:
        return 1.0 - distance / 2.0  # cosine distance lies in [0, 2]
    if metric is DistanceMetric.L2:
        return 1.0 - 2.0 * math.atan(distance) / math.pi  # [0, ∞) → (0, 1]
    raise ValueError(f"weighted fusion does not support the {metric} distance")


def normalize_bm25(score: float) -> float:
    """A BM25 score in [0, 1): ``2·atan(s)/π``."""
    return 2.0 * math.atan(score) / math.pi


def rrf_scores(
    vs_rows: Sequence[Row[Any]], fts_rows: Sequence[Row[Any]], key: RowKey, k: float
) -> dict[Hashable, float]:
    scores: dict[Hashable, float] = {}
    for rows in (vs_rows, fts_rows):
        for rank, row in enumerate(rows, start=1):
            row_key = key(row)
            scores[row_key] = scores.get(row_key, 0.0) + 1.0 / (k + rank)
    return scores


def weighted_scores(
    vs_rows: Sequence[Row[Any]],
    fts_rows: Sequence[Row[Any]],
    key: RowKey,
    metric: DistanceMetric,
    vs_weight: float,
    fts_weight: float,
) -> dict[Hashable, float]:
    scores: dict[Hashable, float] = {}
    for row in vs_rows:
        distance = row._mapping[DISTANCE_LABEL]
        # A NULL vector has no distance: it adds nothing (pytidb would raise TypeError).
        part = 0.0 if distance is None else vs_weight * normalize_distance(distance, metric)
        scores[key(row)] = scores.get(key(row), 0.0) + part
    for row in fts_rows:
        match = row._mapping[MATCH_SCORE_LABEL]
        part = 0.0 if match is None else fts_weight * normalize_bm25(match)
        scores[key(row)] = scores.get(key(row), 0.0) + part
    return scores


def merge_rows(
    fields: Sequence[str],
    vs_rows: Sequence[Row[Any]],
    fts_rows: Sequence[Row[Any]],
    key: RowKey,
    scores: dict[Hashable, float],
) -> list[Row[Any]]:
    """One row per key with ``fields``: a vector row's values first, the full-text row's
    where the vector row has none, and ``_score`` from ``scores``."""
    by_key: dict[Hashable, list[Row[Any]]] = {}
    for row in (*vs_rows, *fts_rows):
        by_key.setdefault(key(row), []).append(row)
    make = result_tuple(list(fields))
    merged: list[Row[Any]] = []
    for row_key, found in by_key.items():
        values: list[Any] = []
        for field in fields:
            if field == SCORE_LABEL:
                values.append(scores[row_key])
                continue
            value = None
            for row in found:
                value = row._mapping.get(field)
                if value is not None:
                    break
            values.append(value)
        merged.append(make(values))
    return merged


def fuse(
    settings: FusionSettings,
    fields: Sequence[str],
    vs_rows: Sequence[Row[Any]],
    fts_rows: Sequence[Row[Any]],
    key: RowKey,
    *,
    limit: int,
    metric: DistanceMetric,
) -> list[Row[Any]]:
    """The merged rows, best ``_score`` first (not cut: a reranker may still reorder)."""
    if settings.method == "rrf":
        scores = rrf_scores(vs_rows, fts_rows, key, settings.rrf_k(limit))
    else:
        scores = weighted_scores(
            vs_rows, fts_rows, key, metric, settings.vs_weight, settings.fts_weight
        )
    merged = merge_rows(fields, vs_rows, fts_rows, key, scores)
    return sorted(merged, key=lambda row: row._mapping[SCORE_LABEL], reverse=True)
