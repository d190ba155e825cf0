"""The VECTOR value type: TiDB's float32 vectors, their text form, and the ``VEC_*`` maths.

Every layer (the SQL functions, storage, the indexes, the SDK) must agree with TiDB on how a
vector is parsed, printed, compared and measured, and on the exact error texts, because
programs move between the embedded engine and a real TiDB cluster by changing a URL. So
those rules live here once, in pure Python + numpy, with no SQL and no apsw.

Behaviour follows TiDB's Go code (``pkg/types/vector.go``, ``vector_functions.go`` and
``pkg/expression/builtin_vec.go``), which wins where the docs are vaguer:

* text is parsed as float64 and narrowed to float32; the error texts are TiDB's;
* sums are accumulated *sequentially* in float32, like TiDB's Go loops, so results match
  TiDB bit for bit (``VEC_L2_NORM`` alone accumulates in float64);
* a NaN result becomes ``None`` (SQL NULL); L2/L1 overflow gives ``inf``, inner-product
  overflow ``-inf``.

The on-disk form is raw little-endian float32 with no length prefix (TiDB prefixes a uint32
count; SQLite already knows a blob's length).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from decimal import Decimal
from typing import Any, Final, overload

import numpy as np
from numpy.typing import NDArray

try:  # the optional compiled kernel (setup.py); numpy computes the same values without it
    from autovec import _kernels
except ImportError:  # pragma: no cover - only where the extension could not be built
    _kernels = None  # type: ignore[assignment]

__all__ = [
    "MAX_DIMENSIONS",
    "Vector",
    "VectorError",
    "add",
    "check_dimensions",
    "compare",
    "cosine_distance",
    "dims",
    "format_for_explain",
    "l1_distance",
    "l2_distance",
    "l2_norm",
    "multiply",
    "negative_inner_product",
    "subtract",
]

#: TiDB's limit on the number of elements of one vector (``VECTOR(16383)`` is the widest type).
MAX_DIMENSIONS: Final = 16383

#: Element type of every vector and of the storage format: little-endian float32.
_F32: Final = np.dtype("<f4")
#: Largest finite float32, as a float64 (TiDB's ``math.MaxFloat32``).
_FLOAT32_MAX: Final = float(np.finfo(np.float32).max)

Float32Array = NDArray[np.float32]


class VectorError(ValueError):
    """A vector value or vector operation that TiDB would reject.

    The message is TiDB's exact text and ``errno``/``sqlstate`` are what TiDB reports
    (``ERROR 1105 (HY000)``), so the SQL and wire layers can pass it through unchanged.
    """

    errno: int = 1105
    sqlstate: str = "HY000"


# --------------------------------------------------------------------------------------
# Error texts, in one place so that every caller words them exactly as TiDB does.


def _invalid_text(text: str) -> VectorError:
    return VectorError(f"Invalid vector text: {text}")


def _too_many_dimensions() -> VectorError:
    return VectorError(f"vector cannot have more than {MAX_DIMENSIONS} dimensions")


def _different_dimensions(a: int, b: int) -> VectorError:
    return VectorError(f"vectors have different dimensions: {a} and {b}")


def _go_float(x: float) -> str:
    """Format a float64 the way Go's ``%v`` does, for error texts such as ``value 1e+39 ...``.

    Go prints the shortest round-trip digits (as Python's ``repr`` does) but switches to
    exponent form when the decimal exponent is below -4 or at least 6, and always writes at
    least two exponent digits: ``1e+39``, ``3.5e+38``, ``123456``, ``1.234567e+06``.
    """
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    sign = "-" if math.copysign(1.0, x) < 0 else ""
    if x == 0:
        return sign + "0"
    _, digit_tuple, exponent = Decimal(repr(abs(x))).as_tuple()
    assert isinstance(exponent, int)  # finite, so never 'n'/'N'/'F'
    digits = "".join(map(str, digit_tuple))
    point = len(digits) + exponent  # where the decimal point falls among the digits
    digits = digits.rstrip("0")  # repr may end in ".0"; Decimal never has leading zeros
    exp10 = point - 1
    if exp10 < -4 or exp10 >= 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mantissa}e{'+' if exp10 >= 0 else '-'}{abs(exp10):02d}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return f"{sign}{digits[:point]}.{digits[point:]}"


def _bad_value_error(x: float) -> VectorError:
    """The error TiDB raises for one element that cannot be stored as a float32."""
    if math.isnan(x):
        return VectorError("NaN not allowed in vector")
    if math.isinf(x):
        return VectorError("infinite value not allowed in vector")
    return VectorError(f"value {_go_float(x)} out of range for float32")


# --------------------------------------------------------------------------------------
# Validation and construction helpers.


def _narrow_float64(values: NDArray[np.float64]) -> Float32Array:
    """Check float64 values one by one as TiDB does, then narrow them to float32.

    Like TiDB, report the *first* offending element, with the error for its kind (NaN,
    infinity, or a finite value outside the float32 range); the dimension limit is checked
    after the values, as in Go.
    """
    in_range = np.abs(values) <= _FLOAT32_MAX  # False for NaN too
    if not in_range.all():
        raise _bad_value_error(float(values[int(np.argmin(in_range))]))
    if values.shape[0] > MAX_DIMENSIONS:
        raise _too_many_dimensions()
    return values.astype(_F32)


def _check_float32(values: Float32Array) -> None:
    """Reject NaN/Inf elements and oversize vectors in data that is already float32."""
    if _kernels is not None and values.flags.c_contiguous:
        bad = _kernels.first_non_finite(values)
    else:
        finite = np.isfinite(values)
        bad = -1 if finite.all() else int(np.argmin(finite))
    if bad >= 0:
        raise _bad_value_error(float(values[bad]))
    if values.shape[0] > MAX_DIMENSIONS:
        raise _too_many_dimensions()


def _array_from_values(values: object) -> Float32Array:
    """Turn numbers given from Python (sequence, iterable, array-like) into checked float32."""
    if isinstance(values, (str, bytes, bytearray, memoryview)):
        raise VectorError(
            f"cannot build a vector from {type(values).__name__}; "
            "use Vector.from_text(), Vector.from_bytes() or Vector.coerce()"
        )
    if isinstance(values, (Mapping, AbstractSet)):
        raise VectorError(f"cannot build a vector from {type(values).__name__}")
    if isinstance(values, np.ndarray):
        src = values
    elif hasattr(values, "__array__") or isinstance(values, Iterable):
        # Lists, tuples and array-likes go to numpy as they are; other iterables (ranges,
        # generators) are materialised first so numpy sees their elements.
        direct = hasattr(values, "__array__") or isinstance(values, (list, tuple))
        try:
            src = np.asarray(values if direct else list(values))  # type: ignore[call-overload]
        except (ValueError, TypeError, OverflowError) as exc:  # ragged, unconvertible
            raise VectorError(f"cannot build a vector from these values: {exc}") from None
    else:
        raise VectorError(f"cannot build a vector from {type(values).__name__}")
    if src.ndim != 1:
        raise VectorError(f"a vector must be one-dimensional, got shape {src.shape}")
    kind = src.dtype.kind
    if kind == "f" and src.dtype.itemsize <= 4:
        out = np.array(src, dtype=_F32)  # always a private copy: the caller keeps theirs
        _check_float32(out)
        return out
    if kind in "fiu":
        return _narrow_float64(src.astype(np.float64))
    if kind == "O":  # e.g. ints beyond int64, Decimals, or None mixed in
        try:
            wide = src.astype(np.float64)
        except OverflowError:
            raise VectorError("value out of range for float32") from None
        except (TypeError, ValueError) as exc:
            raise VectorError(f"vector elements must be numbers: {exc}") from None
        return _narrow_float64(wide)
    raise VectorError(f"vector elements must be numbers, not {src.dtype}")


# --------------------------------------------------------------------------------------
# Text parsing. TiDB reads the text with jsoniter's ReadArrayCB/ReadFloat64; the slow path
# below reproduces that reader, the fast path uses json.loads for well-formed input.

_JSON_SPACE: Final = " \t\n\r"
#: A number jsoniter's ReadFloat64 accepts: JSON's grammar, plus a leading '+' (which sends
#: jsoniter to strconv.ParseFloat; there leading zeros and '.5' pass too, '5.' does not).
_NUMBER: Final = re.compile(
    r"-?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]+)?|\+(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+))"
    r"(?:[eE][+-]?[0-9]+)?"
)


def _reject_json_constant(name: str) -> float:
    """Refuse the NaN/Infinity literals that Python's json accepts but JSON (and TiDB) do not."""
    raise ValueError(name)


def _skip_space(text: str, pos: int) -> int:
    end = len(text)
    while pos < end and text[pos] in _JSON_SPACE:
        pos += 1
    return pos


def _parse_text_exactly(text: str) -> Float32Array:
    """Parse vector text the way TiDB's ``ParseVectorFloat32`` does, step by step.

    Used when ``json.loads`` is not conclusive, because TiDB's reader differs from strict
    JSON in ways that show: ``[+1]`` is accepted; an out-of-range value reports its own
    error even if the text is malformed *after* it (``[1e39,x`` → ``value 1e+39 out of
    range``); after the closing bracket only whitespace may follow, except that a vertical
    tab or form feed ends the check early (jsoniter stops there and Go's TrimSpace eats it).
    """
    end = len(text)
    pos = _skip_space(text, 0)
    # jsoniter reads a bare `null` as an empty array; TiDB rejects it explicitly, and any
    # other text that does not open with '[' is malformed.
    if pos >= end or text[pos] != "[":
        raise _invalid_text(text)
    pos = _skip_space(text, pos + 1)
    values: list[float] = []
    if pos < end and text[pos] == "]":
        pos += 1
    else:
        while True:
            pos = _skip_space(text, pos)
            match = _NUMBER.match(text, pos)
            if match is None:
                raise _invalid_text(text)
            token = match.group()
            value = -float(token[1:]) if token[0] == "-" else float(token)
            if math.isinf(value):  # strconv.ParseFloat's ErrRange: a parse error in TiDB
                raise _invalid_text(text)
            if abs(value) > _FLOAT32_MAX:
                raise _bad_value_error(value)
            values.append(value)
            pos = _skip_space(text, match.end())
            if pos < end and text[pos] == ",":
                pos += 1
                continue
            if pos < end and text[pos] == "]":
                pos += 1
                break
            raise _invalid_text(text)
    pos = _skip_space(text, pos)
    if pos < end and text[pos] not in "\v\f":
        raise _invalid_text(text)
    if len(values) > MAX_DIMENSIONS:
        raise _too_many_dimensions()
    return np.array(values, dtype=np.float64).astype(_F32)


def _parse_text(text: str) -> Float32Array:
    """Parse TiDB vector text into float32, fast for long well-formed vectors."""
    try:
        parsed = json.loads(text, parse_int=float, parse_constant=_reject_json_constant)
    except (ValueError, RecursionError):
        return _parse_text_exactly(text)
    # parse_int=float makes every JSON number a float; anything else (null, true, strings,
    # nested arrays, objects) is for the exact reader to reject in TiDB's order.
    if type(parsed) is not list or (parsed and set(map(type, parsed)) != {float}):
        return _parse_text_exactly(text)
    values = np.array(parsed, dtype=np.float64)
    in_range = np.abs(values) <= _FLOAT32_MAX
    if not in_range.all():
        first_bad = float(values[int(np.argmin(in_range))])
        if math.isinf(first_bad):  # too large even for float64: a parse error in TiDB
            raise _invalid_text(text)
        raise _bad_value_error(first_bad)
    if values.shape[0] > MAX_DIMENSIONS:
        raise _too_many_dimensions()
    return values.astype(_F32)


# --------------------------------------------------------------------------------------
# The value type.


class Vector:
    """An immutable float32 vector with TiDB's semantics.

    Build one with ``Vector([0.3, 0.5, -0.1])``, :meth:`from_text`, :meth:`from_bytes` or
    :meth:`coerce`. Equality, hashing and ordering follow TiDB's comparison (element by
    element, a prefix is smaller, ``[]`` is smallest, ``-0 == 0``).
    """

    __slots__ = ("_arr", "_text")

    _arr: Float32Array
    _text: str | None

    def __init__(self, values: Vector | Iterable[float] | NDArray[Any]) -> None:
        """Build a vector from numbers, checking NaN, infinity, float32 range and size."""
        if isinstance(values, Vector):
            self._arr, self._text = values._arr, values._text
            return
        arr = _array_from_values(values)
        arr.flags.writeable = False
        self._arr = arr
        self._text = None

    @classmethod
    def _wrap(cls, arr: Float32Array) -> Vector:
        """Adopt an already-checked float32 array without copying or re-validating it."""
        vec = cls.__new__(cls)
        if arr.flags.writeable:  # arrays over bytes (storage blobs) already are read-only
            arr.flags.writeable = False
        vec._arr = arr
        vec._text = None
        return vec

    # ---- constructors ----------------------------------------------------------------

    @classmethod
    def from_text(cls, text: str) -> Vector:
        """Parse TiDB vector text such as ``'[0.3, 0.5, -0.1]'`` or ``'[]'``.

        Raises :class:`VectorError` with TiDB's message (``Invalid vector text: ...``,
        ``value 1e+39 out of range for float32``, the dimension limit).
        """
        if not isinstance(text, str):
            raise VectorError(f"vector text must be a str, not {type(text).__name__}")
        return cls._wrap(_parse_text(text))

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview, *, validate: bool = True) -> Vector:
        """Decode the storage form: raw little-endian float32, no length prefix.

        ``validate=False`` skips the NaN/Inf and size checks; it is for blobs read back from
        storage, which were checked when written, so the per-row cost stays a zero-copy
        ``np.frombuffer``.
        """
        if isinstance(data, bytes):
            raw = data
        elif isinstance(data, (bytearray, memoryview)):
            raw = bytes(data)  # private immutable copy
        else:
            raise VectorError(f"vector bytes must be bytes-like, not {type(data).__name__}")
        if len(raw) % 4:
            raise VectorError(
                f"Invalid vector binary: {len(raw)} bytes is not a whole number of float32 values"
            )
        arr = np.frombuffer(raw, dtype=_F32)
        if validate:
            _check_float32(arr)
        return cls._wrap(arr)

    @classmethod
    def coerce(cls, value: object) -> Vector:
        """Turn a Python value bound to a VECTOR parameter into a :class:`Vector`.

        Accepted: a Vector; a list/tuple/iterable or 1-D numpy array (any float or int
        dtype) of numbers; a str in TiDB's text form; bytes/bytearray/memoryview holding raw
        little-endian float32. Anything else raises :class:`VectorError`: a number with
        TiDB's ``Invalid vector text: 5``, and None, bools, dicts or sets with a message
        naming the type (callers bind NULL themselves).
        """
        if isinstance(value, Vector):
            return value
        if isinstance(value, VectorBlob):
            return value.vector
        if isinstance(value, str):
            return cls.from_text(value)
        if isinstance(value, (bytes, bytearray, memoryview)):
            return cls.from_bytes(value)
        if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
            # What TiDB says when a number meets a VECTOR column: it casts the number to a
            # string and fails to parse that.
            raise VectorError(f"Invalid vector text: {value}")
        if isinstance(value, (bool, complex, np.generic)) or value is None:
            raise VectorError(f"cannot convert {type(value).__name__} to VECTOR")
        if isinstance(value, Iterable) or hasattr(value, "__array__"):
            return cls(value)  # type: ignore[arg-type]
        raise VectorError(f"cannot convert {type(value).__name__} to VECTOR")

    # ---- conversions -----------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The storage form: raw little-endian float32."""
        return self._arr.tobytes()

    def to_blob(self) -> VectorBlob:
        """The storage form, remembering this vector (what a bound parameter becomes)."""
        blob = VectorBlob(self._arr)  # bytes(array): its raw float32 data
        blob.vector = self
        return blob

    def to_text(self) -> str:
        """TiDB's canonical text: ``[0.3,0.5,-0.1]``, ``[1,2.5]``, ``[-0]``.

        Each element is the shortest decimal that reads back as the same float32, written
        positionally (never with an exponent), like Go's ``FormatFloat(x, 'f', -1, 32)``.
        """
        text = self._text
        if text is None:
            fmt = np.format_float_positional
            text = "[" + ",".join([fmt(x, unique=True, trim="-") for x in self._arr]) + "]"
            self._text = text
        return text

    def to_numpy(self) -> Float32Array:
        """The elements as a read-only 1-D float32 array (no copy)."""
        return self._arr

    def to_list(self) -> list[float]:
        """The elements as Python floats (the exact float32 values, widened)."""
        return self._arr.tolist()

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> NDArray[Any]:
        """Let ``np.asarray(v)`` see the float32 elements."""
        if dtype is None or np.dtype(dtype) == self._arr.dtype:
            return self._arr.copy() if copy else self._arr
        if copy is False:
            raise ValueError(f"cannot view a float32 vector as {np.dtype(dtype)} without a copy")
        return self._arr.astype(dtype)

    @property
    def dims(self) -> int:
        """Number of elements (``VEC_DIMS``)."""
        return int(self._arr.shape[0])

    # ---- container protocol ----------------------------------------------------------

    def __len__(self) -> int:
        return int(self._arr.shape[0])

    def __iter__(self) -> Iterator[float]:
        return iter(self._arr.tolist())

    @overload
    def __getitem__(self, index: int) -> float: ...
    @overload
    def __getitem__(self, index: slice) -> Vector: ...
    def __getitem__(self, index: int | slice) -> float | Vector:
        """An element as a float, or a slice as a new Vector."""
        if isinstance(index, slice):
            return Vector._wrap(np.ascontiguousarray(self._arr[index]))
        return float(self._arr[index])

    # ---- text ------------------------------------------------------------------------

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return f"Vector('{self.to_text()}')"

    def __reduce__(self) -> tuple[Any, tuple[bytes]]:
        return (Vector.from_bytes, (self.to_bytes(),))

    # ---- comparison ------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Vector):
            return NotImplemented
        return compare(self, other) == 0

    def __ne__(self, other: object) -> bool:
        if not isinstance(other, Vector):
            return NotImplemented
        return compare(self, other) != 0

    def __hash__(self) -> int:
        # Adding +0.0 turns -0 into 0, so that equal vectors hash alike.
        return hash((self._arr + np.float32(0.0)).tobytes())

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Vector):
            return NotImplemented
        return compare(self, other) < 0

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Vector):
            return NotImplemented
        return compare(self, other) <= 0

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Vector):
            return NotImplemented
        return compare(self, other) > 0

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Vector):
            return NotImplemented
        return compare(self, other) >= 0

    # ---- element-wise arithmetic (TiDB's vector +, -, *) -----------------------------

    def __add__(self, other: object) -> Vector:
        if not isinstance(other, Vector):
            return NotImplemented
        return add(self, other)

    def __sub__(self, other: object) -> Vector:
        if not isinstance(other, Vector):
            return NotImplemented
        return subtract(self, other)

    def __mul__(self, other: object) -> Vector:
        if not isinstance(other, Vector):
            return NotImplemented
        return multiply(self, other)


