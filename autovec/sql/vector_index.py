"""TiDB's HNSW vector index: DDL effects, maintenance, and index-driven top-k search.

``ORDER BY VEC_<M>_DISTANCE(col, <constant>) LIMIT k`` on a column with a vector index of
metric M is answered from the index (either argument order, literals or parameters).
Unlike TiDB, a WHERE clause does not disable it: the filter is evaluated first and

- when it keeps few rows, their vectors (stored in the index) are ranked exactly;
- otherwise the graph is searched for more candidates than k (in proportion to the
  filter's selectivity, doubling until k matching rows are found), so a filtered query
  returns the k nearest matching rows, never fewer when k rows match.

As in the exact path, the index only *chooses rowids*; the statement then runs on
SQLite restricted to them, so the output is exactly what the plain plan would print
for those rows. Rows the session changed but has not committed are always candidates.

Indexes live in memory (one per data directory and process, shared by its sessions:
``storage.live_indexes``) and on disk (``storage.index_files``); they follow the table
through the change log and catch up when a query needs them.
"""

from __future__ import annotations

import math
import os
import re
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlglot import exp

from autovec import errors
from autovec.sql import exact_search
from autovec.sql.access_paths import Bindings, Candidates, PlanRow, SearchPlan
from autovec.sql.parser import quote_identifier
from autovec.sql.schema import IndexDef, TableSchema
from autovec.sql.scope import Scope
from autovec.sql.translate import DISTANCE_FUNCTIONS, function_name
from autovec.storage import catalog as storage_catalog
from autovec.storage.hnsw import HnswIndex, HnswParams

if TYPE_CHECKING:
    from autovec.sql.context import ExecContext
    from autovec.storage.live_indexes import LiveIndexes

EXACT_BELOW = 2_000  # filtered rows up to this many are ranked exactly
# Changes applied to an index before it is saved again (a crash replays at most these
# from the change log); tests lower it through the environment.
SAVE_EVERY = int(os.environ.get("AUTOVEC_INDEX_SAVE_EVERY", "5000"))
BUILD_CHUNK = 8_192
MARGIN = 0  # extra candidates beyond k (each costs a row read; the graph is approximate anyway)


def params_for(index: IndexDef) -> HnswParams:
    try:
        return HnswParams.parse(index.options)
    except TypeError as exc:
        raise errors.DatabaseError(
            f"invalid vector index option: {exc}", errors.ER_UNKNOWN_ERROR
        ) from None


# What HNSW's parameters may be: M below 2 is no graph; beyond these a build only wastes
# memory and time (usearch accepts them, and would try).
HNSW_LIMITS = {"m": (2, 512), "ef_construction": (1, 10_000), "ef_search": (1, 10_000)}


def parse_options(comment: str | None) -> dict[str, Any]:
    """Index parameters given in COMMENT: ``'m=32, ef_construction=200, ef_search=128, quantization=f16'``."""
    options: dict[str, Any] = {}
    if not comment:
        return options
    for key, value in re.findall(r"(\w+)\s*=\s*([-+\w.]+)", comment):
        key = key.lower()
        if key in ("m", "ef_construction", "ef_search"):
            low, high = HNSW_LIMITS[key]
            if not value.isdigit() or not low <= int(value) <= high:
                raise errors.DatabaseError(
                    f"vector index option {key} must be an integer from {low} to {high}, "
                    f"got '{value}'",
                    errors.ER_UNKNOWN_ERROR,
                )
            options[key] = int(value)
        elif key == "quantization":
            if value.lower() not in ("f32", "f16", "i8", "bf16"):
                raise errors.DatabaseError(
                    f"quantization must be f32, f16, bf16 or i8, got {value}",
                    errors.ER_UNKNOWN_ERROR,
                )
            options[key] = value.lower()
    return options


def vector_indexes(schema: TableSchema) -> list[IndexDef]:
    return [i for i in schema.indexes if i.kind == "VECTOR"]


# -- building and catching up -------------------------------------------------------------------


def _table(database: str, schema: TableSchema) -> str:
    return f"{quote_identifier(database)}.{quote_identifier(schema.name)}"


