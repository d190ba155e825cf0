"""The two entry points to MySQL's built-in functions (declared in :mod:`autovec.sql.functions`).

- :func:`rewrite`: MySQL function nodes in a parsed tree -> ``__av_*`` calls, in place;
- :func:`register`: every function those calls name, on an apsw connection.
"""

from __future__ import annotations

from autovec.sql.functions.catalog import register
from autovec.sql.functions.rewrite import rewrite

__all__ = ["register", "rewrite"]
