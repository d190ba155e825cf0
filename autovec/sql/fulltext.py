"""TiDB full-text search: FULLTEXT index DDL and ``FTS_MATCH_WORD`` on SQLite FTS5.

Indexes live in ``storage.fulltext`` (one FTS5 table per index, kept current by
triggers). This module gives them SQL meaning:

- DDL hooks (``table_created``, ``drop_table``, ``table_renamed``, ``schema_changed``)
  that ``ddl`` calls inside its all-or-nothing statement;
- ``FULL_TEXT_SCAN``, the full-text access path: its ``rewrite`` makes
  ``FTS_MATCH_WORD('q' [WITH PARSER p], col[, col…])`` (and MySQL's natural language
  ``MATCH (col) AGAINST ('q')``) SQLite SQL, and it explains itself. The value is TiDB's BM25
  score (``storage.fulltext``'s ``av_bm25``: k1 = 1.2, b = 0.75, Tantivy's IDF; 0 for rows
  that do not match). As a condition (``WHERE fts_match_word(…)``) it becomes
  ``t.rowid IN (SELECT rowid FROM <fts> WHERE <fts> MATCH …)``, answered by the index.
  As a value, each distinct search is computed once per statement in a MATERIALIZED CTE
  and looked up by rowid, so ``ORDER BY fts_match_word(…) DESC LIMIT k`` costs one index
  search, not one per row.

Query text is always tokenized by the index's own tokenizer and every term quoted, so
user text is never read as FTS5 syntax. A bound parameter (``%s``/``?``) is accepted as
the query: TiDB rejects it with error 1235, but it is constant for the statement and
refusing it would only break SQLAlchemy users; the MATCH expression is then built at run
time by the ``__av_fts_query`` function.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

import apsw
from sqlglot import exp

from autovec import errors
from autovec.sql.access_paths import Bindings, PlanRow
from autovec.sql.schema import ColumnDef, IndexDef, TableSchema
from autovec.storage import fulltext as storage

if TYPE_CHECKING:
    from autovec.sql.context import ExecContext, StatementTranslator
    from autovec.sql.scope import Scope

FUNCTION = "FTS_MATCH_WORD"
_PARSER_WRAPPER = "__AV_FTS_PARSER"  # FTS_MATCH_WORD('q' WITH PARSER p, …), see normalize_text
_QUERY_UDF = "__av_fts_query"
_ROWID, _SCORE = "__av_rowid", "__av_score"

ER_FT_COLUMN = 1283  # MySQL: Column '%s' cannot be part of FULLTEXT index


# -- index definitions ----------------------------------------------------------------------


def analyzer(index: IndexDef) -> storage.Analyzer:
    """The tokenizer settings of a FULLTEXT index, from its catalog options."""
    options = index.options or {}
    parser = str(options.get("parser") or "STANDARD").upper()
    if parser not in storage.PARSERS:
        raise errors.DatabaseError(
            f"Unsupported parser '{options.get('parser')}' for fulltext index; "
            "use STANDARD, MULTILINGUAL or NGRAM",
            errors.ER_UNSUPPORTED_DDL,
        )
    if parser != "NGRAM":
        return storage.Analyzer(parser)
    try:
        min_gram = int(options.get("min_gram", 3))
        max_gram = int(options.get("max_gram", options.get("min_gram", 3)))
        granularity = str(options.get("granularity", "word")).lower()
        lower_case = str(options.get("lower_case", True)).lower() not in ("0", "false")
        if not 2 <= min_gram <= max_gram <= 5:
            raise ValueError("min_gram and max_gram must be between 2 and 5, min_gram <= max_gram")
        return storage.Analyzer(parser, min_gram, max_gram, granularity, lower_case)
    except ValueError as exc:
        raise errors.DatabaseError(
            f"Invalid NGRAM parser options: {exc}", errors.ER_UNSUPPORTED_DDL
        ) from None


def fulltext_indexes(schema: TableSchema) -> list[IndexDef]:
    return [i for i in schema.indexes if i.kind == "FULLTEXT"]


# -- DDL hooks (run inside ddl's statement savepoint) ------------------------------------------


def create_index(
    session: ExecContext,
    database: str,
    schema: TableSchema,
    index: IndexDef,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Build one index over the table's current rows (reporting progress) and keep it current."""
    _check_columns(schema, index)
    settings = analyzer(index)
    if progress is None and session.progress is not None:
        report = session.progress
        label = f"fulltext index {index.name}"

        def progress(done: int, total: int) -> None:
            report(done, total, label)

    storage.create(
        session.conn, database, schema.name, index.name, index.columns, settings, progress
    )


