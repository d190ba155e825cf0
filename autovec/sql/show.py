"""SHOW …, DESCRIBE and EXPLAIN: answers built from the catalog, shaped like TiDB's."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from autovec import errors
from autovec.sql import query, show_filter
from autovec.sql import variables as sysvars
from autovec.sql.information_schema import column_rows, extra, key_markers, statistics_rows
from autovec.sql.result import Result
from autovec.sql.statements import handles
from autovec.sql.types import SqlType

if TYPE_CHECKING:
    from autovec.sql.context import ExecContext

BIGINT = SqlType("bigint")


def _like(pattern: exp.Expression | None) -> Any:
    if pattern is None:
        return lambda _name: True
    text = pattern.name
    regex = re.compile(
        "^" + "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in text) + "$",
        re.I | re.S,
    )
    return lambda name: bool(regex.match(str(name)))


_NEEDS_TARGET = {
    "CREATE TABLE",
    "CREATE VIEW",
    "CREATE DATABASE",
    "COLUMNS",
    "FIELDS",
    "INDEX",
    "INDEXES",
    "KEYS",
}


@handles(exp.Show, exp.Describe)
def execute_show(session: ExecContext, tree: exp.Expression, bindings: Any) -> Result:
    result = _show(session, tree, bindings)
    where = tree.args.get("where") if isinstance(tree, exp.Show) else None
    if where is None or result.columns is None:
        return result
    condition = where.this if isinstance(where, exp.Where) else where
    return show_filter.filter_rows(result, condition, bindings)


def _show(session: ExecContext, tree: exp.Expression, bindings: Any) -> Result:
    if isinstance(tree, exp.Describe):
        target = tree.this
        if isinstance(target, exp.Table):
            return _columns(session, target.db or None, target.name, full=False, like=None)
        return explain(session, target, bindings)
    kind = str(tree.this).upper()
    if kind in _NEEDS_TARGET and tree.args.get("target") is None:
        raise errors.syntax_error_near("", reason=f"SHOW {kind} needs a table name")
    db_node = tree.args.get("db")
    database = db_node.name.lower() if db_node is not None else None
    shown = ShowArgs(kind, database, _like(tree.args.get("like")))
    handler = _SHOW_HANDLERS.get(kind)
    if handler is None:
        raise errors.unsupported(f"SHOW {kind} is not supported")
    return handler(session, tree, shown)


@dataclass(frozen=True)
class ShowArgs:
    """What the SHOW forms share, read once from the statement."""

    kind: str  # upper case: TABLES, CREATE TABLE, …
    database: str | None  # FROM / IN db, lower case
    like: Callable[[Any], bool]  # LIKE 'pattern' as a test of a name (every name without one)


# handler(context, tree, shown): the rows of one kind of SHOW.
ShowHandler = Callable[["ExecContext", exp.Expression, ShowArgs], Result]
_SHOW_HANDLERS: dict[str, ShowHandler] = {}


def _shows(*kinds: str) -> Callable[[ShowHandler], ShowHandler]:
    """Register the decorated function as the answer to SHOW of these kinds."""

    def register(handler: ShowHandler) -> ShowHandler:
        for kind in kinds:
            if kind in _SHOW_HANDLERS:
                raise RuntimeError(f"two handlers for SHOW {kind}")
            _SHOW_HANDLERS[kind] = handler
        return handler

    return register


@_shows("DATABASES")
def _show_databases(session: ExecContext, _tree: exp.Expression, shown: ShowArgs) -> Result:
    databases = ["INFORMATION_SCHEMA", *session.store.datadir.list_databases()]
    return Result.table(["Database"], [(n,) for n in databases if shown.like(n)])


@_shows("TABLES")
def _show_tables(session: ExecContext, tree: exp.Expression, shown: ShowArgs) -> Result:
    db = shown.database or session.require_database()
    session.attach(db)
    rows = session.conn.execute(
        f"SELECT name, type FROM \"{db}\".sqlite_master WHERE type IN ('table', 'view') "
        "AND name NOT LIKE '\\_\\_autovec%' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
        "AND name NOT LIKE '\\_\\_av\\_%' ESCAPE '\\' ORDER BY name"
    ).fetchall()
    names: list[tuple[Any, ...]] = [
        (n, "BASE TABLE" if t == "table" else "VIEW") for n, t in rows if shown.like(n)
    ]
    if tree.args.get("full"):
        return Result.table([f"Tables_in_{db}", "Table_type"], names)
    return Result.table([f"Tables_in_{db}"], [(n,) for n, _ in names])


@_shows("CREATE TABLE", "CREATE VIEW")
def _show_create_table(session: ExecContext, tree: exp.Expression, shown: ShowArgs) -> Result:
    target = tree.args["target"]
    db = (
        shown.database
        or (target.db if isinstance(target, exp.Table) else None)
        or session.require_database()
    )
    return _show_create(session, db.lower(), target.name)


@_shows("CREATE DATABASE")
def _show_create_database(session: ExecContext, tree: exp.Expression, _shown: ShowArgs) -> Result:
    name = tree.args["target"].name
    if not session.store.datadir.exists(name):
        raise errors.unknown_database(name)
    return Result.table(
        ["Database", "Create Database"],
        [(name, f"CREATE DATABASE `{name}` /*!40100 DEFAULT CHARACTER SET utf8mb4 */")],
    )


@_shows("COLUMNS", "FIELDS")
def _show_columns(session: ExecContext, tree: exp.Expression, shown: ShowArgs) -> Result:
    target = tree.args["target"]
    return _columns(
        session, shown.database, target.name, bool(tree.args.get("full")), tree.args.get("like")
    )


@_shows("INDEX", "INDEXES", "KEYS")
def _show_indexes(session: ExecContext, tree: exp.Expression, shown: ShowArgs) -> Result:
    return _indexes(session, shown.database, tree.args["target"].name)


@_shows("VARIABLES")
def _show_variables(session: ExecContext, tree: exp.Expression, shown: ShowArgs) -> Result:
    return _variables(session, tree, shown.like)


@_shows("WARNINGS", "ERRORS")
def _show_warnings(session: ExecContext, _tree: exp.Expression, shown: ShowArgs) -> Result:
    rows = [w for w in session.warnings if shown.kind == "WARNINGS" or w[0] == "Error"]
    return Result.table(
        ["Level", "Code", "Message"],
        rows,
        [SqlType("varchar", 7), SqlType("int"), SqlType("varchar", 512)],
    )


@_shows("STATUS")
def _show_status(session: ExecContext, _tree: exp.Expression, shown: ShowArgs) -> Result:
    rows = [
        ("Uptime", "1"),
        ("Threads_connected", "1"),
        ("ddl_schema_version", str(session.store.catalog_generation)),
    ]
    return Result.table(["Variable_name", "Value"], [r for r in rows if shown.like(r[0])])


@_shows("ENGINES")
def _show_engines(_session: ExecContext, _tree: exp.Expression, _shown: ShowArgs) -> Result:
    return Result.table(
        ["Engine", "Support", "Comment", "Transactions", "XA", "Savepoints"],
        [
            (
                "InnoDB",
                "DEFAULT",
                "Supports transactions, row-level locking, and foreign keys",
                "YES",
                "YES",
                "YES",
            )
        ],
    )


@_shows("COLLATION")
def _show_collation(_session: ExecContext, _tree: exp.Expression, _shown: ShowArgs) -> Result:
    return Result.table(
        ["Collation", "Charset", "Id", "Default", "Compiled", "Sortlen"],
        [("utf8mb4_bin", "utf8mb4", 46, "Yes", "Yes", 1)],
    )


@_shows("CHARACTER SET", "CHARSET")
def _show_character_set(_session: ExecContext, _tree: exp.Expression, _shown: ShowArgs) -> Result:
    return Result.table(
        ["Charset", "Description", "Default collation", "Maxlen"],
        [("utf8mb4", "UTF-8 Unicode", "utf8mb4_bin", 4)],
    )


@_shows("TABLE STATUS")
def _show_table_status(session: ExecContext, _tree: exp.Expression, shown: ShowArgs) -> Result:
    db = shown.database or session.require_database()
    rows = [
        (
            s.name,
            "InnoDB",
            10,
            "Compact",
            0,
            0,
            0,
            0,
            0,
            0,
            None,
            None,
            None,
            None,
            "utf8mb4_bin",
            None,
            "",
            s.comment or "",
        )
        for s in session.catalog(db).values()
        if shown.like(s.name)
    ]
    return Result.table(
        [
            "Name",
            "Engine",
            "Version",
            "Row_format",
            "Rows",
            "Avg_row_length",
            "Data_length",
            "Max_data_length",
            "Index_length",
            "Data_free",
            "Auto_increment",
            "Create_time",
            "Update_time",
            "Check_time",
            "Collation",
            "Checksum",
            "Create_options",
            "Comment",
        ],
        rows,
    )


@_shows("PROCESSLIST")
def _show_processlist(session: ExecContext, _tree: exp.Expression, _shown: ShowArgs) -> Result:
    """Every connection of this process on the directory."""
    processes = sorted(session.store.processes.items())
    text, number = SqlType("varchar", 64), SqlType("bigint", unsigned=True)
    return Result.table(
        ["Id", "User", "Host", "db", "Command", "Time", "State", "Info"],
        [process.process_row() for _id, process in processes],
        [number, text, text, text, text, SqlType("int"), text, SqlType("longtext")],
    )


def _view(session: ExecContext, database: str, name: str) -> tuple[str, str] | None:
    """A view's stored name and SQLite definition, or None when there is no such view."""
    session.attach(database)
    row = session.conn.execute(
        f"SELECT name, sql FROM \"{database}\".sqlite_master WHERE type = 'view' AND name = ? COLLATE NOCASE",
        (name,),
    ).fetchone()
    return (str(row[0]), str(row[1])) if row is not None else None


