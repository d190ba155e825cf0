"""What MySQL's grammar refuses that sqlglot accepts, and literal forms SQLite lacks.

sqlglot is lenient: it parses ``UPPER(DISTINCT a)``, ``LIMIT -1`` and ``LENGTH(*)``, which
MySQL and TiDB reject with 1064. The checks here run on every statement before it is
translated, each for the node class it concerns (a table, as the statement registry is),
over one walk of the tree that the translator shares with the literal rewrites.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlglot import exp

from autovec import errors
from autovec.sql.types import INT64_MAX, UINT64_MAX, wide_integer


def check(nodes: Sequence[exp.Expr]) -> None:
    """Raise MySQL's 1064 for the first node MySQL's grammar would not accept."""
    for node in nodes:
        checker = _CHECKS.get(type(node))
        if checker is not None:
            checker(node)


def _limit(node: exp.Expr) -> None:
    """LIMIT and OFFSET take unsigned integers; ``LIMIT -1`` and ``LIMIT 1.5`` are errors.

    Up to 2^64-1 (MySQL's "all rows") is allowed and handed to SQLite, whose integers
    stop at 2^63-1, clamped.
    """
    value = node.expression
    if isinstance(value, exp.Placeholder | exp.Parameter):
        return
    text = value.this if isinstance(value, exp.Literal) and not value.is_string else None
    if text is None or not str(text).isdigit() or int(text) > UINT64_MAX:
        raise errors.syntax_error_near(
            value.sql(dialect="mysql"), reason="LIMIT and OFFSET take unsigned integers"
        )
    if int(text) > INT64_MAX:
        value.replace(exp.Literal.number(INT64_MAX))


def _distinct(node: exp.Expr) -> None:
    """DISTINCT belongs to SELECT, UNION and aggregates: ``UPPER(DISTINCT a)`` is not SQL."""
    parent = node.parent
    if isinstance(parent, exp.Order):  # GROUP_CONCAT(DISTINCT a ORDER BY b)
        parent = parent.parent
    if isinstance(parent, exp.Select | exp.SetOperation) and node.arg_key == "distinct":
        return
    if isinstance(parent, exp.AggFunc | exp.GroupConcat) and node.expressions:
        return
    raise errors.syntax_error_near(node.sql(dialect="mysql"))


def _star(node: exp.Expr) -> None:
    """``*`` is a select item, ``t.*`` or ``COUNT(*)``; ``LENGTH(*)`` is not SQL."""
    parent = node.parent
    if isinstance(parent, exp.Func) and not isinstance(parent, exp.Count):
        raise errors.syntax_error_near(parent.sql(dialect="mysql"))


def _cast(node: exp.Expr) -> None:
    """A type's lengths are numbers: ``CAST(x AS DECIMAL(@a, 2))`` is not SQL."""
    to = node.args.get("to")
    if not isinstance(to, exp.DataType):
        return
    for param in to.expressions:
        value = param.this if isinstance(param, exp.DataTypeParam) else param
        if isinstance(value, exp.DataType):  # VECTOR<FLOAT>
            continue
        if not (isinstance(value, exp.Literal) and str(value.this).isdigit()):
            raise errors.syntax_error_near(
                to.sql(dialect="mysql"), reason="a type length must be a number"
            )


def _order(node: exp.Expr) -> None:
    """ORDER BY inside a call belongs to aggregates (GROUP_CONCAT) and windows only."""
    parent = node.parent
    misplaced = isinstance(parent, exp.Func) and not isinstance(
        parent, exp.AggFunc | exp.GroupConcat | exp.Window
    )
    if misplaced or not node.args.get("expressions"):
        raise errors.syntax_error_near(node.sql(dialect="mysql").strip())


def _two_or_more(node: exp.Expr) -> None:
    """GREATEST and LEAST compare two values at least (SQLite's one-argument MAX would
    silently aggregate)."""
    if len([node.this, *node.expressions]) < 2:
        raise errors.wrong_parameter_count(type(node).__name__.upper())


_CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], None]] = {
    exp.Greatest: _two_or_more,
    exp.Least: _two_or_more,
    exp.Limit: _limit,
    exp.Offset: _limit,
    exp.Distinct: _distinct,
    exp.Star: _star,
    exp.Cast: _cast,
    exp.Order: _order,
}


