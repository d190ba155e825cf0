"""SQLAlchemy and SQLModel on autovec: the ``autovec://`` dialect and the VECTOR type.

Every test runs the real engine on real files under ``tmp_path`` (or ``:memory:`` where
that is the point), through SQLAlchemy's public API only.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
import sqlmodel
from sqlalchemy import exc, func, inspect, select
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship
from sqlalchemy.pool import QueuePool, StaticPool
from sqlalchemy.schema import CreateIndex, CreateTable

import autovec
from autovec.sqlalchemy import VECTOR, VectorType, decode_vector, encode_vector
from autovec.sqlalchemy.dialect import AutovecDialect


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[sa.Engine]:
    eng = sa.create_engine(f"autovec:///{tmp_path / 'data'}")
    yield eng
    eng.dispose()


def _items_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "items",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(40), nullable=False, unique=True),
        sa.Column("category", sa.String(20), index=True),
        sa.Column("price", sa.Numeric(10, 2)),
        sa.Column("embedding", VECTOR(3)),
    )


# -- URLs, connecting, dialect facts ---------------------------------------------------------


def test_urls_map_to_connect_arguments() -> None:
    dialect = AutovecDialect()

    def args(url: str) -> tuple[list[object], dict[str, object]]:
        positional, options = dialect.create_connect_args(sa.make_url(url))
        assert options.pop("found_rows") is True  # UPDATE counts matched rows for the ORM
        return list(positional), dict(options)

    assert args("autovec:///rel/dir") == (["rel/dir"], {"autocommit": False})
    assert args("autovec:////abs/dir") == (["/abs/dir"], {"autocommit": False})
    assert args("autovec://") == ([":memory:"], {"autocommit": False})
    assert args("autovec:///:memory:") == ([":memory:"], {"autocommit": False})
    assert args("autovec:///d?database=shop") == (["d"], {"database": "shop", "autocommit": False})
    assert args("autovec:///d?autocommit=true") == (["d"], {"autocommit": True})
    with pytest.raises(exc.ArgumentError, match="local directory"):
        dialect.create_connect_args(sa.make_url("autovec://data"))


def test_relative_path_is_a_data_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    eng = sa.create_engine("autovec:///store")
    try:
        assert isinstance(eng.pool, QueuePool)
        with eng.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE t (id INT PRIMARY KEY)")
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
    finally:
        eng.dispose()
    assert (tmp_path / "store").is_dir()
    # A second engine on the same directory sees the committed row.
    again = sa.create_engine(f"autovec:///{tmp_path / 'store'}")
    try:
        with again.connect() as conn:
            assert conn.execute(sa.text("SELECT id FROM t")).scalars().all() == [1]
    finally:
        again.dispose()


def test_database_query_parameter(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE DATABASE shop")
    other = sa.create_engine(f"{engine.url}?database=shop")
    try:
        with other.connect() as conn:
            assert conn.execute(select(func.database())).scalar() == "shop"
        assert other.dialect.default_schema_name == "shop"
    finally:
        other.dispose()


def test_memory_engine_shares_one_database() -> None:
    first, second = sa.create_engine("autovec://"), sa.create_engine("autovec:///:memory:")
    try:
        assert isinstance(first.pool, StaticPool)
        with first.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE t (id INT PRIMARY KEY)")
            conn.exec_driver_sql("INSERT INTO t VALUES (7)")
        with first.connect() as conn:  # a later checkout: still the same database
            assert conn.execute(sa.text("SELECT id FROM t")).scalar() == 7
        assert not inspect(second).has_table("t")  # another engine: another database
    finally:
        first.dispose()
        second.dispose()


def test_dialect_facts(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        dialect = conn.dialect
        assert isinstance(dialect, AutovecDialect)
        assert (dialect.name, dialect.driver) == ("mysql", "autovec")
        assert dialect.server_version_info == (8, 0, 11)
        assert dialect.tidb_version_info == (8, 5, 0)
        assert dialect.default_schema_name == "test"
        assert conn.execute(select(func.version())).scalar() == "8.0.11-TiDB-v8.5.0-autovec-0.1.0"
        assert conn.get_isolation_level() == "REPEATABLE READ"


def test_ping_and_disconnect_detection(tmp_path: Path) -> None:
    eng = sa.create_engine(f"autovec:///{tmp_path / 'data'}", pool_pre_ping=True)
    try:
        with eng.connect() as conn:
            assert conn.execute(sa.text("SELECT 1")).scalar() == 1
            raw = conn.connection.dbapi_connection
            assert raw is not None
            assert eng.dialect.do_ping(raw)
            # autovec's cursor errors reuse MySQL's 2014 but lose no connection.
            cursor_error: Any = autovec.ProgrammingError("Cursor is closed", 2014)
            assert not eng.dialect.is_disconnect(cursor_error, raw, None)
            raw.close()  # the DB-API connection dies under SQLAlchemy
            with pytest.raises(exc.DBAPIError) as lost:
                conn.execute(sa.text("SELECT 1"))
            assert lost.value.connection_invalidated
        # The pool replaces the dead connection.
        with eng.connect() as conn:
            assert conn.execute(sa.text("SELECT 2")).scalar() == 2
    finally:
        eng.dispose()


# -- Core ----------------------------------------------------------------------------------------------


def test_core_crud(engine: sa.Engine) -> None:
    metadata = sa.MetaData()
    items = _items_table(metadata)
    metadata.create_all(engine)
    with engine.begin() as conn:
        one = conn.execute(
            items.insert().values(name="apple", category="fruit", price="1.50", embedding=[1, 0, 0])
        )
        assert one.inserted_primary_key == (1,)
        assert one.lastrowid == 1
        many = conn.execute(
            items.insert(),
            [
                {
                    "name": "pear",
                    "category": "fruit",
                    "price": 2,
                    "embedding": np.array([0.9, 0.1, 0]),
                },
                {
                    "name": "kale",
                    "category": "veg",
                    "price": 3,
                    "embedding": autovec.Vector([0, 1, 0]),
                },
            ],
        )
        assert many.rowcount == 2
        multi = conn.execute(
            items.insert().values(
                [
                    {"name": "leek", "category": "veg", "price": 4, "embedding": [0, 0.9, 0.1]},
                    {"name": "salt", "category": None, "price": None, "embedding": None},
                ]
            )
        )
        assert multi.rowcount == 2

    with engine.connect() as conn:
        rows = conn.execute(
            select(items.c.name, items.c.price)
            .where(items.c.category == "fruit")
            .order_by(items.c.price.desc())
        ).all()
        assert [(r.name, str(r.price)) for r in rows] == [("pear", "2.00"), ("apple", "1.50")]
        grouped = conn.execute(
            select(
                items.c.category, func.count().label("n"), func.sum(items.c.price).label("total")
            )
            .where(items.c.category.is_not(None))
            .group_by(items.c.category)
            .order_by(items.c.category)
        ).all()
        assert [(g.category, g.n, float(g.total)) for g in grouped] == [
            ("fruit", 2, 3.5),
            ("veg", 2, 7.0),
        ]
        page = (
            conn.execute(select(items.c.name).order_by(items.c.id).limit(2).offset(1))
            .scalars()
            .all()
        )
        assert page == ["pear", "kale"]
        like = (
            conn.execute(
                select(items.c.name).where(items.c.name.like("%e%")).order_by(items.c.name)
            )
            .scalars()
            .all()
        )
        assert like == ["apple", "kale", "leek", "pear"]
        assert (
            conn.execute(select(items.c.embedding).where(items.c.name == "salt")).scalar() is None
        )

    with engine.begin() as conn:
        updated = conn.execute(
            items.update().where(items.c.category == "veg").values(price=items.c.price + 1)
        )
        assert updated.rowcount == 2
        deleted = conn.execute(items.delete().where(items.c.category.is_(None)))
        assert deleted.rowcount == 1
    with engine.connect() as conn:
        prices = conn.execute(select(items.c.name, items.c.price).order_by(items.c.id)).all()
        assert [(n, float(p)) for n, p in prices] == [
            ("apple", 1.5),
            ("pear", 2.0),
            ("kale", 4.0),
            ("leek", 5.0),
        ]

    metadata.drop_all(engine)
    assert not inspect(engine).has_table("items")


def test_join_across_tables(engine: sa.Engine) -> None:
    metadata = sa.MetaData()
    authors = sa.Table(
        "authors",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(30)),
    )
    books = sa.Table(
        "books",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("authors.id")),
        sa.Column("title", sa.String(50)),
    )
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            authors.insert(),
            [{"id": 1, "name": "Ann"}, {"id": 2, "name": "Bo"}, {"id": 3, "name": "Cy"}],
        )
        conn.execute(
            books.insert(),
            [
                {"author_id": 1, "title": "A1"},
                {"author_id": 1, "title": "A2"},
                {"author_id": 2, "title": "B1"},
            ],
        )
        inner = conn.execute(
            select(authors.c.name, func.count(books.c.id).label("n"))
            .select_from(authors.join(books))
            .group_by(authors.c.name)
            .order_by(authors.c.name)
        ).all()
        assert [tuple(r) for r in inner] == [("Ann", 2), ("Bo", 1)]
        outer = conn.execute(
            select(authors.c.name, books.c.title)
            .select_from(authors.outerjoin(books))
            .order_by(authors.c.id, books.c.title)
        ).all()
        assert [tuple(r) for r in outer] == [
            ("Ann", "A1"),
            ("Ann", "A2"),
            ("Bo", "B1"),
            ("Cy", None),
        ]
        sub = select(books.c.author_id).where(books.c.title.like("A%")).scalar_subquery()
        assert conn.execute(select(authors.c.name).where(authors.c.id == sub)).scalar() == "Ann"


def test_transactions_commit_and_rollback(
    engine: sa.Engine, caplog: pytest.LogCaptureFixture
) -> None:
    metadata = sa.MetaData()
    items = _items_table(metadata)
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(items.insert().values(name="kept"))
    with pytest.raises(RuntimeError), engine.begin() as conn:
        conn.execute(items.insert().values(name="lost"))
        raise RuntimeError("abort the block")
    with engine.connect() as conn:
        conn.execute(items.insert().values(name="rolled back"))
        conn.rollback()
        with conn.begin():
            conn.execute(items.insert().values(name="outer"))
            nested = conn.begin_nested()  # SAVEPOINT
            conn.execute(items.insert().values(name="inner"))
            nested.rollback()
        # Locking reads run (SQLite serializes writers; FOR UPDATE needs no extra lock).
        with caplog.at_level(logging.WARNING):
            locked = (
                conn.execute(select(items.c.name).order_by(items.c.id).with_for_update())
                .scalars()
                .all()
            )
    assert locked == ["kept", "outer"]
    assert "not supported" not in caplog.text


def test_ddl_commits_itself(engine: sa.Engine) -> None:
    """As in MySQL, CREATE TABLE is not undone by a rollback of the connection."""
    metadata = sa.MetaData()
    items = _items_table(metadata)
    with engine.connect() as conn:
        conn.execute(CreateTable(items))
        conn.rollback()
    assert inspect(engine).has_table("items")


def test_autocommit_isolation_level(engine: sa.Engine) -> None:
    metadata = sa.MetaData()
    items = _items_table(metadata)
    metadata.create_all(engine)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        assert conn.connection.dbapi_connection.get_autocommit()  # type: ignore[union-attr]
        conn.execute(items.insert().values(name="auto"))
        conn.rollback()  # nothing to undo: the insert committed itself
    with engine.connect() as conn:
        assert not conn.connection.dbapi_connection.get_autocommit()  # type: ignore[union-attr]
        assert conn.execute(select(items.c.name)).scalars().all() == ["auto"]
    with engine.connect().execution_options(isolation_level="READ COMMITTED") as conn:
        assert conn.get_isolation_level() == "READ COMMITTED"
    with engine.connect() as conn:  # reset when it went back to the pool
        assert conn.get_isolation_level() == "REPEATABLE READ"
    auto = sa.create_engine(engine.url, isolation_level="AUTOCOMMIT")
    try:
        with auto.connect() as conn:
            conn.execute(items.insert().values(name="engine-wide"))
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(items)).scalar() == 2
    finally:
        auto.dispose()


def test_sql_errors_carry_mysql_codes(engine: sa.Engine) -> None:
    metadata = sa.MetaData()
    items = _items_table(metadata)
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(items.insert().values(name="dup"))
    with pytest.raises(exc.IntegrityError) as dup, engine.begin() as conn:
        conn.execute(items.insert().values(name="dup"))
    assert dup.value.orig is not None and dup.value.orig.args[0] == 1062
    with pytest.raises(exc.ProgrammingError) as missing, engine.connect() as conn:
        conn.execute(sa.text("SELECT * FROM no_such_table"))
    assert missing.value.orig is not None and missing.value.orig.args[0] == 1146
    with pytest.raises(exc.NoSuchTableError):
        sa.Table("no_such_table", sa.MetaData(), autoload_with=engine)


# -- reflection -----------------------------------------------------------------------------------------


def test_reflection(engine: sa.Engine) -> None:
    metadata = sa.MetaData()
    sa.Table(
        "docs",
        metadata,
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("title", sa.String(100), nullable=False),
        sa.Column("slug", sa.String(50)),
        sa.Column("body", sa.Text),
        sa.Column("embedding", VECTOR(3), comment="doc vector"),
        sa.Column("loose", VECTOR()),
        sa.UniqueConstraint("slug", name="uq_slug"),
        sa.Index("ix_title_slug", "title", "slug"),
        sa.CheckConstraint("id > 0", name="ck_positive"),
    )
    metadata.create_all(engine)
    insp = inspect(engine)
    assert insp.get_table_names() == ["docs"]
    assert insp.has_table("docs") and not insp.has_table("nope")

    columns = {c["name"]: c for c in insp.get_columns("docs")}
    assert list(columns) == ["id", "title", "slug", "body", "embedding", "loose"]
    assert (
        isinstance(columns["embedding"]["type"], VECTOR) and columns["embedding"]["type"].dim == 3
    )
    assert columns["embedding"]["comment"] == "doc vector"
    assert isinstance(columns["loose"]["type"], VECTOR) and columns["loose"]["type"].dim is None
    assert (
        isinstance(columns["title"]["type"], sa.String) and columns["title"]["type"].length == 100
    )
    assert columns["title"]["nullable"] is False and columns["slug"]["nullable"] is True

    assert insp.get_pk_constraint("docs")["constrained_columns"] == ["id"]
    indexes = {i["name"]: i for i in insp.get_indexes("docs")}
    assert (
        indexes["ix_title_slug"]["column_names"] == ["title", "slug"]
        and not indexes["ix_title_slug"]["unique"]
    )
    assert indexes["uq_slug"]["unique"]
    assert [(u["name"], u["column_names"]) for u in insp.get_unique_constraints("docs")] == [
        ("uq_slug", ["slug"])
    ]
    checks = insp.get_check_constraints("docs")
    assert [c["name"] for c in checks] == ["ck_positive"] and "id" in checks[0]["sqltext"]

    table = sa.Table("docs", sa.MetaData(), autoload_with=engine)
    assert isinstance(table.c.embedding.type, VECTOR) and table.c.embedding.type.dim == 3
    with engine.begin() as conn:
        conn.execute(table.insert().values(id=1, title="t", embedding=[1, 2, 3]))
        got = conn.execute(select(table.c.embedding)).scalar_one()
    assert got.dtype == np.float32 and got.tolist() == [1.0, 2.0, 3.0]


def test_reflect_views_and_generated_columns(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE notes (id INT PRIMARY KEY, body TEXT, "
            "emb VECTOR(3) GENERATED ALWAYS AS (VEC_FROM_TEXT('[1,2,3]')) STORED)"
        )
        conn.exec_driver_sql("CREATE VIEW short_notes AS SELECT id, body FROM notes")
    insp = inspect(engine)
    assert insp.get_table_names() == ["notes"] and insp.get_view_names() == ["short_notes"]
    emb = {c["name"]: c for c in insp.get_columns("notes")}["emb"]
    assert isinstance(emb["type"], VECTOR) and emb["type"].dim == 3
    assert emb["computed"] == {"sqltext": "(VEC_FROM_TEXT('[1,2,3]'))", "persisted": True}
    metadata = sa.MetaData()
    metadata.reflect(engine, views=True)  # views are described column by column
    assert sorted(metadata.tables) == ["notes", "short_notes"]
    assert list(metadata.tables["short_notes"].c.keys()) == ["id", "body"]


def test_reflect_vector_and_fulltext_indexes(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE vt (id INT PRIMARY KEY, v VECTOR(3), body TEXT, "
            "VECTOR INDEX idx_v ((VEC_COSINE_DISTANCE(v))), FULLTEXT INDEX ft_body (body) WITH PARSER STANDARD)"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # MySQL's parser alone warns "Unknown schema content"
        indexes = {i["name"]: i for i in inspect(engine).get_indexes("vt")}
    assert indexes["idx_v"]["column_names"] == [None]
    assert indexes["idx_v"]["expressions"] == ["(VEC_COSINE_DISTANCE(`v`))"]
    assert indexes["idx_v"]["dialect_options"] == {"mysql_prefix": "VECTOR"}
    assert indexes["ft_body"]["column_names"] == ["body"]
    assert indexes["ft_body"]["dialect_options"]["mysql_prefix"] == "FULLTEXT"
    table = sa.Table("vt", sa.MetaData(), autoload_with=engine)
    ddl = {str(i.name): str(CreateIndex(i).compile(engine)) for i in table.indexes}
    assert ddl["idx_v"] == "CREATE VECTOR INDEX idx_v ON vt ((VEC_COSINE_DISTANCE(`v`)))"


# -- the VECTOR type ---------------------------------------------------------------------------------


def test_vector_type_ddl_and_validation() -> None:
    table = sa.Table(
        "t",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("v", VECTOR(3)),
        sa.Column("w", VECTOR()),
    )
    ddl = str(CreateTable(table).compile(dialect=mysql.dialect()))
    assert "v VECTOR(3)" in ddl and "w VECTOR," in ddl
    assert VectorType is VECTOR
    for bad in (0, 16384, "3", True):
        with pytest.raises(ValueError):
            VECTOR(bad)  # type: ignore[arg-type]


def test_vector_binds_as_text_on_other_mysql_drivers() -> None:
    """Over mysql+pymysql (TiDB, the autovec server) vectors travel as TiDB's text."""
    bind = VECTOR(3).bind_processor(mysql.dialect())
    assert bind([1, 2.5, 3]) == "[1,2.5,3]"
    assert bind(np.array([0.1, 0, -1], dtype=np.float64)) == "[0.1,0,-1]"
    assert bind(autovec.Vector([1, 2, 3])) == "[1,2,3]"
    assert bind(None) is None
    with pytest.raises(ValueError, match="expected 3 dimensions, but got 2"):
        bind([1, 2])
    with pytest.raises(ValueError, match="NaN"):
        bind([1, float("nan"), 3])
    assert encode_vector((1, 2)) == "[1,2]"
    # autovec's own driver gets Vector objects: no text round trip.
    native = VECTOR(3).bind_processor(AutovecDialect())([1, 2, 3])
    assert isinstance(native, autovec.Vector) and native.to_list() == [1.0, 2.0, 3.0]
    literal = select(sa.literal([1, 2, 3], VECTOR(3)))
    assert "'[1,2,3]'" in str(
        literal.compile(dialect=mysql.dialect(), compile_kwargs={"literal_binds": True})
    )


