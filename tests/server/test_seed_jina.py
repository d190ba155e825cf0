"""Seed 002 (TiDB + Jina AI embeddings, ``tidb-vector``) end to end against ``autovec serve``.

The Jina mock (``tests/mock_providers/jina.py``) stands in for ``api.jina.ai``:

* client-side, as the tutorial does it: ``generate_embeddings`` posts to the Jina API
  itself, the vectors go into a ``tidb_vector.sqlalchemy.VectorType(dim=768)`` column
  through SQLAlchemy's MySQL dialect, and the nearest document is found with
  ``cosine_distance`` / ``l2_distance`` ``ORDER BY … LIMIT``;
* server-side, as TiDB's Auto Embedding does it: the key is set over the wire with
  ``SET @@GLOBAL.TIDB_EXP_EMBED_JINA_AI_API_KEY``, the column is ``GENERATED ALWAYS AS
  (EMBED_TEXT("jina_ai/jina-embeddings-v3", content)) STORED`` and the query uses
  ``VEC_EMBED_COSINE_DISTANCE``; the server subprocess finds the mock through
  ``TIDB_EXP_EMBED_JINA_AI_API_BASE`` in the environment it inherits.

The key must reach Jina as the Bearer token, be stored exactly as an in-process
connection stores it, and never be written to the server's log.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pymysql
import pytest
import sqlalchemy as sa
from sqlalchemy import Column, Integer, String
from sqlalchemy.orm import Session, declarative_base
from tidb_vector.sqlalchemy import VectorType

import autovec
from tests.mock_providers.jina import JINA_MODELS, JinaMock
from tests.server.conftest import RunningServer, mysql_engine, start_server

#: Shaped like a real Jina key (``jina_`` + 32 hex + 32 alphanumerics).
KEY = "jina_8d2f6c1e4b7a49e0b3c5d1f2a6e8c0b4Qm7xT2vR9sLp3KzWc5Yh8Nd1Gf6Jb4Xa"
#: A different, equally real-looking key that the mock rejects (401).
WRONG_KEY = "jina_5e1a9c3f7b2d48a6c0e4f8b1d3a5c7e9Rt2yU8iO4pA6sD0fG3hJ7kL1zX9cV5bN"

TEXTS = [
    "Jina AI offers best-in-class embeddings, reranker and prompt optimizer, enabling advanced multimodal AI.",
    "TiDB is an open-source MySQL-compatible database that supports Hybrid Transactional and Analytical Processing (HTAP) workloads.",
]
QUERY = "What is TiDB?"

TUTORIAL_MODEL = "jina-embeddings-v2-base-en"  # 768 dimensions
SERVER_MODEL = "jina-embeddings-v3"  # 1024 dimensions
KEY_VARIABLE = "TIDB_EXP_EMBED_JINA_AI_API_KEY"
AUTO_TABLE = (
    "CREATE TABLE jina_auto_documents (id INT PRIMARY KEY, content TEXT, "
    f'content_vec VECTOR(1024) GENERATED ALWAYS AS (EMBED_TEXT("jina_ai/{SERVER_MODEL}", content)) STORED)'
)


# --- the tutorial's code (api.jina.ai replaced by the mock's URL) ----------------------


def generate_embeddings(text: str, api_url: str) -> list[float]:
    """The tutorial's helper; ``requests.post`` is ``httpx.post`` (same call shape)."""
    jinaai_api_key = os.getenv("JINAAI_API_KEY")
    jinaai_headers = {
        "Content-Type": "application/json",
        "Authorization": f"Bearer {jinaai_api_key}",
    }
    jinaai_request_data = {
        "input": [text],
        "model": TUTORIAL_MODEL,  # with dimension 768.
    }
    response = httpx.post(api_url, headers=jinaai_headers, json=jinaai_request_data)
    return response.json()["data"][0]["embedding"]


Base: Any = declarative_base()


class Document(Base):
    __tablename__ = "jinaai_tidb_demo_documents"

    id = Column(Integer, primary_key=True)
    content = Column(String(255), nullable=False)
    content_vec = Column(
        # DIMENSIONS is determined by the embedding model,
        # for Jina AI's jina-embeddings-v2-base-en model it's 768.
        VectorType(dim=768),
        comment="hnsw(distance=cosine)",
    )


