"""Unit tests of autovec.vector against TiDB's rules (reference/tidb-sql.md §1-§2).

The expected texts and numbers are TiDB's, taken from its Go code (pkg/types/vector.go,
vector_functions.go, pkg/expression/builtin_vec.go) and the reference's examples.
"""

from __future__ import annotations

import math
import pickle
import re
from contextlib import AbstractContextManager

import numpy as np
import pytest

from autovec import vector as V
from autovec.vector import MAX_DIMENSIONS, Vector, VectorError


def vec(text: str) -> Vector:
    return Vector.from_text(text)


def raises(message: str) -> AbstractContextManager[pytest.ExceptionInfo[VectorError]]:
    """Expect a VectorError whose message is exactly ``message``."""
    return pytest.raises(VectorError, match="^" + re.escape(message) + "$")


# ---- the error type -------------------------------------------------------------------


def test_vector_error_is_tidb_1105() -> None:
    err = VectorError("x")
    assert isinstance(err, ValueError)
    assert err.errno == 1105
    assert err.sqlstate == "HY000"
    assert MAX_DIMENSIONS == 16383


# ---- parsing text ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[0.3, 0.5, -0.1]", "[0.3,0.5,-0.1]"),
        ("[1,2.5]", "[1,2.5]"),
        ("[]", "[]"),
        (" [ ] ", "[]"),
        ("\n\t[\r1 ,\n 2\t]\r\n", "[1,2]"),
        ("[1e2, 1E-1, 2.5e+1]", "[100,0.1,25]"),
        ("[-0]", "[-0]"),
        ("[0.0]", "[0]"),
        ("[123456789012345678901234567890]", "[123456790000000000000000000000]"),
        # jsoniter sends a leading '+' to strconv.ParseFloat, which accepts it.
        ("[+1]", "[1]"),
        ("[+.5, -+2, +01]", "[0.5,-2,1]"),
        # Values are parsed as float64 and then narrowed: tiny ones become 0.
        ("[1e-50]", "[0]"),
        ("[3.4028234663852886e38]", "[340282350000000000000000000000000000000]"),
    ],
)
def test_parse_valid_text(text: str, expected: str) -> None:
    assert vec(text).to_text() == expected


@pytest.mark.parametrize(
    "text",
    [
        "[5, ]",
        "abc",
        "null",
        " null ",
        "nullx",
        "[1,null]",
        "[1,2,3]extra",
        "[1] [2]",
        "[1]]",
        "[[1]]",
        "[[1,2],[3,4]]",
        '["1"]',
        "[true]",
        "[false, 1]",
        "[1, {}]",
        "{}",
        '{"a": 1}',
        "1",
        "",
        "   ",
        "[",
        "[1",
        "[1,",
        "]",
        "[,]",
        "[,1]",
        "[1,,2]",
        "[1 2]",
        "[01]",
        "[-01]",
        "[1.]",
        "[.5]",
        "[-.5]",
        "[1.e5]",
        "[1e]",
        "[--1]",
        "[+-1]",
        "[1-2]",
        "[0x10]",
        "[1_000]",
        "[NaN]",
        "[Infinity]",
        "[-Infinity]",
        "[inf]",
        # Too large even for float64: strconv.ParseFloat's range error is a parse error.
        "[1e400]",
        "[-1e400]",
        "[1" + "0" * 400 + "]",
        # Non-ASCII whitespace after the array is junk to jsoniter.
        "[1]\u00a0",
        "\v[1]",
    ],
)
def test_parse_invalid_text(text: str) -> None:
    with raises(f"Invalid vector text: {text}"):
        vec(text)