def test_vector_results_from_every_driver_shape() -> None:
    expected = [1.0, 2.5, -3.0]
    shapes = [
        autovec.Vector(expected),  # autovec's DB-API
        "[1,2.5,-3]",  # PyMySQL against TiDB
        b"[1, 2.5, -3]",  # binary protocol
        np.array(expected, dtype="<f4").tobytes(),  # autovec's storage form
    ]
    for value in shapes:
        got = decode_vector(value)
        assert got is not None and got.dtype == np.float32 and got.tolist() == expected, value
    assert decode_vector(None) is None
    assert decode_vector("[]") is not None and decode_vector("[]").size == 0  # type: ignore[union-attr]


def test_distance_functions_match_numpy(engine: sa.Engine) -> None:
    metadata = sa.MetaData()
    items = _items_table(metadata)
    metadata.create_all(engine)
    vectors = {"a": [1.0, 2.0, 3.0], "b": [-1.0, 0.5, 2.0], "c": [0.0, 0.0, 1.0]}
    with engine.begin() as conn:
        conn.execute(items.insert(), [{"name": n, "embedding": v} for n, v in vectors.items()])
    query = [0.5, -1.0, 2.0]
    q = np.array(query)
    expected = {
        "cosine_distance": {
            n: 1 - np.dot(v, q) / np.linalg.norm(v) / np.linalg.norm(q) for n, v in vectors.items()
        },
        "l2_distance": {n: np.linalg.norm(np.array(v) - q) for n, v in vectors.items()},
        "l1_distance": {n: np.abs(np.array(v) - q).sum() for n, v in vectors.items()},
        "negative_inner_product": {n: -np.dot(v, q) for n, v in vectors.items()},
    }
    with engine.connect() as conn:
        for method, want in expected.items():
            distance = getattr(items.c.embedding, method)(query)
            rows = conn.execute(select(items.c.name, distance).order_by(items.c.name)).all()
            assert rows[0]._fields[1] == method  # labelled like tidb-vector's
            assert {n: d for n, d in rows} == pytest.approx(want, rel=1e-5), method
            nearest = conn.execute(select(items.c.name).order_by(distance).limit(1)).scalar()
            assert nearest == min(want, key=lambda n: want[n]), method
        within = conn.execute(
            select(items.c.name)
            .where(items.c.embedding.l2_distance(query) < 2.5)
            .order_by(items.c.name)
        )
        assert within.scalars().all() == sorted(
            n for n, d in expected["l2_distance"].items() if d < 2.5
        )
    with pytest.raises(ValueError, match="expected 3 dimensions"):
        items.c.embedding.cosine_distance([1, 2])


