"""A search's ``.filter(...)``, compiled onto the alias the search selects from.

:func:`autovec.client.filters.compile_filter` turns a dict
(``{"genre": {"$in": [...]}, "meta.lang": "en"}``), a raw SQL string or a SQLAlchemy
expression into one condition. A search selects from an alias rather than the table
(``docs AS _hit``, or the ``candidates`` subquery in post-filter mode), so the filter is
compiled against that alias's columns: ``_hit.genre IN (...)``, ``candidates.genre …``.
A raw SQL string is used as written (its bare names resolve against the only FROM).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.sql.elements import ColumnElement

from autovec.client.filters import Filters, compile_filter
from autovec.client.search.columns import ModelAlias, selectable_of

__all__ = ["search_filter"]


def search_filter(filters: Filters, alias: ModelAlias) -> ColumnElement[Any]:
    """``filters`` as a condition on ``alias``'s columns."""
    return compile_filter(selectable_of(alias), filters)