# --- helpers -----------------------------------------------------------------------------


def served(mock: JinaMock, text: str, model: str, task: str | None = None) -> np.ndarray:
    """The vector ``mock`` answers for ``text``: its answers are renormalised even at the
    model's native size, so ``expected()`` is asked for that size explicitly."""
    return mock.expected(text, model=model, task=task, dims=JINA_MODELS[model][0])


def cosine_distance(a: np.ndarray, b: np.ndarray) -> float:
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    return float(1 - a64 @ b64 / (np.linalg.norm(a64) * np.linalg.norm(b64)))


def l2_distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a.astype(np.float64) - b.astype(np.float64)))


def key_fragments_in(text: str, key: str, width: int = 12) -> list[str]:
    """Every ``width``-character piece of ``key`` found in ``text`` (a truncated key is
    still a leak)."""
    return sorted({key[i : i + width] for i in range(len(key) - width + 1)} & _pieces(text, width))


def _pieces(text: str, width: int) -> set[str]:
    return {text[i : i + width] for i in range(len(text) - width + 1)}


def wire_error(excinfo: pytest.ExceptionInfo[sa.exc.DBAPIError]) -> tuple[int, str]:
    """The MySQL errno and message a PyMySQL error carries."""
    code, message = excinfo.value.orig.args
    return int(code), str(message)


# --- fixtures ----------------------------------------------------------------------------


@pytest.fixture
def jina(monkeypatch: pytest.MonkeyPatch) -> Iterator[JinaMock]:
    """The Jina mock expecting :data:`KEY`; no Jina key anywhere in the environment, and
    ``TIDB_EXP_EMBED_JINA_AI_API_BASE`` pointing at the mock (for this process and any
    server started after this fixture)."""
    for name in ("JINA_API_KEY", "JINAAI_API_KEY", KEY_VARIABLE):
        monkeypatch.delenv(name, raising=False)
    with JinaMock(api_key=KEY) as mock:
        monkeypatch.setenv("TIDB_EXP_EMBED_JINA_AI_API_BASE", mock.api_base)
        yield mock


@pytest.fixture
def jina_server(jina: JinaMock, tmp_path: Path) -> Iterator[RunningServer]:
    """``autovec serve`` started after :func:`jina` set up its environment."""
    running = start_server(tmp_path / "data")
    yield running
    running.stop()


@pytest.fixture
def jina_engine(jina_server: RunningServer) -> Iterator[sa.Engine]:
    yield from mysql_engine(jina_server)


# --- the tutorial as written: client-side embeddings -------------------------------------


