"""CREATE / ALTER / DROP / TRUNCATE for databases, tables, indexes and views.

A table is a SQLite table plus its definition in the catalog; both change in one
transaction. ALTER TABLE rebuilds the SQLite table when the change is more than SQLite
can do in place (SQLite's documented 12-step procedure), keeping rowids, so every
conversion goes through the same MySQL rules as INSERT.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from autovec import errors
from autovec.sql import (
    auto_embedding,
    dml,
    fulltext,  # full-text indexes (sql/fulltext.py)
    mysql_functions,
    query,
)
from autovec.sql import vector_index as _secondary
from autovec.sql.catalog_writes import save_table, store_sql
from autovec.sql.parser import mysql_quote, parse, quote_identifier
from autovec.sql.result import Result
from autovec.sql.schema import (
    CheckDef,
    ColumnDef,
    IndexDef,
    TableSchema,
    sqlite_index_name,
    unique_index_name,
)
from autovec.sql.statements import handles
from autovec.sql.tidb_nodes import (
    AddVectorIndex,
    CompactTable,
    CreateFulltextIndex,
    CreateVectorIndex,
    MultiSchemaVectorIndex,
    RenamePair,
    RenameTables,
    SecondaryIndex,
    SetTiflashReplica,
    VectorIndex,
)
from autovec.sql.types import SqlType, from_sqlglot, to_storage
from autovec.storage import catalog as storage_catalog

if TYPE_CHECKING:
    from autovec.sql.context import ExecContext

VECTOR_INDEX_FUNCTIONS = {"VEC_COSINE_DISTANCE": "COSINE", "VEC_L2_DISTANCE": "L2"}


def _commit_open_transaction(session: ExecContext) -> None:
    if session.conn.in_transaction:
        session.commit()  # MySQL: DDL commits the open transaction first


def _in_own_transaction(
    action: Callable[[ExecContext, Any], Result],
) -> Callable[[ExecContext, Any], Result]:
    """``action`` run as _run runs DDL: all-or-nothing, committed, catalogs invalidated."""
    return lambda session, tree: _run(session, lambda: action(session, tree))


def _by_kind(
    actions: dict[str, Callable[[ExecContext, Any], Result]],
) -> Callable[[ExecContext, Any, Any], Result]:
    """The handler of CREATE or DROP: the action for the statement's kind."""

    def execute(session: ExecContext, tree: exp.Create | exp.Drop, _bindings: Any) -> Result:
        _commit_open_transaction(session)
        action = actions.get((tree.args.get("kind") or "").upper())
        if action is None:
            raise errors.unsupported(f"Unsupported DDL: {tree.sql(dialect='mysql')[:80]}")
        return action(session, tree)

    return execute


@handles(exp.Alter)
def execute_alter(session: ExecContext, tree: exp.Alter, _bindings: Any) -> Result:
    _commit_open_transaction(session)
    result = _run(session, lambda: _alter_table(session, tree))
    auto_embedding.run_backfills(session)
    return result


@handles(exp.TruncateTable)
def execute_truncate(session: ExecContext, tree: exp.TruncateTable, _bindings: Any) -> Result:
    _commit_open_transaction(session)
    return _run(session, lambda: _truncate(session, tree))


@handles(RenameTables)
def _execute_rename(session: ExecContext, tree: RenameTables, _bindings: Any) -> Result:
    _commit_open_transaction(session)
    return _run(session, lambda: _rename_tables(session, tree))


@handles(SetTiflashReplica)
def _execute_tiflash_replica(
    session: ExecContext, tree: SetTiflashReplica, _bindings: Any
) -> Result:
    _commit_open_transaction(session)
    database, name = _table_of(session, tree.this)
    count = int(tree.args["count"].name)

    def set_replica() -> Result:
        schema = copy.deepcopy(session.table(database, name))
        schema.tiflash_replica = count
        save_table(session, database, schema)
        return Result(rowcount=0)

    return _run(session, set_replica)


@handles(CompactTable)
def _execute_compact(session: ExecContext, tree: CompactTable, _bindings: Any) -> Result:
    _commit_open_transaction(session)
    database, name = _table_of(session, tree.this)
    session.table(database, name)
    return Result(rowcount=0)


@handles(MultiSchemaVectorIndex)
def _execute_multi_schema_vector_index(
    session: ExecContext, _tree: MultiSchemaVectorIndex, _bindings: Any
) -> Result:
    _commit_open_transaction(session)
    raise _multi_schema_change()


def _multi_schema_change() -> errors.DatabaseError:
    return errors.DatabaseError(
        "Unsupported multi schema change for add vector index", errors.ER_UNSUPPORTED_DDL
    )


@handles(CreateVectorIndex, AddVectorIndex, CreateFulltextIndex)
def _execute_secondary_index(session: ExecContext, tree: SecondaryIndex, _bindings: Any) -> Result:
    _commit_open_transaction(session)
    return _create_secondary_index(session, tree)


def _create_secondary_index(session: ExecContext, tree: SecondaryIndex) -> Result:
    """CREATE VECTOR/FULLTEXT INDEX and ALTER TABLE … ADD VECTOR INDEX (forms sqlglot lacks)."""
    if tree.args.get("more_changes"):
        raise _multi_schema_change()
    unreadable = tree.args.get("unreadable")
    if unreadable is not None:
        raise errors.syntax_error_near(unreadable.name)
    if tree.args.get("visible") is False:
        raise errors.DatabaseError(
            "Unsupported set vector index invisible", errors.ER_UNSUPPORTED_DDL
        )
    database, table = _table_of(session, tree.this)
    old = session.table(database, table)
    schema = copy.deepcopy(old)
    name = tree.args["name"].name if tree.args.get("name") is not None else ""
    written = tree.args.get("comment")
    comment = (written.name if written is not None else "") or None  # COMMENT '' is none
    if isinstance(tree, VectorIndex):
        index = _vector_index(name, tree.expression)
        index.options = _secondary.parse_options(comment)
        index.comment = comment
    else:
        parser = tree.args.get("parser")
        columns = [column.name for column in tree.expressions]
        index = IndexDef(
            name,
            "FULLTEXT",
            columns,
            options={"parser": (parser.name if parser else "STANDARD").upper()},
        )
    if tree.args.get("exists") and index.name and schema.index(index.name) is not None:
        session.warnings.append(
            ("Note", errors.ER_DUP_KEYNAME, f"index already exist {index.name}")
        )
        return Result(rowcount=0)

    def create() -> Result:
        add_index(schema, index)
        if index.kind == "VECTOR":
            schema.tiflash_replica = max(schema.tiflash_replica, 1)
        apply_schema_change(session, database, old, schema)
        return Result(rowcount=0)

    result = _run(session, create)
    if index.kind == "VECTOR":
        _secondary.index_created(session, database, schema.name, index.name)
    return result


