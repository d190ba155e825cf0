"""What executing one statement returns: a result set or an affected-row count."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from autovec.sql.types import SqlType


@dataclass(frozen=True)
class ResultColumn:
    name: str
    type: SqlType
    nullable: bool = True
    table: str | None = None  # origin table, when the column reads one
    database: str | None = None

    @cached_property
    def description(self) -> tuple[Any, ...]:
        """The PEP 249 7-tuple: name, type_code, display_size, internal_size, precision, scale, null_ok."""
        t = self.type
        precision = t.length if t.name == "decimal" else None
        scale = t.scale if t.name == "decimal" else None
        return (self.name, t.type_code, t.display_size(), None, precision, scale, self.nullable)


@dataclass
class Result:
    columns: list[ResultColumn] | None = None  # None: the statement returns no rows
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    rowcount: int = -1
    lastrowid: int | None = None
    message: str | None = None  # e.g. progress text shown by the shell

    @property
    def is_query(self) -> bool:
        return self.columns is not None

    @classmethod
    def table(
        cls,
        names: Sequence[str],
        rows: list[tuple[Any, ...]],
        types: Sequence[SqlType] | None = None,
    ) -> Result:
        """A result set built in Python (SHOW …); types default to VARCHAR."""
        default = SqlType("varchar", 255)
        cols = [ResultColumn(n, types[i] if types else default) for i, n in enumerate(names)]
        return cls(columns=cols, rows=rows, rowcount=len(rows))