def _read_vectors(
    session: ExecContext,
    database: str,
    schema: TableSchema,
    column: str,
    rowids: list[int] | None,
    after: int | None = None,
) -> tuple[np.ndarray, list[bytes | None]]:
    sql = f"SELECT rowid, {quote_identifier(column)} FROM {_table(database, schema)}"
    params: list[Any] = []
    if rowids is not None:
        sql += " WHERE rowid IN (" + ",".join("?" * len(rowids)) + ")"
        params = list(rowids)
    else:  # the next chunk past ``after`` (None: from the first row)
        past = "" if after is None else f"rowid > {int(after)} AND "
        sql += f" WHERE {past}{quote_identifier(column)} IS NOT NULL ORDER BY rowid LIMIT {BUILD_CHUNK}"
    rows = session.conn.execute(sql, params).fetchall()
    blobs: list[Any] = [r[1] for r in rows]
    return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)), blobs


def _apply(index: HnswIndex, rowids: np.ndarray, blobs: list[bytes | None]) -> None:
    present = [i for i, b in enumerate(blobs) if b is not None and len(b) == index.dims * 4]
    missing = np.array(
        [rowids[i] for i in range(len(blobs)) if i not in set(present)], dtype=np.int64
    )
    if len(missing):
        index.remove(missing)
    if present:
        data = b"".join(bytes(blobs[i] or b"") for i in present)
        matrix = np.frombuffer(data, dtype="<f4").reshape(len(present), index.dims)
        index.upsert(rowids[present], matrix)


def build(session: ExecContext, database: str, schema: TableSchema, index: IndexDef) -> HnswIndex:
    """Build from the table in one read snapshot, in chunks, reporting progress."""
    column = schema.column(index.columns[0])
    assert column is not None and column.type.dimensions is not None
    hnsw = HnswIndex(column.type.dimensions, index.metric or "COSINE", params_for(index))
    opened = not session.conn.in_transaction
    if opened:
        session.conn.execute("BEGIN")  # one snapshot: the version and the rows agree
    try:
        hnsw.version = storage_catalog.table_version(session.conn, database, schema.name)
        total_row = session.conn.execute(
            f"SELECT count(*) FROM {_table(database, schema)} WHERE {quote_identifier(column.name)} IS NOT NULL"
        ).fetchone()
        total = int(total_row[0]) if total_row else 0
        done, after = 0, None
        label = f"building vector index {schema.name}.{index.name}"
        while True:
            rowids, blobs = _read_vectors(session, database, schema, column.name, None, after)
            if not len(rowids):
                break
            _apply(hnsw, rowids, blobs)
            done += len(rowids)
            after = int(rowids[-1])
            if session.progress is not None:
                session.progress(done, total, label)
    finally:
        if opened:
            session.conn.execute("COMMIT")
    return hnsw


def live_index(
    session: ExecContext, database: str, schema: TableSchema, index: IndexDef
) -> HnswIndex | None:
    """The index as this session may use it, caught up with the table; None while unusable."""
    live = session.instance.indexes
    key = (database, schema.name.lower(), index.name.lower())
    hnsw = live.indexes.get(key)
    if hnsw is None or key in live.building:
        with live.lock:
            hnsw = _load(session, live, key, schema, index)
        if hnsw is None:
            return None
    return _caught_up(session, key, schema, index, hnsw)


def _load(
    session: ExecContext,
    live: LiveIndexes,
    key: tuple[str, str, str],
    schema: TableSchema,
    index: IndexDef,
) -> HnswIndex | None:
    """Load the saved index, or rebuild it from the table; None while it is being built."""
    if key in live.building:
        return None
    hnsw = live.indexes.get(key)
    if hnsw is not None:
        return hnsw
    column = schema.column(index.columns[0])
    if column is None or column.type.dimensions is None:
        return None
    database = key[0]
    hnsw = live.files.load(
        database,
        schema.name,
        index.name,
        column.type.dimensions,
        index.metric or "COSINE",
        params_for(index),
    )
    if hnsw is None:  # missing or unreadable: rebuild it from the table
        hnsw = build(session, database, schema, index)
        live.files.save(database, schema.name, index.name, hnsw)
    live.indexes[key] = hnsw
    return hnsw


def _known_current(
    session: ExecContext, database: str, table: str, index: IndexDef
) -> HnswIndex | None:
    """The index, if this session found it current and the database file has not changed.

    The shortcut of a repeated search: no catalog or version lookups. ``data_version``
    changes with every write to the file, by this connection or any other; it needs this
    statement to have read the database's schema version already (which brings the
    connection's view of other processes' commits up to date), and no writes of this
    session in flight.
    """
    conn = session.conn
    if session.writes_pending or conn.in_transaction or not session.sees_commits_of(database):
        return None
    seen = session.current_indexes.get((database, table, index.name.lower()))
    if seen is None or seen[1] != conn.data_version(database):
        return None
    hnsw: HnswIndex | None = seen[0]()
    return hnsw