def _check_columns(schema: TableSchema, index: IndexDef) -> None:
    """Only text can be indexed (MySQL's error 1283 otherwise)."""
    for name in index.columns:
        column = schema.column(name)
        if column is not None and not column.type.is_string:
            raise errors.OperationalError(
                f"Column '{column.name}' cannot be part of FULLTEXT index", ER_FT_COLUMN, "HY000"
            )


def table_created(session: ExecContext, database: str, schema: TableSchema) -> None:
    """Build the indexes a new table declares (CREATE TABLE, CREATE TABLE … LIKE)."""
    for index in fulltext_indexes(schema):
        create_index(session, database, schema, index)


def drop_table(session: ExecContext, database: str, schema: TableSchema) -> None:
    for index in fulltext_indexes(schema):
        storage.drop(session.conn, database, schema.name, index.name)


def table_renamed(session: ExecContext, database: str, old_name: str, schema: TableSchema) -> None:
    """Follow ``RENAME TABLE`` / ``ALTER TABLE … RENAME``; ``schema`` has the new name."""
    for index in fulltext_indexes(schema):
        storage.rename(session.conn, database, old_name, schema.name, index.name, index.columns)


def schema_changed(session: ExecContext, database: str, old: TableSchema, new: TableSchema) -> None:
    """Bring the indexes in line after ``ddl.apply_schema_change`` (in place or rebuilt).

    Dropped or redefined indexes are dropped, new or redefined ones built; indexes that
    survive get their triggers back (idempotent, needed after a rebuild) and are
    re-indexed if an indexed column's type changed (its stored text may have changed).
    Both schemas must have the same table name (renames go through ``table_renamed``).
    """
    conn = session.conn
    olds = {i.name.lower(): i for i in fulltext_indexes(old)}
    for index in fulltext_indexes(new):
        before = olds.pop(index.name.lower(), None)
        if before is not None and _same_definition(old, before, new, index):
            storage.create_triggers(conn, database, new.name, index.name, index.columns)
            if _types_changed(old, before, new, index):
                _check_columns(new, index)
                storage.populate(conn, database, new.name, index.name, index.columns)
            continue
        if before is not None:
            storage.drop(conn, database, old.name, before.name)
        create_index(session, database, new, index)
    for gone in olds.values():
        storage.drop(conn, database, old.name, gone.name)


def _same_definition(old: TableSchema, a: IndexDef, new: TableSchema, b: IndexDef) -> bool:
    """Same parser and the same columns by position (a renamed column is the same column)."""
    if len(a.columns) != len(b.columns) or analyzer(a) != analyzer(b):
        return False
    for before, after in zip(a.columns, b.columns, strict=True):
        if before.lower() != after.lower() and (
            new.column(before) is not None or old.column(after) is not None
        ):
            return False  # a different column, not the same one renamed
    return True


def _types_changed(old: TableSchema, a: IndexDef, new: TableSchema, b: IndexDef) -> bool:
    for before, after in zip(a.columns, b.columns, strict=True):
        x, y = old.column(before), new.column(after)
        if x is None or y is None or x.type != y.type:
            return True
    return False


# -- connection setup ------------------------------------------------------------------------


def register(conn: apsw.Connection) -> None:
    """Tokenizers, recursive triggers, and the run-time MATCH builder for bound queries."""
    storage.register(conn)

    def fts_query(text: Any, settings: str, columns: str) -> str:
        if text is None:
            return '""'
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        return _match_text(str(text), settings, columns)

    conn.create_scalar_function(_QUERY_UDF, cast(Any, fts_query), 3, deterministic=True)


