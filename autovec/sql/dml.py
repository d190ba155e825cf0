"""INSERT, REPLACE, UPDATE and DELETE with MySQL's conversions and errors.

Every value written to a column passes through ``__av_store`` (see
``internal_functions``), which applies the column's MySQL type: VARCHAR length, integer
range, JSON validity, ENUM membership, vector dimensions. The whole statement runs in a
savepoint (``Session.write_statement``), so a bad value in row 1000 leaves nothing of
rows 1–999 behind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import apsw
from sqlglot import exp

from autovec import errors
from autovec.sql import auto_embedding, unique_keys
from autovec.sql.internal_functions import type_key
from autovec.sql.parser import parse
from autovec.sql.query import name_placeholders
from autovec.sql.result import Result
from autovec.sql.schema import ColumnDef, TableSchema
from autovec.sql.statements import handles
from autovec.sql.translate import call
from autovec.sql.unique_keys import WrittenRows

if TYPE_CHECKING:
    from autovec.sql.context import ExecContext


def _store(value: exp.Expression, column: ColumnDef, row: int | exp.Expression) -> exp.Expression:
    if isinstance(value, exp.Null):
        return value
    wrapped: exp.Expression = call(
        "__av_store",
        value,
        exp.Literal.string(type_key(column.type)),
        exp.Literal.string(column.name),
        exp.Literal.number(row) if isinstance(row, int) else row,
    )
    if column.auto_increment:
        wrapped = call("__av_autoinc", wrapped)
    return wrapped


def _default_for(column: ColumnDef) -> exp.Expression:
    if column.default is None:
        return exp.Null()
    return _expression(column.default)


def _expression(text: str) -> exp.Expression:
    """A column's DEFAULT or ON UPDATE expression, as written in its definition."""
    return parse(f"SELECT {text}")[0].expressions[0]


def _on_update_assignments(
    schema: TableSchema, assigned: set[str], changing: exp.Expression | None
) -> list[exp.EQ]:
    """``ON UPDATE CURRENT_TIMESTAMP`` columns a statement does not set: the time, for a
    row whose values change (``changing``; None: every row written changes)."""
    assignments = []
    for column in schema.columns:
        if not column.on_update or column.name.lower() in assigned:
            continue
        now = _store(_expression(column.on_update), column, 1)
        if changing is not None:
            now = exp.If(this=changing.copy(), true=now, false=exp.column(column.name))
        assignments.append(exp.EQ(this=exp.column(column.name), expression=now))
    return assignments


def _target(session: ExecContext, table: exp.Table) -> tuple[str, TableSchema]:
    database = session.database_of(table)
    return database, session.table(database, table.name)


def _insert_columns(tree: exp.Insert, schema: TableSchema) -> tuple[exp.Table, list[ColumnDef]]:
    target = tree.this
    if isinstance(target, exp.Schema):
        table = target.this
        names = [c.name for c in target.expressions]
        columns = []
        for name in names:
            column = schema.column(name)
            if column is None:
                raise errors.unknown_column(name)
            if column.generated is not None:
                raise errors.OperationalError(
                    f"The value specified for generated column '{column.name}' in table '{schema.name}' is not allowed.",
                    3105,
                    "HY000",
                )
            columns.append(column)
        return table, columns
    return target, [c for c in schema.columns if c.generated is None]


@handles(exp.Insert)
def execute_insert(session: ExecContext, tree: exp.Insert, bindings: Any) -> Result:
    bindings = name_placeholders(tree, bindings)
    plan = plan_insert(session, tree)
    return run_insert(session, plan, [bindings])


