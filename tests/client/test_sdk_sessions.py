"""client.session(): nested reuse, commit on exit, rollback on error; execute() and
query() results."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from pydantic import BaseModel

from autovec import TiDBClient
from autovec.datatype import VARCHAR
from autovec.schema import Field, TableModel
from tests.client.sdk import client  # noqa: F401


class Note(TableModel):
    __tablename__ = "sdk_session_notes"
    id: int | None = Field(default=None, primary_key=True)
    text: str = Field(sa_type=VARCHAR(40))


def test_nested_calls_share_one_session_and_commit_on_exit(client: TiDBClient) -> None:  # noqa: F811
    table = client.create_table(schema=Note)
    with client.session() as outer:
        with client.session() as inner:
            assert inner is outer
        table.insert(Note(text="a"))
        client.execute("INSERT INTO sdk_session_notes (text) VALUES ('b')", raise_error=True)
        assert client.query("SELECT COUNT(*) FROM sdk_session_notes").scalar() == 2
        other = TiDBClient.connect(url=client.db_engine.url)
        assert other.query("SELECT COUNT(*) FROM sdk_session_notes").scalar() == 0
    assert other.query("SELECT COUNT(*) FROM sdk_session_notes").scalar() == 2
    other.disconnect()


def test_an_exception_rolls_the_whole_session_back(client: TiDBClient) -> None:  # noqa: F811
    table = client.create_table(schema=Note)
    with pytest.raises(RuntimeError), client.session():
        table.insert(Note(text="gone"))
        table.bulk_insert([Note(text="gone too")])
        raise RuntimeError("boom")
    assert table.rows() == 0


def test_objects_stay_readable_after_the_call(client: TiDBClient) -> None:  # noqa: F811
    table = client.create_table(schema=Note)
    note = table.insert(Note(text="kept"))
    assert note.text == "kept" and note.id == 1  # expire_on_commit=False


def test_execute_reports_instead_of_raising(client: TiDBClient) -> None:  # noqa: F811
    client.create_table(schema=Note)
    ok = client.execute("INSERT INTO sdk_session_notes (text) VALUES ('a'), ('b')")
    assert (ok.rowcount, ok.success, ok.message) == (2, True, None)
    bad = client.execute("SELECT * FROM no_such_table")
    assert not bad.success and bad.rowcount == 0 and "doesn't exist" in (bad.message or "")
    with pytest.raises(sa.exc.ProgrammingError):
        client.execute("SELECT * FROM no_such_table", raise_error=True)
    params = client.execute("DELETE FROM sdk_session_notes WHERE text = :t", {"t": "a"})
    assert params.rowcount == 1


class NoteRow(BaseModel):
    id: int
    text: str


def test_query_result_conversions(client: TiDBClient) -> None:  # noqa: F811
    client.create_table(schema=Note)
    client.execute("INSERT INTO sdk_session_notes (text) VALUES ('a'), ('b')", raise_error=True)
    result = client.query("SELECT id, text FROM sdk_session_notes ORDER BY id")
    assert result.scalar() == 1
    assert [tuple(r) for r in result.to_rows()] == [(1, "a"), (2, "b")]
    assert result.to_list() == [{"id": 1, "text": "a"}, {"id": 2, "text": "b"}]
    assert result.to_pydantic(NoteRow) == [NoteRow(id=1, text="a"), NoteRow(id=2, text="b")]
    assert result.to_pandas()["text"].tolist() == ["a", "b"]
    with pytest.raises(sa.exc.MultipleResultsFound):
        result.one()
    one = client.query("SELECT text FROM sdk_session_notes WHERE id = :i", {"i": 2}).one()
    assert one[0] == "b"


def test_configure_embedding_provider_sends_pytidb_set(client: TiDBClient) -> None:  # noqa: F811
    sent: list[str] = []
    sa.event.listen(client.db_engine, "before_cursor_execute", lambda *a: sent.append(a[2]))
    result = client.configure_embedding_provider("openai", api_key="sk-test")
    assert result.success
    assert sent[-1] == "SET @@GLOBAL.`TIDB_EXP_EMBED_OPENAI_API_KEY` = 'sk-test';"
    client.configure_embedding_provider("jina_ai", api_key="k", api_base="http://127.0.0.1:1/v1")
    assert sent[-1] == "SET @@GLOBAL.`TIDB_EXP_EMBED_JINA_AI_API_BASE` = 'http://127.0.0.1:1/v1';"
    with pytest.raises(ValueError):
        client.configure_embedding_provider("google_gemini", api_key="x")