def _caught_up(
    session: ExecContext,
    key: tuple[str, str, str],
    schema: TableSchema,
    index: IndexDef,
    hnsw: HnswIndex,
) -> HnswIndex | None:
    database, table = key[0], key[1]
    # A database file nobody changed since this session last found the index current
    # still has the same rows: skip reading the table version.
    if _known_current(session, database, table, index) is hnsw:
        return hnsw
    own_versions = session.pending_versions.get((database, table), [])
    own_rows = session.own_rows(database, table)
    unchanged_check = not session.writes_pending and not session.conn.in_transaction
    if unchanged_check:  # read before the version: a commit in between is seen next time
        data_version = session.conn.data_version(database)
    version = storage_catalog.table_version(session.conn, database, schema.name)
    target = own_versions[0] - 1 if own_versions else version
    with hnsw.lock:
        if target > hnsw.version:
            changed = storage_catalog.changed_rows(
                session.conn, database, schema.name, hnsw.version, target
            )
            if not own_rows.isdisjoint(changed):
                return None  # we would read our own uncommitted values into the shared index
            column = index.columns[0]
            for start in range(0, len(changed), 500):
                rowids, blobs = _read_vectors(
                    session, database, schema, column, changed[start : start + 500]
                )
                gone = np.setdiff1d(np.array(changed[start : start + 500], dtype=np.int64), rowids)
                if len(gone):
                    hnsw.remove(gone)
                _apply(hnsw, rowids, blobs)
            hnsw.version = target
            if hnsw.dirty >= SAVE_EVERY:
                save(session, database, schema, index, hnsw)
        # else: current, or the session reads an older snapshot (rows are re-checked)
    if unchanged_check:
        session.current_indexes[key] = (weakref.ref(hnsw), data_version)
    return hnsw


def save(
    session: ExecContext, database: str, schema: TableSchema, index: IndexDef, hnsw: HnswIndex
) -> None:
    """Persist the index, then drop change-log entries every index of the table has."""
    live = session.instance.indexes
    if live.files.path(database, schema.name, index.name) is None:
        return
    live.files.save(database, schema.name, index.name, hnsw)
    saved = []
    for other in vector_indexes(schema):
        other_index = live.indexes.get((database, schema.name.lower(), other.name.lower()))
        if other_index is None or other_index.dirty:
            return
        saved.append(other_index.version)
    if saved and not session.conn.in_transaction:
        with session.write_statement():
            storage_catalog.prune_changes(session.conn, database, schema.name, min(saved))


# -- DDL effects ----------------------------------------------------------------------------------


def index_created(session: ExecContext, database: str, table: str, index_name: str) -> None:
    """Build a new index after its DDL committed: reads stay unblocked, progress is shown."""
    schema = session.table(database, table)
    index = schema.index(index_name)
    if index is None:
        return
    live = session.instance.indexes
    key = (database, schema.name.lower(), index.name.lower())
    with live.lock:
        live.building.add(key)
    try:
        hnsw = build(session, database, schema, index)
        live.files.save(database, schema.name, index.name, hnsw)
        with live.lock:
            live.indexes[key] = hnsw
    finally:
        with live.lock:
            live.building.discard(key)


def index_dropped(session: ExecContext, database: str, table: str, index_name: str) -> None:
    session.instance.indexes.forget(database, table, index_name, delete_files=True)


def table_dropped(session: ExecContext, database: str, table: str) -> None:
    session.instance.indexes.forget(database, table, None, delete_files=True)


def table_renamed(session: ExecContext, database: str, old: str, new: str) -> None:
    live = session.instance.indexes
    live.forget(database, old)
    live.files.rename_table(database, old, new)


def indexed_rows(
    session: ExecContext, database: str, schema: TableSchema, index: IndexDef
) -> int | None:
    """Rows in the index now (for information_schema.TIFLASH_INDEXES), None if not loaded."""
    hnsw = session.instance.indexes.indexes.get((database, schema.name.lower(), index.name.lower()))
    return len(hnsw) if hnsw is not None else None


def saved_rows(session: ExecContext, database: str, schema: TableSchema, index: IndexDef) -> int:
    """Rows in the saved index file, 0 when there is none yet."""
    return session.instance.indexes.files.saved_rows(database, schema.name, index.name)


# -- planning ---------------------------------------------------------------------------------------