class InsertPlan:
    """A translated INSERT: SQLite text plus what is needed to report its result."""

    def __init__(
        self,
        sql: str,
        database: str,
        schema: TableSchema,
        rows_per_execution: int | None,
        preview: auto_embedding.EmbeddingPreview | None,
        written: WrittenRows,
        on_duplicate: bool = False,
    ):
        self.sql = sql
        self.database = database
        self.schema = schema
        self.rows_per_execution = rows_per_execution  # None for INSERT … SELECT
        self.preview = preview  # what to embed before taking the write lock
        self.written = written  # the rows it writes, to name a duplicate key's value
        self.on_duplicate = on_duplicate  # … ON DUPLICATE KEY UPDATE


def plan_insert(
    session: ExecContext, tree: exp.Insert, row_number: exp.Expression | None = None
) -> InsertPlan:
    """Translate an INSERT once; ``run_insert`` may then execute it for many bindings.

    ``row_number`` (a placeholder) numbers the rows in conversion errors ("at row N") when
    one row of VALUES stands for many (``literal_rows``); else rows count from 1.
    """
    table, columns = _insert_columns(
        tree,
        _target(session, tree.this.this if isinstance(tree.this, exp.Schema) else tree.this)[1],
    )
    _database, schema = _target(session, table)
    source = tree.expression
    rows_per_execution: int | None = None
    new_rows: exp.Expression  # the rows as written, one column per insert column
    ctes: list[exp.CTE] = []
    if isinstance(source, exp.Values):
        rows = source.expressions
        rows_per_execution = len(rows)
        for number, row in enumerate(rows, start=1):
            values = row.expressions
            if len(values) != len(columns):
                raise errors.OperationalError(
                    f"Column count doesn't match value count at row {number}",
                    errors.ER_WRONG_VALUE_COUNT_ON_ROW,
                    "21S01",
                )
            for value, column in zip(list(values), columns, strict=True):
                if _is_default_keyword(value):
                    value.replace(_default_for(column))
                    continue
                value.replace(_store(value.copy(), column, row_number or number))
        new_rows = source
    elif isinstance(source, exp.Select | exp.SetOperation | exp.Subquery):
        names = [f"__c{i}" for i in range(len(columns))]
        wrapper = exp.select(
            *[_store(exp.column(n), c, 1) for n, c in zip(names, columns, strict=True)]
        ).from_("__av_source")
        wrapper.where(exp.true(), copy=False)  # SQLite needs it before ON CONFLICT
        alias = exp.TableAlias(
            this=exp.to_identifier("__av_source"), columns=[exp.to_identifier(n) for n in names]
        )
        ctes.append(exp.CTE(this=source.copy(), alias=alias))
        tree.set("expression", wrapper)
        tree.set("with_", exp.With(expressions=[ctes[0].copy()]))
        new_rows = wrapper
    else:
        raise errors.unsupported("Unsupported INSERT source")
    target_schema = exp.Schema(
        this=table.copy(), expressions=[exp.to_identifier(c.name, quoted=True) for c in columns]
    )
    tree.set("this", target_schema)
    on_duplicate = tree.args.get("conflict") is not None
    _on_duplicate(tree, schema)
    if tree.args.get("ignore"):
        tree.set("alternative", "IGNORE")
        tree.set("ignore", None)
    if tree.args.get("replace"):
        tree.set("alternative", "REPLACE")
        tree.set("replace", None)
    written = _inserted_rows(schema, columns, new_rows, ctes)
    preview = _embedding_preview(session, schema, written, None)
    session.translator.prepare(tree)
    return InsertPlan(
        session.translator.sql(tree),
        _database,
        schema,
        rows_per_execution,
        preview,
        written,
        on_duplicate,
    )


def _inserted_rows(
    schema: TableSchema, columns: list[ColumnDef], new_rows: exp.Expression, ctes: list[exp.CTE]
) -> WrittenRows:
    """The rows an INSERT writes: its rows as a CTE, the columns it does not list taking
    their defaults."""
    names = [exp.to_identifier(c.name, quoted=True) for c in columns]
    alias = exp.TableAlias(this=exp.to_identifier("__av_rows"), columns=names)
    rows = exp.select().from_("__av_rows")
    rows.set("with_", exp.With(expressions=[*ctes, exp.CTE(this=new_rows.copy(), alias=alias)]))
    new_values: dict[str, exp.Expression] = {
        c.name.lower(): _default_for(c) for c in schema.columns if c.generated is None
    }
    new_values.update({c.name.lower(): exp.column(c.name, quoted=True) for c in columns})
    return WrittenRows(rows, new_values)


