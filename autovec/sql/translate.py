"""From a parsed TiDB statement to the SQLite SQL that runs it.

The tree is rewritten in place, in one walk per concern, then generated with sqlglot's
SQLite generator:
- table names are qualified with their database (every MySQL database is an attached
  SQLite file), ``information_schema`` is pointed at its materialised copy;
- session facts (``DATABASE()``, ``@@vars``, ``LAST_INSERT_ID()``) become literals;
- vector-typed expressions get vector semantics (comparison, ordering, arithmetic,
  casts), which SQLite's blob operators would get wrong;
- MySQL functions SQLite lacks or runs differently are redirected to Python UDFs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from autovec import errors
from autovec.sql import auto_embedding, fulltext, grammar, mysql_functions
from autovec.sql.numeric import decimal_result, exact_comparisons
from autovec.sql.schema import TableSchema
from autovec.sql.scope import Scope as Scope  # where it was first defined; many import it here
from autovec.sql.types import SqlType, from_sqlglot
from autovec.vector import Vector

if TYPE_CHECKING:
    from autovec.sql.context import ExecContext

INFO_SCHEMA = "information_schema"
INFO_SCHEMA_ALIAS = "__av_is"
ROWID_ALIASES = {"_tidb_rowid"}

VECTOR_FUNCTIONS = {
    "VEC_FROM_TEXT",
    "EMBED_TEXT",
    "EMBED_IMAGE",
    "__AV_TO_VECTOR",
    "__AV_VEC_ADD",
    "__AV_VEC_SUB",
    "__AV_VEC_MUL",
    "__AV_VEC_FROM_SORTKEY",
    "__AV_EMBED_QUERY",
    "__AV_EMBED_IMAGE_QUERY",
}
DISTANCE_FUNCTIONS = {
    "VEC_COSINE_DISTANCE": "COSINE",
    "VEC_L2_DISTANCE": "L2",
    "VEC_NEGATIVE_INNER_PRODUCT": "NEGATIVE_INNER_PRODUCT",
    "VEC_L1_DISTANCE": "L1",
}
DOUBLE_FUNCTIONS = {*DISTANCE_FUNCTIONS, "VEC_L2_NORM"}
_COMPARISONS: dict[type[exp.Expression], str] = {
    exp.EQ: "=",
    exp.NEQ: "<>",
    exp.LT: "<",
    exp.LTE: "<=",
    exp.GT: ">",
    exp.GTE: ">=",
}
_ARITHMETIC: dict[type[exp.Expression], str] = {
    exp.Add: "__av_vec_add",
    exp.Sub: "__av_vec_sub",
    exp.Mul: "__av_vec_mul",
}


def function_name(node: exp.Expression) -> str:
    """Upper-case SQL name of a function call node (anonymous or known)."""
    if isinstance(node, exp.Anonymous):
        return str(node.this).upper()
    if isinstance(node, exp.Func):
        return node.sql_name().upper()
    return ""


def call(name: str, *args: exp.Expression) -> exp.Anonymous:
    return exp.Anonymous(this=name, expressions=list(args))


def _cannot_cast(target: str) -> errors.DatabaseError:
    return errors.DatabaseError(
        f"cannot cast from vector<float> to {target}", errors.ER_UNKNOWN_ERROR
    )


_VECTOR_PASSING = (
    exp.Window, exp.FirstValue, exp.LastValue, exp.NthValue, exp.Lag, exp.Lead,
    exp.Max, exp.Min, exp.Nullif, exp.AnyValue,
)  # fmt: skip


class Translator:
    """Rewrites TiDB trees for SQLite on behalf of one session."""

    def __init__(self, session: ExecContext):
        self.session = session
        # Set when a translation bakes in session state (variables, information_schema),
        # which makes the result unfit for the plan cache.
        self.volatile = False
        self._vector_memo: dict[int, tuple[exp.Expression, bool]] | None = None
        # The DECIMAL type of each select item of the last prepared SELECT (None: not one).
        self.decimal_results: list[SqlType | None] = []

    # -- entry points -----------------------------------------------------------------
    def prepare(self, tree: exp.Expression) -> Scope:
        """Rewrite ``tree`` in place; returns the scope used to type its columns."""
        nodes = list(tree.walk())  # one walk for the checks and literal rewrites below
        grammar.check(nodes)
        grammar.unwrap_set_operands(nodes)
        grammar.having_without_grouping(nodes)
        scope = self.qualify_tables(tree)
        # Before any rewriting hides the arithmetic: DECIMAL result types, by position.
        self.decimal_results = (
            [decimal_result(e, scope.column_type) for e in tree.expressions]
            if isinstance(tree, exp.Select)
            else []
        )
        grammar.exact_literals(nodes)
        exact_comparisons(nodes, scope.column_type)
        self.substitute_session_values(tree)
        fulltext.FULL_TEXT_SCAN.rewrite(
            self, tree, scope
        )  # FTS_MATCH_WORD / MATCH…AGAINST → FTS5 (sql/fulltext.py)
        self.rewrite_embed_distances(tree, scope)
        self.apply_vector_semantics(tree, scope)
        mysql_functions.rewrite(tree)
        return scope

    def sql(self, tree: exp.Expression) -> str:
        return tree.sql(dialect="sqlite")

    # -- tables -------------------------------------------------------------------------
    def qualify_tables(self, tree: exp.Expression) -> Scope:
        cte_names = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
        tables: dict[str, tuple[str, TableSchema]] = {}
        for table in list(tree.find_all(exp.Table)):
            if not table.name or isinstance(table.this, exp.Func):
                continue
            db = table.db
            if not db and table.name.lower() in cte_names:
                continue
            if db.lower() == INFO_SCHEMA:
                self.volatile = True
                self.session.information_schema.materialize(table.name)
                table.set("db", exp.to_identifier(INFO_SCHEMA_ALIAS))
                continue
            if table.name.lower() == "dual" and not db:
                continue
            database = db or self.session.require_database()
            self.session.attach(database)
            table.set("db", exp.to_identifier(database.lower(), quoted=True))
            schema = self.session.catalog(database).get(table.name.lower())
            if schema is not None:
                tables[table.alias_or_name.lower()] = (database.lower(), schema)
                if table.alias:
                    tables.setdefault(table.name.lower(), (database.lower(), schema))
        return Scope(tables)

    # -- session values ---------------------------------------------------------------------
    def substitute_session_values(self, tree: exp.Expression) -> None:
        session = self.session
        replacements: dict[type[exp.Expression], Callable[[exp.Expression], Any]] = {
            exp.CurrentSchema: lambda _n: session.database,
            exp.CurrentVersion: lambda _n: session.get_variable("version"),
            exp.CurrentUser: lambda _n: f"{session.user}@%",
        }
        anonymous: dict[str, Callable[[], Any]] = {
            "USER": lambda: f"{session.user}@{session.host}",
            "SESSION_USER": lambda: f"{session.user}@{session.host}",
            "SYSTEM_USER": lambda: f"{session.user}@{session.host}",
            "CONNECTION_ID": lambda: session.connection_id,
            "LAST_INSERT_ID": lambda: session.last_insert_id,
            "ROW_COUNT": lambda: session.last_row_count,
            "FOUND_ROWS": lambda: session.found_rows,
            "TIDB_VERSION": session.tidb_version,
            "TIDB_IS_DDL_OWNER": lambda: 1,
        }
        node: Any
        for node in list(tree.walk()):
            value: Any
            if type(node) in replacements:
                value = replacements[type(node)](node)
            elif (
                isinstance(node, exp.Anonymous)
                and str(node.this).upper() in anonymous
                and not node.expressions
            ):
                value = anonymous[str(node.this).upper()]()
            elif isinstance(node, exp.SessionParameter):
                value = session.get_variable(node.name, node.args.get("kind"))
            elif isinstance(node, exp.Parameter) and isinstance(
                node.this, exp.Var | exp.Identifier
            ):
                value = session.user_variables.get(node.name.lower())
            elif isinstance(node, exp.Column) and node.name.lower() in ROWID_ALIASES:
                node.set("this", exp.to_identifier("rowid"))
                continue
            else:
                continue
            self.volatile = True
            node.replace(literal(value))

    # -- vectors ----------------------------------------------------------------------------
    def is_vector(self, node: exp.Expression, scope: Scope) -> bool:
        """Whether ``node`` yields a vector (its storage bytes, to be printed as a vector)."""
        if self._vector_memo is None:
            return self._is_vector(node, scope)
        known = self._vector_memo.get(id(node))
        if known is not None and known[0] is node:
            return known[1]
        answer = self._is_vector(node, scope)
        self._vector_memo[id(node)] = (node, answer)
        return answer

    def _is_vector(self, node: exp.Expression, scope: Scope) -> bool:
        if isinstance(node, exp.Paren):
            return self.is_vector(node.this, scope)
        if isinstance(node, exp.Column):
            sql_type = scope.column_type(node)
            return bool(sql_type and sql_type.is_vector)
        if isinstance(node, exp.Cast):
            return node.to.this == exp.DataType.Type.VECTOR
        if isinstance(node, exp.Add | exp.Sub | exp.Mul):
            return self.is_vector(node.this, scope) or self.is_vector(node.expression, scope)
        # A vector passed through keeps its type: window functions, MIN/MAX, conditionals
        # and scalar subqueries (TiDB prints the vector, never its storage bytes).
        if isinstance(node, _VECTOR_PASSING):
            return self.is_vector(node.this, scope)
        if isinstance(node, exp.Coalesce):
            return any(self.is_vector(e, scope) for e in [node.this, *node.expressions])
        if isinstance(node, exp.If):
            branches = [node.args.get("true"), node.args.get("false")]
            return any(b is not None and self.is_vector(b, scope) for b in branches)
        if isinstance(node, exp.Case):
            branches = [i.args.get("true") for i in node.args.get("ifs") or []]
            branches.append(node.args.get("default"))
            return any(b is not None and self.is_vector(b, scope) for b in branches)
        if isinstance(node, exp.Subquery) and isinstance(node.this, exp.Select):
            items = node.this.expressions
            inner = items[0].unalias() if len(items) == 1 else None
            return inner is not None and self.is_vector(inner, scope)
        return function_name(node) in VECTOR_FUNCTIONS

    def rewrite_embed_distances(self, tree: exp.Expression, scope: Scope) -> None:
        """``VEC_EMBED_<M>_DISTANCE(col, 'text')`` → a distance to the embedded text."""
        for node in list(tree.find_all(exp.Anonymous)):
            name = str(node.this).upper()
            if name not in auto_embedding.EMBED_DISTANCES:
                continue
            if len(node.expressions) != 2:
                raise errors.OperationalError(
                    f"Incorrect parameter count in the call to native function '{name}'",
                    1582,
                    "42000",
                )
            column = node.expressions[0]
            found = scope.column(column) if isinstance(column, exp.Column) else None
            database = found[0] if found else (self.session.database or "")
            node.replace(
                auto_embedding.rewrite_embed_distance(
                    node, found[1] if found else None, database, column.sql(dialect="mysql")
                )
            )

    def apply_vector_semantics(self, tree: exp.Expression, scope: Scope) -> None:
        # Post-order, so inner rewrites are seen by outer ones (v + v) < '[1]'. The answers
        # of is_vector are kept for the pass: asking again down a chain of 1,000 `+` terms
        # would make the pass quadratic.
        node: Any
        self._vector_memo = {}
        try:
            for node in reversed(list(tree.walk())):
                replacement = self._vector_rewrite(node, scope)
                if replacement is not None:
                    node.replace(replacement)
                else:
                    _compare_json_as_scalar(node)
        finally:
            self._vector_memo = None

    def _vector_rewrite(self, node: exp.Expression, scope: Scope) -> Any:
        if isinstance(node, exp.Cast):
            target = node.to
            if target.this == exp.DataType.Type.VECTOR:
                dims = from_sqlglot(target).length
                return call(
                    "__av_to_vector", node.this, exp.Literal.number(-1 if dims is None else dims)
                )
            if self.is_vector(node.this, scope) and target.this in (
                exp.DataType.Type.CHAR, exp.DataType.Type.VARCHAR, exp.DataType.Type.TEXT,
                exp.DataType.Type.NCHAR, exp.DataType.Type.NVARCHAR,
            ):  # fmt: skip
                return call("__av_vec_text", node.this)
            if self.is_vector(node.this, scope) and target.this not in (
                exp.DataType.Type.BINARY,
                exp.DataType.Type.VARBINARY,
            ):
                raise _cannot_cast(target.sql(dialect="mysql").lower())
            return None
        op = _COMPARISONS.get(type(node))
        if op is not None and isinstance(node.parent, exp.Update | exp.OnConflict | exp.SetItem):
            return None  # an assignment `SET v = …`, not a comparison
        if op is not None:
            left, right = node.args["this"], node.args["expression"]
            if self.is_vector(left, scope) or self.is_vector(right, scope):
                cmp = call("__av_vec_cmp", left, right)
                return type(node)(this=cmp, expression=exp.Literal.number(0))
            return None
        func = _ARITHMETIC.get(type(node))
        if func is not None:
            left, right = node.args["this"], node.args["expression"]
            if self.is_vector(left, scope) or self.is_vector(right, scope):
                return call(func, left, right)
            return None
        if isinstance(node, exp.Between) and self.is_vector(node.this, scope):
            return exp.and_(
                exp.GTE(
                    this=call("__av_vec_cmp", node.this.copy(), node.args["low"]),
                    expression=exp.Literal.number(0),
                ),
                exp.LTE(
                    this=call("__av_vec_cmp", node.this.copy(), node.args["high"]),
                    expression=exp.Literal.number(0),
                ),
            )
        if isinstance(node, exp.In) and self.is_vector(node.this, scope):
            for item in node.expressions:
                if isinstance(item, exp.Literal) and item.is_string:
                    item.replace(call("VEC_FROM_TEXT", item.copy()))
            return None
        if isinstance(node, exp.Ordered) and self.is_vector(node.this, scope):
            node.set("this", call("__av_vec_sortkey", node.this))
            return None
        if isinstance(node, exp.Max | exp.Min) and self.is_vector(node.this, scope):
            agg = type(node)(this=call("__av_vec_sortkey", node.this))
            return call("__av_vec_from_sortkey", agg)
        if isinstance(node, exp.Nullif) and self.is_vector(node.this, scope):
            same = exp.EQ(
                this=call("__av_vec_cmp", node.this.copy(), node.expression),
                expression=exp.Literal.number(0),
            )
            return exp.Case(ifs=[exp.If(this=same, true=exp.Null())], default=node.this)
        if isinstance(node, exp.Sum | exp.Avg) and self.is_vector(node.this, scope):
            raise _cannot_cast("double")  # TiDB sums and averages as doubles
        if isinstance(node, exp.GroupConcat | exp.Concat | exp.ConcatWs):
            # A vector in a string is its text, as TiDB prints it, never its storage bytes.
            parts = node.expressions if not isinstance(node, exp.GroupConcat) else [node.this]
            for part in parts:
                target = part.this if isinstance(part, exp.Order) else part
                distinct = isinstance(target, exp.Distinct)
                for item in list(target.expressions) if distinct else [target]:
                    if self.is_vector(item, scope):
                        item.replace(call("__av_vec_text", item.copy()))
        return None

    def output_type(self, node: exp.Expression, scope: Scope) -> SqlType | None:
        """Static type of a select-list expression when SQLite cannot tell (no origin column)."""
        inner = node.this if isinstance(node, exp.Alias) else node
        if self.is_vector(inner, scope):
            return SqlType("vector")
        if isinstance(inner, exp.Max | exp.Min) and isinstance(inner.this, exp.Column):
            return scope.column_type(inner.this)  # MAX(d) is still a DATETIME, a BIGINT UNSIGNED
        name = function_name(inner)
        if name in DOUBLE_FUNCTIONS:
            return SqlType("double")
        if name in ("VEC_DIMS",):
            return SqlType("int")
        if name in ("VEC_AS_TEXT",):
            return SqlType("text")
        if isinstance(inner, exp.CurrentTimestamp) or name in (
            "NOW",
            "SYSDATE",
            "LOCALTIME",
            "UTC_TIMESTAMP",
        ):
            return SqlType("datetime")
        if isinstance(inner, exp.CurrentDate) or name in ("CURDATE",):
            return SqlType("date")
        return None


def _compare_json_as_scalar(node: exp.Expression) -> None:
    """MySQL compares a JSON value with a non-JSON one as the SQL value it holds:
    ``JSON_EXTRACT(doc, '$.lang') = 'fr'`` is true for ``{"lang": "fr"}``, and
    ``doc->'$.rank' > 5`` compares numbers. SQLite would compare the JSON text."""
    if isinstance(node, exp.In):
        operands = [node.this]
        others: list[exp.Expression] = list(node.expressions)
    elif type(node) in _COMPARISONS or isinstance(node, exp.NullSafeEQ | exp.Between):
        if isinstance(node.parent, exp.Update | exp.OnConflict | exp.SetItem):
            return  # an assignment `SET j = …`, not a comparison
        if isinstance(node, exp.Between):
            operands, others = [node.this], [node.args["low"], node.args["high"]]
        else:
            operands = [node.args["this"], node.args["expression"]]
            others = []
    else:
        return
    values = operands + others
    if not any(isinstance(v, exp.JSONExtract) for v in values) or all(
        isinstance(v, exp.JSONExtract) for v in values
    ):
        return  # no JSON, or JSON against JSON: their texts compare
    for value in values:
        if isinstance(value, exp.JSONExtract):
            value.replace(call("__av_json_scalar", value.copy()))


def literal(value: Any) -> exp.Expression:
    """A Python value as a SQL literal node."""
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Literal.number(int(value))
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    if isinstance(value, bytes):
        return exp.HexString(this=value.hex())
    if isinstance(value, Vector):  # a user variable holding a vector stays one
        return exp.Anonymous(this="VEC_FROM_TEXT", expressions=[exp.Literal.string(str(value))])
    return exp.Literal.string(str(value))