def _run(session: ExecContext, action: Any) -> Result:
    try:
        with session.write_statement():
            result: Result = action()
        if session.conn.in_transaction:
            session.commit()  # MySQL: DDL commits itself; a later ROLLBACK cannot undo it
    finally:
        session.instance.invalidate_catalogs()
    return result


def _table_of(session: ExecContext, table: exp.Table) -> tuple[str, str]:
    """(database, table) of a TiDB node's table: the current database unless named."""
    if table.args.get("db") is not None:
        return table.db.lower(), table.name
    return session.require_database(), table.name


# -- databases -------------------------------------------------------------------------------


def _create_database(session: ExecContext, tree: exp.Create) -> Result:
    name = tree.this.name
    datadir = session.store.datadir
    if not datadir.valid_name(name):
        raise errors.OperationalError(f"Incorrect database name '{name}'", 1102, "42000")
    if datadir.exists(name):
        if tree.args.get("exists"):
            session.warnings.append(
                (
                    "Note",
                    errors.ER_DB_CREATE_EXISTS,
                    f"Can't create database '{name}'; database exists",
                )
            )
            return Result(rowcount=0)
        raise errors.DatabaseError(
            f"Can't create database '{name}'; database exists", errors.ER_DB_CREATE_EXISTS, "HY000"
        )
    datadir.create(name)
    session.attach(name)
    return Result(rowcount=1)


def _dropped_name(node: exp.Drop) -> str:
    """The object a DROP names (sqlglot keeps it in ``tables``)."""
    target = (node.args.get("tables") or [node.this])[0]
    return target.name


def _drop_database(session: ExecContext, tree: exp.Drop) -> Result:
    name = _dropped_name(tree).lower()
    datadir = session.store.datadir
    if not datadir.exists(name):
        if tree.args.get("exists"):
            session.warnings.append(
                (
                    "Note",
                    errors.ER_DB_DROP_EXISTS,
                    f"Can't drop database '{name}'; database doesn't exist",
                )
            )
            return Result(rowcount=0)
        raise errors.DatabaseError(
            f"Can't drop database '{name}'; database doesn't exist",
            errors.ER_DB_DROP_EXISTS,
            "HY000",
        )
    count = len(session.catalog(name))
    if name in session.store.attached(session.conn):
        session.store.detach(session.conn, name)
        session.detached(name)
    datadir.drop(name)
    session.instance.invalidate_catalogs()
    if session.database == name:
        session.database = None
    return Result(rowcount=count)


# -- CREATE TABLE -------------------------------------------------------------------------------


def _literal_default(node: exp.Expression) -> str:
    return node.sql(dialect="mysql")


def column_from_sqlglot(node: exp.ColumnDef) -> tuple[ColumnDef, list[IndexDef], list[CheckDef]]:
    """One parsed column definition → the column, plus indexes/checks declared inline."""
    if node.args.get("kind") is None:
        raise errors.syntax_error_near(node.name, reason="column type expected")
    sql_type = from_sqlglot(node.args["kind"])
    column = ColumnDef(node.name, sql_type)
    indexes: list[IndexDef] = []
    checks: list[CheckDef] = []
    for constraint in node.args.get("constraints") or []:
        kind = constraint.args.get("kind")
        if isinstance(kind, exp.NotNullColumnConstraint):
            column.nullable = bool(kind.args.get("allow_null"))
        elif isinstance(kind, exp.PrimaryKeyColumnConstraint):
            column.nullable = False
            indexes.append(IndexDef("PRIMARY", "PRIMARY", [column.name]))
        elif isinstance(kind, exp.AutoIncrementColumnConstraint):
            column.auto_increment = True
        elif isinstance(kind, exp.DefaultColumnConstraint):
            column.default = _literal_default(kind.this)
        elif isinstance(kind, exp.UniqueColumnConstraint):
            indexes.append(IndexDef(column.name, "UNIQUE", [column.name]))
        elif isinstance(kind, exp.CommentColumnConstraint):
            column.comment = kind.this.name
        elif isinstance(kind, exp.ComputedColumnConstraint):
            column.generated = kind.this.sql(dialect="mysql")
            column.generated_stored = bool(kind.args.get("persisted"))
        elif isinstance(kind, exp.OnUpdateColumnConstraint):
            column.on_update = kind.this.sql(dialect="mysql")
        elif isinstance(kind, exp.CheckColumnConstraint):
            checks.append(CheckDef("", kind.this.sql(dialect="mysql")))
        elif isinstance(kind, exp.GeneratedAsIdentityColumnConstraint):
            column.auto_increment = True
    if (
        sql_type.is_vector
        and column.comment
        and re.match(r"^\s*hnsw\s*\(\s*distance\s*=\s*(cosine|l2)\s*\)", column.comment, re.I)
    ):
        metric = re.findall(r"cosine|l2", column.comment, re.I)[0].upper()
        indexes.append(IndexDef("", "VECTOR", [column.name], metric, comment=None))
    return column, indexes, checks


