"""MySQL's DECIMAL result types for arithmetic, so ``SELECT 0.1 + 0.2`` prints ``0.3``.

In MySQL a literal written with a decimal point is an exact DECIMAL, and arithmetic on
DECIMALs and integers stays DECIMAL with a scale fixed by the statement: the larger
scale for ``+``/``-``, the sum for ``*``, the dividend's plus 4
(``div_precision_increment``) for ``/``, which makes ``10 / 4`` give ``2.5000``. SQLite
computes these in doubles; the result column gets the DECIMAL type MySQL would give it,
and its values are rounded to that scale on the way out (exact to ~15 significant
digits, a double's precision).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlglot import exp

from autovec.sql.types import INTEGER_RANGES, SqlType

DIV_PRECISION_INCREMENT = 4
MAX_SCALE = 30
MAX_PRECISION = 65


@dataclass(frozen=True)
class Numeric:
    """What MySQL makes of a numeric expression: an integer, a DECIMAL(_, scale), or not."""

    kind: str  # "int" | "decimal"
    scale: int = 0


INT = Numeric("int")
ColumnType = Callable[[exp.Column], SqlType | None]


def decimal_result(node: exp.Expression, column_type: ColumnType) -> SqlType | None:
    """The DECIMAL type of a select item that MySQL computes exactly, else None."""
    inner = node.this if isinstance(node, exp.Alias) else node
    found = numeric(inner, column_type)
    if found is None or found.kind != "decimal":
        return None
    return SqlType("decimal", MAX_PRECISION, min(found.scale, MAX_SCALE))


def numeric(node: exp.Expression, column_type: ColumnType) -> Numeric | None:
    """None when the expression is not exact in MySQL (a double, a string, unknown)."""
    if isinstance(node, exp.Literal) and not node.is_string:
        return _literal(str(node.this))
    if isinstance(node, exp.Column):
        return _column(column_type(node))
    if isinstance(node, exp.Paren | exp.Neg | exp.Abs | exp.Max | exp.Min):
        return numeric(node.this, column_type)
    if isinstance(node, exp.Add | exp.Sub | exp.Mod):
        return _combine(node, column_type, lambda a, b: max(a, b))
    if isinstance(node, exp.Mul):
        return _combine(node, column_type, lambda a, b: a + b)
    if isinstance(node, exp.Div):
        left = numeric(node.this, column_type)
        right = numeric(node.expression, column_type)
        if left is None or right is None:
            return None
        return Numeric("decimal", left.scale + DIV_PRECISION_INCREMENT)
    if isinstance(node, exp.IntDiv):
        return INT
    if isinstance(node, exp.Cast) and node.to.this == exp.DataType.Type.DECIMAL:
        params = node.to.expressions
        scale = params[1].this if len(params) > 1 else None
        scale_text = str(scale.this) if isinstance(scale, exp.Literal) else "0"
        return Numeric("decimal", int(scale_text) if scale_text.isdigit() else 0)
    if isinstance(node, exp.Sum):
        inner = numeric(node.this, column_type)
        return None if inner is None else Numeric("decimal", inner.scale)
    if isinstance(node, exp.Avg):
        inner = numeric(node.this, column_type)
        return None if inner is None else Numeric("decimal", inner.scale + DIV_PRECISION_INCREMENT)
    if isinstance(node, exp.Round):
        inner = numeric(node.this, column_type)
        digits = node.args.get("decimals")
        if inner is None or inner.kind != "decimal":
            return inner
        if digits is None:
            return Numeric("decimal", 0)
        if isinstance(digits, exp.Literal) and str(digits.this).isdigit():
            return Numeric("decimal", min(inner.scale, int(digits.this)))
        return None
    return None


def _literal(text: str) -> Numeric | None:
    if "e" in text.lower():
        return None  # 1e3 is a DOUBLE
    if "." in text:
        return Numeric("decimal", len(text.split(".", 1)[1]))
    if text.isdigit() and int(text) > 2**63 - 1:
        return Numeric("decimal", 0)
    return INT


def _column(sql_type: SqlType | None) -> Numeric | None:
    if sql_type is None:
        return None
    if sql_type.name == "decimal":
        return Numeric("decimal", sql_type.scale or 0)
    if sql_type.name in INTEGER_RANGES:
        return INT
    return None


def _combine(
    node: exp.Expression, column_type: ColumnType, scale: Callable[[int, int], int]
) -> Numeric | None:
    left = numeric(node.this, column_type)
    right = numeric(node.expression, column_type)
    if left is None or right is None:
        return None
    if left.kind == right.kind == "int":
        return INT
    return Numeric("decimal", scale(left.scale, right.scale))


_COMPARISONS = (exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE, exp.NullSafeEQ)
_ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div)


def exact_comparisons(nodes: Sequence[exp.Expr], column_type: ColumnType) -> None:
    """Compare computed DECIMALs at their scale: ``a + 0.2 = 0.3`` holds as in MySQL.

    SQLite's doubles make 0.1 + 0.2 differ from 0.3 in the last bit; rounding both sides
    to the comparison's DECIMAL scale removes that. Plain ``column = literal``
    comparisons (the indexable ones) need no rounding and are left alone.
    """
    if not any(isinstance(n, _ARITHMETIC) for n in nodes):
        return
    for node in [n for n in nodes if isinstance(n, _COMPARISONS)]:
        left, right = node.this, node.expression
        if not any(side.find(*_ARITHMETIC) for side in (left, right)):
            continue
        kinds = [numeric(side, column_type) for side in (left, right)]
        if any(k is None for k in kinds) or all(k.kind == "int" for k in kinds if k):
            continue
        scale = min(MAX_SCALE, max(k.scale for k in kinds if k))
        for side in (left, right):
            side.replace(exp.Round(this=side.copy(), decimals=exp.Literal.number(scale)))
