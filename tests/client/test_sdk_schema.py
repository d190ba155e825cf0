"""Declaring tables: TableModel, VectorField (server- and client-side), FullTextField,
EmbeddingFunction.VectorField, the DDL pytidb sends, relationships and joins."""

# No ``from __future__ import annotations``: SQLModel resolves relationship annotations
# at class creation and cannot read ``list[Hero]`` as a string.

import subprocess
import sys

import pytest
from sqlalchemy.dialects import mysql
from sqlalchemy.schema import CreateTable
from sqlmodel import Session, select

from autovec import TiDBClient
from autovec.client.fields import DistanceMetric, FullTextFieldInfo, VectorFieldInfo
from autovec.datatype import JSON, TEXT, VARCHAR
from autovec.embeddings import EmbeddingFunction, VectorFieldSpec
from autovec.schema import (
    Field,
    FullTextField,
    Relationship,
    TableModel,
    VectorField,
    fulltext_field_infos,
    vector_field_infos,
)
from tests.client.sdk import MINILM, client, record  # noqa: F401

minilm = EmbeddingFunction(MINILM)
openai_small = EmbeddingFunction("openai/text-embedding-3-small", dimensions=512)


class SchemaDoc(TableModel):
    __tablename__ = "sdk_schema_docs"
    id: int | None = Field(default=None, primary_key=True)
    title: str = FullTextField(fts_parser="STANDARD")
    body: str = Field(sa_type=TEXT)
    meta: dict = Field(default_factory=dict, sa_type=JSON)
    body_vec: list[float] = minilm.VectorField(source_field="body")
    raw_vec: list[float] | None = VectorField(3, distance_metric="L2")
    unindexed: list[float] | None = VectorField(2, index=False)


class RemoteDoc(TableModel):
    __tablename__ = "sdk_schema_remote"
    id: int = Field(primary_key=True)
    text: str = Field(sa_type=TEXT)
    v: list[float] = openai_small.VectorField(source_field="text")
    local: list[float] = EmbeddingFunction(MINILM, use_server=False).VectorField(
        source_field="text", distance_metric="L2"
    )


def ddl(model: type[TableModel]) -> str:
    return " ".join(str(CreateTable(model.__table__).compile(dialect=mysql.dialect())).split())  # type: ignore[attr-defined]