# Shared by every data directory: an analyzer is a pure function of its settings.
@lru_cache(maxsize=64)
def _analyzer_from_key(settings: str) -> storage.Analyzer:
    parser, min_gram, max_gram, granularity, lower = settings.split(" ")
    return storage.Analyzer(parser, int(min_gram), int(max_gram), granularity, lower == "1")


def _analyzer_key(settings: storage.Analyzer) -> str:
    return " ".join(
        [
            settings.parser,
            str(settings.min_gram),
            str(settings.max_gram),
            settings.granularity,
            "1" if settings.lower_case else "0",
        ]
    )


def _match_text(text: str, settings: str, columns: str) -> str:
    positions = [int(c) for c in columns.split()] if columns else None
    return storage.match_expression(_analyzer_from_key(settings), text, positions)


# -- statement text ----------------------------------------------------------------------------

_STRING = r"""'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*\""""
_WITH_PARSER = re.compile(
    rf"""{_STRING}|`(?:[^`]|``)*`|--[^\n]*|\#[^\n]*|/\*.*?\*/"""
    rf"""|(?P<call>\bFTS_MATCH_WORD\s*\(\s*)(?P<query>{_STRING}|\?|:\w+)"""
    r"""\s+WITH\s+PARSER\s+(?P<parser>\w+)""",
    re.S | re.I,
)
_HAS_WITH_PARSER = re.compile(r"WITH\s+PARSER", re.I)


def normalize_text(sql: str) -> str:
    """``FTS_MATCH_WORD('q' WITH PARSER p, …)`` → a form sqlglot parses (quotes respected)."""
    if not _HAS_WITH_PARSER.search(sql):
        return sql

    def replace(match: re.Match[str]) -> str:
        if match.group("call") is None:
            return match.group(0)
        return (
            f"{match.group('call')}{_PARSER_WRAPPER.lower()}({match.group('query')}, "
            f"'{match.group('parser').upper()}')"
        )

    return _WITH_PARSER.sub(replace, sql)


# -- FTS_MATCH_WORD → SQLite ----------------------------------------------------------------


@dataclass
class _Search:
    """One index searched by one call: where its results come from and how to reach a row."""

    database: str
    fts: str  # the FTS5 table
    alias: str  # the searched table as the statement names it
    match: exp.Expression  # the MATCH expression (a string literal or a run-time call)
    hoist: exp.Expression | None  # the statement node a shared CTE can hang from

    @property
    def key(self) -> tuple[int, str, str, str]:
        return (id(self.hoist), self.database, self.fts, self.match.sql(dialect="sqlite"))


@dataclass
class _Call:
    node: exp.Expression
    searches: list[_Search]
    condition: bool  # used as a WHERE / ON condition, not as a value


def is_search(node: Any) -> bool:
    return isinstance(node, exp.MatchAgainst) or (
        isinstance(node, exp.Anonymous) and str(node.this).upper() == FUNCTION
    )


class FullTextScan:
    """The full-text path: FTS_MATCH_WORD / MATCH … AGAINST answered by FTS5 indexes.

    Its candidates are found inside SQLite: at plan time ``rewrite`` turns each search
    call into a lookup of the FULLTEXT index that covers its columns (and refuses a call
    that no index covers), so nothing is left to do per execution.
    """

    def applies(self, session: ExecContext, node: exp.Expr) -> bool:
        return is_search(node)

    def rewrite(self, translator: StatementTranslator, tree: exp.Expression, scope: Scope) -> None:
        """Replace every full-text search call in ``tree`` (already table-qualified) in place."""
        session = translator.session
        nodes: list[Any] = [n for n in tree.walk() if self.applies(session, n)]
        if not nodes:
            return
        calls = [_Call(n, _plan_call(session, n), _is_condition(n)) for n in nodes]
        valued: dict[tuple[int, str, str, str], _Search] = {}
        for call in calls:
            for search in call.searches:
                if not call.condition and search.hoist is not None:
                    valued.setdefault(search.key, search)
        ctes: dict[tuple[int, str, str, str], str] = {}
        for number, (key, search) in enumerate(valued.items()):
            name = f"__av_fts_{number}"
            ctes[key] = name
            assert search.hoist is not None
            _add_cte(search.hoist, name, _results(search))
        for call in calls:
            parts = [_replacement(s, call.condition, ctes.get(s.key)) for s in call.searches]
            replacement: Any = parts[0]
            for part in parts[1:]:
                replacement = (
                    exp.or_(replacement, part) if call.condition else _add(replacement, part)
                )
            if call.condition and len(parts) > 1:
                replacement = exp.Paren(this=replacement)
            call.node.replace(replacement)

    def explain(
        self, session: ExecContext, statement: exp.Expression, bindings: Bindings
    ) -> list[PlanRow]:
        """One TextSearch row per distinct search; ``statement`` as written, not yet rewritten."""
        return [
            (f"TextSearch_{number}", "0.00", "cop[tiflash]", "fulltext index", text)
            for number, text in enumerate(dict.fromkeys(explain_text_searches(statement)), start=1)
        ]