def format_for_explain(v: Vector) -> str:
    """The short form TiDB's EXPLAIN prints: ``[1,2,3,4,5,(95 more)...]``.

    At most five elements, each at two significant digits (Go's ``%.2g`` for float32, which
    Python's ``%.2g`` reproduces on the widened value).
    """
    shown = v.to_numpy()[:5].tolist()
    parts = [format(x, ".2g") for x in shown]
    if len(v) > 5:
        parts.append(f"({len(v) - 5} more)...")
    return "[" + ",".join(parts) + "]"


# --------------------------------------------------------------------------------------
# VEC_* functions. Each takes Vectors and returns a Python float, or None where TiDB's
# result is NaN (SQL NULL).


def _same_dims(a: Vector, b: Vector) -> tuple[Float32Array, Float32Array]:
    x, y = a._arr, b._arr
    if x.shape[0] != y.shape[0]:
        raise _different_dimensions(x.shape[0], y.shape[0])
    return x, y


def _sum_in_order(values: NDArray[Any]) -> float:
    """Sum left to right in the array's own precision, overwriting ``values``.

    ``np.sum`` adds pairwise and BLAS dot products use SIMD lanes; both round differently
    from TiDB's plain Go loop. ``np.add.accumulate`` is strictly sequential, so it rounds
    exactly as TiDB does, and overflows (to inf) exactly where TiDB does.
    """
    if values.shape[0] == 0:
        return 0.0
    return float(np.add.accumulate(values, out=values)[-1])