def test_parse_text_trailing_vertical_tab_quirk() -> None:
    # jsoniter stops at the first byte it cannot skip; Go's TrimSpace then removes \v/\f,
    # so TiDB ignores anything after them. Reproduced on purpose.
    assert vec("[1]\v").to_text() == "[1]"
    assert vec("[1] \f").to_text() == "[1]"
    assert vec("[1]\v junk").to_text() == "[1]"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1e39]", "value 1e+39 out of range for float32"),
        ("[-1e39]", "value -1e+39 out of range for float32"),
        ("[1, 3.5e38]", "value 3.5e+38 out of range for float32"),
        # TiDB compares the float64 with MaxFloat32, so its own text for MaxFloat32 fails.
        (
            "[340282350000000000000000000000000000000]",
            "value 3.4028235e+38 out of range for float32",
        ),
        # Values are checked as they are read: the first bad one wins, even if the text is
        # malformed later on...
        ("[1e39, x", "value 1e+39 out of range for float32"),
        ("[1e39, 1e400]", "value 1e+39 out of range for float32"),
        ("[1e39, null]", "value 1e+39 out of range for float32"),
        # ...but a parse error before it wins.
        ("[1e400, 1e39]", "Invalid vector text: [1e400, 1e39]"),
        ("[x, 1e39]", "Invalid vector text: [x, 1e39]"),
    ],
)
def test_parse_value_errors(text: str, message: str) -> None:
    with raises(message):
        vec(text)


def test_dimension_limit() -> None:
    assert vec("[" + ",".join(["1"] * MAX_DIMENSIONS) + "]").dims == MAX_DIMENSIONS
    too_many = "[" + ",".join(["1"] * (MAX_DIMENSIONS + 1)) + "]"
    with raises("vector cannot have more than 16383 dimensions"):
        vec(too_many)
    with raises("vector cannot have more than 16383 dimensions"):
        vec(too_many.replace("[", "[+"))  # through the exact (slow) reader too
    with raises("vector cannot have more than 16383 dimensions"):
        Vector(np.zeros(MAX_DIMENSIONS + 1))
    with raises("vector cannot have more than 16383 dimensions"):
        Vector.from_bytes(bytes(4 * (MAX_DIMENSIONS + 1)))
    # Value errors come before the size check, as in Go.
    with raises("value 1e+39 out of range for float32"):
        vec(too_many.replace("[1,", "[1e39,"))


def test_from_text_rejects_non_str() -> None:
    with pytest.raises(VectorError):
        Vector.from_text(b"[1]")  # type: ignore[arg-type]


def test_long_vector_round_trip() -> None:
    rng = np.random.default_rng(7)
    values = rng.standard_normal(4096).astype(np.float32)
    v = Vector(values)
    again = Vector.from_text(v.to_text())
    assert np.array_equal(again.to_numpy(), values)
    assert Vector.from_text(str(values.tolist())) == v


# ---- building from Python values ------------------------------------------------------


def test_constructor_accepts_numbers() -> None:
    assert Vector([1, 2, 3]).to_text() == "[1,2,3]"
    assert Vector((0.5, -1.5)).to_text() == "[0.5,-1.5]"
    assert Vector(x / 2 for x in range(3)).to_text() == "[0,0.5,1]"
    assert Vector(range(3)).to_text() == "[0,1,2]"
    assert Vector(np.array([1, 2], dtype=np.int8)).to_text() == "[1,2]"
    assert Vector(np.array([1.5], dtype=np.float16)).to_text() == "[1.5]"
    assert Vector(np.array([0.1], dtype=np.float64)).to_text() == "[0.1]"
    assert Vector(np.array([0.1], dtype=">f4")).to_text() == "[0.1]"
    assert Vector([]).dims == 0
    assert Vector([10**30]).to_text() == "[1000000000000000000000000000000]"
    assert Vector(Vector([1, 2])) == Vector([1, 2])


def test_constructor_copies_its_input() -> None:
    source = np.array([1, 2, 3], dtype=np.float32)
    v = Vector(source)
    source[0] = 99
    assert v[0] == 1.0


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([1.0, float("nan")], "NaN not allowed in vector"),
        ([float("inf")], "infinite value not allowed in vector"),
        ([float("-inf"), float("nan")], "infinite value not allowed in vector"),
        (np.array([np.nan], dtype=np.float32), "NaN not allowed in vector"),
        (np.array([1, np.inf], dtype=np.float32), "infinite value not allowed in vector"),
        ([1e39], "value 1e+39 out of range for float32"),
        ([0, -3.5e38, float("nan")], "value -3.5e+38 out of range for float32"),
        ([10**39], "value 1e+39 out of range for float32"),
    ],
)
def test_constructor_value_errors(values: object, message: str) -> None:
    with raises(message):
        Vector(values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "values",
    [
        "[1,2]",
        b"\x00\x00\x80?",
        {1: 2},
        {1.0, 2.0},
        [[1, 2], [3, 4]],
        [[1], [2, 3]],
        ["a", "b"],
        [1, None],
        np.array([True, False]),
        np.array([1 + 2j]),
        np.zeros((2, 2)),
        5,
        [10**400],
    ],
)
def test_constructor_rejects_non_vectors(values: object) -> None:
    with pytest.raises(VectorError):
        Vector(values)  # type: ignore[arg-type]