FULL_TEXT_SCAN = FullTextScan()


def _add(left: exp.Expression, right: exp.Expression) -> exp.Expression:
    return exp.Add(this=left, expression=right)


def _plan_call(session: ExecContext, node: exp.Expression) -> list[_Search]:
    query, hint, columns = _arguments(node)
    if not _is_constant(query):
        raise errors.unsupported(
            "This version of TiDB doesn't yet support 'match against a non-constant string'"
        )
    for column in columns:
        if not isinstance(column, exp.Column):
            raise errors.DatabaseError("not matching a column", errors.ER_UNKNOWN_ERROR)
    groups: dict[tuple[int, str], tuple[_Source, list[ColumnDef]]] = {}
    for column in columns:
        assert isinstance(column, exp.Column)
        source, definition = _resolve(session, column, node)
        key = (id(source.node), source.alias.lower())
        groups.setdefault(key, (source, []))[1].append(definition)
    searches: list[_Search] = []
    for source, definitions in groups.values():
        assert source.schema is not None
        for index, positions in _choose_indexes(source.schema, definitions, hint):
            settings = analyzer(index)
            every = positions == list(range(len(index.columns)))
            match = _match_node(query, settings, None if every else positions)
            searches.append(
                _Search(
                    source.database,
                    storage.fts_table_name(source.schema.name, index.name),
                    source.alias,
                    match,
                    _hoist_point(node, match),
                )
            )
    return searches


def _arguments(node: exp.Expression) -> tuple[exp.Expression, str | None, list[exp.Expression]]:
    """(query, WITH PARSER hint, columns) of FTS_MATCH_WORD or MATCH … AGAINST."""
    if isinstance(node, exp.MatchAgainst):
        modifier = str(node.args.get("modifier") or "").upper()
        if (modifier and "NATURAL LANGUAGE" not in modifier) or "EXPANSION" in modifier:
            raise errors.unsupported(f"MATCH … AGAINST {modifier.lower()} is not supported")
        return node.this, None, list(node.expressions)
    args = list(node.expressions)
    if len(args) < 2:
        raise errors.wrong_parameter_count("fts_match_word")
    query, hint = args[0], None
    if isinstance(query, exp.Anonymous) and str(query.this).upper() == _PARSER_WRAPPER:
        query, hint = query.expressions[0], query.expressions[1].name.upper()
    return query, hint, args[1:]


def _is_constant(node: exp.Expression) -> bool:
    return not any(
        isinstance(n, exp.Column | exp.Select | exp.Subquery | exp.AggFunc | exp.Window)
        for n in node.walk()
    )


@dataclass
class _Source:
    node: exp.Expression  # the SELECT / UPDATE / DELETE whose FROM has the table
    alias: str
    database: str
    schema: TableSchema | None