def test_embed_distance_compiles() -> None:
    table = sa.Table(
        "t", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True), sa.Column("v", VECTOR(3))
    )
    stmt = select(table.c.id).order_by(table.c.v.embed_cosine_distance("hello")).limit(3)
    sql = str(stmt.compile(dialect=mysql.dialect()))
    assert "VEC_EMBED_COSINE_DISTANCE(t.v, %s)" in sql


# -- ORM and SQLModel -------------------------------------------------------------------------------


class Base(DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "orm_authors"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(50))
    documents: Mapped[list[Document]] = relationship(back_populates="author")


class Document(Base):
    __tablename__ = "orm_documents"
    id: Mapped[int] = mapped_column(primary_key=True)
    content: Mapped[str] = mapped_column(sa.String(255))
    content_vec = mapped_column(VECTOR(3), comment="hnsw(distance=cosine)")
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orm_authors.id"))
    author: Mapped[Author | None] = relationship(back_populates="documents")


def test_orm_models_and_nearest_neighbours(engine: sa.Engine) -> None:
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        ann = Author(name="Ann")
        session.add_all(
            [
                Document(content="north", content_vec=[0.0, 1.0, 0.0], author=ann),
                Document(content="east", content_vec=np.array([1.0, 0.0, 0.0]), author=ann),
                Document(content="north-east", content_vec=[0.7, 0.7, 0.0]),
                Document(content="up", content_vec=autovec.Vector([0.0, 0.0, 1.0])),
            ]
        )
        session.commit()
        assert [d.id for d in ann.documents] == [1, 2]  # autoincrement ids came back

    with Session(engine) as session:
        query = [0.9, 0.2, 0.0]
        nearest = session.scalars(
            select(Document).order_by(Document.content_vec.cosine_distance(query)).limit(3)
        ).all()
        assert [d.content for d in nearest] == ["east", "north-east", "north"]
        assert isinstance(nearest[0].content_vec, np.ndarray) and nearest[
            0
        ].content_vec.tolist() == [1.0, 0.0, 0.0]

        # The tidb-vector tutorial's form: label the distance, order by the label.
        doc, distance = (
            session.query(Document, Document.content_vec.cosine_distance(query).label("distance"))
            .order_by("distance")
            .limit(1)
            .first()
        )
        assert doc.content == "east" and distance == pytest.approx(
            1 - 0.9 / np.linalg.norm(query), rel=1e-5
        )

        joined = session.execute(
            select(Author.name, func.count(Document.id))
            .join(Author.documents)
            .group_by(Author.name)
        ).all()
        assert [tuple(r) for r in joined] == [("Ann", 2)]

        up = session.scalars(select(Document).where(Document.content == "up")).one()
        up.content_vec = [0.0, 0.0, 1.0]  # equal to the loaded array: not a change
        assert not session.is_modified(up)
        up.content_vec = [0.0, 0.0, -1.0]
        assert session.is_modified(up)
        session.delete(session.get(Document, 3))
        session.commit()
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Document)) == 3
        assert session.get(Document, 4).content_vec.tolist() == [0.0, 0.0, -1.0]  # type: ignore[union-attr]


