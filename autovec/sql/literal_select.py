"""SELECTs written with literal values, planned once per shape (a non-prepared plan cache).

A client that interpolates its parameters sends every search as new text:
``… ORDER BY VEC_COSINE_DISTANCE(v, '[0.1, …]') LIMIT 10``, ``… WHERE id = 123``. The plan
cache is keyed by text, so each would be parsed and translated afresh. Here the literals
in two positions are taken out of the text as named parameters (``:__l0``…), and the
plan of the resulting shape is cached and run with them, as TiDB's non-prepared plan
cache does:

- the query vector of a distance function, ``VEC_<M>_DISTANCE(col, '…')`` (either order),
  a string either way (``exact_search`` and the distance functions read both alike);
- an integer compared with an integer column in the WHERE clause, ``col = 123``.

A shape is used only after its parsed tree confirms each parameter is where the text
suggested: an argument of the distance function beside a column, or a comparison of an
integer column that is a plain condition of the WHERE clause. A parameter inside a select
item needs that item to be aliased (an unaliased item is named by its text). Shapes that
fail these checks are remembered as such, and run as written, as are statements with
placeholders, comments or other oddities in their text.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import apsw
from sqlglot import exp

from autovec import errors
from autovec.sql import query
from autovec.sql.literals import STRING, string_value
from autovec.sql.parser import parse
from autovec.sql.plan_cache import PlanKind
from autovec.sql.query import SelectPlan
from autovec.sql.translate import DISTANCE_FUNCTIONS, function_name
from autovec.sql.types import INT64_MAX, INTEGER_RANGES
from autovec.vector import VectorError

if TYPE_CHECKING:
    from autovec.sql.context import ExecContext

_COLUMN = r"(?:`(?:[^`]|``)++`|[\w$]++)(?:\.(?:`(?:[^`]|``)++`|[\w$]++))*+"
_DISTANCE = r"\bVEC_(?:COSINE_DISTANCE|L2_DISTANCE|L1_DISTANCE|NEGATIVE_INNER_PRODUCT)\s*+\(\s*+"
# One left-to-right pass: quoted text is consumed whole, so the two positions are only
# ever found in the statement's own text; anything that could make parameters or
# comments out of it (?, :name, --, #, /*) stops the pass.
_LEXEME = re.compile(
    rf"(?P<after_column>{_DISTANCE}{_COLUMN}\s*+,\s*+)(?P<vector>{STRING})(?=\s*+\))"
    rf"|(?P<before_column>{_DISTANCE})(?P<vector_first>{STRING})(?=\s*+,\s*+{_COLUMN}\s*+\))"
    rf"|(?P<compared>\b(?:WHERE|AND|OR)\s++{_COLUMN}\s*+=\s*+)(?P<integer>\d++)"
    r"(?=\s*+(?:\Z|;|\)|(?:AND|OR|LIMIT|ORDER|GROUP)\b))"
    rf"|{STRING}|\"(?:[^\"\\]|\\.|\"\")*+\"|`(?:[^`]|``)*+`"
    r"|(?P<stop>[?:#]|--|/\*)",
    re.I | re.S,
)
_SELECT = re.compile(r"\s*+SELECT\b", re.I)
_SHAPE = "literal shape"  # the plan cache key's first part, apart from other keys
_NOT_SHAPED = "not shaped"  # remembered for shapes whose parameters are not where expected
# Plans of literal shapes, keyed by _SHAPE and the shape's plan_key.
SHAPED_PLANS: PlanKind[SelectPlan | str] = PlanKind("literal shape")
_VECTOR, _INTEGER = "vector", "integer"


def shape(text: str) -> tuple[str, dict[str, Any], list[str]] | None:
    """The text with its literals as ``:__lN``, their values, and each one's kind."""
    if _SELECT.match(text) is None:
        return None
    parts: list[str] = []
    values: dict[str, Any] = {}
    kinds: list[str] = []
    end = 0
    for match in _LEXEME.finditer(text):
        if match.group("stop") is not None:
            return None
        group = next((g for g in ("vector", "vector_first", "integer") if match.group(g)), None)
        if group is None:
            continue
        token = match.group(group)
        if group == _INTEGER:
            if int(token) > INT64_MAX:
                continue  # SQLite reads it as a double; the translator keeps it exact
            value: Any = int(token)
        else:
            value = string_value(token)
        name = f"__l{len(kinds)}"
        parts += [text[end : match.start(group)], f":{name}"]
        end = match.end(group)
        values[name] = value
        kinds.append(_INTEGER if group == _INTEGER else _VECTOR)
    if not kinds:
        return None
    parts.append(text[end:])
    return "".join(parts), values, kinds


