"""What the search tests share, and the builder's own checks.

:class:`ModelTarget` is the smallest :class:`~autovec.client.fields.SearchTarget`: a
SQLModel class, an ``autovec:///`` engine on a real data directory, and the special
columns described by hand — so the search package is tested without ``Table``.
Statements run are recorded (:attr:`ModelTarget.statements`) to check the SQL sent.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from numpy.typing import ArrayLike
from sqlmodel import Field, Session, SQLModel

from autovec.client.fields import DistanceMetric, FullTextFieldInfo, VectorFieldInfo
from autovec.client.search import Search, SearchPlan
from autovec.client.search.query import split_query
from autovec.sqlalchemy import VECTOR
from autovec.vector import Vector


@dataclass
class ModelTarget:
    """A SearchTarget over a plain SQLModel class."""

    table_model: type[SQLModel]
    db_engine: sa.Engine
    vector_fields: dict[str, VectorFieldInfo] = field(default_factory=dict)
    text_fields: dict[str, FullTextFieldInfo] = field(default_factory=dict)
    primary_key: Sequence[str] = ("id",)
    statements: list[str] = field(default_factory=list)
    sessions: int = 0

    def __post_init__(self) -> None:
        def record(*args: Any) -> None:
            self.statements.append(args[2])

        sa.event.listen(self.db_engine, "before_cursor_execute", record)

    @property
    def table_name(self) -> str:
        return str(self.table_model.__tablename__)

    @contextmanager
    def session(self) -> Iterator[Session]:
        # As pytidb's client session: commit on exit, objects usable afterwards.
        self.sessions += 1
        with Session(self.db_engine, expire_on_commit=False) as session:
            yield session
            session.commit()

    def selects(self) -> list[str]:
        return [s for s in self.statements if s.lstrip().upper().startswith("SELECT")]


def make_engine(tmp_path: Path) -> sa.Engine:
    return sa.create_engine(f"autovec:///{tmp_path / 'data'}")


def ddl(engine: sa.Engine, *statements: str) -> None:
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)


def cosine(a: ArrayLike, b: ArrayLike) -> float:
    x, y = np.asarray(a, dtype=np.float32), np.asarray(b, dtype=np.float32)
    return float(1 - np.dot(x, y) / (np.linalg.norm(x) * np.linalg.norm(y)))


def l2(a: ArrayLike, b: ArrayLike) -> float:
    x, y = np.asarray(a, dtype=np.float32), np.asarray(b, dtype=np.float32)
    return float(np.linalg.norm(x - y))


# --- a small table used by the builder checks below ------------------------------------


class SupportDoc(SQLModel, table=True):
    __tablename__ = "support_docs"
    id: int | None = Field(default=None, primary_key=True)
    text: str | None = None
    v: Any = Field(default=None, sa_type=VECTOR(3))
    w: Any = Field(default=None, sa_type=VECTOR(2))


@pytest.fixture
def support(tmp_path: Path) -> Iterator[ModelTarget]:
    engine = make_engine(tmp_path)
    target = ModelTarget(
        SupportDoc,
        engine,
        vector_fields={
            "v": VectorFieldInfo("v", 3),
            "w": VectorFieldInfo("w", 2, DistanceMetric.L2),
        },
        text_fields={"text": FullTextFieldInfo("text")},
    )
    yield target
    engine.dispose()


def test_the_helper_target_is_a_search_target(support: ModelTarget) -> None:
    search = Search(support, [1, 0, 0])
    assert search.search_type == "vector" and isinstance(search.plan, SearchPlan)


def test_queries_are_sorted_into_text_and_vector() -> None:
    assert split_query("hello").query == "hello" and split_query("hello").vector is None
    for vector in ([1, 2, 3], (1.0, 2.0, 3.0), np.array([1, 2, 3], dtype=np.float64)):
        got = split_query(vector)
        assert got.query is None and got.vector == Vector([1, 2, 3])
    bundle = split_query({"query": "hi", "query_vector": np.array([0.5, 1.5])})
    assert bundle.query == "hi" and bundle.vector == Vector([0.5, 1.5])
    image = Path("cat.png")
    assert split_query(image).query is image  # routed to the embedding function as is
    assert split_query(None).query is None and split_query(None).vector is None
    with pytest.raises(ValueError, match="only 'query' and 'query_vector'"):
        split_query({"text": "x"})
    with pytest.raises(ValueError, match="invalid query vector"):
        split_query([1, "a"])
    with pytest.raises(ValueError, match="empty"):
        split_query([])


def test_each_option_returns_a_new_search(support: ModelTarget) -> None:
    base = Search(support, [1, 0, 0]).vector_column("v").limit(3)
    near = base.distance_threshold(0.1)
    assert base.plan.distance_threshold is None and near.plan.distance_threshold == 0.1
    assert near.plan.limit == 3 and near.plan.vector_column == "v"


def test_options_are_checked_when_set(support: ModelTarget) -> None:
    s = Search(support, [1, 0, 0])
    with pytest.raises(ValueError, match="invalid search type"):
        Search(support, "x", search_type="semantic")  # type: ignore[arg-type]
    for bad in (0, -1, 2.5, True, None):
        with pytest.raises(ValueError, match="limit must be a positive integer"):
            s.limit(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="num_candidate must be a positive integer"):
        s.num_candidate(0)
    with pytest.raises(ValueError, match="'text' is not a vector column"):
        s.vector_column("text")
    with pytest.raises(ValueError, match="'v' is not a full-text column"):
        s.text_column("v")
    with pytest.raises(ValueError, match="invalid distance metric 'dot'"):
        s.distance_metric("dot")
    assert s.distance_metric("l2").plan.distance_metric is DistanceMetric.L2
    with pytest.raises(ValueError, match="lower_bound must not exceed upper_bound"):
        s.distance_range(0.5, 0.2)
    with pytest.raises(ValueError, match="distance threshold must be a number"):
        s.distance_threshold("near")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="fusion method is only supported for hybrid search"):
        s.fusion("rrf")
    with pytest.raises(ValueError, match="reranker must have a rerank"):
        s.rerank(object())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="query text must be a string"):
        s.text(3)  # type: ignore[arg-type]


def test_limit_is_required(support: ModelTarget) -> None:
    s = Search(support, [1, 0, 0]).vector_column("v")
    with pytest.raises(
        ValueError, match=r"limit is required for search, please specify it through \.limit\(n\)"
    ):
        s.to_list()
    with pytest.raises(ValueError, match="limit is required"):
        s.compiled_vector_query_sql()
    assert support.sessions == 0  # refused before any database work