def _embedding_preview(
    session: ExecContext, schema: TableSchema, written: WrittenRows, targets: set[str] | None
) -> auto_embedding.EmbeddingPreview | None:
    """The EMBED_TEXT / EMBED_IMAGE sources of the written rows (of those reading ``targets``, if given)."""
    specs = auto_embedding.embedded_columns(schema, targets)
    if not specs:
        return None
    return auto_embedding.plan_preview(session, specs, written.rows.copy(), written.new_values)


def _report_duplicates(
    session: ExecContext,
    exc: apsw.ConstraintError,
    database: str,
    schema: TableSchema,
    written: WrittenRows,
    all_bindings: list[Any],
) -> errors.Error:
    """The error for a failed constraint: 1062 naming the duplicate value where it is one."""
    try:
        duplicate = unique_keys.duplicate_entry(
            session, exc, database, schema, written, all_bindings
        )
    except apsw.Error:  # the probe itself failed: say what SQLite said
        duplicate = None
    return duplicate if duplicate is not None else session.sqlite_error(exc)


def _is_default_keyword(value: exp.Expression) -> bool:
    return (
        isinstance(value, exp.Var | exp.Column)
        and value.name.upper() == "DEFAULT"
        and not value.args.get("table")
    )


def run_insert(session: ExecContext, plan: InsertPlan, all_bindings: list[Any]) -> Result:
    """Execute a planned INSERT once per bindings set, as one all-or-nothing statement."""
    ahead = auto_embedding.embed_ahead(session, plan.database, plan.preview, all_bindings)
    try:
        with session.write_statement():
            updates_before = session.updated_row_count
            changed = _write_rows(session, plan, all_bindings)
            updated = session.updated_row_count - updates_before
            last = session.conn.last_insert_rowid()
            _fill_generated(session, plan.database, plan.schema, None, ahead)
    except apsw.ConstraintError as exc:
        raise _report_duplicates(
            session, exc, plan.database, plan.schema, plan.written, all_bindings
        ) from None
    expected = (plan.rows_per_execution or 0) * len(all_bindings)
    result = Result(rowcount=changed)
    if plan.on_duplicate:
        # MySQL counts a row inserted 1, one updated 2, one left as it was 0 (1 with
        # CLIENT_FOUND_ROWS); SQLite counted each inserted or updated row once.
        inserted = changed - updated
        unchanged = max(expected - changed, 0) if session.client_found_rows else 0
        result.rowcount = inserted + 2 * updated + unchanged
    schema = plan.schema
    if schema.rowid_column is not None and schema.rowid_column.auto_increment and changed:
        first = last - changed + 1 if expected == changed else last
        session.last_insert_id = first
        result.lastrowid = first
    else:
        result.lastrowid = None  # MySQL's insert id is 0 when no AUTO_INCREMENT value was made
    return result


def _write_rows(session: ExecContext, plan: InsertPlan, all_bindings: list[Any]) -> int:
    """Run the INSERT for every bindings set; the number of rows it wrote."""
    # changes(), not total_changes(): the triggers of full-text indexes write rows too.
    if len(all_bindings) == 1:
        session.conn.execute(plan.sql, all_bindings[0])
        return session.conn.changes()
    if any(i.kind == "FULLTEXT" for i in plan.schema.indexes):
        changed = 0
        for bindings in all_bindings:
            session.conn.execute(plan.sql, bindings)
            changed += session.conn.changes()
        return changed
    before = session.conn.total_changes()
    session.conn.executemany(plan.sql, all_bindings)
    return session.conn.total_changes() - before


