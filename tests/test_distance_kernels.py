"""Batch distances (the compiled kernel and its numpy fallback) equal the row-by-row functions.

Equal means bit for bit, sign of zero included, and None in the same places: the index
and exact-search paths print these values where the plain plan prints the row-by-row ones.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from autovec import vector as V
from autovec.vector import Vector

ROW_BY_ROW = {
    "COSINE": V.cosine_distance,
    "L2": V.l2_distance,
    "NEGATIVE_INNER_PRODUCT": V.negative_inner_product,
    "L1": V.l1_distance,
}


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)  # never NaN: None


def _cases() -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(20261122)
    cases = []
    for scale in (1.0, 1e-20, 1e18, 3e19):  # ordinary, underflowing, overflowing products
        for dims in (1, 3, 17, 384, 1000):
            rows = (rng.standard_normal((21, dims)) * scale).astype(np.float32)
            rows[2] = 0.0
            rows[4] = -0.0
            rows[6, 0] = np.float32(3e38)
            for query in (rng.standard_normal(dims) * scale, np.zeros(dims), rows[6]):
                cases.append((rows, np.asarray(query, dtype=np.float32)))
    return cases


@pytest.mark.parametrize("metric", sorted(ROW_BY_ROW))
def test_batch_distances_match_row_by_row_bit_for_bit(metric: str) -> None:
    for rows, query in _cases():
        q = Vector(query)
        expected = [ROW_BY_ROW[metric](Vector(row), q) for row in rows]
        for got in (
            V.distances_to(metric, rows, q),
            V.numpy_distances_to(metric, rows, q.to_numpy()),
        ):
            assert all(_same(g, e) for g, e in zip(got, expected, strict=True)), (
                metric,
                rows.shape,
                [(g, e) for g, e in zip(got, expected, strict=True) if not _same(g, e)][:3],
            )


def test_kernel_is_built_and_used() -> None:
    # `make test` installs the package with its extension; without it searches still work
    # (numpy), but slower, so a broken build must not pass unnoticed.
    assert V._kernels is not None
    rows = np.ones((2, 3), dtype=np.float32)
    assert V._kernels.distances(1, rows, np.zeros(3, dtype=np.float32), 2) == [math.sqrt(3)] * 2


def test_kernel_rejects_mismatched_shapes() -> None:
    assert V._kernels is not None
    for rows, query, count in (((2, 3), 2, 2), ((2, 3), 3, 3), ((2, 3), 0, 0)):
        with pytest.raises(ValueError, match="as wide as the query"):
            V._kernels.distances(
                0, np.ones(rows, dtype=np.float32), np.ones(query, dtype=np.float32), count
            )
    with pytest.raises(V.VectorError, match="different dimensions"):
        V.distances_to("COSINE", np.ones((2, 3), dtype=np.float32), Vector([1.0, 2.0]))


def test_non_contiguous_rows_are_accepted() -> None:
    rows = np.arange(24, dtype=np.float32).reshape(4, 6)[:, ::2]
    q = Vector([1.0, 2.0, 3.0])
    expected = [V.l2_distance(Vector(r), q) for r in rows]
    assert V.distances_to("L2", rows, q) == expected


def test_kernel_takes_rows_as_a_tuple() -> None:
    # usearch's get_many returns one array per row: no need to join them first.
    assert V._kernels is not None
    rows = np.random.default_rng(3).standard_normal((11, 384)).astype(np.float32)
    q = rows[0] * np.float32(0.5)
    for code in range(4):
        as_matrix = V._kernels.distances(code, rows, q, 11)
        assert V._kernels.distances(code, tuple(rows), q, 11) == as_matrix
    for bad in ((rows[0],), (rows[0], rows[1][:7])):
        with pytest.raises(ValueError, match="as wide as the query"):
            V._kernels.distances(0, bad, q, 2)
