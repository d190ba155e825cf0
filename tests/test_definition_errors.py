"""Column definitions that cannot work are refused when declared, with a clear error."""

from __future__ import annotations

import pytest

import autovec
from tests.conftest import rows

MINILM = "huggingface/sentence-transformers/all-MiniLM-L6-v2"


@pytest.mark.parametrize("sql", ["CREATE TABLE t (v VECTOR(0))", "SELECT CAST('[]' AS VECTOR(0))"])
def test_vector_of_zero_dimensions(cur: autovec.Cursor, sql: str) -> None:
    with pytest.raises(autovec.DatabaseError, match="invalid vector dimension 0"):
        cur.execute(sql)
    assert rows(cur, "SELECT VEC_DIMS(CAST('[]' AS VECTOR))") == [(0,)]


def test_too_many_dimensions_in_a_cast(cur: autovec.Cursor) -> None:
    with pytest.raises(autovec.DatabaseError, match="more than 16383 dimensions"):
        cur.execute("SELECT CAST('[1]' AS VECTOR(16384))")


def test_unknown_option_of_a_local_model(cur: autovec.Cursor) -> None:
    with pytest.raises(autovec.DatabaseError) as info:
        cur.execute(
            "CREATE TABLE docs (t TEXT, v VECTOR(384) GENERATED ALWAYS AS"
            f" (EMBED_TEXT('{MINILM}', t, '{{\"normalise\": true}}')) STORED)"
        )
    message = info.value.args[1]
    assert "'normalise'" in message and "dimensions, normalize, prompt, prompt_name" in message
    assert rows(cur, "SHOW TABLES") == []


def test_known_and_hugging_face_api_options_are_accepted(cur: autovec.Cursor) -> None:
    cur.execute(
        "CREATE TABLE docs (t TEXT, v VECTOR(384) GENERATED ALWAYS AS"
        f" (EMBED_TEXT('{MINILM}', t, '{{\"normalize\": true, \"truncate\": true}}')) STORED)"
    )
    assert rows(cur, "SHOW TABLES") == [("docs",)]