def _on_duplicate(tree: exp.Insert, schema: TableSchema) -> None:
    conflict = tree.args.get("conflict")
    if conflict is None:
        return
    assignments = conflict.expressions
    _require_assignments(assignments, "ON DUPLICATE KEY UPDATE")
    new_assignments = []
    for assignment in assignments:
        target = assignment.this
        column = schema.column(target.name)
        if column is None:
            raise errors.unknown_column(target.name)
        value = assignment.expression.transform(_values_to_excluded)
        new_assignments.append(
            exp.EQ(this=exp.column(column.name), expression=_store(value.copy(), column, 1))
        )
    # A duplicate whose values would not change is left alone, as MySQL leaves it.
    changing = _changes_something(new_assignments)
    assigned = {a.this.name.lower() for a in new_assignments}
    new_assignments += _on_update_assignments(schema, assigned, None)
    tree.set(
        "conflict",
        exp.OnConflict(
            action=exp.var("DO UPDATE"),
            expressions=new_assignments,
            where=exp.Where(this=changing),
        ),
    )


def _changes_something(assignments: list[exp.EQ]) -> exp.Expression:
    """True for a row that ``SET a = …, b = …`` would change (NULL-safe comparisons)."""
    same = exp.and_(
        *(exp.NullSafeEQ(this=a.this.copy(), expression=a.expression.copy()) for a in assignments)
    )
    return exp.not_(exp.paren(same))


def _values_to_excluded(node: exp.Expression) -> exp.Expression:
    """MySQL's ``VALUES(col)`` in ON DUPLICATE KEY UPDATE is SQLite's ``excluded.col``."""
    if isinstance(node, exp.Anonymous) and str(node.this).upper() == "VALUES":
        named = node.expressions[0] if len(node.expressions) == 1 else None
        if not isinstance(named, exp.Identifier | exp.Column):
            raise errors.syntax_error_near(
                node.sql(dialect="mysql"), reason="VALUES() names a column"
            )
        return exp.column(named.name, table="excluded")
    if (
        isinstance(node, exp.Values)
        and len(node.expressions) == 1
        and isinstance(node.expressions[0], exp.Column)
    ):
        return exp.column(node.expressions[0].name, table="excluded")
    return node


def _require_assignments(assignments: list[exp.Expression], clause: str) -> None:
    """``SET v`` without ``= value`` parses (sqlglot is lenient) but is not SQL, nor is
    an UPDATE without SET."""
    if not assignments:
        raise errors.syntax_error(
            f"You have an error in your SQL syntax: {clause} needs column = value"
        )
    for assignment in assignments:
        if (
            not isinstance(assignment, exp.EQ)
            or not isinstance(assignment.this, exp.Column | exp.Identifier)
            or assignment.expression is None
        ):
            raise errors.syntax_error_near(
                assignment.sql(dialect="mysql"), reason=f"{clause} needs column = value"
            )


def _assignments(tree: exp.Update, schema: TableSchema) -> None:
    _require_assignments(tree.expressions, "SET")
    for assignment in tree.expressions:
        target = assignment.this
        column = schema.column(target.name)
        if column is None:
            raise errors.unknown_column(target.name)
        if column.generated is not None:
            raise errors.OperationalError(
                f"The value specified for generated column '{column.name}' in table '{schema.name}' is not allowed.",
                3105,
                "HY000",
            )
        value = assignment.expression
        if isinstance(value, exp.Column) and value.name.upper() == "DEFAULT" and not value.table:
            assignment.set("expression", _default_for(column))
        else:
            assignment.set("expression", _store(value.copy(), column, 1))
        target.set("table", None)


