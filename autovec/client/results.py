"""What ``client.execute()``, ``client.query()`` and ``table.query()`` return (pytidb's)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel
from pydantic import Field as PydanticField
from sqlmodel import SQLModel

from autovec.client.dumps import fields_dumper

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["QueryResult", "SQLExecuteResult", "SQLModelQueryResult", "SQLQueryResult"]

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T", bound=SQLModel)


class SQLExecuteResult(BaseModel):
    """``execute()``: how many rows a statement touched, or why it failed."""

    rowcount: int = PydanticField(0)
    success: bool = PydanticField(False)
    message: str | None = PydanticField(None)


def _import_pandas() -> Any:
    # pandas is an optional dependency (``pip install autovec[pandas]``): imported only
    # when a result is converted to a DataFrame.
    try:
        import pandas
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "to_pandas() needs pandas: pip install pandas (or autovec[pandas])"
        ) from exc
    return pandas


class QueryResult:
    """Common conversions of a list of rows."""

    def to_list(self) -> list[dict[str, Any]]:
        raise NotImplementedError

    def to_pandas(self) -> pd.DataFrame:
        return _import_pandas().DataFrame(self.to_list())


class SQLQueryResult(QueryResult):
    """``client.query()``: the rows of a statement, fetched before its session closed."""

    def __init__(self, result: sa.Result[Any]) -> None:
        # A statement without rows (DDL, SET) gives a CursorResult with returns_rows False.
        returns_rows = bool(getattr(result, "returns_rows", True))
        self._keys: list[str] = list(result.keys()) if returns_rows else []
        self._rows: list[sa.Row[Any]] = list(result.fetchall()) if returns_rows else []

    def keys(self) -> list[str]:
        return list(self._keys)

    def scalar(self) -> Any:
        """The first column of the first row (None without rows)."""
        return self._rows[0][0] if self._rows else None

    def one(self) -> sa.Row[Any]:
        """The only row; ``sqlalchemy.exc.NoResultFound`` / ``MultipleResultsFound`` otherwise."""
        if not self._rows:
            raise sa.exc.NoResultFound("No row was found when one was required")
        if len(self._rows) > 1:
            raise sa.exc.MultipleResultsFound("Multiple rows were found when one was required")
        return self._rows[0]

    def to_rows(self) -> list[sa.Row[Any]]:
        return list(self._rows)

    def to_list(self) -> list[dict[str, Any]]:
        return [dict(zip(self._keys, row, strict=True)) for row in self._rows]

    def to_pydantic(self, model: type[M]) -> list[M]:
        return [model.model_validate(item) for item in self.to_list()]

    def to_pandas(self) -> pd.DataFrame:
        return _import_pandas().DataFrame([tuple(r) for r in self._rows], columns=self._keys)


class SQLModelQueryResult(QueryResult, Generic[T]):
    """``table.query()``: model instances."""

    def __init__(self, data: Sequence[T]) -> None:
        self._data = list(data)

    def to_list(self) -> list[dict[str, Any]]:
        if not self._data:
            return []
        dump = fields_dumper(type(self._data[0]))
        return [dump(item) for item in self._data]

    def to_pydantic(self) -> list[T]:
        return list(self._data)

    def __iter__(self) -> Any:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)