def test_embedding_function_vector_field_is_a_plain_spec() -> None:
    spec = minilm.VectorField(source_field="body", distance_metric="l2", index=False)
    assert isinstance(spec, VectorFieldSpec)
    assert (spec.embed_fn, spec.source_field, spec.distance_metric, spec.index) == (
        minilm,
        "body",
        "L2",
        False,
    )
    code = (
        "import sys, autovec.embeddings as e; e.EmbeddingFunction('openai/text-embedding-3-small')"
        ".VectorField(source_field='x'); assert 'sqlmodel' not in sys.modules"
        " and 'sqlalchemy' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_server_side_vector_is_a_generated_embed_text_column() -> None:
    text = ddl(SchemaDoc)
    assert (
        "body_vec VECTOR(384) GENERATED ALWAYS AS (EMBED_TEXT("
        "'huggingface/sentence-transformers/all-MiniLM-L6-v2', body)) STORED"
    ) in text
    assert "id INTEGER NOT NULL AUTO_INCREMENT" in text
    assert "raw_vec VECTOR(3)," in text and "title TEXT" in text
    remote = ddl(RemoteDoc)
    assert (
        "v VECTOR(512) GENERATED ALWAYS AS (EMBED_TEXT('openai/text-embedding-3-small', text, "
        "'{\"dimensions\": 512}')) STORED"
    ) in remote
    assert "local VECTOR(384)," in remote  # use_server=False: a plain column


def test_field_infos_describe_the_special_columns() -> None:
    vectors = vector_field_infos(SchemaDoc.__table__)  # type: ignore[attr-defined]
    assert vectors["body_vec"] == VectorFieldInfo(
        name="body_vec",
        dimensions=384,
        distance_metric=DistanceMetric.COSINE,
        index=True,
        embed_fn=minilm,
        source_field="body",
        source_type="text",
        server_side=True,
    )
    assert vectors["raw_vec"].distance_metric is DistanceMetric.L2
    assert vectors["raw_vec"].embed_fn is None and not vectors["raw_vec"].server_side
    assert vectors["unindexed"].index is False
    assert fulltext_field_infos(SchemaDoc.__table__) == {  # type: ignore[attr-defined]
        "title": FullTextFieldInfo(name="title", fts_parser="STANDARD")
    }
    names = sorted(ix.name for ix in SchemaDoc.__table__.indexes)  # type: ignore[attr-defined]
    assert names == ["fts_idx_title", "vec_idx_body_vec_cosine", "vec_idx_raw_vec_l2"]


def test_invalid_declarations_are_rejected() -> None:
    with pytest.raises(ValueError, match="distance metric"):
        VectorField(3, distance_metric="manhattan")
    with pytest.raises(ValueError, match="parser"):
        FullTextField(fts_parser="NGRAM")  # type: ignore[arg-type]


def test_create_table_sends_pytidb_ddl_and_replica_dance(client: TiDBClient) -> None:  # noqa: F811
    recorder = record(client)
    table = client.create_table(schema=SchemaDoc)
    sent = [s for s in recorder.statements if not s.startswith("SELECT DATABASE()")]
    creates = [s for s in sent if s.startswith(("CREATE", "ALTER"))]
    assert creates[0].startswith("CREATE TABLE sdk_schema_docs")
    assert creates[1:] == [
        "ALTER TABLE sdk_schema_docs SET TIFLASH REPLICA 1",
        "CREATE FULLTEXT INDEX fts_idx_title ON sdk_schema_docs (title) WITH PARSER STANDARD",
        "CREATE VECTOR INDEX vec_idx_body_vec_cosine ON sdk_schema_docs "
        "((VEC_COSINE_DISTANCE(body_vec))) USING HNSW",
        "CREATE VECTOR INDEX vec_idx_raw_vec_l2 ON sdk_schema_docs "
        "((VEC_L2_DISTANCE(raw_vec))) USING HNSW",
    ]
    replica_checks = [s for s in sent if "tiflash_replica" in s]
    assert len(replica_checks) == 3  # checked before each index; set only the first time
    assert table.has_vector_index("body_vec") and table.has_vector_index("raw_vec")
    assert not table.has_vector_index("unindexed")
    assert table.has_fts_index("title") and not table.has_fts_index("body")


def test_if_exists_raise_skip_overwrite(client: TiDBClient) -> None:  # noqa: F811
    client.create_table(schema=RemoteDoc)
    with pytest.raises(Exception, match="already exists"):
        client.create_table(schema=RemoteDoc)
    client.execute("INSERT INTO sdk_schema_remote (id, text) VALUES (1, '')", raise_error=True)
    assert client.create_table(schema=RemoteDoc, if_exists="skip").rows() == 1
    assert client.create_table(schema=RemoteDoc, if_exists="overwrite").rows() == 0
    with pytest.raises(ValueError):
        client.create_table(schema=RemoteDoc, if_exists="bogus")  # type: ignore[arg-type]


class Team(TableModel):
    __tablename__ = "sdk_teams"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=VARCHAR(50))
    heroes: list["Hero"] = Relationship(back_populates="team")


class Hero(TableModel):
    __tablename__ = "sdk_heroes"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=VARCHAR(50))
    team_id: int | None = Field(default=None, foreign_key="sdk_teams.id")
    team: Team | None = Relationship(back_populates="heroes")


def test_relationships_and_joins_through_a_session(client: TiDBClient) -> None:  # noqa: F811
    teams = client.create_table(schema=Team)
    heroes = client.create_table(schema=Hero)
    avengers = teams.insert(Team(name="Avengers"))
    heroes.bulk_insert([Hero(name="Thor", team_id=avengers.id), Hero(name="Loki")])
    with Session(client.db_engine) as session:
        rows = session.exec(select(Hero, Team).join(Team)).all()
        assert [(h.name, t.name) for h, t in rows] == [("Thor", "Avengers")]
        team = session.get(Team, avengers.id)
        assert team is not None and [h.name for h in team.heroes] == ["Thor"]