def shaped_plan(session: ExecContext, text: str) -> tuple[SelectPlan | None, dict[str, Any] | None]:
    """The cached plan of the statement's shape and the bindings to run it with, or Nones."""
    found = shape(text)
    if found is None:
        return None, None
    shaped, values, kinds = found
    key = (_SHAPE, *session.plan_key(shaped, values))
    plan = session.plans.get(SHAPED_PLANS, key)
    if plan is None:
        plan, cacheable = _plan(session, shaped, values, kinds)
        if plan is None:
            return None, None
        if cacheable:
            session.plans.remember(SHAPED_PLANS, key, plan)
    if isinstance(plan, str):  # _NOT_SHAPED, the only text remembered
        return None, None
    return plan, values


def _plan(
    session: ExecContext, shaped: str, values: dict[str, Any], kinds: list[str]
) -> tuple[Any, bool]:
    """A plan for the shape (or _NOT_SHAPED), and whether it may be cached."""
    try:
        trees = parse(shaped)
    except errors.Error:
        return _NOT_SHAPED, True
    tree = trees[0] if len(trees) == 1 else None
    if not isinstance(tree, exp.Select):
        return _NOT_SHAPED, True
    placeholders = {str(p.this): p for p in tree.find_all(exp.Placeholder)}
    if len(placeholders) != len(kinds):
        return _NOT_SHAPED, True
    try:
        for index, kind in enumerate(kinds):
            placeholder = placeholders.get(f"__l{index}")
            fits = _is_query_vector if kind == _VECTOR else _is_compared_integer
            if placeholder is None or not _unnamed_item_free(placeholder):
                return _NOT_SHAPED, True
            if not fits(session, tree, placeholder):
                return _NOT_SHAPED, True
        previous = session.current_tree, session.current_source
        # Result columns are named from the text of the select items (none of which
        # holds a parameter unless aliased).
        session.current_tree, session.current_source = tree, shaped
        session.translator.volatile = False
        try:
            plan, _bindings = query.plan_select(session, tree, dict(values))
        finally:
            session.current_tree, session.current_source = previous
    except (errors.Error, apsw.Error, VectorError):
        return None, False  # as written, the statement reports its own error
    return plan, not session.translator.volatile


def _unnamed_item_free(node: exp.Expr) -> bool:
    """Whether no select item without an alias holds ``node``."""
    while node.parent is not None:
        parent = node.parent
        if (
            isinstance(parent, exp.Select)
            and node.arg_key == "expressions"
            and not isinstance(node, exp.Alias)
        ):
            return False
        node = parent
    return True


def _is_query_vector(_session: ExecContext, _tree: exp.Select, placeholder: exp.Expression) -> bool:
    """An argument of a distance function whose other argument is a column."""
    call = placeholder.parent
    if not isinstance(call, exp.Anonymous) or function_name(call) not in DISTANCE_FUNCTIONS:
        return False
    others = [a for a in call.expressions if a is not placeholder]
    return len(call.expressions) == 2 and len(others) == 1 and isinstance(others[0], exp.Column)


def _is_compared_integer(
    session: ExecContext, tree: exp.Select, placeholder: exp.Expression
) -> bool:
    """``int_column = :p``, a condition of the WHERE of a SELECT from one table."""
    comparison = placeholder.parent
    if not isinstance(comparison, exp.EQ) or comparison.expression is not placeholder:
        return False
    column = comparison.this
    node: exp.Expr | None = comparison.parent
    while isinstance(node, exp.And | exp.Or | exp.Paren):
        node = node.parent
    if (
        not isinstance(column, exp.Column)
        or not isinstance(node, exp.Where)
        or column.args.get("db")
    ):
        return False
    tables = list(tree.find_all(exp.Table))
    if len(tables) != 1 or node.parent is not tree:
        return False
    table = tables[0]
    if column.table and column.table.lower() != table.alias_or_name.lower():
        return False
    definition = session.table(table.db or None, table.name).column(column.name)
    return definition is not None and definition.type.name in INTEGER_RANGES
