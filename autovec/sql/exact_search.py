"""Exact top-k vector search by one matrix product instead of one SQL call per row.

Applies to the query shape TiDB users write::

    SELECT … FROM t [WHERE …] ORDER BY VEC_<METRIC>_DISTANCE(col, <constant>) [ASC] LIMIT k

The column's vectors are held contiguously in memory (``storage.vector_cache``). The
numpy ranking only *chooses rows*: the original statement then runs on SQLite restricted
to those rowids, so the output, its distances and its order are exactly what the plain
plan would give. Rows this connection changed but has not committed are re-read from
its own transaction, so a session always sees its own writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import apsw
import numpy as np
from sqlglot import exp

from autovec import errors
from autovec.sql.translate import DISTANCE_FUNCTIONS, Scope, function_name
from autovec.sql.types import SqlType
from autovec.storage import catalog as storage_catalog
from autovec.storage.vector_cache import VectorMatrix
from autovec.vector import Vector, distances_to

if TYPE_CHECKING:
    from autovec.sql.result import Result
    from autovec.sql.session import Session

MARGIN = 8  # extra candidates so float ties at the k-th place cannot drop a row
_MARKER = "__av_candidates__"


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
    limit: int
    offset: int
    key: exp.Expression | None = None  # the ORDER BY distance call itself


def _int_value(node: exp.Expression | None, bindings: Any) -> int | None:
    if node is None:
        return 0
    expression = node.expression if isinstance(node, exp.Limit | exp.Offset) else node
    if isinstance(expression, exp.Literal) and not expression.is_string:
        return int(expression.this)
    if isinstance(expression, exp.Placeholder) and isinstance(bindings, dict):
        value = bindings.get(str(expression.this))
        return int(value) if isinstance(value, int) else None
    return None


def _is_constant(node: exp.Expression) -> bool:
    return not any(isinstance(n, exp.Column | exp.Subquery | exp.Select) for n in node.walk())


def match(session: Session, tree: exp.Expression, scope: Scope, bindings: Any) -> TopK | None:
    if not isinstance(tree, exp.Select) or tree.args.get("with_"):
        return None
    if any(
        tree.args.get(k) for k in ("joins", "group", "having", "distinct", "windows", "laterals")
    ):
        return None
    from_ = tree.args.get("from_")
    order = tree.args.get("order")
    if (
        from_ is None
        or order is None
        or len(order.expressions) != 1
        or tree.args.get("limit") is None
    ):
        return None
    table = from_.this
    if not isinstance(table, exp.Table) or not table.db:
        return None
    ordered = order.expressions[0]
    if ordered.args.get("desc"):
        return None
    key = ordered.this
    if isinstance(key, exp.Column) and not key.table:  # ORDER BY an alias of the select list
        for projection in tree.expressions:
            if isinstance(projection, exp.Alias) and projection.alias.lower() == key.name.lower():
                key = projection.this
    metric = DISTANCE_FUNCTIONS.get(function_name(key))
    if metric is None or not isinstance(key, exp.Anonymous) or len(key.expressions) != 2:
        return None
    first, second = key.expressions
    column, constant = (first, second) if isinstance(first, exp.Column) else (second, first)
    if not isinstance(column, exp.Column) or not _is_constant(constant):
        return None
    sql_type = scope.column_type(column)
    if sql_type is None or not sql_type.is_vector or sql_type.dimensions is None:
        return None
    if any(isinstance(n, exp.AggFunc | exp.Window) for p in tree.expressions for n in p.walk()):
        return None
    limit, offset = (
        _int_value(tree.args.get("limit"), bindings),
        _int_value(tree.args.get("offset"), bindings),
    )
    if limit is None or offset is None:
        return None
    database = table.db
    schema = session.catalog(database).get(table.name.lower())
    if schema is None:
        return None
    column_def = schema.column(column.name)
    if column_def is None:
        return None
    found = TopK(
        database,
        schema.name.lower(),
        table.alias_or_name,
        column_def.name,
        sql_type.dimensions,
        metric,
        constant,
        limit,
        offset,
    )
    found.key = key
    return found


@dataclass
class SearchPlan:
    """Everything a top-k search needs that does not depend on the bound values.

    Built once per statement text (``query.SelectPlan`` caches it), so a repeated search
    pays for no parsing or SQL generation: only the matrix product and one SQLite query.
    """

    topk: TopK
    restricted_sql: str  # the statement with ``_MARKER`` where the rowid filter goes
    probe_sql: str | None  # rowids that pass the WHERE clause, when there is one
    limit: exp.Expression | None
    offset: exp.Expression | None


def plan(session: Session, tree: exp.Expression, scope: Scope, bindings: Any) -> SearchPlan | None:
    topk = match(session, tree, scope, bindings)
    if topk is None:
        return None
    assert isinstance(tree, exp.Select)
    restricted = tree.copy()
    restricted.where(exp.column(_MARKER), copy=False)
    _use_known_distances(restricted, topk)
    probe_sql = None
    if tree.args.get("where") is not None:
        probe = exp.select(exp.column("rowid", table=topk.alias)).from_(tree.args["from_"].copy())
        probe.set("where", tree.args["where"].copy())
        probe_sql = probe.sql(dialect="sqlite")
    limit, offset = tree.args.get("limit"), tree.args.get("offset")
    return SearchPlan(
        topk,
        restricted.sql(dialect="sqlite"),
        probe_sql,
        limit.copy() if limit is not None else None,
        offset.copy() if offset is not None else None,
    )


def _use_known_distances(tree: exp.Select, topk: TopK) -> None:
    """Let the final query read the candidates' distances instead of recomputing them.

    Each call of the distance function costs a SQL function call per row; the search has
    already computed the same values, bit for bit, in one vectorised pass
    (``vector.distances_to``). ``COALESCE`` keeps the function as the fallback.
    """
    if topk.key is None:
        return
    wanted = topk.key.sql(dialect="sqlite")
    rowid = exp.column("rowid", table=topk.alias, quoted=True)
    for node in list(tree.find_all(exp.Anonymous)):
        if node.sql(dialect="sqlite") == wanted:
            known = exp.Anonymous(this="__av_known_distance", expressions=[rowid.copy()])
            node.replace(exp.Coalesce(this=known, expressions=[node.copy()]))


def run_candidates(
    session: Session,
    search: SearchPlan,
    candidates: np.ndarray,
    query: Vector,
    bindings: Any,
    static_types: list[SqlType | None],
    exclude_nulls: bool = False,
    stored: tuple[np.ndarray, np.ndarray] | None = None,
) -> Result:
    """Run the statement restricted to ``candidates``, their distances computed at once.

    ``stored`` gives the candidates' vectors when the caller has exact copies (an f32
    index); otherwise they are read from the table.
    """
    topk = search.topk
    # The candidates travel as a bound array (carray), so both statements keep one text
    # and SQLite's prepared-statement cache serves them.
    ids = apsw.carray(np.unique(candidates).astype(np.int64))
    column = '"' + topk.column.replace('"', '""') + '"'
    if stored is None:
        stored = _read_candidates(session, topk, ids, query.dims)
    keys, matrix = stored
    known: dict[int, float | None] = {}
    if len(keys):
        known = dict(zip(keys.tolist(), distances_to(topk.metric, matrix, query), strict=True))
    quoted_alias = '"' + topk.alias.replace('"', '""') + '"'
    condition = f"{quoted_alias}.rowid IN carray(:__av_candidates)"
    if exclude_nulls:
        condition = f"{quoted_alias}.{column} IS NOT NULL AND {condition}"
    sql = search.restricted_sql.replace(_MARKER, condition, 1)
    session.known_distances = known
    try:
        return session.run(sql, {**(bindings or {}), "__av_candidates": ids}, static_types)
    finally:
        session.known_distances = {}


def _read_candidates(
    session: Session, topk: TopK, ids: Any, dims: int
) -> tuple[np.ndarray, np.ndarray]:
    column = '"' + topk.column.replace('"', '""') + '"'
    read = session.conn.execute(
        f'SELECT rowid, {column} FROM "{topk.database}"."{topk.table}" WHERE rowid IN carray(?)',
        (ids,),
    ).fetchall()
    rows = [(r, blob) for r, blob in read if isinstance(blob, bytes) and len(blob) == dims * 4]
    keys = np.fromiter((r for r, _ in rows), dtype=np.int64, count=len(rows))
    matrix = np.frombuffer(b"".join(blob for _, blob in rows), dtype="<f4").reshape(len(rows), dims)
    return keys, matrix


def execute(
    session: Session, search: SearchPlan, bindings: Any, static_types: list[SqlType | None]
) -> Result | None:
    """Answer a planned search, or None when the plain plan must answer instead."""
    topk = search.topk
    limit, offset = _int_value(search.limit, bindings), _int_value(search.offset, bindings)
    if limit is None or offset is None:
        return None
    matrix = current_matrix(session, topk)
    if matrix is None:
        return None
    query_vector = _evaluate_vector(session, topk.constant, bindings)
    if query_vector is None:
        return None  # NULL query: every distance is NULL; the plain plan handles it
    rowids, vectors, nulls = matrix.rowids, matrix.matrix, matrix.null_rowids
    inverse_norms, squared_norms = matrix.inverse_norms, matrix.squared_norms
    if search.probe_sql is not None:
        probe_rows = session.conn.execute(search.probe_sql, bindings)
        allowed = np.fromiter((r[0] for r in probe_rows), dtype=np.int64)
        keep = np.isin(rowids, allowed, assume_unique=True)
        rowids, vectors = rowids[keep], vectors[keep]
        inverse_norms, squared_norms = inverse_norms[keep], squared_norms[keep]
        nulls = nulls[np.isin(nulls, allowed, assume_unique=True)]
    if len(rowids) and query_vector.dims != matrix.dims:
        raise errors.DataError(
            f"vectors have different dimensions: {matrix.dims} and {query_vector.dims}", 1105
        )
    need = limit + offset
    q = query_vector.to_numpy()
    if topk.metric == "COSINE":
        if not np.any(q):
            return None  # a zero query vector makes every distance NULL
        null_positions = np.flatnonzero(inverse_norms == 0)
        nulls = np.concatenate([nulls, rowids[null_positions]]) if len(null_positions) else nulls
    candidates = nulls[:need]
    wanted = min(need + MARGIN - len(candidates), len(rowids))
    if wanted > 0:
        best = _best_positions(topk.metric, vectors, q, inverse_norms, squared_norms, wanted)
        candidates = np.concatenate([candidates, rowids[best]])
    result = run_candidates(session, search, candidates, query_vector, bindings, static_types)
    expected = min(need, len(rowids) + len(nulls)) - offset
    if result.columns is None or len(result.rows) < expected:
        return None  # the snapshot differs from the matrix: let the plain plan answer
    return result


def _best_positions(
    metric: str,
    vectors: np.ndarray,
    q: np.ndarray,
    inverse_norms: np.ndarray,
    squared_norms: np.ndarray,
    count: int,
) -> np.ndarray:
    """Positions of the ``count`` rows nearest to ``q`` (unordered; SQLite orders them).

    Scores are arranged so that larger is nearer, computed in place after the one
    matrix product that dominates the cost.
    """
    if metric == "L1":
        scores = -np.concatenate(
            [np.abs(vectors[i : i + 4096] - q).sum(axis=1) for i in range(0, len(vectors), 4096)]
        )
    else:
        scores = vectors @ q
        if metric == "COSINE":
            scores *= inverse_norms  # zero-norm rows score 0; they are listed first as NULLs
        elif metric == "L2":
            scores *= 2
            scores -= squared_norms  # -(|x|² - 2x·q): |q|² is the same for every row
    if count >= len(scores):
        return np.arange(len(scores))
    return np.argpartition(scores, len(scores) - count)[len(scores) - count :]


def _evaluate_vector(session: Session, constant: exp.Expression, bindings: Any) -> Vector | None:
    if isinstance(constant, exp.Placeholder) and isinstance(bindings, dict):
        value = bindings.get(str(constant.this))
    elif isinstance(constant, exp.Literal) and constant.is_string:
        value = constant.this
    else:
        sql = exp.select(constant.copy()).sql(dialect="sqlite")
        row = session.conn.execute(sql, bindings).fetchone()
        value = row[0] if row else None
    if value is None:
        return None
    return Vector.coerce(value)


# -- keeping the matrix current ----------------------------------------------------------------


def current_matrix(session: Session, topk: TopK) -> VectorMatrix | None:
    """The column's matrix as this session must see it, or None to use the plain plan."""
    key = (topk.database, topk.table, topk.column.lower())
    cache = session.store.vectors
    own_rows = session.pending_rows.get(
        (topk.database, topk.table), set()
    ) | session._statement_rows.get((topk.database, topk.table), set())
    own_versions = session.pending_versions.get((topk.database, topk.table), [])
    savepoint = not session.conn.in_transaction
    if savepoint:
        session.conn.execute("BEGIN")  # read the version and the rows from one snapshot
    try:
        version = storage_catalog.table_version(session.conn, topk.database, topk.table)
        if own_versions or own_rows:
            base = own_versions[0] - 1 if own_versions else version
            entry = cache.get(key)
            if entry is None or entry.version != base:
                return None
            changed = np.fromiter(own_rows, dtype=np.int64)
            rowids, blobs = _read_rows(session, topk, changed)
            return entry.patched(version, changed, rowids, blobs)
        entry = cache.get(key)
        if entry is not None and entry.version == version:
            return entry
        if entry is not None and entry.version < version:
            changed_set = cache.changes_between(topk.database, topk.table, entry.version, version)
            if changed_set is not None:
                changed = np.fromiter(changed_set, dtype=np.int64)
                rowids, blobs = _read_rows(session, topk, changed)
                fresh = entry.patched(version, changed, rowids, blobs)
                cache.put(key, fresh)
                return fresh
        rowids, blobs = _read_rows(session, topk, None)
        try:
            fresh = VectorMatrix.build(version, topk.dims, rowids, blobs)
        except ValueError:
            return None
        cache.put(key, fresh)
        return fresh
    finally:
        if savepoint:
            session.conn.execute("COMMIT")


def _read_rows(
    session: Session, topk: TopK, only: np.ndarray | None
) -> tuple[np.ndarray, list[bytes | None]]:
    column = '"' + topk.column.replace('"', '""') + '"'
    sql = f'SELECT rowid, {column} FROM "{topk.database}"."{topk.table}"'
    if only is not None:
        if not len(only):
            return np.zeros(0, np.int64), []
        sql += " WHERE rowid IN (" + ",".join(str(int(r)) for r in only) + ")"
    rows = session.conn.execute(sql).fetchall()
    rowids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    blobs: list[Any] = [r[1] for r in rows]
    return rowids, blobs