def warnings_for(
    searches: list[SearchPlan], reasons: list[tuple[str, int, str]]
) -> list[tuple[str, int, str]]:
    """TiDB's warnings (``reasons``) unless an index serves the statement's own search."""
    if any(search.top_level and isinstance(search.path, IndexScan) for search in searches):
        return []
    return reasons


def _warning(reason: str) -> tuple[str, int, str]:
    return ("Warning", 1105, f"ANN index not used: {reason}")


def reasons_not_used(
    session: ExecContext, tree: exp.Expression, scope: Scope
) -> list[tuple[str, int, str]]:
    """TiDB's explanations when a query orders by a distance on an indexed table."""
    if not isinstance(tree, exp.Select) or tree.args.get("order") is None:
        return []
    ordered = tree.args["order"].expressions
    for item in ordered:
        key = item.this
        if isinstance(key, exp.Column) and not key.table:
            for projection in tree.expressions:
                if (
                    isinstance(projection, exp.Alias)
                    and projection.alias.lower() == key.name.lower()
                ):
                    key = projection.this
        metric = DISTANCE_FUNCTIONS.get(function_name(key))
        if metric is None or not isinstance(key, exp.Anonymous):
            continue
        column = next((a for a in key.expressions if isinstance(a, exp.Column)), None)
        found = scope.column(column) if column is not None else None
        if found is None:
            continue
        database, column_def = found
        schema = next(
            (
                s
                for d, s in scope.tables.values()
                if d == database and s.column(column_def.name) is column_def
            ),
            None,
        )
        if schema is None or not vector_indexes(schema):
            continue
        indexes = [
            i for i in vector_indexes(schema) if i.columns[0].lower() == column_def.name.lower()
        ]
        if not indexes:
            return [_warning(f"column '{column_def.name}' does not have ANN index")]
        wanted = indexes[0].metric or "COSINE"
        if len(ordered) > 1:
            return [_warning("order by multiple expressions")]
        if metric != wanted and all(i.metric != metric for i in indexes):
            return [_warning(f"not ordering by {wanted} distance")]
        if item.args.get("desc"):
            return [
                _warning(
                    f"index can be used only when ordering by vec_{metric.lower()}_distance() in ASC order"
                )
            ]
        if tree.args.get("limit") is None:
            return [_warning("only Top N queries (like ORDER BY ... LIMIT ...) can use ANN index")]
        if tree.args.get("group") or tree.args.get("having") or tree.args.get("joins"):
            return [_warning("only Top N queries (like ORDER BY ... LIMIT ...) can use ANN index")]
    return []


# -- execution --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndexScan:
    """The HNSW path: candidates from the searched column's vector index.

    Unbound in the table of paths (``INDEX_SCAN``); ``applies`` binds it to the index
    that serves a search. It declines bindings it cannot answer (a NULL or zero query
    vector, an index still unusable), and the exact path answers them.
    """

    index: IndexDef | None = None

    def applies(self, session: ExecContext, search: SearchPlan) -> IndexScan | None:
        """Bound to the index on the searched column with the search's metric, if any."""
        topk = search.topk
        schema = session.catalog(topk.database).get(topk.table)
        for index in vector_indexes(schema) if schema is not None else []:
            if index.columns[0].lower() == topk.column.lower() and index.metric == topk.metric:
                return IndexScan(index)
        return None

    def candidates(
        self, session: ExecContext, search: SearchPlan, bindings: Bindings
    ) -> Candidates | None:
        """The search's candidates from its vector index; None when the index cannot answer."""
        topk = search.topk
        index = self.index
        assert index is not None  # bound by applies
        limit, offset = search.bounds(bindings)
        if limit is None or offset is None:
            return None
        hnsw = _known_current(session, topk.database, topk.table, index)
        if hnsw is None:
            schema = session.catalog(topk.database).get(topk.table)
            if schema is None:
                return None
            hnsw = live_index(session, topk.database, schema, index)
            if hnsw is None:
                return None
        query_vector = exact_search.evaluate_vector(session, topk, bindings)
        if query_vector is None:
            return None
        if query_vector.dims != hnsw.dims:
            if len(hnsw):
                raise errors.DataError(
                    f"vectors have different dimensions: {hnsw.dims} and {query_vector.dims}", 1105
                )
            return None
        q = query_vector.to_numpy()
        if topk.metric == "COSINE" and not q.any():
            return None
        need = limit + offset
        own = session.own_rows(topk.database, topk.table)
        exact_copies = hnsw.params.quantization == "f32" and not own
        ef = index.options.get("ef_search")
        expected = None
        stored = None
        if search.probe_sql is None:
            candidates, vectors = hnsw.search(q, need + MARGIN, ef, with_vectors=exact_copies)
            if exact_copies:
                stored = (candidates, vectors)  # the keys of one search are distinct
            expected = max(min(need, len(hnsw)) - offset, 0)
        else:
            candidates = _filtered(session, search, index, hnsw, q, need, bindings)
            if exact_copies:
                stored = hnsw.vectors(np.unique(candidates))
        if own:
            candidates = np.concatenate([candidates, np.fromiter(own, dtype=np.int64)])
        # Indexes hold no NULL vectors; like TiDB's index path, such rows are not returned.
        return Candidates(candidates, query_vector, stored, exclude_nulls=True, expected=expected)

    def explain(
        self, session: ExecContext, search: SearchPlan, bindings: Bindings
    ) -> list[PlanRow]:
        assert self.index is not None
        shown = exact_search.explained(session, search, bindings)
        topk = search.topk
        scan = (
            "  └─TableFullScan_3",
            f"{shown.total:.2f}",
            "cop[tiflash]",
            f"table:{topk.table}, index:{self.index.name}({topk.column})",
            f"keep order:false, annIndex:{topk.metric}({topk.column}..{shown.vector}, limit:{shown.limit + shown.offset})"
            + (
                ", filtered by WHERE first (exact when selective)"
                if search.probe_sql is not None
                else ""
            ),
        )
        return [*shown.top_rows, scan]