def test_sqlmodel(engine: sa.Engine) -> None:
    class Hero(sqlmodel.SQLModel, table=True):  # type: ignore[call-arg]
        __tablename__ = "heroes"
        id: int | None = sqlmodel.Field(default=None, primary_key=True)
        name: str = sqlmodel.Field(index=True, max_length=40)
        embedding: list[float] | None = sqlmodel.Field(default=None, sa_type=VECTOR(3))

    try:
        sqlmodel.SQLModel.metadata.create_all(engine, tables=[Hero.__table__])  # type: ignore[attr-defined]
        with sqlmodel.Session(engine) as session:
            session.add(Hero(name="Deadpond", embedding=[1, 0, 0]))
            session.add(Hero(name="Spider-Boy", embedding=[0, 1, 0]))
            session.commit()
        with sqlmodel.Session(engine) as session:
            heroes = session.exec(sqlmodel.select(Hero).order_by(sqlmodel.col(Hero.id))).all()
            assert [(h.id, h.name) for h in heroes] == [(1, "Deadpond"), (2, "Spider-Boy")]
            column = Hero.__table__.c.embedding  # type: ignore[attr-defined]
            closest = session.exec(
                sqlmodel.select(Hero).order_by(column.l2_distance([0.1, 0.9, 0])).limit(1)
            ).one()
            assert closest.name == "Spider-Boy" and np.asarray(closest.embedding).tolist() == [
                0.0,
                1.0,
                0.0,
            ]
        columns = {c["name"]: c["type"] for c in inspect(engine).get_columns("heroes")}
        assert isinstance(columns["embedding"], VECTOR) and columns["embedding"].dim == 3
    finally:
        sqlmodel.SQLModel.metadata.remove(Hero.__table__)  # type: ignore[attr-defined]
