"""Hits and query rows as dicts: the fast dump equals ``model_dump()`` for every kind of
field, and models whose dump pydantic customises are dumped by pydantic."""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel, computed_field, field_serializer
from sqlmodel import Field, SQLModel

from autovec.client.dumps import fields_dumper
from autovec.datatype import JSON, TEXT
from autovec.schema import TableModel, VectorField


class Tag(BaseModel):
    name: str


class DumpedDoc(TableModel):
    __tablename__ = "dumped_docs"
    id: int = Field(primary_key=True)
    text: str = Field(sa_type=TEXT)
    meta: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    embedding: list[float] | None = VectorField(dimensions=3)


def test_a_table_models_dump_is_model_dump_with_vectors_as_lists() -> None:
    doc = DumpedDoc(id=1, text="a", meta={"tags": ["x"], "n": 2}, embedding=[0.5, 0.25, 1.0])
    # As loaded from the database: the vector is a numpy array, metadata may hold models.
    doc.embedding = np.array([0.5, 0.25, 1.0], dtype=np.float32)  # type: ignore[assignment]
    doc.meta = {"tag": Tag(name="t"), "list": [Tag(name="u")]}
    fast = fields_dumper(DumpedDoc)(doc)
    assert fast == doc.model_dump()
    assert list(fast) == ["id", "text", "meta", "embedding"]
    assert fast["embedding"] == [0.5, 0.25, 1.0]
    assert all(type(x) is float for x in fast["embedding"])
    assert fast["meta"] == {"tag": {"name": "t"}, "list": [{"name": "u"}]}


def test_a_null_vector_dumps_as_none() -> None:
    doc = DumpedDoc(id=2, text="b")
    want = {"id": 2, "text": "b", "meta": {}, "embedding": None}
    assert fields_dumper(DumpedDoc)(doc) == doc.model_dump() == want


class Serialized(SQLModel):
    id: int
    secret: str = Field(exclude=True)
    price: float

    @field_serializer("price")
    def cents(self, value: float) -> int:
        return round(value * 100)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def label(self) -> str:
        return f"#{self.id}"


class Excluded(SQLModel):
    id: int
    secret: str = Field(exclude=True)


def test_customised_dumps_are_pydantics_own() -> None:
    item = Serialized(id=3, secret="s", price=1.25)
    assert fields_dumper(Serialized)(item) == {"id": 3, "price": 125, "label": "#3"}
    assert fields_dumper(Excluded)(Excluded(id=4, secret="s")) == {"id": 4}
