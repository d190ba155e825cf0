"""Top-k vector search by one matrix product instead of one SQL call per row.

Applies to every SELECT of a statement — the statement itself, a CTE body, a subquery —
of the shape TiDB users (and pytidb, and the documented hybrid-search SQL) write::

    SELECT … [, ROW_NUMBER() OVER (ORDER BY <distance>)] FROM t [WHERE …]
    ORDER BY VEC_<METRIC>_DISTANCE(col, <constant>) [ASC] LIMIT k

The search only *chooses rows*: at plan time each such SELECT gets a condition
``t.rowid IN carray(:__av_candidates_N)``, and its distance calls read the distances the
search computed (``__av_known_distance(N, rowid)``, the same values bit for bit). The
whole statement then runs once on SQLite, so its output is exactly what the plain plan
would give for those rows. Candidates come from the search's access paths
(``access_paths``): a vector index when the column has one (``vector_index.INDEX_SCAN``),
else the column's vectors held contiguously in memory (``MATRIX_SCAN`` here, over
``storage.vector_cache``). Rows this connection changed but has not committed are
re-read from its own transaction, so a session always sees its own writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import apsw
import numpy as np
from sqlglot import exp

from autovec import errors
from autovec.sql.access_paths import Bindings, Candidates, PlanRow, SearchPlan, TopK, int_value
from autovec.sql.scope import Scope
from autovec.sql.translate import DISTANCE_FUNCTIONS, function_name
from autovec.sql.types import SqlType
from autovec.storage import catalog as storage_catalog
from autovec.storage.vector_cache import VectorMatrix
from autovec.vector import Vector, distances_to, format_for_explain

if TYPE_CHECKING:
    from autovec.sql.context import ExecContext
    from autovec.sql.result import Result

MARGIN = 8  # extra candidates so float ties at the k-th place cannot drop a row
_RANKING_WINDOWS = (exp.RowNumber, exp.Rank, exp.DenseRank)
_CARRAY_COLUMNS = ("value", "pointer", "count", "ctype")


# carray() refuses an empty array; a NaN (read by SQLite as NULL) equals no rowid.
_NO_ROWIDS = np.array([np.nan])


def rowid_array(ids: np.ndarray) -> apsw.CArrayBinding:
    """``ids`` bound for ``carray(?)``; no ids gives an array that matches no row."""
    return apsw.carray(ids if len(ids) else _NO_ROWIDS)


def _is_constant(node: exp.Expression) -> bool:
    return not any(isinstance(n, exp.Column | exp.Subquery | exp.Select) for n in node.walk())


def _ranking_window(node: exp.Expression, key_sql: str, aliases: dict[str, str]) -> bool:
    """ROW_NUMBER()/RANK()/DENSE_RANK() OVER (ORDER BY <the search's distance>).

    Over the k nearest candidates these number the rows exactly as over the whole table,
    so a SELECT carrying them can still be answered from candidates.
    """
    if not isinstance(node, exp.Window) or not isinstance(node.this, _RANKING_WINDOWS):
        return False
    if node.args.get("partition_by") or node.args.get("spec"):
        return False
    order = node.args.get("order")
    if order is None or len(order.expressions) != 1 or order.expressions[0].args.get("desc"):
        return False
    key = order.expressions[0].this
    if isinstance(key, exp.Column) and not key.table and key.name.lower() in aliases:
        return aliases[key.name.lower()] == key_sql
    return bool(key.sql(dialect="sqlite") == key_sql)


def match(session: ExecContext, tree: exp.Expression, scope: Scope, bindings: Any) -> TopK | None:
    """The top-k search a SELECT is, if it has the shape this module answers."""
    if not isinstance(tree, exp.Select) or tree.args.get("with_"):
        return None
    if any(
        tree.args.get(k) for k in ("joins", "group", "having", "distinct", "windows", "laterals")
    ):
        return None
    from_, order = tree.args.get("from_"), tree.args.get("order")
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
    aliases = {
        p.alias.lower(): p.this.sql(dialect="sqlite")
        for p in tree.expressions
        if isinstance(p, exp.Alias)
    }
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
    key_sql = key.sql(dialect="sqlite")
    for projection in tree.expressions:
        for node in projection.walk():
            if isinstance(node, exp.AggFunc | exp.Subquery):
                return None
            if isinstance(node, exp.Window) and not _ranking_window(node, key_sql, aliases):
                return None
    database = table.db
    schema = session.catalog(database).get(table.name.lower())
    column_def = schema.column(column.name) if schema is not None else None
    if schema is None or column_def is None:
        return None
    return TopK(
        database,
        schema.name.lower(),
        table.alias_or_name,
        column_def.name,
        sql_type.dimensions,
        metric,
        constant,
        key,
        constant_sql(constant),
    )


def plan_searches(
    session: ExecContext, tree: exp.Expression, scope: Scope, bindings: Any
) -> list[SearchPlan]:
    """Find every SELECT of the statement that is a top-k search, and inject the hooks."""
    searches: list[SearchPlan] = []
    for select in list(tree.find_all(exp.Select)):
        topk = match(session, select, scope, bindings)
        if topk is None:
            continue
        slot = len(searches)
        probe_sql = None
        if select.args.get("where") is not None:
            probe = exp.select(exp.column("rowid", table=topk.alias)).from_(
                select.args["from_"].copy()
            )
            probe.set("where", select.args["where"].copy())
            probe_sql = probe.sql(dialect="sqlite")
        limit, offset = select.args.get("limit"), select.args.get("offset")
        searches.append(
            SearchPlan(
                topk,
                slot,
                probe_sql,
                limit.copy() if limit is not None else None,
                offset.copy() if offset is not None else None,
                select is tree,
            )
        )
        search = searches[-1]
        if probe_sql is not None:
            check = probe.copy()
            carray = exp.Anonymous(this="carray", expressions=[exp.Placeholder(this="__av_check")])
            check.where(
                exp.In(this=exp.column("rowid", table=topk.alias), query=carray), copy=False
            )
            search.check_sql = check.sql(dialect="sqlite")
            search.count_sql = f"SELECT count(*) FROM ({probe_sql})"
        search.ordered = search.top_level and _can_read_in_order(session, select, topk)
        _inject(select, search)
    return searches


def _can_read_in_order(session: ExecContext, select: exp.Select, topk: TopK) -> bool:
    """Whether the SELECT can take its rows in candidate order (see ``_inject``)."""
    if any(isinstance(node, exp.Window) for node in select.find_all(exp.Window)):
        return False  # a window may reorder rows
    schema = session.catalog(topk.database).get(topk.table)
    # carray's own columns: an unqualified reference to a column of the same name
    # would become ambiguous.
    return schema is not None and all(schema.column(name) is None for name in _CARRAY_COLUMNS)


def _inject(select: exp.Select, search: SearchPlan) -> None:
    """Restrict the search's SELECT to its candidates and let it read their distances.

    Either ``WHERE t.rowid IN carray(:candidates)``, the distance calls reading the
    distances the search computed; or, for a top-level SELECT (``search.ordered``),
    ``FROM carray(:candidates) CROSS JOIN t ON t.rowid = value`` with the ORDER BY
    dropped: the candidates come nearest first, CROSS JOIN makes SQLite read them in
    that order, and no distance is computed (or called back into Python) per row.
    """
    topk = search.topk
    wanted = topk.key.sql(dialect="sqlite")
    rowid = exp.column("rowid", table=topk.alias, quoted=True)
    for node in list(select.find_all(exp.Anonymous)):
        if node.sql(dialect="sqlite") == wanted:
            slot = exp.Literal.number(search.slot)
            known = exp.Anonymous(this="__av_known_distance", expressions=[slot, rowid.copy()])
            node.replace(exp.Coalesce(this=known, expressions=[node.copy()]))
    candidates = exp.Anonymous(
        this="carray", expressions=[exp.Placeholder(this=search.candidates_name)]
    )
    if not search.ordered:
        select.where(exp.In(this=rowid.copy(), query=candidates), copy=False)
        return
    order = exp.to_identifier("__av_order", quoted=True)
    table = select.args["from_"].this
    for projection in select.expressions:
        if isinstance(projection, exp.Star):  # `*` would list carray's column too
            projection.replace(exp.Column(this=exp.Star(), table=exp.to_identifier(topk.alias)))
    select.set("from_", exp.From(this=exp.Table(this=candidates, alias=exp.TableAlias(this=order))))
    on = exp.EQ(this=rowid.copy(), expression=exp.column("value", table=order.copy()))
    select.set("joins", [exp.Join(this=table, kind="CROSS", on=on)])
    select.set("order", None)
    search.reads_distances = any(
        node.name.lower() == "__av_known_distance"
        and node.expressions[0] == exp.Literal.number(search.slot)
        for node in select.find_all(exp.Anonymous)
    )


class MatrixScan:
    """The exact path: one matrix product over the column's vectors held in memory.

    Applies to every search; declines only bindings the plain plan must answer (a NULL
    or zero query vector, a LIMIT that is not a number, a column it cannot hold).
    """

    def applies(self, session: ExecContext, search: SearchPlan) -> MatrixScan:
        return self

    def candidates(
        self, session: ExecContext, search: SearchPlan, bindings: Bindings
    ) -> Candidates | None:
        """The k nearest rows by one matrix product over the column's in-memory vectors."""
        topk = search.topk
        limit, offset = search.bounds(bindings)
        if limit is None or offset is None:
            return None
        matrix = current_matrix(session, topk)
        if matrix is None:
            return None
        query_vector = evaluate_vector(session, topk, bindings)
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
            nulls = (
                np.concatenate([nulls, rowids[null_positions]]) if len(null_positions) else nulls
            )
        chosen = nulls[:need]
        wanted = min(need + MARGIN - len(chosen), len(rowids))
        if wanted > 0:
            best = _best_positions(topk.metric, vectors, q, inverse_norms, squared_norms, wanted)
            chosen = np.concatenate([chosen, rowids[best]])
        expected = min(need, len(rowids) + len(nulls)) - offset
        return Candidates(chosen, query_vector, expected=max(expected, 0))

    def explain(
        self, session: ExecContext, search: SearchPlan, bindings: Bindings
    ) -> list[PlanRow]:
        shown = explained(session, search, bindings)
        topk = search.topk
        scan = (
            "  └─TableFullScan_3",
            f"{shown.total:.2f}",
            "root",
            f"table:{topk.table}",
            f"exactSearch:{topk.metric}({topk.table}.{topk.column}), vectors held in memory, one matrix product"
            + (", filtered by WHERE first" if search.probe_sql is not None else ""),
        )
        return [*shown.top_rows, scan]


MATRIX_SCAN = MatrixScan()


@dataclass
class ExplainedSearch:
    """What both vector paths show of a search: its TopN rows and the values they print."""

    top_rows: list[PlanRow]  # Projection_1 and TopN_2
    total: int  # rows in the table
    limit: int
    offset: int
    vector: str  # the query vector as EXPLAIN prints it


def explained(session: ExecContext, search: SearchPlan, bindings: Bindings) -> ExplainedSearch:
    """The plan of one top-k vector search above its scan, in TiDB's vocabulary."""
    topk = search.topk
    limit = int_value(search.limit, bindings)
    offset = int_value(search.offset, bindings) or 0
    count = session.conn.execute(
        f'SELECT count(*) FROM "{topk.database}"."{topk.table}"'
    ).fetchone()
    total = int(count[0]) if count else 0
    try:
        vector = evaluate_vector(session, topk, bindings)
        shown = format_for_explain(vector) if vector is not None else "NULL"
    except Exception:
        shown = "?"
    func = f"vec_{topk.metric.lower()}_distance"
    where = "" if search.top_level else f" (in a subquery of {topk.alias})"
    top = (
        "└─TopN_2",
        f"{limit or 0:.2f}",
        "root",
        "",
        f"{func}({topk.table}.{topk.column}, {shown}), offset:{offset}, count:{limit}{where}",
    )
    projection = ("Projection_1", f"{limit or 0:.2f}", "root", "", "output columns")
    return ExplainedSearch([projection, top], total, limit or 0, offset, shown)


def execute_searches(
    session: ExecContext,
    sql: str,
    searches: list[SearchPlan],
    bindings: Any,
    static_types: list[SqlType | None],
) -> Result | None:
    """Run the injected statement once every search has its candidates; None to fall back.

    Each search asks its paths in order (``SearchPlan.paths``, chosen when planned); the
    first that answers for these bindings gives the candidates.
    """
    bound = dict(bindings or {})
    known: dict[int, dict[int, float | None]] = {}
    top_expected: int | None = None
    for search in searches:
        for path in search.paths:
            found = path.candidates(session, search, bindings)
            if found is not None:
                break
        else:
            return None
        if found.stored is not None:
            keys, matrix = found.stored
        else:
            ids = np.unique(found.rowids)
            keys, matrix = _read_candidates(session, search.topk, ids, found.query.dims)
        distances = distances_to(search.topk.metric, matrix, found.query) if len(keys) else []
        rowids = keys.tolist()
        if search.reads_distances:
            known[search.slot] = dict(zip(rowids, distances, strict=True))
        if found.stored is not None or found.exclude_nulls:
            ids = keys  # rows with a vector only
        if search.ordered:
            ids = _nearest_first(ids, rowids, distances)
        bound[search.candidates_name] = rowid_array(ids)
        if search.top_level:
            top_expected = found.expected
    session.known_distances = known
    try:
        result = session.run(sql, bound, static_types)
    finally:
        session.known_distances = {}
    if result.columns is None:
        return None
    if top_expected is not None and len(result.rows) < top_expected:
        return None  # the snapshot differs from what the search saw: let the plain plan answer
    return result


def _nearest_first(ids: np.ndarray, rowids: list[int], distances: list[float | None]) -> np.ndarray:
    """Candidates ``ids`` in ORDER BY distance order, NULL distances first (as in MySQL).

    ``rowids`` and ``distances`` are the candidates that have a vector; the others' distance
    is NULL.
    """
    if len(rowids) == len(ids) and None not in distances:
        order = sorted(range(len(distances)), key=distances.__getitem__)  # type: ignore[arg-type]
        return np.array([rowids[i] for i in order], dtype=np.int64)
    known = dict(zip(rowids, distances, strict=True))
    values = [known.get(rowid) for rowid in ids.tolist()]
    nulls = np.array([v is not None for v in values])
    filled = np.array([0.0 if v is None else v for v in values], dtype=np.float64)
    return ids[np.lexsort((filled, nulls))]


def _read_candidates(
    session: ExecContext, topk: TopK, ids: np.ndarray, dims: int
) -> tuple[np.ndarray, np.ndarray]:
    column = '"' + topk.column.replace('"', '""') + '"'
    read = session.conn.execute(
        f'SELECT rowid, {column} FROM "{topk.database}"."{topk.table}" WHERE rowid IN carray(?)',
        (rowid_array(ids),),
    ).fetchall()
    rows = [(r, blob) for r, blob in read if isinstance(blob, bytes) and len(blob) == dims * 4]
    keys = np.fromiter((r for r, _ in rows), dtype=np.int64, count=len(rows))
    matrix = np.frombuffer(b"".join(blob for _, blob in rows), dtype="<f4").reshape(len(rows), dims)
    return keys, matrix


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


def constant_sql(constant: exp.Expression) -> str | None:
    """The query evaluating a search's constant, unless it is a placeholder or a literal."""
    if isinstance(constant, exp.Placeholder) or (
        isinstance(constant, exp.Literal) and constant.is_string
    ):
        return None
    return str(exp.select(constant.copy()).sql(dialect="sqlite"))


def evaluate_vector(session: ExecContext, topk: TopK, bindings: Any) -> Vector | None:
    """The query vector of a search for these bindings (None for NULL)."""
    constant = topk.constant
    if isinstance(constant, exp.Placeholder) and isinstance(bindings, dict):
        value = bindings.get(str(constant.this))
    elif isinstance(constant, exp.Literal) and constant.is_string:
        value = constant.this
    else:
        sql = topk.constant_sql or exp.select(constant.copy()).sql(dialect="sqlite")
        row = session.conn.execute(sql, bindings).fetchone()
        value = row[0] if row else None
    if value is None:
        return None
    return Vector.coerce(value)


# -- keeping the matrix current ----------------------------------------------------------------


def current_matrix(session: ExecContext, topk: TopK) -> VectorMatrix | None:
    """The column's matrix as this session must see it, or None to use the plain plan."""
    key = (topk.database, topk.table, topk.column.lower())
    cache = session.instance.vectors
    own_rows = session.own_rows(topk.database, topk.table)
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
    session: ExecContext, topk: TopK, only: np.ndarray | None
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