def _show_create(session: ExecContext, database: str, name: str) -> Result:
    schema = session.catalog(database).get(name.lower())
    if schema is None:
        row = _view(session, database, name)
        if row is None:
            raise errors.no_such_table(database, name)
        body = row[1].split(" AS ", 1)[-1]
        return Result.table(
            ["View", "Create View", "character_set_client", "collation_connection"],
            [
                (
                    row[0],
                    f"CREATE ALGORITHM=UNDEFINED DEFINER=`root`@`%` SQL SECURITY DEFINER VIEW `{row[0]}` AS {body}",
                    "utf8mb4",
                    "utf8mb4_bin",
                )
            ],
        )
    next_id = None
    if schema.rowid_column is not None and schema.rowid_column.auto_increment:
        row = session.conn.execute(
            f'SELECT seq FROM "{database}".sqlite_sequence WHERE name = ?', (schema.name,)
        ).fetchone()
        next_id = (row[0] + 1) if row else None
    return Result.table(["Table", "Create Table"], [(schema.name, schema.show_create(next_id))])


def _columns(
    session: ExecContext, database: str | None, name: str, full: bool, like: exp.Expression | None
) -> Result:
    db = (database or session.require_database()).lower()
    try:
        schema = session.table(db, name)
    except errors.ProgrammingError:
        view = _view_columns(session, db, name, full, like)
        if view is None:
            raise
        return view
    keys = key_markers(schema)
    match = _like(like)
    rows: list[tuple[Any, ...]] = []
    for column, info in zip(schema.columns, column_rows(db, schema), strict=True):
        if not match(column.name):
            continue
        default = info[5]
        base = (
            column.name,
            column.type.sql(),
            "YES" if column.nullable else "NO",
            keys.get(column.name, ""),
            default,
            extra(column),
        )
        if full:
            rows.append(
                (
                    base[0],
                    base[1],
                    "utf8mb4_bin" if column.type.is_string else None,
                    *base[2:],
                    "select,insert,update,references",
                    column.comment or "",
                )
            )
        else:
            rows.append(base)
    names = ["Field", "Type", "Null", "Key", "Default", "Extra"]
    if full:
        names = [
            "Field",
            "Type",
            "Collation",
            "Null",
            "Key",
            "Default",
            "Extra",
            "Privileges",
            "Comment",
        ]
    return Result.table(names, rows)