def _index_from_constraint(node: exp.Expression) -> IndexDef | None:
    if isinstance(node, exp.PrimaryKey):
        return IndexDef("PRIMARY", "PRIMARY", [_ident_name(e) for e in node.expressions])
    if isinstance(node, exp.UniqueColumnConstraint):
        schema = node.this
        if isinstance(schema, exp.Schema):
            name = schema.this.name if schema.this else ""
            return IndexDef(name, "UNIQUE", [_ident_name(e) for e in schema.expressions])
        return None
    if isinstance(node, exp.IndexColumnConstraint):
        kind = (node.args.get("kind") or "").upper()
        name = node.this.name if node.this else ""
        expressions = node.expressions
        if kind == "FULLTEXT":
            parser = "STANDARD"
            for option in node.args.get("options") or []:
                if option.args.get("parser") is not None:
                    parser = option.args["parser"].name.upper()
            return IndexDef(
                name, "FULLTEXT", [_ident_name(e) for e in expressions], options={"parser": parser}
            )
        if kind == "UNIQUE":
            return IndexDef(name, "UNIQUE", [_ident_name(e) for e in expressions])
        if expressions and isinstance(expressions[0], exp.Paren):
            return _vector_index(name, expressions[0])
        return IndexDef(name, "INDEX", [_ident_name(e) for e in expressions])
    return None


def _vector_index(name: str, expression: exp.Expression) -> IndexDef:
    inner = expression.this if isinstance(expression, exp.Paren) else expression
    func = str(inner.this).upper() if isinstance(inner, exp.Anonymous) else ""
    metric = VECTOR_INDEX_FUNCTIONS.get(func)
    if (
        metric is None
        or len(inner.expressions) != 1
        or not isinstance(inner.expressions[0], exp.Column)
    ):
        raise errors.DatabaseError(
            "Unsupported add vector index: only support VEC_COSINE_DISTANCE and VEC_L2_DISTANCE on a vector column",
            errors.ER_UNSUPPORTED_DDL,
        )
    return IndexDef(name, "VECTOR", [inner.expressions[0].name], metric)


def _ident_name(node: exp.Expression) -> str:
    if isinstance(node, exp.Ordered):
        node = node.this
    return node.name


def schema_from_create(
    name: str, definitions: list[exp.Expression], properties: exp.Properties | None
) -> TableSchema:
    columns: list[ColumnDef] = []
    indexes: list[IndexDef] = []
    checks: list[CheckDef] = []
    for node in definitions:
        if (
            isinstance(node, exp.ColumnDef)
            and node.args.get("kind") is None
            and node.name.upper() == "VECTOR"
        ):
            # `VECTOR INDEX idx ((VEC_COSINE_DISTANCE(v)))` reads as a column named VECTOR.
            for constraint in node.args.get("constraints") or []:
                inner = constraint.args.get("kind")
                if isinstance(inner, exp.IndexColumnConstraint):
                    index = _vector_index(
                        inner.this.name if inner.this else "", inner.expressions[0]
                    )
                    indexes.append(index)
            continue
        if isinstance(node, exp.ColumnDef):
            column, inline_indexes, inline_checks = column_from_sqlglot(node)
            if any(c.name.lower() == column.name.lower() for c in columns):
                raise errors.OperationalError(
                    f"Duplicate column name '{column.name}'", errors.ER_DUP_FIELDNAME, "42S21"
                )
            columns.append(column)
            indexes.extend(inline_indexes)
            checks.extend(inline_checks)
        elif isinstance(node, exp.Constraint):
            for inner in node.expressions:
                if isinstance(inner, exp.CheckColumnConstraint):
                    checks.append(CheckDef(node.this.name, inner.this.sql(dialect="mysql")))
                else:
                    found = _index_from_constraint(inner)
                    if found is not None:
                        index = found
                        if index.kind != "PRIMARY":
                            index.name = index.name or node.this.name
                        indexes.append(index)
        elif isinstance(node, exp.CheckColumnConstraint):
            checks.append(CheckDef("", node.this.sql(dialect="mysql")))
        elif isinstance(node, exp.ForeignKey):
            continue  # TiDB parses and ignores foreign keys in older versions; so do we
        else:
            element = _index_from_constraint(node)
            if element is None:
                raise errors.unsupported(f"Unsupported table element: {node.sql(dialect='mysql')}")
            indexes.append(element)
    schema = TableSchema(name, columns, [], [])
    for index in indexes:
        add_index(schema, index)
    for check in checks:
        check.name = check.name or f"{name}_chk_{len(schema.checks) + 1}"
        schema.checks.append(check)
    for prop in properties.expressions if properties else []:
        if isinstance(prop, exp.SchemaCommentProperty):
            schema.comment = prop.this.name
        elif isinstance(prop, exp.AutoIncrementProperty):
            schema.auto_increment_start = int(prop.this.name)
    validate(schema)
    return schema


def add_index(schema: TableSchema, index: IndexDef) -> None:
    """Add an index to a schema, naming it and checking it like TiDB."""
    if not index.columns:
        raise errors.syntax_error_near("()", reason="an index needs at least one column")
    for name in index.columns:
        column = schema.column(name)
        if column is None:
            raise errors.OperationalError(
                f"Key column '{name}' doesn't exist in table", 1072, "42000"
            )
        if column.type.is_vector and index.kind != "VECTOR":
            raise errors.DatabaseError(
                "only VECTOR INDEX can be added to vector column", errors.ER_UNSUPPORTED_DDL
            )
    index.columns = [schema.column(c).name for c in index.columns]  # type: ignore[union-attr]
    if index.kind == "PRIMARY":
        if schema.primary_key is not None:
            raise errors.OperationalError("Multiple primary key defined", 1068, "42000")
        for name in index.columns:
            schema.column(name).nullable = False  # type: ignore[union-attr]
        schema.indexes.insert(0, index)
        return
    if index.kind == "VECTOR":
        column = schema.column(index.columns[0])
        assert column is not None
        if not column.type.is_vector:
            raise errors.DatabaseError(
                f"Unsupported add vector index: only support vector type, but this is type: {column.type.sql()}",
                errors.ER_UNSUPPORTED_DDL,
            )
        if column.type.dimensions is None:
            raise errors.DatabaseError(
                "Unsupported add vector index: add vector index can only be defined on fixed-dimension vector columns",
                errors.ER_UNSUPPORTED_DDL,
            )
        for existing in schema.indexes:
            if (
                existing.kind == "VECTOR"
                and existing.columns == index.columns
                and existing.metric == index.metric
            ):
                raise errors.OperationalError(
                    f"[ddl:1061]vector index {index.name or existing.name} function "
                    f"vec_{(index.metric or 'cosine').lower()}_distance already exist on column {column.name}",
                    errors.ER_DUP_KEYNAME,
                    "42000",
                )
        index.name = index.name or unique_index_name(schema.indexes, "vector_index")
    else:
        index.name = index.name or unique_index_name(schema.indexes, index.columns[0])
    if schema.index(index.name) is not None:
        raise errors.OperationalError(
            f"Duplicate key name '{index.name}'", errors.ER_DUP_KEYNAME, "42000"
        )
    schema.indexes.append(index)