def _limit_by_rowid(tree: exp.Update | exp.Delete, table: exp.Table) -> None:
    """SQLite lacks UPDATE/DELETE … ORDER BY … LIMIT: select the rowids instead."""
    order, limit = tree.args.get("order"), tree.args.get("limit")
    if order is None and limit is None:
        return
    alias = table.alias_or_name
    inner = exp.select(exp.column("rowid", table=alias)).from_(table.copy())
    if tree.args.get("where") is not None:
        inner.set("where", tree.args["where"].copy())
    if order is not None:
        inner.set("order", order.copy())
    if limit is not None:
        inner.set("limit", limit.copy())
    tree.set("order", None)
    tree.set("limit", None)
    tree.set(
        "where", exp.Where(this=exp.In(this=exp.column("rowid"), query=exp.Subquery(this=inner)))
    )


@handles(exp.Update)
def execute_update(session: ExecContext, tree: exp.Update, bindings: Any) -> Result:
    bindings = name_placeholders(tree, bindings)
    table = tree.this
    if not isinstance(table, exp.Table) or tree.args.get("joins"):
        raise errors.unsupported("multi-table UPDATE is not supported yet; use a subquery in WHERE")
    database, schema = _target(session, table)
    _assignments(tree, schema)
    targets = {a.this.name.lower() for a in tree.expressions}
    _limit_by_rowid(tree, table)
    written = _updated_rows(tree)
    changing = _changes_something(tree.expressions)
    tree.set("expressions", tree.expressions + _on_update_assignments(schema, targets, changing))
    if not session.client_found_rows:
        # MySQL writes and counts only the rows whose values change (CLIENT_FOUND_ROWS
        # counts every row matched, and then every matched row is written).
        where = tree.args.get("where")
        tree.set(
            "where", exp.Where(this=changing if where is None else exp.and_(where.this, changing))
        )
    preview = _embedding_preview(session, schema, written, targets)
    session.translator.prepare(tree)
    sql = session.translator.sql(tree)
    ahead = auto_embedding.embed_ahead(session, database, preview, [bindings])
    try:
        with session.write_statement():
            session.conn.execute(sql, bindings)
            changed = session.conn.changes()  # not total_changes(): FTS triggers write too
            _fill_generated(session, database, schema, targets, ahead)
    except apsw.ConstraintError as exc:
        raise _report_duplicates(session, exc, database, schema, written, [bindings]) from None
    return Result(rowcount=changed)


def _updated_rows(tree: exp.Update) -> WrittenRows:
    """The rows an UPDATE changes, with its new values."""
    rows = exp.select().from_(tree.this.copy())
    if tree.args.get("where") is not None:
        rows.set("where", tree.args["where"].copy())
    new_values = {a.this.name.lower(): a.expression for a in tree.expressions}
    return WrittenRows(rows, new_values, updating=True)


def _fill_generated(
    session: ExecContext,
    database: str,
    schema: TableSchema,
    changed_columns: set[str] | None,
    ahead: auto_embedding.AheadVectors | None,
) -> None:
    """Compute generated columns (EMBED_TEXT / EMBED_IMAGE included) for the rows this
    statement wrote; ``ahead``: the image vectors embedded before the write lock."""
    if not any(c.generated is not None for c in schema.columns):
        return
    rowids = session.statement_rows(database, schema.name.lower())
    auto_embedding.fill_generated(
        session, database, schema, set(rowids), changed_columns, ahead=ahead
    )


@handles(exp.Delete)
def execute_delete(session: ExecContext, tree: exp.Delete, bindings: Any) -> Result:
    bindings = name_placeholders(tree, bindings)
    table = tree.this
    if not isinstance(table, exp.Table) or tree.args.get("tables"):
        raise errors.unsupported("multi-table DELETE is not supported yet; use a subquery in WHERE")
    _target(session, table)
    _limit_by_rowid(tree, table)
    session.translator.prepare(tree)
    sql = session.translator.sql(tree)
    with session.write_statement():
        session.conn.execute(sql, bindings)
        changed = session.conn.changes()  # not total_changes(): full-text index triggers write too
    return Result(rowcount=changed)