def test_tutorial_client_side_embeddings(
    jina: JinaMock, engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JINAAI_API_KEY", KEY)
    api_url = jina.api_base + "/embeddings"
    Base.metadata.create_all(engine)

    data = [{"text": text, "embedding": generate_embeddings(text, api_url)} for text in TEXTS]
    with Session(engine) as session:
        for item in data:
            session.add(Document(content=item["text"], content_vec=item["embedding"]))
        session.commit()

    assert [r.header("authorization") for r in jina.requests] == [f"Bearer {KEY}"] * 2
    assert [r.body for r in jina.requests] == [
        {"input": [text], "model": TUTORIAL_MODEL} for text in TEXTS
    ]
    docs = [served(jina, text, TUTORIAL_MODEL) for text in TEXTS]

    with Session(engine) as session:
        stored = session.query(Document).order_by(Document.id).all()
        assert [d.content for d in stored] == TEXTS
        for document, expected in zip(stored, docs, strict=True):
            assert isinstance(document.content_vec, np.ndarray)
            assert document.content_vec.shape == (768,)
            np.testing.assert_array_equal(document.content_vec, expected)

        # The tutorial's query, then each document's own text: every row gets to be nearest.
        for query in [QUERY, *TEXTS]:
            query_embedding = generate_embeddings(query, api_url)
            q = served(jina, query, TUTORIAL_MODEL)
            np.testing.assert_array_equal(np.array(query_embedding, dtype=np.float32), q)
            cosines = [cosine_distance(d, q) for d in docs]
            l2s = [l2_distance(d, q) for d in docs]

            # "List All Documents and Their Distances to the Query"
            listed = (
                session.query(
                    Document,
                    Document.content_vec.cosine_distance(query_embedding).label("distance"),
                )
                .order_by(Document.id)
                .all()
            )
            assert [distance for _, distance in listed] == pytest.approx(
                cosines, rel=1e-5, abs=1e-6
            )

            # "The Most Relevant Document and Its Distance to the Query"
            doc, distance = (
                session.query(
                    Document,
                    Document.content_vec.cosine_distance(query_embedding).label("distance"),
                )
                .order_by("distance")
                .limit(1)
                .first()
            )
            nearest = int(np.argmin(cosines))
            assert doc.content == TEXTS[nearest]
            assert distance == pytest.approx(cosines[nearest], rel=1e-5, abs=1e-6)

            doc, distance = (
                session.query(
                    Document, Document.content_vec.l2_distance(query_embedding).label("distance")
                )
                .order_by("distance")
                .limit(1)
                .first()
            )
            nearest_l2 = int(np.argmin(l2s))
            assert doc.content == TEXTS[nearest_l2]
            assert distance == pytest.approx(l2s[nearest_l2], rel=1e-5, abs=1e-6)

        # A document's own text is at distance 0 from it.
        own = generate_embeddings(TEXTS[1], api_url)
        first = (
            session.query(Document.id, Document.content_vec.cosine_distance(own).label("distance"))
            .order_by("distance")
            .limit(1)
            .first()
        )
        assert first is not None
        assert first.id == stored[1].id and first.distance == pytest.approx(0, abs=1e-6)


# --- server-side embedding: TiDB's Auto Embedding with jina_ai ---------------------------


def test_server_side_embedding_over_the_wire(
    jina: JinaMock, jina_server: RunningServer, jina_engine: sa.Engine
) -> None:
    with jina_engine.connect() as conn:
        assert conn.exec_driver_sql(f"SELECT @@GLOBAL.{KEY_VARIABLE}").scalar() == ""
        conn.exec_driver_sql(f"SET @@GLOBAL.{KEY_VARIABLE} = '{KEY}'")
        assert conn.exec_driver_sql(f"SELECT @@GLOBAL.{KEY_VARIABLE}").scalar() == "******"
        assert conn.exec_driver_sql(
            f"SHOW GLOBAL VARIABLES LIKE '{KEY_VARIABLE.lower()}'"
        ).all() == [(KEY_VARIABLE.lower(), "******")]

        conn.exec_driver_sql(AUTO_TABLE)
        inserted = conn.exec_driver_sql(
            "INSERT INTO jina_auto_documents (id, content) VALUES (1, %s), (2, %s)", tuple(TEXTS)
        )
        assert inserted.rowcount == 2
        conn.commit()

        (store,) = jina.requests
        assert store.path == "/v1/embeddings"
        assert store.header("authorization") == f"Bearer {KEY}"
        assert store.body["model"] == SERVER_MODEL
        assert store.body["input"] == TEXTS
        assert store.body["task"] == "retrieval.passage"

        docs = [served(jina, text, SERVER_MODEL, "retrieval.passage") for text in TEXTS]
        stored = conn.exec_driver_sql(
            "SELECT content_vec FROM jina_auto_documents ORDER BY id"
        ).scalars()
        for text_vector, expected in zip(stored, docs, strict=True):
            vector = np.array(text_vector.strip("[]").split(","), dtype=np.float32)
            np.testing.assert_array_equal(vector, expected)

        q = served(jina, QUERY, SERVER_MODEL, "retrieval.query")
        cosines = [cosine_distance(d, q) for d in docs]
        l2s = [l2_distance(d, q) for d in docs]
        found = conn.exec_driver_sql(
            "SELECT id, content, VEC_EMBED_COSINE_DISTANCE(content_vec, %s) AS distance "
            "FROM jina_auto_documents ORDER BY distance LIMIT 1",
            (QUERY,),
        ).all()
        nearest = int(np.argmin(cosines))
        assert [(i, c) for i, c, _ in found] == [(nearest + 1, TEXTS[nearest])]
        assert found[0][2] == pytest.approx(cosines[nearest], rel=1e-5, abs=1e-6)

        query_request = jina.requests[1]
        assert query_request.header("authorization") == f"Bearer {KEY}"
        assert query_request.body["input"] == [QUERY]
        assert query_request.body["task"] == "retrieval.query"

        found = conn.exec_driver_sql(
            "SELECT id, VEC_EMBED_L2_DISTANCE(content_vec, %s) AS distance "
            "FROM jina_auto_documents ORDER BY distance LIMIT 2",
            (QUERY,),
        ).all()
        order = [int(i) for i in np.argsort(l2s)]
        assert [i for i, _ in found] == [i + 1 for i in order]
        assert [d for _, d in found] == pytest.approx([l2s[i] for i in order], rel=1e-5)

        # Each document's own text finds that document first, at distance ~0.
        for number, text in enumerate(TEXTS, start=1):
            top = conn.exec_driver_sql(
                "SELECT id, VEC_EMBED_COSINE_DISTANCE(content_vec, %s) AS distance "
                "FROM jina_auto_documents ORDER BY distance LIMIT 1",
                (text,),
            ).one()
            own = served(jina, text, SERVER_MODEL, "retrieval.query")
            assert top[0] == number
            assert top[1] == pytest.approx(cosine_distance(docs[number - 1], own), abs=1e-6)
    assert all(r.header("authorization") == f"Bearer {KEY}" for r in jina.requests)

    # The same data directory in process: the key it finds is the one sent over the wire.
    assert jina_server.stop() == 0
    jina.clear()
    local = autovec.connect(jina_server.datadir, autocommit=True)
    try:
        cur = local.cursor()
        cur.execute(f"SELECT @@GLOBAL.{KEY_VARIABLE}")
        assert cur.fetchall() == [("******",)]
        new_text = "Which database speaks MySQL?"  # not in the embedding cache
        cur.execute(
            "SELECT id, VEC_EMBED_COSINE_DISTANCE(content_vec, %s) AS distance "
            "FROM jina_auto_documents ORDER BY distance LIMIT 1",
            [new_text],
        )
        q = served(jina, new_text, SERVER_MODEL, "retrieval.query")
        cosines = [cosine_distance(d, q) for d in docs]
        (row,) = cur.fetchall()
        assert row[0] == int(np.argmin(cosines)) + 1
        assert row[1] == pytest.approx(min(cosines), rel=1e-5, abs=1e-6)
        cur.execute("INSERT INTO jina_auto_documents (id, content) VALUES (3, 'stored in process')")
    finally:
        local.close()
    assert [r.header("authorization") for r in jina.requests] == [f"Bearer {KEY}"] * 2


def test_pytidb_configure_embedding_provider_statement(
    jina: JinaMock, jina_server: RunningServer, jina_engine: sa.Engine
) -> None:
    """``TiDBClient.configure_embedding_provider("jina_ai", key)`` sends the name backquoted
    and a trailing ``;`` (clients.md §1, Keys); TiDB accepts it."""
    with jina_engine.connect() as conn:
        conn.exec_driver_sql(f"SET @@GLOBAL.`{KEY_VARIABLE}` = '{KEY}';")
        assert conn.exec_driver_sql(f"SELECT @@GLOBAL.{KEY_VARIABLE}").scalar() == "******"
        conn.exec_driver_sql(AUTO_TABLE)
        conn.exec_driver_sql(
            "INSERT INTO jina_auto_documents (id, content) VALUES (1, %s)", (TEXTS[0],)
        )
        conn.commit()
    assert [r.header("authorization") for r in jina.requests] == [f"Bearer {KEY}"]


#: SETs of the key that TiDB rejects as syntax errors; each carries the whole key.
MALFORMED_SETS = [
    f"SET @@GLOBAL.{KEY_VARIABLE} '{KEY}'",  # no '='
    f"SET @@GLOBAL.{KEY_VARIABLE} = '{KEY}",  # unterminated string
    f"SET @@GLOBAL.{KEY_VARIABLE} = '{KEY}' WHERE 1",
    f"SET @@GLOBAL.{KEY_VARIABLE} = CONCAT('{KEY}'",
    f"SET @@GLOBAL.{KEY_VARIABLE} = '{KEY}' trailing_word",
]


def test_malformed_key_sets_are_rejected_and_store_nothing(
    jina: JinaMock, jina_server: RunningServer, jina_engine: sa.Engine
) -> None:
    accepted: list[str] = []
    with jina_engine.connect() as conn:
        for statement in MALFORMED_SETS:
            try:
                conn.exec_driver_sql(statement)
            except sa.exc.DBAPIError as exc:
                assert isinstance(exc.orig, pymysql.err.MySQLError)
            else:
                accepted.append(statement.replace(KEY, "<KEY>"))
            conn.exec_driver_sql(f"SET @@GLOBAL.{KEY_VARIABLE} = ''")
    assert accepted == []


def test_the_key_never_reaches_the_server_log(
    jina: JinaMock, jina_server: RunningServer, jina_engine: sa.Engine
) -> None:
    with jina_engine.connect() as conn:
        conn.exec_driver_sql(AUTO_TABLE)

        # A wrong key: Jina answers 401, the INSERT fails, nothing is stored.
        conn.exec_driver_sql(f"SET @@GLOBAL.{KEY_VARIABLE} = '{WRONG_KEY}'")
        with pytest.raises(sa.exc.OperationalError) as info:
            conn.exec_driver_sql(
                "INSERT INTO jina_auto_documents (id, content) VALUES (1, %s)", (TEXTS[0],)
            )
        code, message = wire_error(info)
        assert code == 1105 and "unauthorized" in message and KEY_VARIABLE in message
        assert key_fragments_in(message, WRONG_KEY) == []
        assert jina.last.header("authorization") == f"Bearer {WRONG_KEY}"
        assert conn.exec_driver_sql("SELECT count(*) FROM jina_auto_documents").scalar() == 0

        # Statements that carry the key and fail (pytidb's form fails today, see above).
        for statement in [*MALFORMED_SETS, f"SET @@GLOBAL.`{KEY_VARIABLE}` = '{KEY}';"]:
            try:
                conn.exec_driver_sql(statement)
            except sa.exc.DBAPIError:
                pass
        conn.exec_driver_sql(f"SELECT '{KEY}'")  # a key in a successful statement is not logged

        # The right key, then a provider error whose body echoes the key back.
        conn.exec_driver_sql(f"SET @@GLOBAL.{KEY_VARIABLE} = '{KEY}'")
        jina.fail_next("bad_request", message=f"Invalid API key format: {KEY}")
        with pytest.raises(sa.exc.OperationalError) as info:
            conn.exec_driver_sql(
                "INSERT INTO jina_auto_documents (id, content) VALUES (1, %s)", (TEXTS[0],)
            )
        code, message = wire_error(info)
        assert code == 1105 and message.startswith("JinaAI")
        assert key_fragments_in(message, KEY) == []
        assert jina.last.header("authorization") == f"Bearer {KEY}"

        # A 401 with the right key configured (the key was revoked, say).
        jina.fail_next("unauthorized")
        with pytest.raises(sa.exc.OperationalError) as info:
            conn.exec_driver_sql(
                "SELECT id FROM jina_auto_documents "
                "ORDER BY VEC_EMBED_COSINE_DISTANCE(content_vec, %s) LIMIT 1",
                (QUERY,),
            )
        code, message = wire_error(info)
        assert code == 1105 and "unauthorized" in message
        assert key_fragments_in(message, KEY) == []

        # And a statement that works, so the log has its successful side too.
        conn.exec_driver_sql(
            "INSERT INTO jina_auto_documents (id, content) VALUES (1, %s), (2, %s)", tuple(TEXTS)
        )
    assert jina_server.stop() == 0
    log = jina_server.log()
    assert "error 1105" in log and "error 1064" in log  # the failures above were logged
    leaking = [
        line
        for line in log.splitlines()
        if key_fragments_in(line, KEY) or key_fragments_in(line, WRONG_KEY)
    ]
    assert not leaking, "the server logged (part of) an API key:\n" + "\n".join(leaking)
