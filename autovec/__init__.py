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

from autovec.version import __version__

if TYPE_CHECKING:
    from autovec.client.client import Client, TiDBClient
    from autovec.dbapi import Connection, Cursor, apilevel, connect, paramstyle, threadsafety
    from autovec.errors import (
        DatabaseError,
        DataError,
        Error,
        IntegrityError,
        InterfaceError,
        InternalError,
        NotSupportedError,
        OperationalError,
        ProgrammingError,
        Warning,
    )
    from autovec.vector import Vector

_LAZY = {
    **dict.fromkeys(
        ["Connection", "Cursor", "apilevel", "connect", "paramstyle", "threadsafety"],
        "autovec.dbapi",
    ),
    **dict.fromkeys(
        [
            "DataError",
            "DatabaseError",
            "Error",
            "IntegrityError",
            "InterfaceError",
            "InternalError",
            "NotSupportedError",
            "OperationalError",
            "ProgrammingError",
            "Warning",
        ],
        "autovec.errors",
    ),
    "Vector": "autovec.vector",
    "Client": "autovec.client.client",
    "TiDBClient": "autovec.client.client",
}

__all__ = [
    "Client",
    "Connection",
    "Cursor",
    "DataError",
    "DatabaseError",
    "Error",
    "IntegrityError",
    "InterfaceError",
    "InternalError",
    "NotSupportedError",
    "OperationalError",
    "ProgrammingError",
    "TiDBClient",
    "Vector",
    "Warning",
    "__version__",
    "apilevel",
    "connect",
    "paramstyle",
    "threadsafety",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'autovec' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