def validate(schema: TableSchema) -> None:
    if not schema.columns:
        raise errors.OperationalError("A table must have at least 1 column", 1113, "42000")
    for column in schema.columns:
        auto_embedding.validate_column(column)
    autos = [c for c in schema.columns if c.auto_increment]
    if len(autos) > 1:
        raise errors.OperationalError(
            "Incorrect table definition; there can be only one auto column and it must be defined as a key",
            1075,
            "42000",
        )
    for column in schema.columns:
        t = column.type
        if t.is_vector and column.default is not None and not column.default.startswith("("):
            raise errors.DatabaseError(
                f"VECTOR column '{column.name}' can't have a literal default. Use expression default instead: ((VEC_FROM_TEXT('...')))",
                errors.ER_UNKNOWN_ERROR,
            )
        if (
            column.default is not None
            and not column.default.startswith("(")
            and column.default.upper()
            not in ("NULL", "CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP()", "NOW()")
        ):
            literal = parse(f"SELECT {column.default}")[0].expressions[0]
            if isinstance(literal, exp.Literal | exp.Neg | exp.Boolean):
                value: Any = (
                    literal.this
                    if isinstance(literal, exp.Literal) and literal.is_string
                    else literal.sql()
                )
                if isinstance(literal, exp.Boolean):
                    value = int(literal.this)
                try:
                    to_storage(value, t, column.name)
                except errors.Error:
                    raise errors.OperationalError(
                        f"Invalid default value for '{column.name}'", 1067, "42000"
                    ) from None
        if column.auto_increment and not t.is_integer:
            raise errors.OperationalError(
                f"Incorrect column specifier for column '{column.name}'", 1063, "42000"
            )


def _sqlite_default(session: ExecContext, column: ColumnDef) -> str | None:
    if column.default is None or column.default.upper() == "NULL":
        return None
    text = column.default
    if text.upper() in ("CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP()", "NOW()", "LOCALTIMESTAMP"):
        fsp = column.type.length or 0
        if fsp:
            return "(strftime('%Y-%m-%d %H:%M:%f', 'now', 'localtime'))"
        return "(datetime('now', 'localtime'))"
    node = parse(f"SELECT {text}")[0].expressions[0]
    if isinstance(node, exp.Literal | exp.Neg | exp.Boolean | exp.Null):
        value: Any = node.this if isinstance(node, exp.Literal) and node.is_string else node.sql()
        if isinstance(node, exp.Boolean):
            value = int(node.this)
        stored = to_storage(value, column.type, column.name)
        return _sqlite_literal(stored)
    wrapped = exp.select(node)
    session.translator.substitute_session_values(wrapped)
    mysql_functions.rewrite(wrapped)
    expression = wrapped.expressions[0]
    return "(" + store_sql(expression.sql(dialect="sqlite"), column) + ")"


def _sqlite_literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bytes):
        return f"X'{value.hex()}'"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def sqlite_create_table(
    session: ExecContext, database: str, schema: TableSchema, name: str | None = None
) -> list[str]:
    """The SQLite statements that create the table and its ordinary indexes."""
    table_name = name or schema.name
    rowid_column = schema.rowid_column
    parts = []
    for column in schema.columns:
        if column is rowid_column:
            decl = f"{quote_identifier(column.name)} INTEGER PRIMARY KEY"
            if column.auto_increment:
                decl += " AUTOINCREMENT"
            parts.append(decl + " NOT NULL")
            continue
        decl = f"{quote_identifier(column.name)} {column.type.sqlite_decl()}"
        if not column.nullable and column.generated is None:
            decl += " NOT NULL"
        default = _sqlite_default(session, column)
        if default is not None:
            decl += f" DEFAULT {default}"
        parts.append(decl)
    pk = schema.primary_key
    if pk is not None and rowid_column is None:
        parts.append("PRIMARY KEY (" + ", ".join(quote_identifier(c) for c in pk.columns) + ")")
    for check in schema.checks:
        tree = parse(f"SELECT {check.expression}")[0]
        session.translator.substitute_session_values(tree)
        mysql_functions.rewrite(tree)
        parts.append(
            f"CONSTRAINT {quote_identifier(check.name)} CHECK ({tree.expressions[0].sql(dialect='sqlite')})"
        )
    statements = [
        f"CREATE TABLE {quote_identifier(database)}.{quote_identifier(table_name)} (\n  "
        + ",\n  ".join(parts)
        + "\n)"
    ]
    statements.extend(sqlite_index_statements(database, schema, table_name))
    return statements


def sqlite_index_statements(
    database: str, schema: TableSchema, table_name: str | None = None
) -> list[str]:
    table_name = table_name or schema.name
    statements = []
    for index in schema.indexes:
        if index.kind not in ("UNIQUE", "INDEX"):
            continue
        unique = "UNIQUE " if index.kind == "UNIQUE" else ""
        statements.append(
            f"CREATE {unique}INDEX {quote_identifier(database)}.{quote_identifier(sqlite_index_name(table_name, index.name))} "
            f"ON {quote_identifier(table_name)} ("
            + ", ".join(quote_identifier(c) for c in index.columns)
            + ")"
        )
    return statements


def _table_exists(session: ExecContext, database: str, name: str) -> bool:
    if name.lower() in session.catalog(database):
        return True
    row = session.conn.execute(
        f"SELECT 1 FROM {quote_identifier(database)}.sqlite_master WHERE type IN ('table', 'view') AND name = ? COLLATE NOCASE",
        (name,),
    ).fetchone()
    return row is not None


