from typing import Any

import numpy as np

_Floats = np.ndarray[Any, Any] | bytes | memoryview

def distances(
    metric: int, rows: _Floats | tuple[_Floats, ...], query: _Floats, count: int, /
) -> list[float | None]: ...
def first_non_finite(values: _Floats, /) -> int: ...