def _nan_to_none(x: float) -> float | None:
    return None if math.isnan(x) else x


def l2_distance(a: Vector, b: Vector) -> float | None:
    """``VEC_L2_DISTANCE``: Euclidean distance; float32 overflow gives ``inf``."""
    x, y = _same_dims(a, b)
    with np.errstate(over="ignore", invalid="ignore"):
        diff = np.subtract(x, y)
        np.multiply(diff, diff, out=diff)
        total = _sum_in_order(diff)
    return _nan_to_none(math.sqrt(total))


def l1_distance(a: Vector, b: Vector) -> float | None:
    """``VEC_L1_DISTANCE``: Manhattan distance; float32 overflow gives ``inf``."""
    x, y = _same_dims(a, b)
    with np.errstate(over="ignore", invalid="ignore"):
        diff = np.subtract(x, y)
        np.abs(diff, out=diff)
        total = _sum_in_order(diff)
    return _nan_to_none(total)


def negative_inner_product(a: Vector, b: Vector) -> float | None:
    """``VEC_NEGATIVE_INNER_PRODUCT``: minus the dot product; overflow gives ``-inf``."""
    x, y = _same_dims(a, b)
    with np.errstate(over="ignore", invalid="ignore"):
        total = _sum_in_order(np.multiply(x, y))
    return _nan_to_none(total * -1.0)