def _sources(session: ExecContext, node: exp.Expression) -> list[_Source]:
    items: list[exp.Expression] = []
    if isinstance(node, exp.Select):
        from_ = node.args.get("from_")
        if from_ is not None:
            items.append(from_.this)
        items.extend(join.this for join in node.args.get("joins") or [])
    elif isinstance(node, exp.Update | exp.Delete):
        items.append(node.this)
        from_ = node.args.get("from_")
        if from_ is not None:
            items.append(from_.this)
        items.extend(join.this for join in node.args.get("joins") or [])
    found: list[_Source] = []
    for item in items:
        if isinstance(item, exp.Table) and item.db and item.name:
            database = item.db.lower()
            if database.startswith("__av"):  # information_schema's materialised copy
                found.append(_Source(node, item.alias_or_name, "", None))
                continue
            schema = session.catalog(database).get(item.name.lower())
            found.append(_Source(node, item.alias_or_name, database, schema))
        elif isinstance(item, exp.Table | exp.Subquery) and item.alias_or_name:
            found.append(_Source(node, item.alias_or_name, "", None))
    return found


def _resolve(
    session: ExecContext, column: exp.Column, call: exp.Expression
) -> tuple[_Source, ColumnDef]:
    """The table (as the statement names it) and definition of a searched column."""
    qualifier = column.table.lower() if column.table else None
    shown = f"{column.table}.{column.name}" if column.table else column.name
    node: Any = call
    while node is not None:
        node = node.parent
        if not isinstance(node, exp.Select | exp.Update | exp.Delete):
            continue
        for source in _sources(session, node):
            if qualifier is not None and source.alias.lower() != qualifier:
                continue
            definition = source.schema.column(column.name) if source.schema else None
            if definition is not None:
                return source, definition
            if qualifier is not None:
                if source.schema is None:  # a derived table or CTE: no index there
                    raise _outside_index()
                raise errors.unknown_column(shown, "fts_match_word")
    raise errors.unknown_column(shown, "fts_match_word")


def _outside_index() -> errors.Error:
    return errors.DatabaseError(
        "cannot use 'FTS_MATCH_WORD()' outside of fulltext index", errors.ER_UNKNOWN_ERROR
    )


def _choose_indexes(
    schema: TableSchema, columns: list[ColumnDef], hint: str | None
) -> list[tuple[IndexDef, list[int]]]:
    """Index(es) answering a search over ``columns``: one covering them all if there is one
    (the narrowest), else one per column (their scores are added, their matches OR-ed)."""
    candidates = [i for i in fulltext_indexes(schema) if hint is None or analyzer(i).parser == hint]
    names = [c.name.lower() for c in columns]

    def positions(index: IndexDef, wanted: list[str]) -> list[int] | None:
        lowered = [c.lower() for c in index.columns]
        if not all(n in lowered for n in wanted):
            return None
        return sorted({lowered.index(n) for n in wanted})

    covering = [(i, p) for i in candidates if (p := positions(i, names)) is not None]
    if covering:
        return [min(covering, key=lambda pair: len(pair[0].columns))]
    chosen: dict[str, tuple[IndexDef, list[int]]] = {}
    for name in names:
        found = next(((i, p) for i in candidates if (p := positions(i, [name])) is not None), None)
        if found is None:
            raise _outside_index()
        index, at = found
        if index.name in chosen:
            chosen[index.name] = (index, sorted({*chosen[index.name][1], *at}))
        else:
            chosen[index.name] = found
    return list(chosen.values())


def _match_node(
    query: exp.Expression, settings: storage.Analyzer, positions: list[int] | None
) -> exp.Expression:
    """The MATCH expression: built now for a literal, at run time for anything else."""
    if isinstance(query, exp.Literal):
        return exp.Literal.string(storage.match_expression(settings, query.this, positions))
    if isinstance(query, exp.Null):
        return exp.Literal.string('""')
    columns = " ".join(str(p) for p in positions) if positions is not None else ""
    return exp.Anonymous(
        this=_QUERY_UDF,
        expressions=[
            query.copy(),
            exp.Literal.string(_analyzer_key(settings)),
            exp.Literal.string(columns),
        ],
    )


def _hoist_point(call: exp.Expression, match: exp.Expression) -> exp.Expression | None:
    """The outermost query the search's CTE can be attached to (None: compute per row).

    A positional ``?`` must keep its place among the others, so it is never moved.
    """
    if any(isinstance(p, exp.Placeholder) and not p.this for p in match.walk()):
        return None
    top: Any = None
    node: Any = call.parent
    while node is not None:
        if isinstance(node, exp.Select | exp.SetOperation):
            top = node
        node = node.parent
    return top


