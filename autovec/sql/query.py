"""SELECT (and UNION, VALUES): translate, choose each search's access paths, run."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from autovec import errors
from autovec.sql import exact_search, fulltext, vector_index
from autovec.sql.access_paths import SearchPlan, TextPath, VectorPath
from autovec.sql.plan_cache import PlanKind
from autovec.sql.result import Result
from autovec.sql.statements import handles
from autovec.sql.types import SqlType

if TYPE_CHECKING:
    from autovec.sql.context import ExecContext


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
        raise errors.ProgrammingError(
            f"Incorrect number of bindings: the statement has {len(positional)} placeholders, {len(bindings)} given",
            errors.ER_WRONG_ARGUMENTS,
        )
    named: dict[str, Any] = {}
    for position, index in enumerate(order):
        positional[index].set("this", f"__p{position}")
        named[f"__p{position}"] = bindings[position]
    return named


def name_columns(
    tree: exp.Expression, item_texts: Callable[[], Sequence[str]] = lambda: ()
) -> None:
    """Name result columns as MySQL does: by each item's text as written (``'a'`` → ``a``).

    ``item_texts`` gives the select items as the statement spells them
    (``parser.select_item_texts``; asked only when an item needs it); without them, or
    for items with placeholders, the name is rebuilt from the tree.
    Must run before rewriting, which would otherwise show through (``__av_vec_add``).
    """
    select = tree
    while isinstance(select, exp.SetOperation | exp.Subquery):  # a UNION is named by its first part
        select = select.this
    if not isinstance(select, exp.Select):
        return
    texts: Sequence[str] | None = None
    for index, projection in enumerate(select.expressions):
        if isinstance(projection, exp.Alias | exp.Column | exp.Star):
            continue
        if texts is None:
            texts = item_texts()
            if len(texts) != len(select.expressions):
                texts = ()
        if isinstance(projection, exp.Literal) and projection.is_string:
            name = projection.this
        elif isinstance(projection, exp.National):  # N'x' is named x
            name = projection.name
        elif isinstance(projection, exp.Introducer) and isinstance(
            projection.expression, exp.Literal
        ):
            name = projection.expression.name  # _utf8mb4'x' is named x
        elif texts and projection.find(exp.Placeholder) is None:
            name = texts[index]
        elif isinstance(projection, exp.CurrentSchema):
            name = "DATABASE()"
        elif isinstance(projection, exp.SessionParameter):
            kind = projection.args.get("kind")
            name = f"@@{kind.lower() + '.' if kind else ''}{projection.name}"
        else:
            name = projection.sql(dialect="mysql")
        name = name.replace("\x00", "")  # SQLite statement text ends at a NUL
        projection.replace(exp.alias_(projection.copy(), exp.to_identifier(name, quoted=True)))


#: The vector paths in the order a search asks them: its index where one serves it, then
#: the exact scan, which answers whatever the index declines.
VECTOR_PATHS: tuple[VectorPath, ...] = (vector_index.INDEX_SCAN, exact_search.MATRIX_SCAN)
#: The full-text paths, for EXPLAIN (translate.py, below this table, rewrites through
#: ``fulltext.FULL_TEXT_SCAN`` itself).
TEXT_PATHS: tuple[TextPath, ...] = (fulltext.FULL_TEXT_SCAN,)


def choose_paths(session: ExecContext, search: SearchPlan) -> tuple[VectorPath, ...]:
    """The paths that apply to ``search``, in order, each bound to what it chose."""
    applied = (path.applies(session, search) for path in VECTOR_PATHS)
    return tuple(path for path in applied if path is not None)


@dataclass
class SelectPlan:
    """A translated SELECT that can run again for new bindings without re-parsing."""

    sql: str
    static_types: list[SqlType | None]
    positional: int  # number of ``?`` placeholders renamed to ``:__pN``
    searches: list[SearchPlan] = field(default_factory=list)
    searched_sql: str | None = None  # the statement with the searches' candidate hooks
    warnings: list[tuple[str, int, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.parameter_names = [f"__p{i}" for i in range(self.positional)]

    def run(self, session: ExecContext, bindings: Any) -> Result:
        if isinstance(bindings, list):
            if len(bindings) != self.positional:
                raise errors.ProgrammingError(
                    f"Incorrect number of bindings: the statement has {self.positional} placeholders, "
                    f"{len(bindings)} given",
                    errors.ER_WRONG_ARGUMENTS,
                )
            bindings = dict(zip(self.parameter_names, bindings, strict=True))
        session.warnings.extend(self.warnings)
        if self.searches and self.searched_sql is not None:
            found = exact_search.execute_searches(
                session,
                self.searched_sql,
                self.searches,
                bindings,
                self.static_types,
            )
            if found is not None:
                return found
        result = session.run(self.sql, bindings, self.static_types)
        if result.columns is not None:
            session.found_rows = len(result.rows)
        return result


# SELECTs by session.plan_key (the text first): session.py looks them up before parsing.
SELECT_PLANS: PlanKind[SelectPlan] = PlanKind("select")


def plan_select(
    session: ExecContext, tree: exp.Expression, bindings: Any
) -> tuple[SelectPlan, Any]:
    """Translate a SELECT; returns the plan and the bindings renamed to match it."""
    for select in tree.find_all(exp.Select):
        # FOR UPDATE / FOR SHARE (SQLAlchemy's with_for_update()): SQLite already
        # serializes writers, and sqlglot would log "not supported" for each one.
        select.set("locks", None)
    name_columns(tree, lambda: session.select_item_texts(tree))
    positional = len(bindings) if isinstance(bindings, list) else 0
    bindings = name_placeholders(tree, bindings)
    translator = session.translator
    scope = translator.prepare(tree)
    static_types: list[SqlType | None] = []
    if isinstance(tree, exp.Select):
        decimals = translator.decimal_results
        static_types = [
            translator.output_type(e, scope) or (decimals[i] if i < len(decimals) else None)
            for i, e in enumerate(tree.expressions)
        ]
    plain_sql = session.translator.sql(tree)
    reasons = vector_index.reasons_not_used(session, tree, scope)  # before the tree changes
    searches = exact_search.plan_searches(session, tree, scope, bindings)
    for search in searches:
        search.paths = choose_paths(session, search)
    warnings = vector_index.warnings_for(searches, reasons)
    searched_sql = session.translator.sql(tree) if searches else None
    return SelectPlan(
        plain_sql, static_types, positional, searches, searched_sql, warnings
    ), bindings


@handles(exp.Select, exp.SetOperation, exp.Subquery, exp.Values)
def execute_select(session: ExecContext, tree: exp.Expression, bindings: Any) -> Result:
    raw_bindings = bindings
    session.translator.volatile = False
    select_plan, bindings = plan_select(session, tree, bindings)
    if (
        tree is session.current_tree
        and session.current_text is not None
        and not session.translator.volatile
    ):
        session.plans.remember(
            SELECT_PLANS, session.plan_key(session.current_text, raw_bindings), select_plan
        )
    return select_plan.run(
        session, bindings if not isinstance(raw_bindings, list) else raw_bindings
    )
