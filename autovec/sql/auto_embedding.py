"""Auto Embedding: ``EMBED_TEXT`` / ``EMBED_IMAGE`` columns, ``VEC_EMBED_*_DISTANCE``, the SQL functions.

- A column ``VECTOR(D) GENERATED ALWAYS AS (EMBED_TEXT('provider/model', src[, 'opts'])) STORED``
  is filled by :func:`fill_generated` inside the writing statement's savepoint: every row
  the statement touched is embedded in one batch (the provider layer splits it within
  each provider's limits), then written. If embedding fails, the statement fails whole.
- ``VEC_EMBED_<M>_DISTANCE(col, 'query')`` becomes ``VEC_<M>_DISTANCE(col,
  __av_embed_query(db, model, 'query', opts))``: the query is embedded once, with the
  column's model and its query-side (``key@search``) options.
- Vectors are cached per database (``storage.embedding_cache``) outside the statement's
  transaction, so a failed statement retried later does not pay again.
- ``EMBED_IMAGE('provider/model', src[, 'opts'])`` is the same machinery with a spec of
  kind ``image``: the source holds a URL, a path or the bytes, which the database loads
  itself (:mod:`autovec.sql.image_sources`) before the write lock, so the write only
  looks the vectors up (:class:`AheadVectors`).
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal, cast

import apsw
import numpy as np
from sqlglot import exp

from autovec import errors
from autovec.sql import image_sources, mysql_functions
from autovec.sql.catalog_writes import save_table, store_sql
from autovec.sql.embedder import embedding_error
from autovec.sql.parser import parse, quote_identifier
from autovec.sql.schema import ColumnDef, TableSchema
from autovec.vector import VectorError

if TYPE_CHECKING:
    from autovec.sql.context import ExecContext

EMBED_DISTANCES = {
    "VEC_EMBED_COSINE_DISTANCE": "VEC_COSINE_DISTANCE",
    "VEC_EMBED_L2_DISTANCE": "VEC_L2_DISTANCE",
    "VEC_EMBED_L1_DISTANCE": "VEC_L1_DISTANCE",
    "VEC_EMBED_NEGATIVE_INNER_PRODUCT": "VEC_NEGATIVE_INNER_PRODUCT",
}


EmbedKind = Literal["text", "image"]
EMBED_FUNCTIONS: dict[str, EmbedKind] = {"EMBED_TEXT": "text", "EMBED_IMAGE": "image"}


@dataclass(frozen=True)
class EmbedSpec:
    """A parsed ``EMBED_TEXT|EMBED_IMAGE(model, source[, options])`` column definition."""

    model: str
    source: str  # MySQL expression text of the embedded value (usually a column name)
    options: str | None
    columns: frozenset[str]  # lower-cased columns the source reads
    kind: EmbedKind = "text"  # what the source holds: text, or an image (URL, path, bytes)

    @property
    def function(self) -> str:
        """``EMBED_TEXT`` or ``EMBED_IMAGE``, for messages."""
        return "EMBED_IMAGE" if self.kind == "image" else "EMBED_TEXT"


# Shared by every data directory: a pure function of the column's expression text.
@lru_cache(maxsize=1024)
def embed_spec(generated: str | None) -> EmbedSpec | None:
    """The spec when a generation expression is a top-level EMBED_TEXT or EMBED_IMAGE with
    literal args."""
    if not generated:
        return None
    node = parse(f"SELECT {generated}")[0].expressions[0]
    while isinstance(node, exp.Paren):
        node = node.this
    if not isinstance(node, exp.Anonymous):
        return None
    function = str(node.this).upper()
    kind = EMBED_FUNCTIONS.get(function)
    if kind is None:
        return None
    args = node.expressions
    if len(args) not in (2, 3) or not (isinstance(args[0], exp.Literal) and args[0].is_string):
        raise errors.DatabaseError(
            f"{function} needs a literal 'provider/model' as its first argument", 1105
        )
    options = None
    if len(args) == 3:
        if isinstance(args[2], exp.Null):
            options = None
        elif isinstance(args[2], exp.Literal) and args[2].is_string:
            options = args[2].this or None
        else:
            raise errors.DatabaseError(f"{function} expects options in JSON format", 1105)
    columns = frozenset(c.name.lower() for c in args[1].find_all(exp.Column))
    return EmbedSpec(args[0].this, args[1].sql(dialect="mysql"), options, columns, kind)


def generated_dependencies(generated: str) -> frozenset[str]:
    node = parse(f"SELECT {generated}")[0]
    return frozenset(c.name.lower() for c in node.find_all(exp.Column))


def validate_column(column: ColumnDef) -> None:
    """CREATE/ALTER-time checks of an EMBED_TEXT / EMBED_IMAGE column: name, options,
    dimensions, and (images) that the model takes images."""
    spec = embed_spec(column.generated)
    if spec is None:
        return
    if not column.type.is_vector:
        raise errors.DatabaseError(
            f"{spec.function}() produces a VECTOR; column '{column.name}' is {column.type.sql()}",
            1105,
        )
    from autovec.embeddings import EmbeddingError, check_column

    try:
        fn = check_column(spec.model, spec.options, column.type.dimensions)
        multimodal = spec.kind != "image" or fn.provider.multimodal
    except EmbeddingError as exc:
        raise embedding_error(exc) from None
    if not multimodal:
        raise errors.DatabaseError(
            f"EMBED_IMAGE() needs a multimodal model; {fn.model_name} does not accept image "
            f"input (column '{column.name}')",
            1105,
        )


def fill_generated(
    session: ExecContext,
    database: str,
    schema: TableSchema,
    rowids: set[int],
    changed_columns: set[str] | None = None,
    progress: Any = None,
    only: set[str] | None = None,
    ahead: AheadVectors | None = None,
) -> None:
    """Compute the generated columns of the given rows (inside the caller's statement).

    ``ahead`` holds the image vectors :func:`embed_ahead` made before the write lock.
    """
    if not rowids:
        return
    table = f"{quote_identifier(database)}.{quote_identifier(schema.name)}"
    for column in schema.columns:
        if column.generated is None or (only is not None and column.name not in only):
            continue
        spec = embed_spec(column.generated)
        reads = spec.columns if spec is not None else generated_dependencies(column.generated)
        if changed_columns is not None and not (reads & changed_columns):
            continue  # an UPDATE that leaves the source alone keeps its vector
        ids = sorted(rowids)
        if spec is None:
            _fill_expression(session, table, column, ids)
        else:
            _fill_embeddings(session, database, table, column, spec, ids, progress, ahead)


def _source_sql(session: ExecContext, source: str) -> str:
    tree = parse(f"SELECT {source}")[0]
    session.translator.substitute_session_values(tree)
    mysql_functions.rewrite(tree)
    return str(tree.expressions[0].sql(dialect="sqlite"))


def _fill_expression(session: ExecContext, table: str, column: ColumnDef, ids: list[int]) -> None:
    expression = store_sql(_source_sql(session, column.generated or "NULL"), column)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        session.conn.execute(
            f"UPDATE {table} SET {quote_identifier(column.name)} = {expression} WHERE rowid IN ({marks})",
            chunk,
        )


def embeddable_text(value: Any) -> str | None:
    """The text EMBED_TEXT embeds for a source value; None for a NULL vector."""
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    if text is None or (isinstance(text, str) and not text.strip()):
        return None  # NULL (or empty) source → NULL vector
    return str(text)


def embeddable(spec: EmbedSpec, value: Any) -> str | bytes | None:
    """What ``spec`` embeds for a source value (text, or an image's URL/path/bytes); None
    for a NULL vector."""
    if spec.kind == "image":
        return image_sources.image_source(value)
    return embeddable_text(value)


def _read_sources(
    session: ExecContext, table: str, spec: EmbedSpec, ids: list[int]
) -> tuple[list[tuple[int, str | bytes]], list[int]]:
    """The rows' sources to embed, and the rows whose vector is NULL."""
    source = _source_sql(session, spec.source)
    pending: list[tuple[int, str | bytes]] = []
    nulls: list[int] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for rowid, value in session.conn.execute(
            f"SELECT rowid, {source} FROM {table} WHERE rowid IN ({marks})", chunk
        ):
            item = embeddable(spec, value)
            if item is None:
                nulls.append(rowid)
            else:
                pending.append((rowid, item))
    return pending, nulls


def _fill_embeddings(
    session: ExecContext,
    database: str,
    table: str,
    column: ColumnDef,
    spec: EmbedSpec,
    ids: list[int],
    progress: Any,
    ahead: AheadVectors | None,
) -> None:
    pending, nulls = _read_sources(session, table, spec, ids)
    name = quote_identifier(column.name)
    if nulls:
        session.conn.executemany(
            f"UPDATE {table} SET {name} = NULL WHERE rowid = ?", [(r,) for r in nulls]
        )
    if not pending:
        return
    sources = [item for _, item in pending]
    if spec.kind == "image":
        vectors = _image_vectors(session, database, spec, sources, ahead)
    else:
        vectors = session.instance.embedder.embed(
            database, spec.model, [str(s) for s in sources], "document", spec.options
        )
    dims = column.type.dimensions
    if dims is not None and vectors.shape[1] != dims:
        raise errors.DataError(
            f"vector has {vectors.shape[1]} dimensions, does not fit VECTOR({dims})", 1105
        )
    blobs = np.ascontiguousarray(vectors, dtype="<f4")
    session.conn.executemany(
        f"UPDATE {table} SET {name} = ? WHERE rowid = ?",
        [(blobs[i].tobytes(), rowid) for i, (rowid, _) in enumerate(pending)],
    )
    if progress is not None:
        progress(len(pending))


def _image_vectors(
    session: ExecContext,
    database: str,
    spec: EmbedSpec,
    sources: list[str | bytes],
    ahead: AheadVectors | None,
) -> np.ndarray:
    """The rows' image vectors: those embedded ahead of the lock, the rest loaded now.

    Only rows the preview could not foresee (ON DUPLICATE KEY UPDATE, a non-deterministic
    source) are loaded here, inside the lock: failing them instead would refuse valid SQL.
    """
    found: list[np.ndarray | None] = (
        ahead.lookup(spec, sources) if ahead is not None else [None] * len(sources)
    )
    missing = [i for i, vec in enumerate(found) if vec is None]
    if missing:
        fresh = _embed_images(session, database, spec, [sources[i] for i in missing])
        for i, vec in zip(missing, fresh, strict=True):
            found[i] = vec
    return np.stack([vec for vec in found if vec is not None]).astype(np.float32, copy=False)


def _embed_images(
    session: ExecContext, database: str, spec: EmbedSpec, sources: list[str | bytes]
) -> list[np.ndarray]:
    return image_sources.embed_images(
        session.instance.embedder,
        database,
        spec.model,
        spec.options,
        sources,
        "document",
        session.store.datadir.settings(),
        session.check_interrupted,
    )


# -- embedding before the write lock ------------------------------------------------------------

#: Texts per embedding call ahead of a write. A local model sorts one call's texts by
#: token count (measured: 2,000 docstrings as 4 calls of 512 took 1.13x as long as one
#: call) and checks for KILL between its own chunks; the bound is for memory: 8,192
#: vectors of 1,536 floats, 48 MiB.
AHEAD_CHUNK = 8192


@dataclass(frozen=True)
class EmbeddingPreview:
    """A read-only query giving, for each row a statement will write, the source of each
    of its EMBED_TEXT / EMBED_IMAGE columns (one result column per spec).

    Running it and embedding the sources *before* the statement takes the database's write
    lock puts every vector in the persistent cache, so the write itself embeds nothing and
    holds the lock only briefly. A row it did not foresee (ON DUPLICATE KEY UPDATE, a
    non-deterministic source) is still embedded, only inside the lock.
    """

    sql: str
    specs: tuple[EmbedSpec, ...]


@dataclass
class AheadVectors:
    """Image vectors embedded before the write lock, by column spec and source.

    A text's vector is found again in the cache by the text itself; an image's cache
    identity is its content, which only loading the URL or file again would give, so the
    statement keeps the vectors it made for its sources here, for its write to use.
    """

    images: dict[EmbedSpec, dict[str, np.ndarray]] = field(default_factory=dict)

    def add(self, spec: EmbedSpec, sources: list[str | bytes], vectors: list[np.ndarray]) -> None:
        known = self.images.setdefault(spec, {})
        for source, vector in zip(sources, vectors, strict=True):
            known[image_sources.source_key(source)] = vector

    def lookup(self, spec: EmbedSpec, sources: list[str | bytes]) -> list[np.ndarray | None]:
        known = self.images.get(spec, {})
        return [known.get(image_sources.source_key(source)) for source in sources]


def embedded_columns(schema: TableSchema, changed_columns: set[str] | None) -> list[EmbedSpec]:
    """The embedding columns a write recomputes (all, or those reading a changed column)."""
    specs = [embed_spec(column.generated) for column in schema.columns]
    return [
        spec
        for spec in specs
        if spec is not None and (changed_columns is None or spec.columns & changed_columns)
    ]


def plan_preview(
    session: ExecContext,
    specs: list[EmbedSpec],
    rows: exp.Select,
    new_values: dict[str, exp.Expression],
) -> EmbeddingPreview:
    """The preview of ``specs`` over ``rows`` (a SELECT whose projections it sets), where a
    column named in ``new_values`` (lower-cased) takes that expression's value."""
    projections = []
    for spec in specs:
        holder = parse(f"SELECT {spec.source}")[0]
        for column in list(holder.find_all(exp.Column)):
            value = new_values.get(column.name.lower())
            if value is not None and not column.table:
                column.replace(value.copy())
        projections.append(holder.expressions[0])
    rows.set("expressions", projections)
    session.translator.prepare(rows)
    return EmbeddingPreview(session.translator.sql(rows), tuple(specs))


def embed_ahead(
    session: ExecContext,
    database: str,
    preview: EmbeddingPreview | None,
    all_bindings: list[Any],
) -> AheadVectors | None:
    """Embed what a statement is about to write into the cache, holding no lock.

    A preview that fails (bad data) does nothing here: the statement reports the error
    itself. An embedding failure (an image refused, a provider error) fails the statement
    before it has written anything. Returns the image vectors, for the write to use.
    """
    if preview is None:
        return None
    sources: list[list[str | bytes]] = [[] for _ in preview.specs]
    try:
        for bindings in all_bindings:
            for row in session.conn.execute(preview.sql, bindings):
                for index, value in enumerate(row):
                    item = embeddable(preview.specs[index], value)
                    if item is not None:
                        sources[index].append(item)
    except (apsw.Error, errors.Error, VectorError):
        return None
    ahead = AheadVectors()
    for spec, items in zip(preview.specs, sources, strict=True):
        _embed_ahead(session, database, spec, items, ahead)
    return ahead


def _embed_ahead(
    session: ExecContext,
    database: str,
    spec: EmbedSpec,
    items: list[str | bytes],
    ahead: AheadVectors,
    *,
    chunk_size: int = AHEAD_CHUNK,
) -> None:
    if spec.kind == "image":
        distinct = list(dict.fromkeys(items))  # a statement's repeated URL is loaded once
        ahead.add(spec, distinct, _embed_images(session, database, spec, distinct))
        return
    embedder = session.instance.embedder
    for start in range(0, len(items), chunk_size):
        session.check_interrupted()
        chunk = [str(item) for item in items[start : start + chunk_size]]
        embedder.embed(
            database,
            spec.model,
            chunk,
            "document",
            spec.options,
            check_interrupted=session.check_interrupted,
        )


# -- back-filling a new EMBED_TEXT column ------------------------------------------------------

BACKFILL_BATCH = 256
#: Rows embedded ahead of their batches: a local model sorts them by token count as one
#: call, so a window of several batches pads less than each batch alone (1.06x the real
#: tokens at 256 rows, 1.02x at 1,024, for 2,000 docstrings in batches of 32).
BACKFILL_WINDOW = 4 * BACKFILL_BATCH


def run_backfills(session: ExecContext) -> None:
    """Fill the EMBED_TEXT columns queued by ALTER TABLE, in committed batches."""
    while session.pending_backfills:
        database, table = session.pending_backfills.pop(0)
        backfill(session, database, table)


@contextmanager
def _backfill_lock(session: ExecContext, database: str, table: str) -> Iterator[bool]:
    """True when this process may back-fill the table (no other process is doing it)."""
    datadir = session.store.datadir
    if datadir.in_memory:
        yield True
        return
    path = datadir.database_dir(database) / f"backfill-{table.lower()}.lock"
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def backfill(session: ExecContext, database: str, table: str) -> None:
    """Embed the rows of queued columns batch by batch, each batch its own transaction.

    Progress is recorded in the catalog (the last rowid done), so a crash loses at most
    one batch, and readers are never blocked for longer than one batch's write.
    """
    with _backfill_lock(session, database, table) as mine:
        if mine:
            _backfill(session, database, table)


FIRST_ROWID = -(2**63)


def _after(column: str, last: int | None) -> str:
    """Rows past ``last`` (None: all of them; SQLite's rowids start at -2^63 inclusive)."""
    return "1" if last is None else f"{column} > {int(last)}"


def _backfill(session: ExecContext, database: str, table: str) -> None:
    schema = session.table(database, table)
    pending: dict[str, int | None] = dict(schema.options.get("backfill", {}))
    qtable = f"{quote_identifier(database)}.{quote_identifier(schema.name)}"
    for name, start in pending.items():
        column = schema.column(name)
        if column is None:
            continue
        quoted = quote_identifier(column.name)
        last = None if start == FIRST_ROWID else start  # -(2**63): markers of older versions
        total_row = session.conn.execute(
            f"SELECT count(*) FROM {qtable} WHERE {_after('rowid', last)}"
        ).fetchone()
        total, done = int(total_row[0]) if total_row else 0, 0
        label = f"embedding {schema.name}.{column.name}"
        while True:
            session.check_interrupted()
            window = [
                r[0]
                for r in session.conn.execute(
                    f"SELECT rowid FROM {qtable} WHERE {_after('rowid', last)} AND {quoted} IS NULL"
                    " ORDER BY rowid LIMIT ?",
                    (BACKFILL_WINDOW,),
                )
            ]
            if not window:
                break
            spec = embed_spec(column.generated)
            ahead = AheadVectors()
            if spec is not None:  # embedded first, outside the write lock (see embed_ahead)
                items = [item for _, item in _read_sources(session, qtable, spec, window)[0]]
                if items:  # the whole window in one call: a local model sorts it by tokens
                    _embed_ahead(session, database, spec, items, ahead, chunk_size=len(items))
            for start in range(0, len(window), BACKFILL_BATCH):
                if start:
                    session.check_interrupted()
                ids = window[start : start + BACKFILL_BATCH]
                current = session.table(database, table)
                with session.write_statement():
                    fill_generated(
                        session, database, current, set(ids), only={column.name}, ahead=ahead
                    )
                    marker = dict(current.options.get("backfill", {}))
                    marker[column.name] = ids[-1]
                    current.options = {**current.options, "backfill": marker}
                    save_table(session, database, current)
                session.commit()
                done += len(ids)
                last = ids[-1]
                if session.progress is not None:
                    session.progress(min(done, total), total, label)
        current = session.table(database, table)
        marker = {k: v for k, v in current.options.get("backfill", {}).items() if k != column.name}
        current.options = {**current.options, "backfill": marker}
        with session.write_statement():
            save_table(session, database, current)
        session.commit()
    session.instance.invalidate_catalogs()


# -- VEC_EMBED_*_DISTANCE ------------------------------------------------------------------------


def rewrite_embed_distance(
    node: exp.Anonymous, column: ColumnDef | None, database: str, argument: str
) -> exp.Expression:
    """``VEC_EMBED_<M>_DISTANCE(col, q)`` → ``VEC_<M>_DISTANCE(col, __av_embed_query(…))``."""
    name = str(node.this).upper()
    spec = embed_spec(column.generated) if column is not None else None
    if spec is None:
        raise errors.DatabaseError(
            f"{name}() first argument must be a vector embedding column generated by EMBED_TEXT(), got {argument}",
            1105,
        )
    col, query = node.expressions
    options: exp.Expression = exp.Literal.string(spec.options) if spec.options else exp.Null()
    embedded = exp.Anonymous(
        this="__av_embed_image_query" if spec.kind == "image" else "__av_embed_query",
        expressions=[exp.Literal.string(database), exp.Literal.string(spec.model), query, options],
    )
    return exp.Anonymous(this=EMBED_DISTANCES[name], expressions=[col, embedded])


def register(session: ExecContext) -> None:
    """SQL functions that embed: ``EMBED_TEXT``, ``EMBED_IMAGE`` and the query-side helpers."""
    embedder = session.instance.embedder

    def embed_text(model: Any, text: Any, options: Any = None) -> bytes | None:
        if text is None or model is None:
            return None
        database = session.database or "test"
        vector = embedder.embed(database, str(model), [str(text)], "document", options or None)[0]
        return np.ascontiguousarray(vector, dtype="<f4").tobytes()

    def embed_image(model: Any, source: Any, options: Any = None) -> bytes | None:
        image = image_sources.image_source(source)
        if image is None or model is None:
            return None
        vector = image_sources.embed_images(
            embedder,
            session.database or "test",
            str(model),
            options or None,
            [image],
            "document",
            session.store.datadir.settings(),
            session.check_interrupted,
        )[0]
        return np.ascontiguousarray(vector, dtype="<f4").tobytes()

    def embed_query(database: Any, model: Any, text: Any, options: Any) -> bytes | None:
        if text is None:
            return None
        vector = embedder.embed(str(database), str(model), [str(text)], "query", options or None)[0]
        return np.ascontiguousarray(vector, dtype="<f4").tobytes()

    def embed_image_query(database: Any, model: Any, query: Any, options: Any) -> bytes | None:
        """An image column's query: an image URL, data URI or bytes is embedded as that
        image (loaded under the same policy as rows); anything else as text."""
        if query is None:
            return None
        if not image_sources.is_image_query(query):
            return embed_query(database, model, query, options)
        vector = image_sources.embed_images(
            embedder,
            str(database),
            str(model),
            options or None,
            [query if isinstance(query, bytes) else str(query).strip()],
            "query",
            session.store.datadir.settings(),
            session.check_interrupted,
        )[0]
        return np.ascontiguousarray(vector, dtype="<f4").tobytes()

    conn = session.conn
    for name, function in (("EMBED_TEXT", embed_text), ("EMBED_IMAGE", embed_image)):
        conn.create_scalar_function(name, cast(Any, function), 2, deterministic=True)
        conn.create_scalar_function(name, cast(Any, function), 3, deterministic=True)
    conn.create_scalar_function("__av_embed_query", cast(Any, embed_query), 4, deterministic=True)
    conn.create_scalar_function(
        "__av_embed_image_query", cast(Any, embed_image_query), 4, deterministic=True
    )
