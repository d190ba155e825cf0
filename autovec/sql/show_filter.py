"""``SHOW … WHERE condition``: the condition applied to the rows a SHOW statement made.

MySQL evaluates it over the SHOW's own columns (``SHOW INDEXES FROM t WHERE Column_name
= 'v' AND Index_type = 'HNSW'``, as pytidb sends). The rows are built in Python, so the
condition is too: comparisons, LIKE, IN, IS [NOT] NULL, NOT, AND, OR. Strings compare
case-insensitively, as SHOW's utf8 general collation does; numbers compare as numbers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from sqlglot import exp

from autovec import errors
from autovec.sql.result import Result

_ORDERINGS: dict[type[exp.Expression], Callable[[Any, Any], bool]] = {
    exp.EQ: lambda a, b: a == b,
    exp.NEQ: lambda a, b: a != b,
    exp.GT: lambda a, b: a > b,
    exp.GTE: lambda a, b: a >= b,
    exp.LT: lambda a, b: a < b,
    exp.LTE: lambda a, b: a <= b,
}


def filter_rows(result: Result, condition: exp.Expression, bindings: Any = None) -> Result:
    """``result`` with only the rows for which ``condition`` is true; its ``?`` or
    ``:name`` parameters take their values from ``bindings``."""
    assert result.columns is not None
    condition = _bind(condition.copy(), bindings)
    names = [column.name.lower() for column in result.columns]
    kept = [row for row in result.rows if _truth(condition, dict(zip(names, row, strict=True)))]
    return Result(columns=result.columns, rows=kept, rowcount=len(kept))


def _bind(condition: exp.Expression, bindings: Any) -> exp.Expression:
    placeholders = list(condition.find_all(exp.Placeholder))
    for position, placeholder in enumerate(placeholders):
        name = placeholder.name
        try:
            value = bindings[name] if isinstance(bindings, dict) and name else bindings[position]
        except (KeyError, IndexError, TypeError):
            raise errors.ProgrammingError(
                "missing query parameter in SHOW … WHERE", errors.ER_WRONG_ARGUMENTS
            ) from None
        if value is None:
            placeholder.replace(exp.Null())
        elif isinstance(value, bool | int | float):
            placeholder.replace(
                exp.Literal.number(int(value) if isinstance(value, bool) else value)
            )
        else:
            placeholder.replace(exp.Literal.string(str(value)))
    return condition


def _truth(node: exp.Expression, row: dict[str, Any]) -> bool | None:
    """SQL's three-valued truth of ``node`` for one row (None: unknown)."""
    if isinstance(node, exp.Paren):
        return _truth(node.this, row)
    if isinstance(node, exp.And):
        left, right = _truth(node.this, row), _truth(node.expression, row)
        if left is False or right is False:
            return False
        return None if left is None or right is None else True
    if isinstance(node, exp.Or):
        left, right = _truth(node.this, row), _truth(node.expression, row)
        if left or right:
            return True
        return None if left is None or right is None else False
    if isinstance(node, exp.Not):
        inner = _truth(node.this, row)
        return None if inner is None else not inner
    if isinstance(node, exp.Is):
        value = _value(node.this, row)
        return value is None if isinstance(node.expression, exp.Null) else None
    if isinstance(node, exp.In):
        value = _value(node.this, row)
        options = [_value(option, row) for option in node.expressions]
        if value is None:
            return None
        return any(_compare(exp.EQ, value, option) for option in options if option is not None)
    if isinstance(node, exp.Like):
        value, pattern = _value(node.this, row), _value(node.expression, row)
        if value is None or pattern is None:
            return None
        return _like(str(pattern)).fullmatch(str(value)) is not None
    compare = _ORDERINGS.get(type(node))
    if compare is not None:
        left, right = _value(node.this, row), _value(node.expression, row)
        return None if left is None or right is None else _compare(type(node), left, right)
    value = _value(node, row)
    return None if value is None else bool(_number(value))


def _value(node: exp.Expression, row: dict[str, Any]) -> Any:
    if isinstance(node, exp.Paren):
        return _value(node.this, row)
    if isinstance(node, exp.Column | exp.Identifier) and not getattr(node, "table", ""):
        name = node.name.lower()
        if name not in row:
            raise errors.unknown_column(node.name, "where clause")
        return row[name]
    if isinstance(node, exp.Null):
        return None
    if isinstance(node, exp.Boolean):
        return 1 if node.this else 0
    if isinstance(node, exp.Literal):
        return node.this if node.is_string else _number(node.this)
    if isinstance(node, exp.Neg):
        return -_number(_value(node.this, row))
    raise errors.unsupported(f"SHOW … WHERE with {node.sql(dialect='mysql')}")


def _compare(kind: type[exp.Expression], left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        left, right = left.lower(), right.lower()
    elif isinstance(left, str) or isinstance(right, str):
        left, right = _number(left), _number(right)
    return _ORDERINGS[kind](left, right)


def _number(value: Any) -> float:
    """A value as MySQL reads it as a number: a string's leading digits, else 0."""
    if isinstance(value, int | float):
        return float(value)
    match = re.match(r"\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", str(value))
    return float(match.group(0)) if match else 0.0


def _like(pattern: str) -> re.Pattern[str]:
    """A LIKE pattern (``%``, ``_``, ``\\`` escapes) as a case-insensitive regex."""
    parts: Sequence[str] = re.findall(r"\\.|%|_|[^%_\\]+|\\", pattern)
    regex = "".join(
        ".*"
        if p == "%"
        else "."
        if p == "_"
        else re.escape(p[1:] if p.startswith("\\") and len(p) == 2 else p)
        for p in parts
    )
    return re.compile(regex, re.IGNORECASE | re.DOTALL)
