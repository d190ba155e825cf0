"""``VECTOR(dim)``: TiDB's vector column type for SQLAlchemy, on autovec and on TiDB.

It mirrors ``tidb_vector.sqlalchemy.VectorType`` / pytidb's ``VECTOR`` so code written
for them runs unchanged: values go in as lists, numpy arrays or :class:`autovec.Vector`
and come back as numpy float32 arrays, and the column has ``cosine_distance()``,
``l2_distance()``, ``l1_distance()`` and ``negative_inner_product()`` (plus the
``embed_*`` forms that embed a text query server-side).

Over ``mysql+pymysql`` (TiDB, the autovec server) vectors travel as TiDB's text form
``'[1,2,3]'``; over the embedded ``autovec://`` driver they travel as
:class:`autovec.Vector` objects, which skip a text round trip.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Float, func
from sqlalchemy.dialects.mysql import base as mysql_base
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.sql.elements import ColumnElement, Label
from sqlalchemy.sql.expression import bindparam
from sqlalchemy.types import UserDefinedType

from autovec.vector import MAX_DIMENSIONS, Vector, VectorError

__all__ = ["VECTOR", "VectorType", "decode_vector", "encode_vector"]

#: The smallest dimension a ``VECTOR(n)`` column may declare.
MIN_DIMENSIONS = 1

VectorLike = Vector | NDArray[Any] | list[float] | tuple[float, ...] | str | bytes


def _to_vector(value: object, dim: int | None) -> Vector:
    """Validate a Python value bound to a VECTOR column, as early as TiDB would reject it."""
    try:
        vector = Vector.coerce(value)
    except VectorError as exc:
        raise ValueError(str(exc)) from None
    if dim is not None and vector.dims != dim:
        raise ValueError(f"expected {dim} dimensions, but got {vector.dims}")
    return vector


def encode_vector(value: object, dim: int | None = None) -> str | None:
    """TiDB's text form of ``value`` (``'[1,2.5,3]'``); ``None`` stays ``None``."""
    if value is None:
        return None
    return _to_vector(value, dim).to_text()


def decode_vector(value: object) -> NDArray[np.float32] | None:
    """A numpy float32 array from what a driver returns for a VECTOR column.

    autovec's DB-API returns :class:`autovec.Vector`; PyMySQL returns TiDB's text
    (``str``, or ``bytes`` for binary results); raw little-endian float32 bytes (autovec's
    storage form) are accepted too.
    """
    if value is None:
        return None
    if isinstance(value, Vector):
        return np.array(value.to_numpy(), dtype=np.float32)
    if isinstance(value, np.ndarray):
        return value.astype(np.float32, copy=False)
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        if raw.startswith(b"[") and raw.rstrip().endswith(b"]"):
            try:
                return np.array(Vector.from_text(raw.decode("ascii")).to_numpy(), dtype=np.float32)
            except (UnicodeDecodeError, VectorError):
                pass  # not text after all: four float32 bytes that happen to look like '['
        return np.array(Vector.from_bytes(raw).to_numpy(), dtype=np.float32)
    if isinstance(value, str):
        return np.array(Vector.from_text(value).to_numpy(), dtype=np.float32)
    return np.asarray(value, dtype=np.float32)