def _view_columns(
    session: ExecContext, db: str, name: str, full: bool, like: exp.Expression | None
) -> Result | None:
    """DESCRIBE of a view, as MySQL allows (SQLAlchemy reflects views with it); None if no such view."""
    found = _view(session, db, name)
    if found is None:
        return None
    match = _like(like)
    columns = session.run(f'SELECT * FROM "{db}"."{found[0]}" LIMIT 0').columns or []
    rows: list[tuple[Any, ...]] = []
    for column in columns:
        if match(column.name):
            base = (column.name, column.type.sql(), "YES", "", None, "")
            rows.append(
                (
                    base[0],
                    base[1],
                    "utf8mb4_bin" if column.type.is_string else None,
                    *base[2:],
                    "select,insert,update,references",
                    "",
                )
                if full
                else base
            )
    names = (
        ["Field", "Type", "Collation", "Null", "Key", "Default", "Extra", "Privileges", "Comment"]
        if full
        else ["Field", "Type", "Null", "Key", "Default", "Extra"]
    )
    return Result.table(names, rows)


def _indexes(session: ExecContext, database: str | None, name: str) -> Result:
    db = (database or session.require_database()).lower()
    schema = session.table(db, name)
    count_row = session.conn.execute(f'SELECT count(*) FROM "{db}"."{schema.name}"').fetchone()
    rows = []
    for stat in statistics_rows(db, schema, int(count_row[0]) if count_row else 0):
        index = schema.index(stat[5]) or schema.primary_key
        clustered = (
            "YES"
            if index is not None and index.kind == "PRIMARY" and schema.rowid_column is not None
            else "NO"
        )
        rows.append(
            (
                schema.name,
                int(stat[3]),
                stat[5],
                stat[6],
                stat[7],
                stat[8],
                stat[9],
                stat[10],
                stat[11],
                stat[12],
                stat[13],
                stat[14],
                stat[15],
                stat[16],
                stat[17],
                clustered,
            )
        )
    names = [
        "Table",
        "Non_unique",
        "Key_name",
        "Seq_in_index",
        "Column_name",
        "Collation",
        "Cardinality",
        "Sub_part",
        "Packed",
        "Null",
        "Index_type",
        "Comment",
        "Index_comment",
        "Visible",
        "Expression",
        "Clustered",
    ]
    types = [
        SqlType("varchar", 64),
        BIGINT,
        SqlType("varchar", 64),
        BIGINT,
        SqlType("varchar", 64),
        SqlType("varchar", 1),
        BIGINT,
        BIGINT,
        SqlType("varchar", 10),
        SqlType("varchar", 3),
        SqlType("varchar", 16),
        SqlType("varchar", 16),
        SqlType("varchar", 1024),
        SqlType("varchar", 3),
        SqlType("varchar", 64),
        SqlType("varchar", 3),
    ]
    return Result.table(names, rows, types)