def _create_table(session: ExecContext, tree: exp.Create) -> Result:
    target = tree.this
    table = target.this if isinstance(target, exp.Schema) else target
    database = session.database_of(table)
    session.attach(database)
    name = table.name
    if _table_exists(session, database, name):
        if tree.args.get("exists"):
            session.warnings.append(
                ("Note", errors.ER_TABLE_EXISTS_ERROR, f"Table '{database}.{name}' already exists")
            )
            return Result(rowcount=0)
        raise errors.OperationalError(
            f"Table '{database}.{name}' already exists", errors.ER_TABLE_EXISTS_ERROR, "42S01"
        )
    like = next(
        (
            p
            for p in (tree.args["properties"].expressions if tree.args.get("properties") else [])
            if isinstance(p, exp.LikeProperty)
        ),
        None,
    )
    if like is not None:
        source = like.this
        schema = copy.deepcopy(session.table(source.db or database, source.name))
        schema.name = name
        schema.tiflash_replica = 0
    elif isinstance(target, exp.Schema):
        schema = schema_from_create(name, list(target.expressions), tree.args.get("properties"))
    elif tree.args.get("expression") is not None:
        return _create_table_as_select(session, database, name, tree.args["expression"])
    else:
        raise errors.syntax_error(
            "You have an error in your SQL syntax: CREATE TABLE needs column definitions"
        )
    properties = tree.args["properties"].expressions if tree.args.get("properties") else []
    temporary = any(isinstance(p, exp.TemporaryProperty) for p in properties)
    if temporary and any(i.kind == "VECTOR" for i in schema.indexes):
        raise errors.DatabaseError(
            "`vector index` is unsupported on temporary tables.", errors.ER_UNSUPPORTED_DDL
        )
    if any(i.kind == "VECTOR" for i in schema.indexes):
        schema.tiflash_replica = max(
            schema.tiflash_replica, 1
        )  # TiDB sets it with an inline vector index
    create_table_from_schema(session, database, schema)
    return Result(rowcount=0)


def create_table_from_schema(session: ExecContext, database: str, schema: TableSchema) -> None:
    for statement in sqlite_create_table(session, database, schema):
        session.conn.execute(statement)
    if (
        schema.auto_increment_start
        and schema.rowid_column is not None
        and schema.rowid_column.auto_increment
    ):
        session.conn.execute(
            f"INSERT INTO {quote_identifier(database)}.sqlite_sequence(name, seq) VALUES (?, ?)",
            (schema.name, schema.auto_increment_start - 1),
        )
    save_table(session, database, schema)
    fulltext.table_created(session, database, schema)  # full-text indexes (sql/fulltext.py)


def _create_table_as_select(
    session: ExecContext, database: str, name: str, select: exp.Expression
) -> Result:
    probe = query.execute_select(
        session,
        exp.select("*")
        .from_(
            exp.Subquery(
                this=select.copy(), alias=exp.TableAlias(this=exp.to_identifier("__av_src"))
            )
        )
        .limit(0),
        None,
    )
    assert probe.columns is not None
    columns = [
        ColumnDef(c.name, c.type if c.type.name != "varchar" or c.type.length else SqlType("text"))
        for c in probe.columns
    ]
    schema = TableSchema(name, columns)
    create_table_from_schema(session, database, schema)
    insert = exp.insert(
        select.copy(), exp.to_table(f"{mysql_quote(database)}.{mysql_quote(name)}", dialect="mysql")
    )
    result = dml.execute_insert(session, insert, None)
    return Result(rowcount=result.rowcount)


# -- DROP / TRUNCATE / RENAME -------------------------------------------------------------------


def _drop_tables(session: ExecContext, tree: exp.Drop) -> Result:
    for table in tree.args.get("tables") or [tree.this]:
        database = session.database_of(table)
        session.attach(database)
        schema = session.catalog(database).get(table.name.lower())
        if schema is None:
            if tree.args.get("exists"):
                session.warnings.append(
                    ("Note", errors.ER_BAD_TABLE_ERROR, f"Unknown table '{database}.{table.name}'")
                )
                continue
            raise errors.OperationalError(
                f"Unknown table '{database}.{table.name}'", errors.ER_BAD_TABLE_ERROR, "42S02"
            )
        session.conn.execute(
            f"DROP TABLE {quote_identifier(database)}.{quote_identifier(schema.name)}"
        )
        storage_catalog.delete_table(session.conn, database, schema.name)
        session.instance.vectors.forget_table(database, schema.name.lower())
        _secondary.table_dropped(session, database, schema.name)
        fulltext.drop_table(session, database, schema)  # full-text indexes (sql/fulltext.py)
    return Result(rowcount=0)


def _truncate(session: ExecContext, tree: exp.TruncateTable) -> Result:
    for table in tree.expressions:
        database = session.database_of(table)
        schema = session.table(database, table.name)
        session.conn.execute(
            f"DELETE FROM {quote_identifier(database)}.{quote_identifier(schema.name)}"
        )
        if schema.rowid_column is not None and schema.rowid_column.auto_increment:
            session.conn.execute(
                f"DELETE FROM {quote_identifier(database)}.sqlite_sequence WHERE name = ?",
                (schema.name,),
            )
        session.instance.vectors.forget_table(database, schema.name.lower())
        _secondary.table_dropped(session, database, schema.name)  # rebuilt, empty, on next use
    return Result(rowcount=0)


def _rename_tables(session: ExecContext, tree: RenameTables) -> Result:
    for pair in tree.expressions:
        if not isinstance(pair, RenamePair):  # a malformed pair, as written
            raise errors.syntax_error_near(pair.name)
        old_db, old = _table_of(session, pair.this)
        new_db, new = _table_of(session, pair.args["to"])
        rename_table(session, old_db, old, new_db, new)
    return Result(rowcount=0)


def rename_table(
    session: ExecContext, database: str, old: str, new_database: str, new: str
) -> None:
    if new_database != database:
        raise errors.unsupported("RENAME TABLE across databases is not supported")
    schema = copy.deepcopy(session.table(database, old))
    if _table_exists(session, database, new) and new.lower() != old.lower():
        raise errors.OperationalError(
            f"Table '{new}' already exists", errors.ER_TABLE_EXISTS_ERROR, "42S01"
        )
    for index in schema.indexes:
        if index.kind in ("UNIQUE", "INDEX"):
            session.conn.execute(
                f"DROP INDEX {quote_identifier(database)}.{quote_identifier(sqlite_index_name(schema.name, index.name))}"
            )
    session.conn.execute(
        f"ALTER TABLE {quote_identifier(database)}.{quote_identifier(schema.name)} RENAME TO {quote_identifier(new)}"
    )
    storage_catalog.delete_table(session.conn, database, schema.name)
    session.instance.vectors.forget_table(database, schema.name.lower())
    _secondary.table_renamed(session, database, schema.name, new)
    schema.name = new
    fulltext.table_renamed(session, database, old, schema)  # full-text indexes (sql/fulltext.py)
    for statement in sqlite_index_statements(database, schema):
        session.conn.execute(statement)
    save_table(session, database, schema)