INDEX_SCAN = IndexScan()


def _filtered(
    session: ExecContext,
    search: SearchPlan,
    index: IndexDef,
    hnsw: HnswIndex,
    q: np.ndarray,
    need: int,
    bindings: Any,
) -> np.ndarray:
    """Candidates among the rows that pass the WHERE clause.

    When few rows pass, their stored vectors are ranked exactly. Otherwise the graph is
    searched for more than ``need`` rows, in proportion to the filter's selectivity, and
    SQLite checks only those against the WHERE clause; the search widens until enough
    pass, and turns exact if the graph cannot reach them.
    """
    assert search.count_sql is not None and search.check_sql is not None
    conn = session.conn
    ef = index.options.get("ef_search")
    if not len(hnsw):
        return np.zeros(0, np.int64)
    row = conn.execute(search.count_sql, bindings).fetchone()
    passing = int(row[0]) if row else 0
    if passing <= max(EXACT_BELOW, need * 4):
        return _exact_among_passing(session, search, hnsw, q, need, bindings)
    count = math.ceil((need + MARGIN) / (passing / len(hnsw)) * 1.5)
    checks = dict(bindings or {})
    while True:
        keys, _ = hnsw.search(q, count, max(ef or 0, count))
        checks["__av_check"] = exact_search.rowid_array(keys)
        passed = {r[0] for r in conn.execute(search.check_sql, checks)}
        hits = keys[[key in passed for key in keys.tolist()]] if passed else keys[:0]
        if len(hits) >= need + MARGIN or count >= len(hnsw):
            if len(hits) >= min(need, passing):
                return hits
            # the graph could not reach them: be exact
            return _exact_among_passing(session, search, hnsw, q, need, bindings)
        count = min(count * 2, len(hnsw))


def _exact_among_passing(
    session: ExecContext,
    search: SearchPlan,
    hnsw: HnswIndex,
    q: np.ndarray,
    need: int,
    bindings: Bindings,
) -> np.ndarray:
    assert search.probe_sql is not None
    rows = session.conn.execute(search.probe_sql, bindings)
    keys, vectors = hnsw.vectors(np.fromiter((r[0] for r in rows), dtype=np.int64))
    return _exact_top(keys, vectors, q, need + MARGIN, search.topk.metric)


def _exact_top(
    keys: np.ndarray, vectors: np.ndarray, q: np.ndarray, count: int, metric: str
) -> np.ndarray:
    if not len(keys):
        return keys
    if metric == "COSINE":
        norms = np.linalg.norm(vectors, axis=1)
        norms[norms == 0] = np.inf
        scores = (vectors @ q) / norms
    else:
        scores = 2 * (vectors @ q) - np.einsum("ij,ij->i", vectors, vectors)
    if count >= len(scores):
        return keys
    return keys[np.argpartition(scores, len(scores) - count)[len(scores) - count :]]
