"""pytidb's filters: the SQL compile_filter writes, and the rows they select."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from autovec import TiDBClient
from autovec.client.filters import compile_filter
from autovec.datatype import JSON, VARCHAR
from autovec.schema import Field, TableModel
from tests.client.sdk import client  # noqa: F401


class Person(TableModel):
    __tablename__ = "sdk_filter_people"
    id: int = Field(primary_key=True)
    name: str = Field(sa_type=VARCHAR(20))
    age: int | None = None
    meta: dict | None = Field(default=None, sa_type=JSON)


def sql(filters: object, target: object = Person) -> str:
    expr = compile_filter(target, filters)  # type: ignore[arg-type]
    return str(expr.compile(dialect=mysql.dialect(), compile_kwargs={"literal_binds": True}))


def test_compiled_sql() -> None:
    assert sql({"age": 3}) == "sdk_filter_people.age = 3"
    assert sql({"age": {"$gte": 18, "$lt": 65}}) == (
        "sdk_filter_people.age >= 18 AND sdk_filter_people.age < 65"
    )
    assert sql({"name": {"$in": ["a", "b"]}}) == "sdk_filter_people.name IN ('a', 'b')"
    assert sql({"name": {"$nin": ["a"]}}) == "(sdk_filter_people.name NOT IN ('a'))"
    assert sql({"$or": [{"age": 1}, {"name": {"$ne": "x"}}]}) == (
        "sdk_filter_people.age = 1 OR sdk_filter_people.name != 'x'"
    )
    assert sql({"meta.city": "Paris"}) == (
        "json_extract(sdk_filter_people.meta, '$.city') = 'Paris'"
    )
    assert sql({"age": None}) == "sdk_filter_people.age IS NULL"
    assert sql("age > 3") == "age > 3"
    assert sql(None) == "true"
    alias = Person.__table__.alias("_hit")  # type: ignore[attr-defined]
    assert sql(Person.age > 3, alias) == "_hit.age > 3"
    assert sql({"age": 1}, alias) == "_hit.age = 1"


@pytest.mark.parametrize(
    "bad", [{"nope": 1}, {"age": {"$like": 1}}, {"$and": {"age": 1}}, {"meta.a.b": 1}]
)
def test_bad_filters_raise(bad: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        compile_filter(Person, bad)  # type: ignore[arg-type]


def test_filters_select_the_right_rows(client: TiDBClient) -> None:  # noqa: F811
    table = client.create_table(schema=Person)
    table.bulk_insert(
        [
            Person(id=1, name="ann", age=30, meta={"city": "Paris", "n": 1}),
            Person(id=2, name="bob", age=17, meta={"city": "Rome", "n": 2}),
            Person(id=3, name="cy", age=None, meta={"city": "Paris", "n": 3}),
        ]
    )

    def ids(filters: object) -> list[int]:
        return [p.id for p in table.query(filters, order_by="id")]  # type: ignore[arg-type]

    assert ids({"age": {"$gte": 18}}) == [1]
    assert ids({"age": {"$gt": 10, "$lte": 17}}) == [2]
    assert ids({"name": {"$in": ["ann", "cy"]}}) == [1, 3]
    assert ids({"name": {"$nin": ["ann"]}}) == [2, 3]
    assert ids({"$or": [{"age": 17}, {"age": None}]}) == [2, 3]
    assert ids({"$and": [{"age": {"$ne": 17}}, {"name": {"$ne": "cy"}}]}) == [1]
    assert ids("age < 20") == [2]
    assert ids(Person.name == "cy") == [3]
    assert ids(sa.or_(Person.id == 1, Person.id == 2)) == [1, 2]


def test_json_field_filters(client: TiDBClient) -> None:  # noqa: F811
    table = client.create_table(schema=Person)
    table.bulk_insert(
        [
            Person(id=1, name="a", meta={"city": "Paris", "n": 1}),
            Person(id=2, name="b", meta={"city": "Rome", "n": 2}),
        ]
    )
    assert [p.id for p in table.query({"meta.city": "Paris"})] == [1]
    assert [p.id for p in table.query({"meta.n": {"$gte": 2}})] == [2]
