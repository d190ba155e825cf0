"""pytidb's filters, compiled to one SQLAlchemy boolean expression.

A filter is one of:

* a dict: ``{"age": {"$gte": 18, "$lt": 65}, "city": "Paris", "$or": [{...}, {...}]}`` —
  ``$eq $ne $gt $gte $lt $lte $in $nin`` on a column (a bare value means ``$eq``;
  several operators on one column are ANDed), ``$and`` / ``$or`` over lists of dicts,
  and ``"col.field"`` keys for ``JSON_EXTRACT(col, '$.field')`` (one level, as pytidb);
* a raw SQL string (``"age >= 18"``), used as is;
* a SQLAlchemy expression (``Doc.age >= 18``), whose columns are re-pointed at the
  target (so a filter written against the model also works on a search's subquery).

``compile_filter(target, filters)`` accepts the model class, its ``Table``, or any
``FromClause`` with the same column names (an alias or subquery).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

import sqlalchemy as sa
from sqlalchemy.sql import visitors
from sqlmodel import SQLModel

__all__ = ["FilterTarget", "Filters", "compile_filter", "filter_clauses"]

Filters: TypeAlias = Mapping[str, Any] | str | sa.ColumnElement[bool]
FilterTarget: TypeAlias = type[SQLModel] | sa.FromClause

_AND, _OR = "$and", "$or"
_COMPARE = ("$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin")
_JSON_FIELD = re.compile(r"^(?P<column>[A-Za-z_][A-Za-z0-9_]*)\.(?P<field>[A-Za-z_][A-Za-z0-9_]*)$")


def _columns(target: FilterTarget) -> sa.ColumnCollection[str, sa.ColumnElement[Any]]:
    if isinstance(target, sa.FromClause):
        return target.c
    table = getattr(target, "__table__", None)
    if isinstance(table, sa.Table):
        return table.c
    raise TypeError(f"cannot filter on {target!r}: expected a table model or a FROM clause")


def compile_filter(target: FilterTarget, filters: Filters | None) -> sa.ColumnElement[bool]:
    """``filters`` as one boolean expression over ``target`` (``true`` for none)."""
    clauses = filter_clauses(target, filters)
    if not clauses:
        return sa.true()
    return clauses[0] if len(clauses) == 1 else sa.and_(*clauses)


def filter_clauses(target: FilterTarget, filters: Filters | None) -> list[sa.ColumnElement[bool]]:
    """``filters`` as a list of conditions to AND (empty for ``None`` or ``{}``)."""
    if filters is None:
        return []
    if isinstance(filters, str):
        return [sa.text(filters)] if filters.strip() else []  # type: ignore[list-item]
    if isinstance(filters, Mapping):
        return _dict_clauses(_columns(target), filters)
    if isinstance(filters, sa.ColumnElement):
        return [_retarget(filters, _columns(target))]
    raise ValueError(f"Unsupported filters: {type(filters).__name__}")


def _dict_clauses(
    columns: sa.ColumnCollection[str, sa.ColumnElement[Any]], filters: Mapping[str, Any]
) -> list[sa.ColumnElement[bool]]:
    out: list[sa.ColumnElement[bool]] = []
    for key, value in filters.items():
        lowered = key.lower()
        if lowered in (_AND, _OR):
            if not isinstance(value, Sequence) or isinstance(value, str):
                raise TypeError(f"Expect a list value for {key} operator, but got {type(value)}")
            parts: list[sa.ColumnElement[bool]] = []
            for item in value:
                if not isinstance(item, Mapping):
                    raise TypeError(f"Expect dict items in {key}, but got {type(item)}")
                inner = _dict_clauses(columns, item)
                if inner:
                    parts.append(inner[0] if len(inner) == 1 else sa.and_(*inner))
            if parts:
                out.append(sa.and_(*parts) if lowered == _AND else sa.or_(*parts))
            continue
        if key.startswith("$"):
            raise ValueError(f"Unknown filter operator {key} at the top level")
        column: sa.ColumnElement[Any]
        if key in columns:
            column = columns[key]
        else:
            match = _JSON_FIELD.match(key)
            if match is None or match["column"] not in columns:
                raise ValueError(
                    f"Got unexpected filter key: {key}, please use valid column name instead"
                )
            column = sa.func.json_extract(columns[match["column"]], f"$.{match['field']}")
        conditions = value if isinstance(value, Mapping) else {"$eq": value}
        clause = _column_clause(column, conditions)
        if clause is not None:
            out.append(clause)
    return out


def _column_clause(
    column: sa.ColumnElement[Any], conditions: Mapping[str, Any]
) -> sa.ColumnElement[bool] | None:
    parts: list[sa.ColumnElement[bool]] = []
    for operator, value in conditions.items():
        op = operator.lower()
        if op == "$eq":
            parts.append(column.is_(None) if value is None else column == value)
        elif op == "$ne":
            parts.append(column.is_not(None) if value is None else column != value)
        elif op == "$gt":
            parts.append(column > value)
        elif op == "$gte":
            parts.append(column >= value)
        elif op == "$lt":
            parts.append(column < value)
        elif op == "$lte":
            parts.append(column <= value)
        elif op in ("$in", "$nin"):
            if isinstance(value, str) or not isinstance(value, Sequence | set | frozenset):
                raise TypeError(f"Expect a list value for {operator}, but got {type(value)}")
            clause = column.in_(list(value))
            parts.append(clause if op == "$in" else sa.not_(clause))
        else:
            raise ValueError(
                f"Unknown filter operator {operator}. Consider using one of "
                + ", ".join(_COMPARE)
                + "."
            )
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else sa.and_(*parts)


def _retarget(
    expression: sa.ColumnElement[bool], columns: sa.ColumnCollection[str, sa.ColumnElement[Any]]
) -> sa.ColumnElement[bool]:
    """Point table columns in ``expression`` at ``columns`` of the same name."""

    def replace(element: Any, **_kw: Any) -> Any:
        if isinstance(element, sa.Column) and element.name in columns:
            target = columns[element.name]
            return None if target is element else target
        return None

    opts: dict[str, Any] = {}
    return visitors.replacement_traverse(expression, opts, replace)
