"""autovec: an auto-embedding vector database that speaks TiDB's vector SQL.

>>> import autovec
>>> conn = autovec.connect(":memory:", autocommit=True)
>>> cur = conn.cursor()
>>> cur.execute("CREATE TABLE t (id INT PRIMARY KEY, v VECTOR(3))")
0

Names are loaded on first use (PEP 562), so ``autovec --version`` and tools that only
need the version do not pay for numpy, SQLite and the SQL parser.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from autovec import errors
from autovec.errors import *  # noqa: F403  (PEP 249's exceptions: a small module, no imports)
from autovec.version import __version__

if TYPE_CHECKING:
    from autovec.client.client import Client, TiDBClient
    from autovec.dbapi import Connection, Cursor, apilevel, connect, paramstyle, threadsafety
    from autovec.vector import Vector

_LAZY = {
    **dict.fromkeys(
        ["Connection", "Cursor", "apilevel", "connect", "paramstyle", "threadsafety"],
        "autovec.dbapi",
    ),
    "Vector": "autovec.vector",
    "Client": "autovec.client.client",
    "TiDBClient": "autovec.client.client",
}

__all__ = [
    "Client",
    "Connection",
    "Cursor",
    "TiDBClient",
    "Vector",
    "__version__",
    "apilevel",
    "connect",
    "paramstyle",
    "threadsafety",
    *errors.__all__,
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'autovec' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