def test_coerce() -> None:
    expected = Vector([1, 2.5])
    assert Vector.coerce(expected) is expected
    assert Vector.coerce([1, 2.5]) == expected
    assert Vector.coerce((1, 2.5)) == expected
    assert Vector.coerce(np.array([1, 2.5])) == expected
    assert Vector.coerce(np.array([1, 2], dtype=np.int64)) == Vector([1, 2])
    assert Vector.coerce("[1, 2.5]") == expected
    raw = np.array([1, 2.5], dtype="<f4").tobytes()
    assert Vector.coerce(raw) == expected
    assert Vector.coerce(bytearray(raw)) == expected
    assert Vector.coerce(memoryview(raw)) == expected
    with raises("Invalid vector text: [1,"):
        Vector.coerce("[1,")
    with raises("Invalid vector binary: 5 bytes is not a whole number of float32 values"):
        Vector.coerce(b"\x00" * 5)
    with raises("NaN not allowed in vector"):
        Vector.coerce(np.array([np.nan], dtype="<f4").tobytes())
    with raises("Invalid vector text: 5"):
        Vector.coerce(5)
    with raises("Invalid vector text: 1.5"):
        Vector.coerce(1.5)
    for bad in (None, True, {"a": 1}, object(), np.float32(1)):
        with pytest.raises(VectorError):
            Vector.coerce(bad)


# ---- storage form ---------------------------------------------------------------------


def test_bytes_are_raw_little_endian_float32() -> None:
    v = Vector([1, -2, 0.5])
    assert v.to_bytes() == b"\x00\x00\x80?\x00\x00\x00\xc0\x00\x00\x00?"
    assert Vector.from_bytes(v.to_bytes()) == v
    assert Vector.from_bytes(b"").dims == 0
    with raises("Invalid vector binary: 3 bytes is not a whole number of float32 values"):
        Vector.from_bytes(b"abc")
    with raises("infinite value not allowed in vector"):
        Vector.from_bytes(np.array([np.inf], dtype="<f4").tobytes())
    with pytest.raises(VectorError):
        Vector.from_bytes("[1]")  # type: ignore[arg-type]


def test_from_bytes_without_validation_is_zero_copy() -> None:
    raw = np.array([np.nan, 1], dtype="<f4").tobytes()
    v = Vector.from_bytes(raw, validate=False)  # storage blobs are trusted
    assert v.dims == 2
    assert np.shares_memory(v.to_numpy(), np.frombuffer(raw, dtype="<f4"))


def test_from_bytes_copies_mutable_buffers() -> None:
    buffer = bytearray(np.array([1, 2], dtype="<f4").tobytes())
    v = Vector.from_bytes(buffer)
    buffer[:4] = np.array([9], dtype="<f4").tobytes()
    assert v.to_list() == [1.0, 2.0]


# ---- text output ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "text"),
    [
        ([0.3, 0.5, -0.1], "[0.3,0.5,-0.1]"),
        ([1, 2.5], "[1,2.5]"),
        ([], "[]"),
        ([-0.0], "[-0]"),
        ([0.0], "[0]"),
        ([1e-7], "[0.0000001]"),
        ([1.5e-45], "[0.000000000000000000000000000000000000000000001]"),
        ([1e20], "[100000000000000000000]"),
        ([3.4028234663852886e38], "[340282350000000000000000000000000000000]"),
        ([16777217], "[16777216]"),
        ([0.1, 1 / 3], "[0.1,0.33333334]"),
    ],
)
def test_to_text(values: list[float], text: str) -> None:
    v = Vector(values)
    assert v.to_text() == text
    assert str(v) == text
    assert "e" not in text


def test_repr() -> None:
    assert repr(Vector([1, 2, 3])) == "Vector('[1,2,3]')"
    assert repr(Vector([])) == "Vector('[]')"