# -- indexes and views ---------------------------------------------------------------------------


def _create_index(session: ExecContext, tree: exp.Create) -> Result:
    index_node = tree.this
    table = index_node.args["table"]
    if not index_node.name:
        raise errors.syntax_error_near(
            f"ON {table.sql(dialect='mysql')}", reason="CREATE INDEX needs a name"
        )
    database = session.database_of(table)
    schema = copy.deepcopy(session.table(database, table.name))
    columns = [_ident_name(c) for c in index_node.args["params"].args.get("columns") or []]
    kind = "UNIQUE" if tree.args.get("unique") else "INDEX"
    index = IndexDef(index_node.name, kind, columns)
    if tree.args.get("exists") and schema.index(index.name) is not None:
        return Result(rowcount=0)
    add_index(schema, index)
    apply_schema_change(session, database, session.table(database, table.name), schema)
    return Result(rowcount=0)


def _drop_index_statement(session: ExecContext, tree: exp.Drop) -> Result:
    on = tree.args.get("cluster")
    table = on.this if on is not None else None
    if not isinstance(table, exp.Table):
        raise errors.syntax_error_near("", reason="DROP INDEX needs ON <table>")
    database = session.database_of(table)
    old = session.table(database, table.name)
    schema = copy.deepcopy(old)
    drop_index(schema, _dropped_name(tree), bool(tree.args.get("exists")))
    apply_schema_change(session, database, old, schema)
    return Result(rowcount=0)


def drop_index(schema: TableSchema, name: str, if_exists: bool = False) -> None:
    index = schema.index(name) if name.upper() != "PRIMARY" else schema.primary_key
    if index is None:
        if if_exists:
            return
        raise errors.OperationalError(
            f"Can't DROP '{name}'; check that column/key exists",
            errors.ER_CANT_DROP_FIELD_OR_KEY,
            "42000",
        )
    schema.indexes.remove(index)


def _create_view(session: ExecContext, tree: exp.Create) -> Result:
    table = tree.this
    database = session.database_of(table)
    select = tree.args["expression"].copy()
    session.translator.prepare(select)
    replace = bool(tree.args.get("replace"))
    if replace:
        session.conn.execute(
            f"DROP VIEW IF EXISTS {quote_identifier(database)}.{quote_identifier(table.name)}"
        )
    elif _table_exists(session, database, table.name):
        raise errors.OperationalError(
            f"Table '{table.name}' already exists", errors.ER_TABLE_EXISTS_ERROR, "42S01"
        )
    session.conn.execute(
        f"CREATE VIEW {quote_identifier(database)}.{quote_identifier(table.name)} AS {select.sql(dialect='sqlite')}"
    )
    return Result(rowcount=0)


def _drop_view(session: ExecContext, tree: exp.Drop) -> Result:
    for table in tree.args.get("tables") or [tree.this]:
        database = session.database_of(table)
        exists_clause = "IF EXISTS " if tree.args.get("exists") else ""
        session.conn.execute(
            f"DROP VIEW {exists_clause}{quote_identifier(database)}.{quote_identifier(table.name)}"
        )
    return Result(rowcount=0)


# -- ALTER TABLE -----------------------------------------------------------------------------------