def cosine_distance(a: Vector, b: Vector) -> float | None:
    """``VEC_COSINE_DISTANCE``: 1 - cosine similarity, the similarity clamped to [-1, 1].

    A zero vector gives None (0/0 is NaN in TiDB), and so does an overflow such as
    ``[3e38]`` with itself (inf/inf).
    """
    x, y = _same_dims(a, b)
    n = x.shape[0]
    if n == 0:
        return None
    with np.errstate(over="ignore", invalid="ignore"):
        # One buffer, one sequential accumulate for dot, |a|² and |b|² together.
        sums = np.empty((3, n), dtype=np.float32)
        np.multiply(x, y, out=sums[0])
        np.multiply(x, x, out=sums[1])
        np.multiply(y, y, out=sums[2])
        np.add.accumulate(sums, axis=1, out=sums)
    dot, norm_a, norm_b = sums[:, -1].tolist()
    return _cosine_from_sums(dot, norm_a, norm_b)


def l2_norm(v: Vector) -> float | None:
    """``VEC_L2_NORM``: accumulated in float64 (TiDB follows pgvector here)."""
    wide = v._arr.astype(np.float64)
    np.multiply(wide, wide, out=wide)
    return _nan_to_none(math.sqrt(_sum_in_order(wide)))


def dims(v: Vector) -> int:
    """``VEC_DIMS``: the number of elements; ``[]`` has 0."""
    return int(v._arr.shape[0])


