"""TiDB's ``tidb-vector`` package (SQLAlchemy ``VectorType``, ``VectorAdaptor``) over the wire."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy import orm
from tidb_vector.constants import DistanceMetric
from tidb_vector.sqlalchemy import VectorAdaptor, VectorType


class Base(orm.DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    embedding = sa.Column(VectorType(3))


def test_vector_type_distances_and_index(engine: sa.Engine) -> None:
    Base.metadata.create_all(engine)
    with orm.Session(engine) as session:
        session.add_all(
            [Item(id=1, embedding=[1, 2, 3]), Item(id=2, embedding=[4, 5, 6]),
             Item(id=3, embedding=np.array([1, 2, 2.5]))]
        )  # fmt: skip
        session.commit()
        nearest = session.scalars(
            sa.select(Item).order_by(Item.embedding.cosine_distance([1, 2, 3])).limit(2)
        ).all()
        assert [item.id for item in nearest] == [1, 3]
        assert isinstance(nearest[0].embedding, np.ndarray)
        assert nearest[0].embedding.tolist() == [1.0, 2.0, 3.0]
        distance = session.scalar(
            sa.select(Item.embedding.l2_distance([1, 2, 3])).where(Item.id == 2)
        )
        assert distance == pytest.approx(27**0.5)
    adaptor = VectorAdaptor(engine)
    assert not adaptor.has_vector_index(Item.__table__.c.embedding)
    adaptor.create_vector_index(Item.__table__.c.embedding, DistanceMetric.L2)
    assert adaptor.has_vector_index(Item.__table__.c.embedding)
    adaptor.create_vector_index(
        Item.__table__.c.embedding, DistanceMetric.L2, skip_existing=True
    )  # a second time is skipped, not an error
    with orm.Session(engine) as session:
        found = session.scalars(
            sa.select(Item.id).order_by(Item.embedding.l2_distance([4, 5, 6])).limit(1)
        ).all()
        assert found == [2]
