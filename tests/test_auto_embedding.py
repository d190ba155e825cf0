"""EMBED_TEXT columns and VEC_EMBED_*_DISTANCE through SQL: real local model, mock providers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import autovec
from tests.conftest import rows
from tests.mock_providers.dashscope import DashScopeMock
from tests.mock_providers.huggingface import HuggingFaceMock
from tests.mock_providers.jina import JinaMock
from tests.mock_providers.server import fake_vector

SEED_ROWS = [
    (1, "Java: Object-oriented language for cross-platform development."),
    (2, "Java coffee: Bold Indonesian beans with low acidity."),
    (3, "Java island: Densely populated, home to Jakarta."),
    (4, "Java's syntax is used in Android apps."),
    (5, "Dark roast Java beans enhance espresso blends."),
]
QUESTION = "How to start learning Java programming?"


def seed(cur: autovec.Cursor, model: str, dims: int, options: str = "") -> list[int]:
    extra = f", '{options}'" if options else ""
    cur.execute(
        f"""CREATE TABLE sample (
          `id` INT, `content` TEXT,
          `embedding` VECTOR({dims}) GENERATED ALWAYS AS (EMBED_TEXT("{model}", `content`{extra})) STORED)"""
    )
    values = ", ".join(f"({i}, %s)" for i, _ in SEED_ROWS)
    cur.execute(
        f"INSERT INTO sample (`id`, `content`) VALUES {values}", [text for _, text in SEED_ROWS]
    )
    cur.execute(
        "SELECT `id`, `content` FROM sample ORDER BY VEC_EMBED_COSINE_DISTANCE(embedding, %s) LIMIT 2",
        [QUESTION],
    )
    return [r[0] for r in cur.fetchall()]


def configure(cur: autovec.Cursor, mock: HuggingFaceMock | JinaMock | DashScopeMock) -> None:
    for name, value in mock.variables().items():
        cur.execute(f"SET @@GLOBAL.{name} = %s", [value])


def test_seed_sql_with_the_local_default_model(
    cur: autovec.Cursor, huggingface_mock: HuggingFaceMock
) -> None:
    configure(cur, huggingface_mock)  # a configured API must not be used: the weights are here
    assert seed(cur, "huggingface/sentence-transformers/all-MiniLM-L6-v2", 384) == [1, 4]
    assert huggingface_mock.requests == []
    vectors = rows(cur, "SELECT embedding FROM sample ORDER BY id")
    assert all(abs(np.linalg.norm(v[0].to_numpy()) - 1) < 1e-3 for v in vectors)


@pytest.mark.parametrize(
    ("model", "dims"),
    [
        ("intfloat/multilingual-e5-large", 1024),
        ("BAAI/bge-m3", 1024),
        ("sentence-transformers/all-mpnet-base-v2", 768),
        ("Qwen/Qwen3-Embedding-0.6B", 1024),
    ],
)
def test_seed_sql_with_hugging_face_models(
    cur: autovec.Cursor, huggingface_mock: HuggingFaceMock, model: str, dims: int
) -> None:
    configure(cur, huggingface_mock)
    got = seed(cur, f"huggingface/{model}", dims)
    requests = huggingface_mock.requests
    assert len(requests) == 2  # one batch for the five rows, one for the query
    for request in requests:
        assert request.path == f"/models/{model}/pipeline/feature-extraction"
        assert request.header("authorization") == f"Bearer {huggingface_mock.api_key}"
    document_inputs = requests[0].body["inputs"]
    assert len(document_inputs) == 5 and all(text in str(document_inputs) for _, text in SEED_ROWS)
    assert QUESTION in str(requests[1].body["inputs"])
    # The ranking is exactly what the provider's vectors give.
    sent_query = requests[1].body["inputs"]
    sent_query = sent_query[0] if isinstance(sent_query, list) else sent_query
    prefix = {"query": "query: "}.get(requests[1].body.get("prompt_name", ""), "")
    q = fake_vector(prefix + sent_query, dims, salt=model)
    doc_prefix = {"passage": "passage: "}.get(requests[0].body.get("prompt_name", ""), "")
    docs = [fake_vector(doc_prefix + t, dims, salt=model) for t in document_inputs]
    distances = [1 - (d @ q) / (np.linalg.norm(d) * np.linalg.norm(q)) for d in docs]
    assert got == [SEED_ROWS[i][0] for i in np.argsort(distances)[:2]]


def test_statement_is_all_or_nothing_and_paid_work_is_kept(
    cur: autovec.Cursor, huggingface_mock: HuggingFaceMock
) -> None:
    configure(cur, huggingface_mock)
    cur.execute(
        "CREATE TABLE d (id INT PRIMARY KEY, body TEXT, "
        "v VECTOR(1024) GENERATED ALWAYS AS (EMBED_TEXT('huggingface/BAAI/bge-m3', body)) STORED)"
    )
    huggingface_mock.fail_next("unauthorized")
    with pytest.raises(autovec.DatabaseError, match="unauthorized") as info:
        cur.execute("INSERT INTO d (id, body) VALUES (1, 'a'), (2, 'b')")
    assert info.value.args[0] == 1105 and huggingface_mock.api_key not in str(info.value)
    assert rows(cur, "SELECT count(*) FROM d") == [(0,)]
    huggingface_mock.fail_next("server_error", times=2)  # retried, then it works
    cur.execute("INSERT INTO d (id, body) VALUES (1, 'a'), (2, 'b')")
    assert rows(cur, "SELECT count(*) FROM d WHERE v IS NOT NULL") == [(2,)]
    huggingface_mock.clear()
    cur.execute(
        "INSERT INTO d (id, body) VALUES (3, 'a'), (4, NULL)"
    )  # 'a' is cached; NULL stays NULL
    assert huggingface_mock.requests == []
    assert rows(cur, "SELECT id FROM d WHERE v IS NULL") == [(4,)]


def test_update_re_embeds_only_a_changed_source(
    cur: autovec.Cursor, huggingface_mock: HuggingFaceMock
) -> None:
    configure(cur, huggingface_mock)
    cur.execute(
        "CREATE TABLE u (id INT PRIMARY KEY, title VARCHAR(20), body TEXT, "
        "v VECTOR(768) GENERATED ALWAYS AS (EMBED_TEXT('huggingface/sentence-transformers/all-mpnet-base-v2', body)) STORED)"
    )
    cur.execute("INSERT INTO u (id, title, body) VALUES (1, 't', 'first body')")
    before = rows(cur, "SELECT v FROM u")[0][0]
    huggingface_mock.clear()
    cur.execute("UPDATE u SET title = 'new title' WHERE id = 1")
    assert huggingface_mock.requests == []
    cur.execute("UPDATE u SET body = 'second body' WHERE id = 1")
    assert [r.body["inputs"] for r in huggingface_mock.requests] == [["second body"]]
    assert rows(cur, "SELECT v FROM u")[0][0] != before


def test_search_options_apply_to_queries_only(cur: autovec.Cursor, jina_mock: JinaMock) -> None:
    configure(cur, jina_mock)
    options = '{"task": "retrieval.passage", "task@search": "retrieval.query"}'
    cur.execute(
        "CREATE TABLE j (id INT, body TEXT, "
        f"v VECTOR(1024) GENERATED ALWAYS AS (EMBED_TEXT('jina_ai/jina-embeddings-v3', body, '{options}')) STORED)"
    )
    cur.execute("INSERT INTO j VALUES (1, 'hello'), (2, 'world')")
    cur.execute("SELECT id FROM j ORDER BY VEC_EMBED_COSINE_DISTANCE(v, 'greeting') LIMIT 1")
    tasks = [r.body.get("task") for r in jina_mock.requests]
    assert tasks == ["retrieval.passage", "retrieval.query"]


def test_ddl_and_query_errors(cur: autovec.Cursor) -> None:
    with pytest.raises(autovec.DatabaseError, match="VECTOR\\(100\\)"):
        cur.execute(
            "CREATE TABLE bad (c TEXT, v VECTOR(100) GENERATED ALWAYS AS "
            "(EMBED_TEXT('huggingface/sentence-transformers/all-MiniLM-L6-v2', c)) STORED)"
        )
    with pytest.raises(
        autovec.DatabaseError, match="model name must be in format 'provider/model', got: nomodel"
    ):
        cur.execute(
            "CREATE TABLE bad (c TEXT, v VECTOR(3) GENERATED ALWAYS AS (EMBED_TEXT('nomodel', c)) STORED)"
        )
    with pytest.raises(autovec.DatabaseError, match="unknown embedding provider 'nope'"):
        cur.execute(
            "CREATE TABLE bad (c TEXT, v VECTOR(3) GENERATED ALWAYS AS (EMBED_TEXT('nope/x', c)) STORED)"
        )
    with pytest.raises(autovec.DatabaseError, match="EMBED_TEXT expects options in JSON format"):
        cur.execute(
            "CREATE TABLE bad (c TEXT, v VECTOR(1536) GENERATED ALWAYS AS "
            "(EMBED_TEXT('openai/text-embedding-3-small', c, 'not json')) STORED)"
        )
    cur.execute("CREATE TABLE plain (id INT, v VECTOR(3))")
    with pytest.raises(
        autovec.DatabaseError,
        match=r"VEC_EMBED_COSINE_DISTANCE\(\) first argument must be a vector embedding column generated by EMBED_TEXT\(\), got `?v`?",
    ):
        cur.execute("SELECT id FROM plain ORDER BY VEC_EMBED_COSINE_DISTANCE(v, 'x') LIMIT 1")


def test_missing_key_says_how_to_configure_it(
    cur: autovec.Cursor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    cur.execute(
        "CREATE TABLE o (c TEXT, v VECTOR(1536) GENERATED ALWAYS AS (EMBED_TEXT('openai/text-embedding-3-small', c)) STORED)"
    )
    with pytest.raises(autovec.DatabaseError, match=r"SET @@GLOBAL\.TIDB_EXP_EMBED_OPENAI_API_KEY"):
        cur.execute("INSERT INTO o (c) VALUES ('x')")
    assert rows(cur, "SELECT count(*) FROM o") == [(0,)]


def test_embed_text_function_and_persistent_cache(
    datadir: Path, huggingface_mock: HuggingFaceMock
) -> None:
    conn = autovec.connect(datadir, autocommit=True)
    cur = conn.cursor()
    configure(cur, huggingface_mock)
    value = rows(cur, "SELECT EMBED_TEXT('huggingface/BAAI/bge-m3', 'persist me')")[0][0]
    assert isinstance(value, autovec.Vector) and value.dims == 1024
    conn.close()
    from autovec.storage.embedding_cache import PersistentEmbeddingCache

    on_disk = PersistentEmbeddingCache(datadir / "test" / "embeddings.sqlite")
    assert len(on_disk) == 1  # committed at once, independently of any statement
    on_disk.close()
    huggingface_mock.clear()
    again = autovec.connect(datadir, autocommit=True)
    assert rows(
        again.cursor(), "SELECT VEC_DIMS(EMBED_TEXT('huggingface/BAAI/bge-m3', 'persist me'))"
    ) == [(1024,)]
    assert huggingface_mock.requests == []
    again.close()


def test_batches_paid_for_survive_a_failed_statement(
    cur: autovec.Cursor, dashscope_mock: DashScopeMock
) -> None:
    """DashScope v4 takes 10 texts a request: 15 rows are 2 requests, one of which fails."""
    configure(cur, dashscope_mock)
    cur.execute(
        "CREATE TABLE ds (id INT PRIMARY KEY, body TEXT, "
        "v VECTOR(1024) GENERATED ALWAYS AS (EMBED_TEXT('dashscope/text-embedding-v4', body)) STORED)"
    )
    bodies = [f"text number {i}" for i in range(15)]
    dashscope_mock.fail_next("unauthorized")
    with pytest.raises(autovec.DatabaseError):
        cur.executemany("INSERT INTO ds VALUES (%s, %s)", list(enumerate(bodies)))
    assert rows(cur, "SELECT count(*) FROM ds") == [(0,)]
    first_attempt = [len(r.body["input"]["texts"]) for r in dashscope_mock.requests]
    assert sorted(first_attempt) == [5, 10]
    dashscope_mock.clear()
    cur.executemany("INSERT INTO ds VALUES (%s, %s)", list(enumerate(bodies)))
    retried = [len(r.body["input"]["texts"]) for r in dashscope_mock.requests]
    assert len(retried) == 1 and retried[0] in (5, 10)  # only the batch that failed is sent again
    assert rows(cur, "SELECT count(*) FROM ds WHERE v IS NOT NULL") == [(15,)]
