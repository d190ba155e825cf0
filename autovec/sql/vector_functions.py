"""The SQL face of :mod:`autovec.vector`: TiDB's ``VEC_*`` functions as SQLite functions.

The SQL translator rewrites TiDB SQL into SQLite SQL that calls these functions, so each
one must give TiDB's answer for every kind of value SQLite can hand it:

* ``bytes``: a stored vector blob (raw float32). It was checked when it was written, so it
  is decoded with a zero-copy ``np.frombuffer`` and not checked again (these run per row);
* ``str``: vector text. TiDB casts a string argument of a ``VEC_*`` function implicitly,
  so it is parsed with TiDB's rules; parsed texts are cached, because a query vector
  written as a literal (``VEC_L2_DISTANCE(v, '[...]')``) reaches the function once per row;
* ``None``: SQL NULL. Any NULL argument gives NULL (arguments are looked at left to right,
  as TiDB evaluates them, so ``VEC_DIMS(NULL)`` is NULL but ``VEC_L2_DISTANCE('x', NULL)``
  is still an error);
* a number: TiDB would cast it to a string and fail to parse it, so it raises
  ``Invalid vector text: <number>``.

Vector-valued results are returned as ``bytes`` in the storage form. Errors are raised as
:class:`~autovec.vector.VectorError`; apsw passes the exception object through to the
caller of ``cursor.execute`` unchanged, so TiDB's message and error code survive.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Final

import apsw

from autovec.vector import (
    Vector,
    VectorError,
    add,
    check_dimensions,
    compare,
    cosine_distance,
    l1_distance,
    l2_distance,
    l2_norm,
    multiply,
    negative_inner_product,
    subtract,
)

__all__ = ["FUNCTION_NAMES", "register"]

#: What SQLite can pass to a user function.
SQLValue = bytes | str | int | float | None

#: How many distinct vector texts to keep parsed. A query has a handful of literal vectors;
#: a few dozen covers concurrent statements without holding much memory.
_TEXT_CACHE_SIZE: Final = 64


# Shared by every data directory: a pure function of the text.
@functools.lru_cache(maxsize=_TEXT_CACHE_SIZE)
def _parse_text(text: str) -> Vector:
    """Parse vector text once per distinct text (Vectors are immutable, so sharing is safe)."""
    return Vector.from_text(text)


def _not_a_vector(value: object) -> VectorError:
    """TiDB casts a number to its string form and then fails to parse that as a vector."""
    return VectorError(f"Invalid vector text: {value}")


def _vector(value: SQLValue) -> Vector | None:
    """Read one argument of a vector function: blob, text, NULL, or a number (an error)."""
    if type(value) is bytes:
        return Vector.from_bytes(value, validate=False)
    if type(value) is str:
        return _parse_text(value)
    if value is None:
        return None
    raise _not_a_vector(value)


# ---- one-vector functions -------------------------------------------------------------


def vec_dims(value: SQLValue) -> int | None:
    """``VEC_DIMS(v)``: the element count; ``VEC_DIMS('[]')`` is 0."""
    vec = _vector(value)
    return None if vec is None else len(vec)


def vec_l2_norm(value: SQLValue) -> float | None:
    """``VEC_L2_NORM(v)``: the Euclidean norm, accumulated in float64."""
    vec = _vector(value)
    return None if vec is None else l2_norm(vec)


def vec_from_text(value: SQLValue) -> bytes | None:
    """``VEC_FROM_TEXT(s)``: text to a vector blob (a blob passes through unchanged)."""
    if type(value) is bytes:
        Vector.from_bytes(value, validate=False)  # only checks the length
        return value
    vec = _vector(value)
    return None if vec is None else vec.to_bytes()


def vec_as_text(value: SQLValue) -> str | None:
    """``VEC_AS_TEXT(v)``: TiDB's normalised text, e.g. ``[0.3,0.5,-0.1]``."""
    vec = _vector(value)
    return None if vec is None else vec.to_text()


# ---- two-vector functions -------------------------------------------------------------


def _pair(a: SQLValue, b: SQLValue) -> tuple[Vector, Vector] | None:
    """Read two vector arguments left to right; None as soon as one is NULL (as TiDB)."""
    x = _vector(a)
    if x is None:
        return None
    y = _vector(b)
    if y is None:
        return None
    return x, y


def vec_cosine_distance(a: SQLValue, b: SQLValue) -> float | None:
    """``VEC_COSINE_DISTANCE(a, b)``: NULL for a zero vector or an overflow."""
    pair = _pair(a, b)
    return None if pair is None else cosine_distance(*pair)


def vec_l2_distance(a: SQLValue, b: SQLValue) -> float | None:
    """``VEC_L2_DISTANCE(a, b)``: Euclidean distance; overflow gives +Inf."""
    pair = _pair(a, b)
    return None if pair is None else l2_distance(*pair)