def _alter_table(session: ExecContext, tree: exp.Alter) -> Result:
    table = tree.this
    database = session.database_of(table)
    old = session.table(database, table.name)
    schema = copy.deepcopy(old)
    renames: dict[str, str] = {}
    new_name: str | None = None
    conversions: dict[str, str] = {}
    actions = tree.args.get("actions") or []
    for action in actions:
        if isinstance(action, exp.ColumnDef):  # ADD COLUMN
            column, indexes, checks = column_from_sqlglot(action)
            if schema.column(column.name) is not None:
                raise errors.OperationalError(
                    f"Duplicate column name '{column.name}'", errors.ER_DUP_FIELDNAME, "42S21"
                )
            position = action.args.get("position")
            _insert_column(schema, column, position)
            for index in indexes:
                add_index(schema, index)
            for check in checks:
                check.name = f"{schema.name}_chk_{len(schema.checks) + 1}"
                schema.checks.append(check)
        elif isinstance(action, exp.Drop) and (action.args.get("kind") or "").upper() == "COLUMN":
            name = _dropped_name(action)
            dropped = schema.column(name)
            if dropped is None:
                if action.args.get("exists"):
                    continue
                raise errors.OperationalError(
                    f"Can't DROP '{name}'; check that column/key exists",
                    errors.ER_CANT_DROP_FIELD_OR_KEY,
                    "42000",
                )
            if any(i.kind == "VECTOR" and dropped.name in i.columns for i in schema.indexes):
                raise errors.DatabaseError(
                    f"can't drop column {dropped.name} with Vector Key covered now",
                    errors.ER_UNSUPPORTED_DDL,
                )
            schema.columns.remove(dropped)
            for index in list(schema.indexes):
                if dropped.name in index.columns:
                    index.columns.remove(dropped.name)
                    if not index.columns:
                        schema.indexes.remove(index)
        elif isinstance(action, exp.Drop) and (action.args.get("kind") or "").upper() in (
            "INDEX",
            "KEY",
        ):
            drop_index(schema, _dropped_name(action), bool(action.args.get("exists")))
        elif (
            isinstance(action, exp.Drop)
            and (action.args.get("kind") or "").upper() == "PRIMARY KEY"
        ):
            drop_index(schema, "PRIMARY")
        elif isinstance(action, exp.ModifyColumn) or (
            isinstance(action, exp.AlterColumn) and action.args.get("dtype") is not None
        ):
            _modify_column(schema, action, renames, conversions)
        elif isinstance(action, exp.AlterColumn):
            altered = schema.column(action.this.name)
            if altered is None:
                raise errors.unknown_column(action.this.name, schema.name)
            if action.args.get("drop"):
                altered.default = None
            elif action.args.get("default") is not None:
                altered.default = action.args["default"].sql(dialect="mysql")
        elif isinstance(action, exp.RenameColumn):
            renamed = schema.column(action.this.name)
            if renamed is None:
                raise errors.unknown_column(action.this.name, schema.name)
            new = action.args["to"].name
            if schema.column(new) is not None:
                raise errors.OperationalError(
                    f"Duplicate column name '{new}'", errors.ER_DUP_FIELDNAME, "42S21"
                )
            renames[renamed.name] = new
            for index in schema.indexes:
                index.columns = [new if c == renamed.name else c for c in index.columns]
            renamed.name = new
        elif isinstance(action, exp.AlterRename):
            new_name = action.this.name
        elif isinstance(action, exp.AddConstraint):
            for inner in action.expressions:
                added = _index_from_constraint(inner)
                if added is None and isinstance(inner, exp.Constraint):
                    for sub in inner.expressions:
                        if isinstance(sub, exp.CheckColumnConstraint):
                            schema.checks.append(
                                CheckDef(inner.this.name, sub.this.sql(dialect="mysql"))
                            )
                        else:
                            sub_index = _index_from_constraint(sub)
                            if sub_index is not None:
                                sub_index.name = sub_index.name or inner.this.name
                                add_index(schema, sub_index)
                    continue
                if added is None:
                    raise errors.unsupported(
                        f"Unsupported ALTER TABLE clause: {inner.sql(dialect='mysql')}"
                    )
                add_index(schema, added)
        elif isinstance(action, exp.AlterSet):
            continue
        else:
            raise errors.unsupported(
                f"Unsupported ALTER TABLE clause: {action.sql(dialect='mysql')}"
            )
    validate(schema)
    _refuse_quantize_change(session, database, old, schema, conversions)
    new_generated = [
        c for c in schema.columns if c.generated is not None and old.column(c.name) is None
    ]
    embedded = _queue_backfills(schema, new_generated)
    apply_schema_change(session, database, old, schema, renames, conversions)
    computed = [c.name for c in new_generated if c.name not in embedded]
    if computed:  # plain generated columns are computed within the ALTER itself
        everything = {
            r[0]
            for r in session.conn.execute(
                f"SELECT rowid FROM {quote_identifier(database)}.{quote_identifier(schema.name)}"
            )
        }
        auto_embedding.fill_generated(session, database, schema, everything, only=set(computed))
    if new_name is not None and new_name.lower() != schema.name.lower():
        rename_table(session, database, schema.name, database, new_name)
    if embedded:
        session.pending_backfills.append((database, new_name or schema.name))
    return Result(rowcount=0)


def _quantize_mode(generated: str | None) -> str | None:
    """The ``quantize`` option of an EMBED_TEXT column (None: the model's fp32 form)."""
    spec = auto_embedding.embed_spec(generated)
    if spec is None or not spec.options:
        return None
    try:
        options = json.loads(spec.options)
    except ValueError:
        return None
    mode = options.get("quantize") if isinstance(options, dict) else None
    return str(mode) if mode is not None else None


def _refuse_quantize_change(
    session: ExecContext,
    database: str,
    old: TableSchema,
    new: TableSchema,
    conversions: dict[str, str],
) -> None:
    """Refuse moving an EMBED_TEXT column between fp32 and int8 while it holds vectors.

    MODIFY keeps a column's values: its fp32 vectors would be compared with int8 ones
    (and the reverse), which are close but not interchangeable.
    """
    for new_name, old_name in conversions.items():
        before, after = old.column(old_name), new.column(new_name)
        if before is None or after is None:
            continue
        if auto_embedding.embed_spec(before.generated) is None:
            continue
        was, now = _quantize_mode(before.generated), _quantize_mode(after.generated)
        if was == now:
            continue
        holds = session.conn.execute(
            f"SELECT 1 FROM {quote_identifier(database)}.{quote_identifier(old.name)} "
            f"WHERE {quote_identifier(old_name)} IS NOT NULL LIMIT 1"
        ).fetchone()
        if holds is not None:
            raise errors.DatabaseError(
                f"Unsupported modify column: column '{old_name}' holds vectors of the "
                f"{was or 'fp32'} form of its model, which are not interchangeable with the "
                f"{now or 'fp32'} form; add a new column (or empty this one) instead",
                errors.ER_UNSUPPORTED_DDL,
            )


def _queue_backfills(schema: TableSchema, added: list[ColumnDef]) -> list[str]:
    """Mark new EMBED_TEXT columns for back-filling after the ALTER commits (resumable)."""
    names = [c.name for c in added if auto_embedding.embed_spec(c.generated) is not None]
    if names:
        schema.options = {
            **schema.options,
            "backfill": {**schema.options.get("backfill", {}), **dict.fromkeys(names, None)},
        }
    return names


def _insert_column(schema: TableSchema, column: ColumnDef, position: exp.Expression | None) -> None:
    if position is None:
        schema.columns.append(column)
        return
    if str(position.args.get("position") or "").upper() == "FIRST":
        schema.columns.insert(0, column)
        return
    after = position.this.name if position.this is not None else None
    target = schema.column(after) if after else None
    if target is None:
        raise errors.unknown_column(after or "?", schema.name)
    schema.columns.insert(schema.columns.index(target) + 1, column)


def _modify_column(
    schema: TableSchema,
    action: exp.Expression,
    renames: dict[str, str],
    conversions: dict[str, str],
) -> None:
    definition = action.this if isinstance(action, exp.ModifyColumn) else None
    if definition is None:
        raise errors.unsupported("Unsupported ALTER COLUMN form")
    old_name = (
        action.args["expression"].name
        if action.args.get("expression") is not None
        else definition.name
    )
    old_column = schema.column(old_name)
    if old_column is None:
        raise errors.unknown_column(old_name, schema.name)
    new_column, indexes, _checks = column_from_sqlglot(definition)
    if any(i.kind == "VECTOR" and old_column.name in i.columns for i in schema.indexes):
        raise errors.DatabaseError(
            "Unsupported modify column: vector indexes on the column", errors.ER_UNSUPPORTED_DDL
        )
    if old_column.type.is_vector != new_column.type.is_vector:
        raise errors.DatabaseError(
            f"Unsupported modify column: cannot convert {old_column.type.sql()} to {new_column.type.sql()}",
            errors.ER_UNSUPPORTED_DDL,
        )
    position = schema.columns.index(old_column)
    schema.columns[position] = new_column
    if new_column.name != old_column.name:
        renames[old_column.name] = new_column.name
        for index in schema.indexes:
            index.columns = [new_column.name if c == old_column.name else c for c in index.columns]
    if (
        new_column.auto_increment is False
        and old_column.auto_increment
        and schema.primary_key
        and new_column.name in schema.primary_key.columns
    ):
        new_column.auto_increment = False
    for index in indexes:
        add_index(schema, index)
    conversions[new_column.name] = old_column.name