class VECTOR(UserDefinedType[NDArray[np.float32]]):
    """A ``VECTOR`` / ``VECTOR(dim)`` column: float32 vectors, TiDB semantics."""

    cache_ok = True

    def __init__(self, dim: int | None = None):
        if dim is not None and (not isinstance(dim, int) or isinstance(dim, bool)):
            raise ValueError("expected dimension to be an integer or None")
        if dim is not None and not MIN_DIMENSIONS <= dim <= MAX_DIMENSIONS:
            raise ValueError(f"expected dimension to be in [{MIN_DIMENSIONS}, {MAX_DIMENSIONS}]")
        super().__init__()
        self.dim = dim

    def __repr__(self) -> str:
        return f"VECTOR({self.dim})" if self.dim is not None else "VECTOR()"

    @property
    def python_type(self) -> type[Any]:
        return np.ndarray

    def get_col_spec(self, **_kw: Any) -> str:
        return "VECTOR" if self.dim is None else f"VECTOR({self.dim})"

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any]:
        """Vectors as :class:`autovec.Vector` for autovec's own driver, as text elsewhere."""
        dim = self.dim
        if getattr(dialect, "driver", None) == "autovec":

            def to_vector(value: Any) -> Vector | None:
                return None if value is None else _to_vector(value, dim)

            return to_vector

        def to_text(value: Any) -> str | None:
            return encode_vector(value, dim)

        return to_text

    def literal_processor(self, dialect: Dialect) -> Callable[[Any], str]:
        """``'[1,2,3]'`` for statements compiled with literal binds."""

        def process(value: Any) -> str:
            text = encode_vector(value, self.dim)
            return "NULL" if text is None else f"'{text}'"

        return process

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], Any]:
        return decode_vector

    def compare_values(self, x: Any, y: Any) -> bool:
        """Element-wise equality: ``==`` on numpy arrays is an array, not a bool (ORM history)."""
        if x is None or y is None:
            return x is y
        try:
            return bool(
                np.array_equal(np.asarray(x, dtype=np.float32), np.asarray(y, dtype=np.float32))
            )
        except (TypeError, ValueError):
            return bool(x == y)

    class comparator_factory(UserDefinedType.Comparator[NDArray[np.float32]]):
        """Distance functions on a VECTOR column, named like tidb-vector's."""

        type: VECTOR

        def _distance(self, function: str, other: VectorLike) -> Label[float]:
            vector = _to_vector(other, self.type.dim)
            query = bindparam(None, vector, type_=VECTOR(vector.dims), unique=True)
            call: ColumnElement[float] = getattr(func, function)(self.expr, query, type_=Float())
            return call.label(function.removeprefix("VEC_").lower())

        def l1_distance(self, other: VectorLike) -> Label[float]:
            """``VEC_L1_DISTANCE(col, other)``: Manhattan distance."""
            return self._distance("VEC_L1_DISTANCE", other)

        def l2_distance(self, other: VectorLike) -> Label[float]:
            """``VEC_L2_DISTANCE(col, other)``: Euclidean distance."""
            return self._distance("VEC_L2_DISTANCE", other)

        def cosine_distance(self, other: VectorLike) -> Label[float]:
            """``VEC_COSINE_DISTANCE(col, other)``: 1 - cosine similarity."""
            return self._distance("VEC_COSINE_DISTANCE", other)

        def negative_inner_product(self, other: VectorLike) -> Label[float]:
            """``VEC_NEGATIVE_INNER_PRODUCT(col, other)``: minus the dot product."""
            return self._distance("VEC_NEGATIVE_INNER_PRODUCT", other)

        def _embed_distance(self, function: str, query: str) -> Label[float]:
            call: ColumnElement[float] = getattr(func, function)(self.expr, query, type_=Float())
            return call.label(function.removeprefix("VEC_").lower())

        def embed_cosine_distance(self, query: str) -> Label[float]:
            """``VEC_EMBED_COSINE_DISTANCE(col, 'text')``: the text is embedded by the column's model."""
            return self._embed_distance("VEC_EMBED_COSINE_DISTANCE", query)

        def embed_l2_distance(self, query: str) -> Label[float]:
            """``VEC_EMBED_L2_DISTANCE(col, 'text')``."""
            return self._embed_distance("VEC_EMBED_L2_DISTANCE", query)

        def embed_l1_distance(self, query: str) -> Label[float]:
            """``VEC_EMBED_L1_DISTANCE(col, 'text')``."""
            return self._embed_distance("VEC_EMBED_L1_DISTANCE", query)

        def embed_negative_inner_product(self, query: str) -> Label[float]:
            """``VEC_EMBED_NEGATIVE_INNER_PRODUCT(col, 'text')``."""
            return self._embed_distance("VEC_EMBED_NEGATIVE_INNER_PRODUCT", query)


#: tidb-vector's name for the same type.
VectorType = VECTOR

# Reflection: SQLAlchemy's MySQL dialects parse SHOW CREATE TABLE and look column types up
# here, so ``vector(3)`` reflects as VECTOR(3) over mysql+pymysql too (as pytidb does).
mysql_base.ischema_names["vector"] = VECTOR