@pytest.mark.parametrize(
    ("values", "text"),
    [
        ([], "[]"),
        ([1, 2, 3], "[1,2,3]"),
        ([0.123, 123, 0.0001234, 1e-5, -0.0], "[0.12,1.2e+02,0.00012,1e-05,-0]"),
        ([1, 2, 3, 4, 5], "[1,2,3,4,5]"),
        (list(range(1, 101)), "[1,2,3,4,5,(95 more)...]"),
        ([10, 100, 0.5, 0.25, 12, 13], "[10,1e+02,0.5,0.25,12,(1 more)...]"),
    ],
)
def test_format_for_explain(values: list[float], text: str) -> None:
    assert V.format_for_explain(Vector(values)) == text


# ---- Python protocols -----------------------------------------------------------------


def test_numpy_and_container_protocols() -> None:
    v = Vector([1, 2.5, -3])
    arr = v.to_numpy()
    assert arr.dtype == np.float32 and arr.ndim == 1
    assert not arr.flags.writeable
    with pytest.raises(ValueError):
        arr[0] = 5
    assert np.asarray(v).dtype == np.float32
    assert np.array_equal(np.asarray(v), [1, 2.5, -3])
    assert np.asarray(v, dtype=np.float64).dtype == np.float64
    assert np.array(v, copy=True).flags.writeable
    assert v.to_list() == [1.0, 2.5, -3.0]
    assert list(v) == [1.0, 2.5, -3.0]
    assert len(v) == v.dims == 3
    assert v[1] == 2.5 and v[-1] == -3.0
    assert isinstance(v[0], float)
    assert v[1:] == Vector([2.5, -3])
    assert v[::2] == Vector([1, -3])
    with pytest.raises(IndexError):
        v[3]
    assert pickle.loads(pickle.dumps(v)) == v
    assert Vector([0.1]).to_list() == [float(np.float32(0.1))]


def test_equality_and_hash() -> None:
    assert Vector([1, 2]) == Vector([1.0, 2.0])
    assert Vector([0.0]) == Vector([-0.0])
    assert hash(Vector([0.0])) == hash(Vector([-0.0]))
    assert len({Vector([1, 2]), Vector([1, 2]), Vector([2, 1])}) == 2
    assert Vector([1, 2]) != Vector([1, 2, 0])
    assert Vector([1, 2]) != [1, 2]
    assert Vector([]) == Vector([])


def test_ordering_is_tidb_comparison() -> None:
    # Element by element; a prefix is smaller; [] is smallest.
    ordered = [vec(t) for t in ["[]", "[-1]", "[1]", "[1,2]", "[1,2,3]", "[1,3]", "[2]", "[12]"]]
    assert sorted(reversed(ordered)) == ordered
    assert vec("[1,2]") < vec("[1,2,3]")
    assert vec("[1,3]") > vec("[1,2,3]")
    assert vec("[]") < vec("[-100]")
    assert vec("[4]") < vec("[12]")  # numeric, not text order
    assert vec("[1]") <= vec("[1]") and vec("[1]") >= vec("[1]")
    assert V.compare(vec("[1,2]"), vec("[1,2]")) == 0
    assert V.compare(vec("[1,2]"), vec("[1,3]")) == -1
    assert V.compare(vec("[2]"), vec("[1,3]")) == 1
    assert V.compare(vec("[1]"), vec("[1,0]")) == -1
    assert V.compare(vec("[]"), vec("[]")) == 0
    assert V.compare(vec("[-0]"), vec("[0]")) == 0
    assert max([vec("[1,2]"), vec("[3]"), vec("[2,9,9]")]) == vec("[3]")
    with pytest.raises(TypeError):
        _ = vec("[1]") < [1]  # type: ignore[operator]


# ---- distance functions ---------------------------------------------------------------


def test_l2_distance() -> None:
    assert V.l2_distance(vec("[0,0]"), vec("[3,4]")) == 5.0
    assert V.l2_distance(vec("[]"), vec("[]")) == 0.0
    assert V.l2_distance(vec("[1,2]"), vec("[1,2]")) == 0.0
    assert V.l2_distance(vec("[3e38]"), vec("[-3e38]")) == math.inf
    assert V.l2_distance(vec("[2e19]"), vec("[0]")) == math.inf


