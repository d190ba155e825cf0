"""The one compiled part of autovec: optional kernels (``autovec/_kernels.c``).

Everything else is configured in pyproject.toml. The extension is optional: where it
cannot be built, autovec uses the numpy code that computes the same values.
"""

import sys

from setuptools import Extension, setup

# A fused multiply-add would skip the rounding of each float32 product (see the C file).
flags = [] if sys.platform == "win32" else ["-O3", "-ffp-contract=off"]
setup(
    ext_modules=[
        Extension("autovec._kernels", ["autovec/_kernels.c"], extra_compile_args=flags, optional=True)
    ]
)
