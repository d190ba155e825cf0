"""Statement nodes for the TiDB statements sqlglot does not model.

The TiDB parser (parser.py) builds these; the statement modules register their handlers
by node class, as for sqlglot's own nodes. Imports sqlglot only.
"""

from __future__ import annotations

from typing import ClassVar

from sqlglot import exp


class Savepoint(exp.Expression):
    """``SAVEPOINT name``; ``this``: the savepoint's name (an identifier)."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True}


class ReleaseSavepoint(exp.Expression):
    """``RELEASE SAVEPOINT name``; ``this``: the savepoint's name (an identifier)."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True}


class SetTiflashReplica(exp.Expression):
    """``ALTER TABLE t SET TIFLASH REPLICA n``; ``this``: the table, ``count``: n."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "count": True}


class CompactTable(exp.Expression):
    """``ALTER TABLE t COMPACT …`` (TiFlash housekeeping); ``this``: the table."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True}


class RenamePair(exp.Expression):
    """``a TO b`` of RENAME TABLE; ``this``: the table, ``to``: its new name."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "to": True}


class RenameTables(exp.Expression):
    """``RENAME TABLE[S] a TO b[, c TO d]``; ``expressions``: each pair in order, a
    RenamePair, or the pair's text as a string literal when it is malformed (TiDB renames
    the pairs before it, then refuses it)."""

    arg_types: ClassVar[dict[str, bool]] = {"expressions": True}
