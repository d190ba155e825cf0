"""Table writes and reads: insert, bulk_insert (one INSERT), save, update, delete,
truncate, get, query, rows, columns, indexes."""

from __future__ import annotations

import pytest

from autovec import TiDBClient
from autovec.datatype import JSON, VARCHAR
from autovec.schema import ColumnInfo, Field, TableModel, VectorField
from tests.client.sdk import client, record  # noqa: F401


class Item(TableModel):
    __tablename__ = "sdk_write_items"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=VARCHAR(40))
    qty: int = 0
    meta: dict | None = Field(default=None, sa_type=JSON)
    vec: list[float] | None = VectorField(3)


def test_insert_returns_the_auto_increment_id(client: TiDBClient) -> None:  # noqa: F811
    table = client.create_table(schema=Item)
    first = table.insert(Item(name="a", vec=[1, 2, 3]))
    second = table.insert({"name": "b", "qty": 2})
    assert (first.id, second.id) == (1, 2)
    assert list(first.vec) == [1.0, 2.0, 3.0] and second.vec is None
    assert table.get(2).qty == 2  # type: ignore[union-attr]
    assert table.get(99) is None


def test_bulk_insert_is_one_statement_and_ids_come_back(client: TiDBClient) -> None:  # noqa: F811
    table = client.create_table(schema=Item)
    table.insert(Item(name="seed"))
    recorder = record(client)
    rows = table.bulk_insert(
        [Item(name=f"n{i}", qty=i) for i in range(5)] + [{"name": "d", "qty": 9}]
    )
    assert [r.id for r in rows] == [2, 3, 4, 5, 6, 7]
    assert len(recorder.matching("INSERT")) == 1
    assert [r.name for r in table.query(order_by="id").to_pydantic()][1:] == [
        "n0",
        "n1",
        "n2",
        "n3",
        "n4",
        "d",
    ]
    assert table.bulk_insert([]) == []
    with pytest.raises(ValueError):
        table.bulk_insert(rows)  # already stored: save() them instead


def test_save_inserts_then_updates(client: TiDBClient) -> None:  # noqa: F811
    table = client.create_table(schema=Item)
    saved = table.save(Item(name="x", qty=1))
    assert saved.id == 1
    saved.qty = 5
    again = table.save(saved)
    assert again.qty == 5 and table.rows() == 1
    assert table.save({"id": 1, "name": "y", "qty": 7}).name == "y"
    assert table.get(1).qty == 7  # type: ignore[union-attr]


def test_update_delete_truncate(client: TiDBClient) -> None:  # noqa: F811
    table = client.create_table(schema=Item)
    table.bulk_insert([Item(name=n, qty=q) for n, q in [("a", 1), ("b", 2), ("c", 3)]])
    assert table.update({"qty": 10}, {"qty": {"$gte": 2}}) == 2
    assert [r.qty for r in table.query(order_by="id")] == [1, 10, 10]
    assert table.delete({"name": "a"}) == 1
    assert table.rows() == 2
    table.truncate()
    assert table.rows() == 0


def test_query_order_limit_offset(client: TiDBClient) -> None:  # noqa: F811
    table = client.create_table(schema=Item)
    table.bulk_insert([Item(name=n, qty=q) for n, q in [("a", 3), ("b", 1), ("c", 2)]])
    assert [r.name for r in table.query(order_by={"qty": "desc"})] == ["a", "c", "b"]
    assert [r.name for r in table.query(order_by=[Item.qty], limit=2, offset=1)] == ["c", "a"]
    assert table.query({"qty": {"$lt": 3}}, order_by="name").to_list()[0]["name"] == "b"
    assert set(table.query(limit=1).to_pandas().columns) == {"id", "name", "qty", "meta", "vec"}
    with pytest.raises(KeyError):
        table.query(order_by="nope")
    with pytest.raises(ValueError):
        table.query(order_by={"qty": "sideways"})


def test_columns_and_indexes(client: TiDBClient) -> None:  # noqa: F811
    table = client.create_table(schema=Item)
    assert table.columns() == [
        ColumnInfo(column_name="id", column_type="int(11)"),
        ColumnInfo(column_name="name", column_type="varchar(40)"),
        ColumnInfo(column_name="qty", column_type="int(11)"),
        ColumnInfo(column_name="meta", column_type="json"),
        ColumnInfo(column_name="vec", column_type="vector(3)"),
    ]
    assert table.has_vector_index("vec")
    assert not table.has_fts_index("name")
    recorder = record(client)
    table.create_fts_index("name", fts_parser="STANDARD")
    assert table.has_fts_index("name")
    assert recorder.matching("CREATE FULLTEXT") == [
        "CREATE FULLTEXT INDEX fts_idx_name ON sdk_write_items (name) WITH PARSER STANDARD"
    ]
    assert "name" in table.text_fields
    table.create_fts_index("name", if_exists="skip")  # no error
    table.create_vector_index("vec", name="vec_l2", distance_metric="L2")
    assert any("VEC_L2_DISTANCE(vec)" in s for s in recorder.matching("CREATE VECTOR"))
