"""Access paths: the ways a search inside a SELECT is answered, behind one protocol.

Every path says whether it applies to a search, and explains itself for EXPLAIN (in
TiDB's vocabulary). A *vector* path also produces the candidates of a top-k search
(``ORDER BY VEC_<M>_DISTANCE(col, <constant>) LIMIT k``, recognised by
``exact_search.match``) for given bindings; the *text* path answers a full-text search
inside SQLite instead, so its plan-time step is a rewrite of the statement.

The paths::

    vector_index.INDEX_SCAN   HNSW index (usearch); may decline per execution
    exact_search.MATRIX_SCAN  one matrix product over the column's in-memory vectors
    fulltext.FULL_TEXT_SCAN   FTS_MATCH_WORD / MATCH … AGAINST on an FTS5 index

``query.VECTOR_PATHS`` orders the vector paths. At plan time each search records the
paths that apply to it, in that order (``SearchPlan.paths``); each execution asks them in
turn, the first that answers for the bindings wins. This module holds only what the
paths share (the protocols and the search they take), so that they can import it and
the table above them can import the paths.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, TypeVar

import numpy as np
from sqlglot import exp

from autovec.vector import Vector

if TYPE_CHECKING:
    from autovec.sql.context import ExecContext, StatementTranslator
    from autovec.sql.scope import Scope

#: What a statement is bound to: apsw's bindings (named values, or a positional list).
Bindings: TypeAlias = Any
#: One EXPLAIN row: id, estRows, task, access object, operator info.
PlanRow: TypeAlias = tuple[str, str, str, str, str]

SearchT = TypeVar("SearchT", contravariant=True)


@dataclass
class TopK:
    """A recognised ``ORDER BY distance LIMIT k`` over one table's vector column."""

    database: str
    table: str
    alias: str
    column: str
    dims: int
    metric: str
    constant: exp.Expression
    key: exp.Expression  # the ORDER BY distance call itself
    #: ``SELECT <constant>`` in SQLite's dialect, generated once per plan (not per query)
    #: when the constant must be evaluated (a function of the bindings, such as a text
    #: embedded by ``VEC_EMBED_*``); None for a placeholder or a literal.
    constant_sql: str | None = None


def int_value(node: exp.Expression | None, bindings: Bindings) -> int | None:
    if node is None:
        return 0
    expression = node.expression if isinstance(node, exp.Limit | exp.Offset) else node
    if isinstance(expression, exp.Literal) and not expression.is_string:
        return int(expression.this)
    if isinstance(expression, exp.Placeholder) and isinstance(bindings, dict):
        value = bindings.get(str(expression.this))
        return int(value) if isinstance(value, int) else None
    return None


@dataclass
class SearchPlan:
    """One top-k search inside a statement: what does not depend on the bound values.

    Built once per statement text (``query.SelectPlan`` caches it), so a repeated search
    pays for no parsing or SQL generation: only the search and one SQLite query.
    """

    topk: TopK
    slot: int  # N in ``:__av_candidates_N`` and ``__av_known_distance(N, rowid)``
    probe_sql: str | None  # rowids that pass the SELECT's WHERE clause, when it has one
    limit: exp.Expression | None
    offset: exp.Expression | None
    top_level: bool  # the statement itself (its row count can be checked)
    # The SELECT reads its candidates in the order given (nearest first) instead of
    # sorting them by a distance computed per row: see ``exact_search._inject``.
    ordered: bool = False
    reads_distances: bool = True  # the statement calls __av_known_distance for this slot
    # With probe_sql: how many rows pass the WHERE clause, and which of the rowids bound
    # to :__av_check do.
    count_sql: str | None = None
    check_sql: str | None = None

    def __post_init__(self) -> None:
        # Literal LIMIT/OFFSET (the usual case) are read once, not per execution.
        self._fixed = (int_value(self.limit, None), int_value(self.offset, None))
        self.candidates_name = f"__av_candidates_{self.slot}"

    def bounds(self, bindings: Bindings) -> tuple[int | None, int | None]:
        """LIMIT and OFFSET for these bindings; None where not a whole number."""
        limit, offset = self._fixed
        if limit is None:
            limit = int_value(self.limit, bindings)
        if offset is None:
            offset = int_value(self.offset, bindings)
        return limit, offset

    # The vector paths that apply, in the order they are asked (``query.choose_paths``);
    # the first is the path chosen, the one EXPLAIN shows.
    paths: tuple[VectorPath, ...] = ()
    warnings: list[tuple[str, int, str]] = field(default_factory=list)

    @property
    def path(self) -> VectorPath:
        return self.paths[0]


@dataclass
class Candidates:
    """What one search found: rowids, the query vector, and exact copies when at hand."""

    rowids: np.ndarray
    query: Vector
    # (rowids, their vectors: a matrix or a tuple of rows) already read, exactly as
    # stored, covering every candidate
    stored: tuple[np.ndarray, np.ndarray | tuple[np.ndarray, ...]] | None = None
    exclude_nulls: bool = False
    expected: int | None = None  # rows the SELECT must return, when that can be told


class AccessPath(Protocol[SearchT]):
    """What every path does: explain how it answers a search of its kind."""

    def explain(self, session: ExecContext, search: SearchT, bindings: Bindings) -> list[PlanRow]:
        """The path's EXPLAIN rows for ``search``, in TiDB's vocabulary."""
        ...


class VectorPath(AccessPath[SearchPlan], Protocol):
    """A way to find a top-k search's candidates (the statement then runs over them)."""

    def applies(self, session: ExecContext, search: SearchPlan) -> VectorPath | None:
        """This path as it will answer ``search`` (bound to what it chose there, such as
        the index), or None when it cannot answer it at all. Asked once per plan."""
        ...

    def candidates(
        self, session: ExecContext, search: SearchPlan, bindings: Bindings
    ) -> Candidates | None:
        """The candidates for these bindings; None when this path cannot answer them
        (the next path is asked)."""
        ...


class TextPath(AccessPath[exp.Expression], Protocol):
    """A full-text search: answered inside SQLite, by a rewrite of the statement."""

    def applies(self, session: ExecContext, node: exp.Expr) -> bool:
        """Whether ``node`` is a search call this path answers."""
        ...

    def rewrite(self, translator: StatementTranslator, tree: exp.Expression, scope: Scope) -> None:
        """Replace every search call of ``tree`` (already table-qualified) in place."""
        ...
