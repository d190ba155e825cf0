"""Which function runs each kind of statement: a lookup table the statement modules fill.

A module registers a handler for the node classes it owns, sqlglot's and TiDB's own
(tidb_nodes.py), as sqlglot's own ``STATEMENT_PARSERS`` map tokens to parsers;
session.py imports the modules once, so that the table is full, and only looks handlers
up. Dispatch is one dict lookup by node class: it is on the path of every statement.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlglot import exp

from autovec import errors
from autovec.sql.context import ExecContext
from autovec.sql.result import Result

# handler(context, tree, bindings): runs one parsed statement.
StatementHandler = Callable[[ExecContext, Any, Any], Result]

_HANDLERS: dict[type[exp.Expression], StatementHandler | None] = {}

Handler = TypeVar("Handler", bound=Callable[..., Result])


def handles(*node_classes: type[exp.Expression]) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of these statement node classes."""

    def register(handler: Handler) -> Handler:
        for node_class in node_classes:
            if _HANDLERS.get(node_class) is not None:
                raise RuntimeError(f"two handlers for {node_class.__name__}")
            _HANDLERS[node_class] = handler
        return handler

    return register


def handler_for(tree: exp.Expression) -> StatementHandler:
    """The handler of a statement; 'not supported' when no module owns its kind."""
    kind = type(tree)
    try:
        handler = _HANDLERS[kind]
    except KeyError:
        # A subclass of a registered class (exp.Union of exp.SetOperation): found once
        # through the class hierarchy, then remembered under its own class.
        handler = next((_HANDLERS[c] for c in kind.__mro__[1:] if c in _HANDLERS), None)
        _HANDLERS[kind] = handler
    if handler is None:
        raise errors.unsupported(
            f"This statement is not supported by autovec: {tree.sql(dialect='mysql')[:80]}"
        )
    return handler
