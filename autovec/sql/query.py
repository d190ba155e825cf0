"""SELECT (and UNION, VALUES): translate, pick the exact-search fast path when it applies, run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlglot import exp

from autovec.sql import exact_search
from autovec.sql.result import Result
from autovec.sql.types import SqlType

if TYPE_CHECKING:
    from autovec.sql.session import Session


def name_placeholders(tree: exp.Expression, bindings: Any) -> Any:
    """Give positional ``?`` placeholders names (``:__p0``…) in the order SQLite numbers them.

    Parts of a statement (a WHERE clause, a search constant) can then run on their own
    with the same bindings dictionary.
    """
    if not isinstance(bindings, list):
        return bindings
    positional = [p for p in tree.find_all(exp.Placeholder) if not p.this]
    if not positional:
        return bindings
    for index, node in enumerate(positional):
        node.set("this", f"__m{index}")
    text = tree.sql(dialect="sqlite")
    order = sorted(range(len(positional)), key=lambda i: text.index(f":__m{i}"))
    if len(bindings) != len(positional):
        from autovec import errors

        raise errors.ProgrammingError(
            f"Incorrect number of bindings: the statement has {len(positional)} placeholders, {len(bindings)} given",
            errors.ER_WRONG_ARGUMENTS,
        )
    named: dict[str, Any] = {}
    for position, index in enumerate(order):
        positional[index].set("this", f"__p{position}")
        named[f"__p{position}"] = bindings[position]
    return named


def name_columns(tree: exp.Expression) -> None:
    """Name result columns as MySQL does: by the expression's text (``'a'`` → ``a``).

    Must run before rewriting, which would otherwise show through (``__av_vec_add``).
    """
    if not isinstance(tree, exp.Select):
        return
    for projection in tree.expressions:
        if isinstance(projection, exp.Alias | exp.Column | exp.Star):
            continue
        if isinstance(projection, exp.Literal) and projection.is_string:
            name = projection.this
        elif isinstance(projection, exp.CurrentSchema):
            name = "DATABASE()"
        elif isinstance(projection, exp.SessionParameter):
            kind = projection.args.get("kind")
            name = f"@@{kind.lower() + '.' if kind else ''}{projection.name}"
        else:
            name = projection.sql(dialect="mysql")
        projection.replace(exp.alias_(projection.copy(), exp.to_identifier(name, quoted=True)))


def execute_select(session: Session, tree: exp.Expression, bindings: Any) -> Result:
    for select in tree.find_all(exp.Select):
        # FOR UPDATE / FOR SHARE (SQLAlchemy's with_for_update()): SQLite already
        # serializes writers, and sqlglot would log "not supported" for each one.
        select.set("locks", None)
    name_columns(tree)
    bindings = name_placeholders(tree, bindings)
    scope = session.translator.prepare(tree)
    static_types: list[SqlType | None] = []
    if isinstance(tree, exp.Select):
        static_types = [session.translator.output_type(e, scope) for e in tree.expressions]
    fast = exact_search.try_execute(session, tree, scope, bindings, static_types)
    if fast is not None:
        return fast
    result = session.run(session.translator.sql(tree), bindings, static_types)
    if result.columns is not None:
        session.found_rows = len(result.rows)
    return result
