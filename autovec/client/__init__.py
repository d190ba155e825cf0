"""The pytidb-compatible SDK: ``TiDBClient``, ``Table``, filters, searches.

One concern per module: :mod:`.client` (connect, databases, tables, raw SQL),
:mod:`.urls`, :mod:`.session`, :mod:`.results`, :mod:`.table` (writes, reads, indexes),
:mod:`.filters`, :mod:`.embedding` (client-side embedding), :mod:`.ddl`,
:mod:`.reflection`, :mod:`.fields` (what searches need to know of a table) and
:mod:`.search`. Names here load on first use (PEP 562), so importing a submodule such as
:mod:`.fields` does not pull in SQLModel.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autovec.client.client import Client, TiDBClient
    from autovec.client.table import Table

_LAZY = {
    "Client": "autovec.client.client",
    "TiDBClient": "autovec.client.client",
    "Table": "autovec.client.table",
}

__all__ = ["Client", "Table", "TiDBClient"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'autovec.client' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