def _is_condition(node: exp.Expression) -> bool:
    """Whether the call is (part of AND/OR/NOT of) a WHERE or JOIN … ON condition."""
    child, parent = node, node.parent
    while isinstance(parent, exp.Paren | exp.And | exp.Or | exp.Not):
        child, parent = parent, parent.parent
    if isinstance(parent, exp.Where):
        return True
    return isinstance(parent, exp.Join) and parent.args.get("on") is child


def _fts_table(search: _Search) -> exp.Table:
    return exp.Table(
        this=exp.to_identifier(search.fts, quoted=True),
        db=exp.to_identifier(search.database, quoted=True),
    )


def _fts_matches(search: _Search) -> exp.Expression:
    # ``<fts table> = 'expr'`` is FTS5's spelling of MATCH that sqlglot can generate.
    return exp.EQ(
        this=exp.column(exp.to_identifier(search.fts, quoted=True)),
        expression=search.match.copy(),
    )


def _bm25(search: _Search) -> exp.Expression:
    """TiDB's BM25 score of the current row (``storage.fulltext._bm25``)."""
    return exp.Anonymous(
        this="av_bm25", expressions=[exp.column(exp.to_identifier(search.fts, quoted=True))]
    )


def _results(search: _Search) -> exp.Select:
    """rowid and score of every matching row: the body of a search's CTE."""
    return (
        exp.select(
            exp.alias_(exp.column("rowid"), _ROWID),
            exp.alias_(_bm25(search), _SCORE),
        )
        .from_(_fts_table(search))
        .where(_fts_matches(search))
    )


def _row(search: _Search) -> exp.Column:
    return exp.column("rowid", table=exp.to_identifier(search.alias, quoted=True))


def _replacement(search: _Search, condition: bool, cte: str | None) -> exp.Expression:
    if condition:
        rows = (
            exp.select(exp.column(_ROWID, table=cte)).from_(cte)
            if cte is not None
            else exp.select("rowid").from_(_fts_table(search)).where(_fts_matches(search))
        )
        return exp.In(this=_row(search), query=exp.Subquery(this=rows))
    if cte is not None:
        score = (
            exp.select(exp.column(_SCORE, table=cte))
            .from_(cte)
            .where(exp.EQ(this=exp.column(_ROWID, table=cte), expression=_row(search)))
        )
    else:  # no query to hang a CTE from (UPDATE … SET): one index probe per row
        score = (
            exp.select(_bm25(search))
            .from_(_fts_table(search))
            .where(
                exp.and_(
                    _fts_matches(search),
                    exp.EQ(this=exp.column("rowid"), expression=_row(search)),
                )
            )
        )
    return exp.Coalesce(this=exp.Subquery(this=score), expressions=[exp.Literal.number("0.0")])


def _add_cte(query: exp.Expression, name: str, body: exp.Select) -> None:
    # MATERIALIZED: computed once per statement; inlined, FTS5 would redo its search
    # (and its IDF statistics) for every row that looks up a score.
    cte = exp.CTE(this=body, alias=exp.TableAlias(this=exp.to_identifier(name)), materialized=True)
    with_ = query.args.get("with_")
    if with_ is None:
        query.set("with_", exp.With(expressions=[cte]))
    else:
        with_.set("expressions", [cte, *with_.expressions])


# -- EXPLAIN -----------------------------------------------------------------------------------


def explain_text_searches(tree: exp.Expression) -> list[str]:
    """``textSearch:`` notes for EXPLAIN, from the statement *before* it is translated."""
    notes = []
    for node in tree.walk():
        if is_search(node):
            shown = copy.deepcopy(node)
            for inner in list(shown.find_all(exp.Anonymous)):
                if str(inner.this).upper() == _PARSER_WRAPPER:
                    query, parser = inner.expressions
                    inner.replace(
                        exp.var(f"{query.sql(dialect='mysql')} WITH PARSER {parser.name}")
                    )
            notes.append(f"textSearch:{shown.sql(dialect='mysql')}")
    return notes
