"""What the SDK knows about a table's special columns, shared by its tables and searches.

``autovec.schema`` builds these from a model's fields (``VectorField``, ``FullTextField``,
``EmbeddingFunction.VectorField``) or from a reflected table; ``autovec.client.table``
keeps them; ``autovec.client.search`` reads them to write its SQL. They hold no SQL and
no connection: plain descriptions.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    import sqlalchemy as sa
    from sqlmodel import Session, SQLModel

    from autovec.embeddings.function import EmbeddingFunction


class DistanceMetric(str, enum.Enum):  # noqa: UP042 - str() stays the enum's repr, as pytidb's
    """pytidb's metrics; the value names the SQL function and the index."""

    COSINE = "COSINE"
    L2 = "L2"

    @property
    def function(self) -> str:
        """``VEC_COSINE_DISTANCE`` / ``VEC_L2_DISTANCE``."""
        return f"VEC_{self.value}_DISTANCE"

    @property
    def embed_function(self) -> str:
        """``VEC_EMBED_COSINE_DISTANCE`` / ``VEC_EMBED_L2_DISTANCE`` (server-side text)."""
        return f"VEC_EMBED_{self.value}_DISTANCE"


SourceType = Literal["text", "image"]


@dataclass(frozen=True)
class VectorFieldInfo:
    """A vector column: its size and metric, and where its vectors come from."""

    name: str
    dimensions: int
    distance_metric: DistanceMetric = DistanceMetric.COSINE
    index: bool = True  # create ``vec_idx_{name}_{metric}`` with the table
    embed_fn: EmbeddingFunction | None = None  # None: the caller supplies vectors
    source_field: str | None = None  # the column it is embedded from
    source_type: SourceType = "text"
    # True: the column is ``GENERATED ALWAYS AS (EMBED_TEXT(...)) STORED``; the database
    # embeds rows and ``VEC_EMBED_*_DISTANCE`` embeds text queries. False: the SDK embeds.
    server_side: bool = False

    @property
    def index_name(self) -> str:
        """pytidb's name: ``vec_idx_{column}_{metric}`` (metric in lower case)."""
        return f"vec_idx_{self.name}_{self.distance_metric.value.lower()}"


@dataclass(frozen=True)
class FullTextFieldInfo:
    """A column with a full-text index ``fts_idx_{name}``."""

    name: str
    fts_parser: str = "MULTILINGUAL"
    index: bool = True

    @property
    def index_name(self) -> str:
        return f"fts_idx_{self.name}"


class SearchTarget(Protocol):
    """What a search needs of a table (``autovec.client.table.Table`` is one)."""

    @property
    def table_name(self) -> str: ...

    @property
    def table_model(self) -> type[SQLModel]:
        """The model class; ``table_model.__table__`` is its SQLAlchemy ``Table``."""
        ...

    @property
    def db_engine(self) -> sa.Engine: ...

    @property
    def vector_fields(self) -> Mapping[str, VectorFieldInfo]: ...

    @property
    def text_fields(self) -> Mapping[str, FullTextFieldInfo]: ...

    @property
    def primary_key(self) -> Sequence[str]:
        """Primary key column names (empty: rows are matched by ``_tidb_rowid``)."""
        ...

    def session(self) -> AbstractContextManager[Session]:
        """The client's session: reused when one is open (``client.session()``), else a
        new one for the call."""
        ...