def compare(a: Vector, b: Vector) -> int:
    """TiDB's vector ordering as -1/0/1: element by element, then the shorter is smaller."""
    x, y = a._arr, b._arr
    common = min(x.shape[0], y.shape[0])
    if common:
        xs, ys = x[:common], y[:common]
        less = xs < ys
        greater = xs > ys
        differs = less | greater  # like Go's `<`/`>` pair: NaN never decides
        if differs.any():
            return -1 if less[int(np.argmax(differs))] else 1
    return (x.shape[0] > y.shape[0]) - (x.shape[0] < y.shape[0])


def _checked_result(result: Float32Array) -> Vector:
    """Reject inf/NaN produced by arithmetic, reporting the first bad element as TiDB does."""
    finite = np.isfinite(result)
    if not finite.all():
        first_bad = result[int(np.argmin(finite))]
        if np.isnan(first_bad):
            raise VectorError("value out of range: NaN")
        raise VectorError("value out of range: overflow")
    return Vector._wrap(result)


def add(a: Vector, b: Vector) -> Vector:
    """Element-wise ``a + b`` (TiDB's vector ``+``)."""
    x, y = _same_dims(a, b)
    with np.errstate(over="ignore", invalid="ignore"):
        return _checked_result(np.add(x, y))


def subtract(a: Vector, b: Vector) -> Vector:
    """Element-wise ``a - b`` (TiDB's vector ``-``)."""
    x, y = _same_dims(a, b)
    with np.errstate(over="ignore", invalid="ignore"):
        return _checked_result(np.subtract(x, y))