def _variables(session: ExecContext, tree: exp.Expression, like: Any) -> Result:
    is_global = (
        bool(tree.args.get("global_")) or "GLOBAL" in str(tree.args.get("scope") or "").upper()
    )
    names = sorted(set(sysvars.DEFAULTS) | set(session.store.datadir.settings()))
    rows = []
    for name in names:
        if not like(name):
            continue
        value = session.get_variable(name, "global" if is_global else None)
        rows.append((name, "" if value is None else str(value)))
    return Result.table(["Variable_name", "Value"], rows)


def explain(session: ExecContext, target: exp.Expression, bindings: Any) -> Result:
    """TiDB-shaped EXPLAIN: id, estRows, task, access object, operator info."""
    names = ["id", "estRows", "task", "access object", "operator info"]
    if isinstance(target, exp.Select | exp.SetOperation):
        # before translation rewrites the searches away
        text_rows: list[tuple[Any, ...]] = [
            row for path in query.TEXT_PATHS for row in path.explain(session, target, bindings)
        ]
        select_plan, bindings = query.plan_select(session, target, bindings)
        session.warnings.extend(select_plan.warnings)
        plan_rows: list[tuple[Any, ...]] = []
        for search in select_plan.searches:
            plan_rows.extend(search.path.explain(session, search, bindings))
        if plan_rows:
            return Result.table(names, plan_rows + text_rows)
    else:
        text_rows = []
        session.translator.prepare(target)
    sql = session.translator.sql(target)
    plan = session.conn.execute("EXPLAIN QUERY PLAN " + sql, bindings).fetchall()
    rows: list[tuple[Any, ...]] = []
    for i, (_id, parent, _unused, raw_detail) in enumerate(plan):
        detail = str(raw_detail)
        depth = 0 if parent == 0 else 1
        operator = (
            "TableFullScan"
            if detail.startswith("SCAN")
            else "IndexRangeScan"
            if "USING" in detail
            else "Selection"
        )
        rows.append(
            (
                "  " * depth + ("└─" if depth else "") + f"{operator}_{i + 1}",
                "0.00",
                "root",
                "",
                detail,
            )
        )
    if not rows:
        rows.append(("Projection_1", "1.00", "root", "", "constant"))
    return Result.table(names, rows + text_rows)