def test_l1_distance() -> None:
    assert V.l1_distance(vec("[0,0]"), vec("[3,4]")) == 7.0
    assert V.l1_distance(vec("[1,-2]"), vec("[-1,2]")) == 6.0
    assert V.l1_distance(vec("[]"), vec("[]")) == 0.0
    assert V.l1_distance(vec("[3e38, 3e38]"), vec("[0, 0]")) == math.inf


def test_negative_inner_product() -> None:
    assert V.negative_inner_product(vec("[1,2]"), vec("[3,4]")) == -11.0
    assert V.negative_inner_product(vec("[1,-2]"), vec("[3,4]")) == 5.0
    assert V.negative_inner_product(vec("[3e38]"), vec("[3e38]")) == -math.inf
    assert V.negative_inner_product(vec("[3e38]"), vec("[-3e38]")) == math.inf
    # +inf plus -inf is NaN, which becomes NULL.
    assert V.negative_inner_product(vec("[3e38,3e38]"), vec("[3e38,-3e38]")) is None
    result = V.negative_inner_product(vec("[]"), vec("[]"))
    assert result == 0.0 and math.copysign(1.0, result) == -1.0  # Go's 0 * -1


def test_cosine_distance() -> None:
    assert V.cosine_distance(vec("[1,1]"), vec("[-1,-1]")) == 2.0
    assert V.cosine_distance(vec("[1,2]"), vec("[2,4]")) == pytest.approx(0.0, abs=1e-7)
    assert V.cosine_distance(vec("[1,0]"), vec("[0,1]")) == 1.0
    assert V.cosine_distance(vec("[1,2,3]"), vec("[4,5,6]")) == pytest.approx(
        1 - 32 / math.sqrt(14 * 77)
    )
    # A zero vector is 0/0: NULL. So is an overflow (inf/inf), and [] with [].
    assert V.cosine_distance(vec("[0,0]"), vec("[1,2]")) is None
    assert V.cosine_distance(vec("[0,0]"), vec("[0,0]")) is None
    assert V.cosine_distance(vec("[3e38]"), vec("[3e38]")) is None
    assert V.cosine_distance(vec("[]"), vec("[]")) is None


def test_cosine_distance_is_clamped() -> None:
    for seed in range(3):
        v = Vector(np.random.default_rng(seed).standard_normal(999))
        d = V.cosine_distance(v, v)
        assert d is not None and 0.0 <= d <= 2.0
        d = V.cosine_distance(v, Vector(-v.to_numpy()))
        assert d is not None and 0.0 <= d <= 2.0
    # |a|² underflows to 0 while the dot product does not: x/0 = +Inf, clamped to 1.
    assert V.cosine_distance(vec("[1e-23]"), vec("[1e15]")) == 0.0
    assert V.cosine_distance(vec("[1e-23]"), vec("[-1e15]")) == 2.0
    # ...but 0 * inf (one norm underflows, the other overflows) is NaN: NULL.
    assert V.cosine_distance(vec("[1e-30]"), vec("[1e30]")) is None


def test_l2_norm() -> None:
    assert V.l2_norm(vec("[3,4]")) == 5.0
    assert V.l2_norm(vec("[]")) == 0.0
    # Accumulated in float64: no overflow where float32 would overflow.
    assert V.l2_norm(vec("[3e38, 3e38]")) == pytest.approx(math.sqrt(2) * 3e38, rel=1e-7)


def test_dims() -> None:
    assert V.dims(vec("[]")) == 0
    assert V.dims(vec("[1,2,3]")) == 3


def test_float32_accumulation_matches_a_sequential_loop() -> None:
    """TiDB sums in float32, left to right; the results must match that bit for bit."""
    rng = np.random.default_rng(3)
    a = rng.standard_normal(384).astype(np.float32)
    b = rng.standard_normal(384).astype(np.float32)
    dot = aa = bb = l2 = l1 = np.float32(0)
    for x, y in zip(a, b, strict=True):
        dot = np.float32(dot + x * y)
        aa = np.float32(aa + x * x)
        bb = np.float32(bb + y * y)
        l2 = np.float32(l2 + (x - y) * (x - y))
        l1 = np.float32(l1 + abs(x - y))
    va, vb = Vector(a), Vector(b)
    assert V.negative_inner_product(va, vb) == -float(dot)
    assert V.l2_distance(va, vb) == math.sqrt(float(l2))
    assert V.l1_distance(va, vb) == float(l1)
    similarity = float(dot) / math.sqrt(float(aa) * float(bb))
    assert V.cosine_distance(va, vb) == 1.0 - similarity
    norm = 0.0
    for x in a.astype(np.float64):
        norm += x * x
    assert V.l2_norm(va) == math.sqrt(norm)