def unwrap_set_operands(nodes: Sequence[exp.Expr]) -> None:
    """``(SELECT …) UNION (SELECT …)``: SQLite takes no parentheses around a UNION's parts.

    A part with its own ORDER BY or LIMIT, or a UNION itself (SQLite would re-associate
    it), becomes a derived table instead.
    """
    for operation in [n for n in nodes if isinstance(n, exp.SetOperation)]:
        for side in ("this", "expression"):
            part = operation.args.get(side)
            if not isinstance(part, exp.Subquery) or not isinstance(part.this, exp.Query):
                continue
            inner = part.this
            keeps = ("order", "limit", "offset")
            if isinstance(inner, exp.SetOperation) or any(inner.args.get(k) for k in keeps):
                alias = exp.TableAlias(this=exp.to_identifier(f"__av_{side}"))
                part.replace(exp.select("*").from_(exp.Subquery(this=inner.copy(), alias=alias)))
            else:
                part.replace(inner)


def having_without_grouping(nodes: Sequence[exp.Expr]) -> None:
    """``SELECT …, expr AS d FROM t HAVING d <= 0.5``: MySQL filters rows by select-list
    aliases this way (pytidb's pre-filtered searches do); SQLite refuses HAVING on a query
    that does not aggregate. With neither GROUP BY nor aggregates the HAVING is a WHERE on
    the aliased expressions, and becomes one."""
    for select in [n for n in nodes if isinstance(n, exp.Select)]:
        having = select.args.get("having")
        if having is None or select.args.get("group") is not None:
            continue
        if any(
            part.find(exp.AggFunc, exp.Window) is not None for part in (*select.expressions, having)
        ):
            continue
        aliased = {e.alias.lower(): e.this for e in select.expressions if isinstance(e, exp.Alias)}
        condition = having.this.copy()
        for column in list(condition.find_all(exp.Column)):
            if not column.table and column.name.lower() in aliased:
                column.replace(exp.paren(aliased[column.name.lower()].copy()))
        where = select.args.get("where")
        select.set("having", None)
        select.set(
            "where", exp.Where(this=condition if where is None else exp.and_(where.this, condition))
        )


def exact_literals(nodes: Sequence[exp.Expr]) -> None:
    """Literals SQLite would misread, in forms it keeps exactly.

    - Integers beyond SQLite's int64 (``types.wide_integer``): SQLite would read
      18446744073709551615 as a double; as a padded BLOB it equals and orders with the
      BIGINT UNSIGNED values stored the same way. ``-9223372036854775808`` is SQLite's own
      smallest integer and stays as written.
    - ``_utf8mb4'x'``, ``N'x'``: every string is utf8mb4 here, so a character-set
      introducer changes nothing but for ``_binary``, which makes bytes.
    - A NUL inside a string would end SQLite's statement text: such a literal goes as hex.
    """
    for node in nodes:
        if isinstance(node, exp.Literal):
            _literal(node)
        elif isinstance(node, exp.National):
            node.replace(exp.Literal.string(node.name))
        elif isinstance(node, exp.Introducer):
            if str(node.this).lower() == "_binary":
                node.replace(exp.Cast(this=node.expression, to=exp.DataType.build("BLOB")))
            else:
                node.replace(node.expression)


def _literal(node: exp.Literal) -> None:
    text = str(node.this)
    if node.is_string:
        if "\x00" in text:
            data = exp.HexString(this=text.encode().hex())
            node.replace(exp.Cast(this=data, to=exp.DataType.build("TEXT")))
        return
    if not text.isdigit() or int(text) <= INT64_MAX:
        return
    if isinstance(node.parent, exp.Neg) and int(text) == INT64_MAX + 1:
        return
    wide = wide_integer(int(text))
    node.replace(
        exp.HexString(this=wide.hex()) if isinstance(wide, bytes) else exp.Literal.string(wide)
    )
