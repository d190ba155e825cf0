"""The names pytidb gives search results' columns and aliases, and the search kinds.

They are part of the contract: ``to_rows()`` rows carry these keys, ``to_list()`` dicts
carry the ``_distance``/``_match_score``/``_score`` keys, and the SQL uses the aliases
(``docs AS _hit``, ``candidates``) exactly as pytidb 0.0.14 writes them.
"""

from __future__ import annotations

from typing import Literal

__all__ = [
    "CANDIDATES_LABEL",
    "DISTANCE_LABEL",
    "HIT_LABEL",
    "INNER_HIT_LABEL",
    "INNER_ROW_ID_LABEL",
    "MATCH_SCORE_LABEL",
    "ROW_ID_LABEL",
    "SCORE_LABEL",
    "FusionMethod",
    "SearchType",
]

SearchType = Literal["vector", "fulltext", "hybrid"]
FusionMethod = Literal["rrf", "weighted"]

HIT_LABEL = "_hit"
INNER_HIT_LABEL = "_inner_hit"
CANDIDATES_LABEL = "candidates"
DISTANCE_LABEL = "_distance"
MATCH_SCORE_LABEL = "_match_score"
SCORE_LABEL = "_score"
ROW_ID_LABEL = "_tidb_rowid"
#: The row id's name inside the post-filter subquery. Not ``_tidb_rowid`` itself: the
#: embedded engine reads ``candidates._tidb_rowid`` as the derived table's hidden row id
#: rather than its column of that name, so the outer query relabels this one instead.
INNER_ROW_ID_LABEL = "_inner_tidb_rowid"