@pytest.mark.parametrize(
    "function",
    [
        V.l2_distance,
        V.l1_distance,
        V.negative_inner_product,
        V.cosine_distance,
        V.add,
        V.subtract,
        V.multiply,
    ],
)
def test_different_dimensions(function: object) -> None:
    with raises("vectors have different dimensions: 1 and 3"):
        function(vec("[1]"), vec("[1,2,3]"))  # type: ignore[operator]
    with raises("vectors have different dimensions: 2 and 0"):
        function(vec("[1,2]"), vec("[]"))  # type: ignore[operator]


def test_distances_do_not_warn() -> None:
    with np.errstate(all="raise"):
        assert V.l2_distance(vec("[3e38]"), vec("[-3e38]")) == math.inf
        assert V.cosine_distance(vec("[3e38]"), vec("[3e38]")) is None
        with raises("value out of range: overflow"):
            V.add(vec("[3e38]"), vec("[3e38]"))


# ---- arithmetic -----------------------------------------------------------------------


def test_arithmetic() -> None:
    assert V.add(vec("[1,2,3]"), vec("[4,5,6]")) == vec("[5,7,9]")
    assert V.subtract(vec("[1,2,3]"), vec("[4,5,6]")) == vec("[-3,-3,-3]")
    assert V.multiply(vec("[1,2,3]"), vec("[4,5,6]")) == vec("[4,10,18]")
    assert V.add(vec("[]"), vec("[]")) == vec("[]")
    assert vec("[1,2]") + vec("[3,4]") == vec("[4,6]")
    assert vec("[1,2]") - vec("[3,4]") == vec("[-2,-2]")
    assert vec("[1,2]") * vec("[3,4]") == vec("[3,8]")
    assert V.add(vec("[0.1]"), vec("[0.2]")).to_text() == "[0.3]"
    with pytest.raises(TypeError):
        _ = vec("[1]") + 1  # type: ignore[operator]


def test_arithmetic_errors() -> None:
    with raises("value out of range: overflow"):
        V.add(vec("[3e38]"), vec("[3e38]"))
    with raises("value out of range: overflow"):
        V.subtract(vec("[1, -3e38]"), vec("[1, 3e38]"))
    with raises("value out of range: overflow"):
        V.multiply(vec("[1e20]"), vec("[1e20]"))
    # Only reachable with unchecked blobs; the first bad element decides.
    nan_blob = np.array([np.nan, 3e38], dtype="<f4").tobytes()
    nan_vec = Vector.from_bytes(nan_blob, validate=False)
    with raises("value out of range: NaN"):
        V.add(nan_vec, vec("[1, 3e38]"))
    inf_first = Vector.from_bytes(np.array([3e38, np.nan], dtype="<f4").tobytes(), validate=False)
    with raises("value out of range: overflow"):
        V.add(inf_first, vec("[3e38, 1]"))


# ---- dimension check ------------------------------------------------------------------


def test_check_dimensions() -> None:
    v = vec("[1,2]")
    assert V.check_dimensions(v, 2) is v
    assert V.check_dimensions(v, None) is v
    assert V.check_dimensions(v, -1) is v
    with raises("vector has 2 dimensions, does not fit VECTOR(3)"):
        V.check_dimensions(v, 3)
    with raises("vector has 0 dimensions, does not fit VECTOR(1)"):
        V.check_dimensions(vec("[]"), 1)


# ---- Go %v formatting used in error texts ---------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1e39, "1e+39"),
        (-1e39, "-1e+39"),
        (3.5e38, "3.5e+38"),
        (1e100, "1e+100"),
        (123456.0, "123456"),
        (1234567.0, "1.234567e+06"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (1.5, "1.5"),
        (-0.0, "-0"),
        (float("inf"), "+Inf"),
        (float("nan"), "NaN"),
    ],
)
def test_go_float_formatting(value: float, text: str) -> None:
    assert V._go_float(value) == text