def apply_schema_change(
    session: ExecContext,
    database: str,
    old: TableSchema,
    new: TableSchema,
    renames: dict[str, str] | None = None,
    conversions: dict[str, str] | None = None,
) -> None:
    """Make the SQLite table match ``new``: in place when only indexes changed, else rebuild."""
    renames = renames or {}
    for index in old.indexes:
        if index.kind == "VECTOR" and not any(
            i.kind == "VECTOR" and i.name == index.name for i in new.indexes
        ):
            _secondary.index_dropped(session, database, old.name, index.name)
    same_columns = [c.to_dict() for c in old.columns] == [
        c.to_dict() for c in new.columns
    ] and old.checks == new.checks
    same_pk = (old.primary_key.columns if old.primary_key else None) == (
        new.primary_key.columns if new.primary_key else None
    )
    if same_columns and same_pk:
        for index in old.indexes:
            if index.kind in ("UNIQUE", "INDEX") and not any(
                i.name == index.name and i.kind == index.kind for i in new.indexes
            ):
                session.conn.execute(
                    f"DROP INDEX {quote_identifier(database)}.{quote_identifier(sqlite_index_name(old.name, index.name))}"
                )
        for index in new.indexes:
            if index.kind in ("UNIQUE", "INDEX") and not any(
                i.name == index.name and i.kind == index.kind for i in old.indexes
            ):
                probe = TableSchema(new.name, new.columns, [index])
                for statement in sqlite_index_statements(database, probe):
                    session.conn.execute(statement)
        fulltext.schema_changed(session, database, old, new)  # full-text indexes (sql/fulltext.py)
        save_table(session, database, new)
        return
    _rebuild(session, database, old, new, renames)
    fulltext.schema_changed(session, database, old, new)  # full-text indexes (sql/fulltext.py)


def _rebuild(
    session: ExecContext, database: str, old: TableSchema, new: TableSchema, renames: dict[str, str]
) -> None:
    temp_name = f"__av_rebuild_{new.name}"
    for statement in sqlite_create_table(session, database, new, temp_name)[:1]:
        session.conn.execute(statement)
    reverse = {v: k for k, v in renames.items()}
    targets: list[str] = []
    sources: list[str] = []
    for column in new.columns:
        old_name = reverse.get(column.name, column.name)
        old_column = old.column(old_name)
        if old_column is None or (column.generated is not None and old_column.generated is None):
            continue
        targets.append(quote_identifier(column.name))
        source = quote_identifier(old_column.name)
        if old_column.type != column.type:
            source = store_sql(source, column)
        sources.append(source)
    qdb = quote_identifier(database)
    session.conn.execute(
        f"INSERT INTO {qdb}.{quote_identifier(temp_name)} (rowid, {', '.join(targets)}) "
        f"SELECT rowid, {', '.join(sources)} FROM {qdb}.{quote_identifier(old.name)}"
        if targets
        else f"INSERT INTO {qdb}.{quote_identifier(temp_name)} (rowid) SELECT rowid FROM {qdb}.{quote_identifier(old.name)}"
    )
    for index in old.indexes:
        if index.kind in ("UNIQUE", "INDEX"):
            session.conn.execute(
                f"DROP INDEX IF EXISTS {qdb}.{quote_identifier(sqlite_index_name(old.name, index.name))}"
            )
    session.conn.execute(f"DROP TABLE {qdb}.{quote_identifier(old.name)}")
    session.conn.execute(
        f"ALTER TABLE {qdb}.{quote_identifier(temp_name)} RENAME TO {quote_identifier(new.name)}"
    )
    seq = (
        session.conn.execute(
            f"SELECT seq FROM {qdb}.sqlite_sequence WHERE name = ?", (temp_name,)
        ).fetchone()
        if _has_sequence(session, database)
        else None
    )
    if seq is not None:
        session.conn.execute(
            f"UPDATE {qdb}.sqlite_sequence SET name = ? WHERE name = ?", (new.name, temp_name)
        )
    for statement in sqlite_index_statements(database, new):
        session.conn.execute(statement)
    save_table(session, database, new)
    session.instance.vectors.forget_table(database, new.name.lower())


def _has_sequence(session: ExecContext, database: str) -> bool:
    row = session.conn.execute(
        f"SELECT 1 FROM {quote_identifier(database)}.sqlite_master WHERE name = 'sqlite_sequence'"
    ).fetchone()
    return row is not None


# -- dispatch ------------------------------------------------------------------------------
# CREATE and DROP run the action for their kind (DATABASE, TABLE, ...); the tables stand
# here, below the functions they name.
_CREATE_BY_KIND: dict[str, Callable[[ExecContext, Any], Result]] = {
    "DATABASE": _create_database,
    "SCHEMA": _create_database,
    "TABLE": _in_own_transaction(_create_table),
    "INDEX": _in_own_transaction(_create_index),
    "VIEW": _in_own_transaction(_create_view),
}
_DROP_BY_KIND: dict[str, Callable[[ExecContext, Any], Result]] = {
    "DATABASE": _drop_database,
    "SCHEMA": _drop_database,
    "TABLE": _in_own_transaction(_drop_tables),
    "INDEX": _in_own_transaction(_drop_index_statement),
    "VIEW": _in_own_transaction(_drop_view),
}
execute_create = handles(exp.Create)(_by_kind(_CREATE_BY_KIND))
execute_drop = handles(exp.Drop)(_by_kind(_DROP_BY_KIND))