def multiply(a: Vector, b: Vector) -> Vector:
    """Element-wise ``a * b`` (TiDB's undocumented vector ``*``)."""
    x, y = _same_dims(a, b)
    with np.errstate(over="ignore", invalid="ignore"):
        return _checked_result(np.multiply(x, y))


def check_dimensions(v: Vector, expected: int | None) -> Vector:
    """Check that ``v`` fits ``VECTOR(expected)``; None or a negative means any size.

    Raised by INSERT, UPDATE and ``CAST(... AS VECTOR(n))`` in TiDB with the text
    ``vector has 2 dimensions, does not fit VECTOR(3)``. Returns ``v`` for chaining.
    """
    if expected is not None and expected >= 0 and len(v) != expected:
        raise VectorError(f"vector has {len(v)} dimensions, does not fit VECTOR({expected})")
    return v


_METRIC_CODES = {"COSINE": 0, "L2": 1, "NEGATIVE_INNER_PRODUCT": 2, "L1": 3}


def distances_to(
    metric: str, rows: NDArray[Any] | tuple[NDArray[Any], ...], query: Vector
) -> list[float | None]:
    """The VEC_<metric>_DISTANCE of each row of a float32 matrix to ``query``, in one pass.

    Bit for bit what :func:`cosine_distance`, :func:`l2_distance`,
    :func:`negative_inner_product` and :func:`l1_distance` return row by row: the same
    float32 products, summed left to right along each row. Uses the compiled kernel when
    it was built (a top-k's distances in microseconds), else :func:`numpy_distances_to`.
    ``rows`` may also be a tuple of float32 rows (as usearch returns them).
    """
    q = query._arr
    if isinstance(rows, tuple):
        if _kernels is not None:  # it checks every row's width
            return _kernels.distances(_METRIC_CODES[metric], rows, q, len(rows))
        rows = np.stack(rows) if rows else np.zeros((0, q.shape[0]), dtype=_F32)
    if rows.shape[1] != q.shape[0]:
        raise _different_dimensions(rows.shape[1], q.shape[0])
    if rows.shape[1] == 0:
        return [None if metric == "COSINE" else 0.0] * rows.shape[0]
    if _kernels is not None:
        matrix = np.ascontiguousarray(rows, dtype=_F32)
        return _kernels.distances(_METRIC_CODES[metric], matrix, q, matrix.shape[0])
    return numpy_distances_to(metric, rows, q)


