"""SQLAlchemy 2 ``mysql+pymysql://`` against a real ``autovec serve``: Core, ORM, reflection."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import orm


class Base(orm.DeclarativeBase):
    pass


class Note(Base):
    __tablename__ = "notes"
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True, autoincrement=True)
    body: orm.Mapped[str] = orm.mapped_column(sa.String(200))
    score: orm.Mapped[float | None]


def test_core_and_orm(engine: sa.Engine) -> None:
    assert not sa.inspect(engine).has_table("notes")  # DESCRIBE answers 1146
    Base.metadata.create_all(engine)
    assert sa.inspect(engine).has_table("notes")
    with orm.Session(engine) as session:
        session.add_all([Note(body="first", score=1.5), Note(body="second")])
        session.commit()
        ids = [n.id for n in session.scalars(sa.select(Note).order_by(Note.id))]
        assert ids == [1, 2]  # autoincrement ids came back through the OK packets
    with engine.begin() as conn:
        updated = conn.execute(sa.update(Note).where(Note.id == 2).values(score=3.0))
        assert updated.rowcount == 1
    with engine.connect() as conn:  # each check-in sends ROLLBACK; nothing breaks
        rows = conn.execute(sa.select(Note.body, Note.score).order_by(Note.id)).all()
        assert rows == [("first", 1.5), ("second", 3.0)]
        conn.execute(sa.insert(Note).values(body="never"))
        conn.rollback()
        assert conn.execute(sa.select(sa.func.count()).select_from(Note)).scalar() == 2


def test_reflection(engine: sa.Engine) -> None:
    # Plain SQLAlchemy cannot reflect a `vector(3)` column from TiDB either (its MySQL
    # dialect has no such type; tidb-vector's VectorType adds it), so none here.
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE docs (id INT PRIMARY KEY, title VARCHAR(50) NOT NULL,"
            " body TEXT, KEY kt (title))"
        )
    table = sa.Table("docs", sa.MetaData(), autoload_with=engine)
    assert [c.name for c in table.columns] == ["id", "title", "body"]
    assert table.c.title.nullable is False and list(table.primary_key.columns.keys()) == ["id"]
    assert {i.name for i in table.indexes} == {"kt"}
