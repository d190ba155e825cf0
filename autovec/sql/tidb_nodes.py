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


class SecondaryIndex(exp.Expression):
    """What CREATE VECTOR INDEX, ALTER TABLE … ADD VECTOR INDEX and CREATE FULLTEXT INDEX
    share. ``this``: the table; ``name``: the index's name (an identifier, absent when
    the statement names none); ``exists``: IF NOT EXISTS; the options written after the
    key part, in any order: ``using`` (HNSW), ``comment`` (a string literal), ``parser``
    (WITH PARSER's name), ``visible`` (False for INVISIBLE). ``more_changes``: a comma
    follows the key part (TiDB refuses other changes together with a vector index);
    ``unreadable``: the text after the key part, as a string literal, when it is not
    these options (refused as a syntax error when the statement runs)."""

    arg_types: ClassVar[dict[str, bool]] = {
        "this": True,
        "name": False,
        "exists": False,
        "using": False,
        "comment": False,
        "parser": False,
        "visible": False,
        "more_changes": False,
        "unreadable": False,
    }


class VectorIndex(SecondaryIndex):
    """A vector index's DDL; ``expression``: the distance function of the column it
    indexes, as parsed (``(VEC_COSINE_DISTANCE(v))``)."""

    arg_types: ClassVar[dict[str, bool]] = {**SecondaryIndex.arg_types, "expression": True}


class CreateVectorIndex(VectorIndex):
    """``CREATE VECTOR INDEX|KEY [IF NOT EXISTS] name ON t ((VEC_…_DISTANCE(col))) …``."""


class AddVectorIndex(VectorIndex):
    """``ALTER TABLE t ADD VECTOR INDEX|KEY [IF NOT EXISTS] [name] ((VEC_…_DISTANCE(col))) …``."""


class CreateFulltextIndex(SecondaryIndex):
    """``CREATE FULLTEXT INDEX|KEY [IF NOT EXISTS] name ON t (cols) [WITH PARSER p] …``;
    ``expressions``: the columns (identifiers)."""

    arg_types: ClassVar[dict[str, bool]] = {**SecondaryIndex.arg_types, "expressions": True}


class MultiSchemaVectorIndex(exp.Expression):
    """``ALTER TABLE t <change>, …, ADD VECTOR INDEX …``: a vector index added together
    with other changes, which TiDB refuses; ``this``: the table."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True}


class IgnoredStatement(exp.Expression):
    """A statement TiDB's clients send that has no effect on an embedded database (FLUSH,
    CREATE/DROP USER, GRANT, REVOKE, LOCK/UNLOCK TABLES, ANALYZE, OPTIMIZE); ``this``:
    its leading words, upper case, as a Var (``CREATE USER``)."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True}
