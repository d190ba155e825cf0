"""MySQL built-in functions on SQLite (stub; extended below)."""

from __future__ import annotations

import apsw
from sqlglot import exp


def register(conn: apsw.Connection) -> None:
    """Register MySQL-compatible UDFs on *conn*."""


def rewrite(expression: exp.Expression) -> exp.Expression:
    """Rewrite MySQL function nodes in place before SQLite generation."""
    return expression