def vec_negative_inner_product(a: SQLValue, b: SQLValue) -> float | None:
    """``VEC_NEGATIVE_INNER_PRODUCT(a, b)``: minus the dot product; overflow gives -Inf."""
    pair = _pair(a, b)
    return None if pair is None else negative_inner_product(*pair)


def vec_l1_distance(a: SQLValue, b: SQLValue) -> float | None:
    """``VEC_L1_DISTANCE(a, b)``: Manhattan distance."""
    pair = _pair(a, b)
    return None if pair is None else l1_distance(*pair)


def av_vec_add(a: SQLValue, b: SQLValue) -> bytes | None:
    """``__av_vec_add(a, b)``: TiDB's element-wise vector ``+``, as a blob."""
    pair = _pair(a, b)
    return None if pair is None else add(*pair).to_bytes()


def av_vec_sub(a: SQLValue, b: SQLValue) -> bytes | None:
    """``__av_vec_sub(a, b)``: TiDB's element-wise vector ``-``, as a blob."""
    pair = _pair(a, b)
    return None if pair is None else subtract(*pair).to_bytes()


def av_vec_mul(a: SQLValue, b: SQLValue) -> bytes | None:
    """``__av_vec_mul(a, b)``: TiDB's element-wise vector ``*``, as a blob."""
    pair = _pair(a, b)
    return None if pair is None else multiply(*pair).to_bytes()


def av_vec_cmp(a: SQLValue, b: SQLValue) -> int | None:
    """``__av_vec_cmp(a, b)``: TiDB's vector ordering as -1/0/1, NULL if either is NULL.

    The translator builds ``<``, ``=``, ``BETWEEN``, ``GREATEST`` and friends on vectors
    from this, because SQLite would otherwise compare the blobs byte by byte.
    """
    pair = _pair(a, b)
    return None if pair is None else compare(*pair)


# ---- casts used by the translator ------------------------------------------------------


def av_to_vector(value: SQLValue, dims: SQLValue) -> bytes | None:
    """``__av_to_vector(value, dims)``: CAST to ``VECTOR(dims)`` / the INSERT-UPDATE gate.

    Text is parsed; a blob is checked in full (NaN, infinity, size), because this is where
    values enter storage and a blob bound from Python was never checked. ``dims`` is the
    column's dimension, or -1 (or NULL) for a plain ``VECTOR``. Raises TiDB's
    ``vector has 2 dimensions, does not fit VECTOR(3)``.
    """
    if value is None:
        return None
    if type(value) is bytes:
        vec = Vector.from_bytes(value)
    elif type(value) is str:
        vec = _parse_text(value)
    else:
        raise _not_a_vector(value)
    expected = dims if isinstance(dims, int) else None
    check_dimensions(vec, expected)
    return value if type(value) is bytes else vec.to_bytes()


def av_vec_text(value: SQLValue) -> str | None:
    """``__av_vec_text(v)``: ``CAST(v AS CHAR)`` of a vector; the same as ``VEC_AS_TEXT``."""
    return vec_as_text(value)


# ---- registration ----------------------------------------------------------------------

#: SQL name → (Python function, number of arguments).
_FUNCTIONS: Final[dict[str, tuple[Callable[..., object], int]]] = {
    "VEC_COSINE_DISTANCE": (vec_cosine_distance, 2),
    "VEC_L2_DISTANCE": (vec_l2_distance, 2),
    "VEC_NEGATIVE_INNER_PRODUCT": (vec_negative_inner_product, 2),
    "VEC_L1_DISTANCE": (vec_l1_distance, 2),
    "VEC_DIMS": (vec_dims, 1),
    "VEC_L2_NORM": (vec_l2_norm, 1),
    "VEC_FROM_TEXT": (vec_from_text, 1),
    "VEC_AS_TEXT": (vec_as_text, 1),
    "__av_vec_add": (av_vec_add, 2),
    "__av_vec_sub": (av_vec_sub, 2),
    "__av_vec_mul": (av_vec_mul, 2),
    "__av_vec_cmp": (av_vec_cmp, 2),
    "__av_to_vector": (av_to_vector, 2),
    "__av_vec_text": (av_vec_text, 1),
}

#: The SQL names :func:`register` defines.
FUNCTION_NAMES: Final = tuple(_FUNCTIONS)


def register(conn: apsw.Connection) -> None:
    """Define every vector function on ``conn``.

    They are registered as deterministic (SQLite may then evaluate a call with constant
    arguments once per statement, and allows them in indexes and generated columns) and
    innocuous (no side effects, so they also work in views and triggers when the schema is
    not trusted).
    """
    for name, (function, numargs) in _FUNCTIONS.items():
        conn.create_scalar_function(
            name, function, numargs, deterministic=True, flags=apsw.SQLITE_INNOCUOUS
        )