def numpy_distances_to(metric: str, rows: NDArray[Any], q: Float32Array) -> list[float | None]:
    """:func:`distances_to` in numpy: ``np.add.accumulate`` along each row is sequential."""
    with np.errstate(over="ignore", invalid="ignore"):
        if metric == "COSINE":
            dots = np.add.accumulate(np.multiply(rows, q), axis=1)[:, -1].tolist()
            norms = np.add.accumulate(np.multiply(rows, rows), axis=1)[:, -1].tolist()
            q_norm = float(np.add.accumulate(np.multiply(q, q))[-1])
            return [_cosine_from_sums(d, n, q_norm) for d, n in zip(dots, norms, strict=True)]
        if metric == "L2":
            diff = np.subtract(rows, q)
            totals = np.add.accumulate(np.multiply(diff, diff), axis=1)[:, -1].tolist()
            return [_nan_to_none(math.sqrt(t)) for t in totals]
        if metric == "NEGATIVE_INNER_PRODUCT":
            totals = np.add.accumulate(np.multiply(rows, q), axis=1)[:, -1].tolist()
            return [_nan_to_none(t * -1.0) for t in totals]
        totals = np.add.accumulate(np.abs(np.subtract(rows, q)), axis=1)[:, -1].tolist()
        return [_nan_to_none(t) for t in totals]


def _cosine_from_sums(dot: float, norm_a: float, norm_b: float) -> float | None:
    denominator = math.sqrt(norm_a * norm_b)
    if denominator == 0.0:
        if dot == 0.0 or math.isnan(dot):
            return None
        similarity = math.copysign(math.inf, dot)
    else:
        similarity = dot / denominator
    if math.isnan(similarity):
        return None
    return 1.0 - min(1.0, max(-1.0, similarity))


class VectorBlob(bytes):
    """A vector's storage bytes that still know the :class:`Vector` they encode.

    A vector bound as a parameter becomes one: SQLite binds it as a BLOB, and a search
    that reads the same parameter gets the checked vector back without decoding it again.
    """

    vector: Vector
