"""EMBED_IMAGE columns and VEC_EMBED_*_DISTANCE on them, through SQL.

Real data directories; the Jina and DashScope mocks embed; a loopback server serves
Pillow-made images (allowed through the test-only private-hosts setting); the database
loads every image itself and sends the provider inline data.
"""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import autovec
from autovec.sql import image_sources
from tests.conftest import rows
from tests.mock_providers.dashscope import DashScopeMock
from tests.mock_providers.images import COLOURS, ImageServer, make_image
from tests.mock_providers.jina import JinaMock

JINA = "jina_ai/jina-embeddings-v4"

RED = make_image(COLOURS["red"])  # as the image_server fixture serves red.png
BLUE = make_image(COLOURS["blue"])
GREEN = make_image(COLOURS["green"], shape="square")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def data_uri(data: bytes) -> str:
    return "data:image/png;base64," + b64(data)


@pytest.fixture
def images(image_server: ImageServer) -> ImageServer:
    image_server.images["also-red.png"] = RED
    return image_server


def configure(cur: autovec.Cursor, mock: JinaMock | DashScopeMock) -> None:
    for name, value in mock.variables().items():
        cur.execute(f"SET @@GLOBAL.{name} = %s", [value])
    cur.execute("SET @@GLOBAL.autovec_image_allow_private_hosts = ON")  # the loopback server


def gallery(
    cur: autovec.Cursor, source_type: str = "TEXT", model: str = JINA, dims: int = 2048
) -> None:
    cur.execute(
        f"CREATE TABLE gallery (id INT PRIMARY KEY, src {source_type}, "
        f"v VECTOR({dims}) GENERATED ALWAYS AS (EMBED_IMAGE('{model}', src)) STORED)"
    )


def jina_image(mock: JinaMock, data: bytes, task: str = "retrieval.passage") -> np.ndarray:
    """The vector the Jina mock gives an image sent inline (raw base64)."""
    return mock.expected("image:" + b64(data), "jina-embeddings-v4", task)


def vector_of(cur: autovec.Cursor, row_id: int) -> np.ndarray:
    value = rows(cur, "SELECT v FROM gallery WHERE id = %s", [row_id])[0][0]
    return np.asarray(value.to_numpy(), dtype=np.float32)


def sent_images(mock: JinaMock) -> list[str]:
    return [item["image"] for r in mock.requests for item in r.body["input"] if "image" in item]


def test_insert_by_url_path_and_blob_embeds_the_bytes(
    cur: autovec.Cursor, jina_mock: JinaMock, images: ImageServer, tmp_path: Path
) -> None:
    configure(cur, jina_mock)
    allowed = tmp_path / "pictures"
    allowed.mkdir()
    (allowed / "green.png").write_bytes(GREEN)
    cur.execute("SET @@GLOBAL.autovec_image_dirs = %s", [str(allowed)])
    gallery(cur)
    cur.execute(
        "INSERT INTO gallery (id, src) VALUES (1, %s), (2, %s), (3, NULL)",
        [images.url("red.png"), str(allowed / "green.png")],
    )
    # The provider gets the bytes inline, never the user's URL or path.
    assert sent_images(jina_mock) == [b64(RED), b64(GREEN)]
    assert np.allclose(vector_of(cur, 1), jina_image(jina_mock, RED), atol=1e-6)
    assert np.allclose(vector_of(cur, 2), jina_image(jina_mock, GREEN), atol=1e-6)
    assert rows(cur, "SELECT id FROM gallery WHERE v IS NULL") == [(3,)]

    cur.execute(
        "CREATE TABLE blobs (id INT PRIMARY KEY, img LONGBLOB, "
        f"v VECTOR(2048) GENERATED ALWAYS AS (EMBED_IMAGE('{JINA}', img)) STORED)"
    )
    jina_mock.clear()
    cur.execute(
        "INSERT INTO blobs (id, img) VALUES (1, %s), (2, %s)", [BLUE, images.url("red.png")]
    )
    assert sent_images(jina_mock) == [b64(BLUE)]  # red's bytes were embedded already
    got = rows(cur, "SELECT v FROM blobs ORDER BY id")
    assert np.allclose(got[0][0].to_numpy(), jina_image(jina_mock, BLUE), atol=1e-6)
    assert np.allclose(got[1][0].to_numpy(), jina_image(jina_mock, RED), atol=1e-6)


def test_show_create_table_round_trips(cur: autovec.Cursor) -> None:
    cur.execute(
        "CREATE TABLE g (id INT PRIMARY KEY, img VARBINARY(1024), "
        f"v VECTOR(1024) GENERATED ALWAYS AS (EMBED_IMAGE('{JINA}', img, '{{\"dimensions\": 1024}}')) STORED)"
    )
    shown = rows(cur, "SHOW CREATE TABLE g")[0][1]
    assert (
        "GENERATED ALWAYS AS (EMBED_IMAGE('jina_ai/jina-embeddings-v4', img, '{\"dimensions\": 1024}')) STORED"
        in shown
    )
    cur.execute("DROP TABLE g")
    cur.execute(shown)
    assert rows(cur, "SHOW CREATE TABLE g")[0][1] == shown


def test_ddl_errors_name_the_problem(cur: autovec.Cursor) -> None:
    cases = {
        "huggingface/sentence-transformers/all-MiniLM-L6-v2": (
            384,
            r"EMBED_IMAGE\(\) needs a multimodal model; .*all-MiniLM-L6-v2 does not accept image input",
        ),
        "dashscope/text-embedding-v4": (1024, "needs a multimodal model"),
        JINA: (512, "produces 2048-dimensional vectors, which do not fit VECTOR\\(512\\)"),
        "nobody/model": (8, "unknown embedding provider 'nobody'"),
    }
    for model, (dims, message) in cases.items():
        with pytest.raises(autovec.DatabaseError, match=message) as info:
            cur.execute(
                f"CREATE TABLE bad (src TEXT, v VECTOR({dims}) "
                f"GENERATED ALWAYS AS (EMBED_IMAGE('{model}', src)) STORED)"
            )
        assert info.value.args[0] == 1105
    with pytest.raises(autovec.DatabaseError, match=r"EMBED_IMAGE\(\) produces a VECTOR"):
        cur.execute(
            f"CREATE TABLE bad (src TEXT, v TEXT GENERATED ALWAYS AS (EMBED_IMAGE('{JINA}', src)) STORED)"
        )
    with pytest.raises(autovec.DatabaseError, match="EMBED_IMAGE expects options in JSON format"):
        cur.execute(
            "CREATE TABLE bad (src TEXT, v VECTOR(2048) "
            f"GENERATED ALWAYS AS (EMBED_IMAGE('{JINA}', src, 3)) STORED)"
        )
    assert rows(cur, "SHOW TABLES") == []


def test_path_outside_the_allowed_directories_is_refused(
    cur: autovec.Cursor, jina_mock: JinaMock, tmp_path: Path
) -> None:
    configure(cur, jina_mock)
    outside = tmp_path / "elsewhere.png"
    outside.write_bytes(RED)
    gallery(cur)
    with pytest.raises(autovec.Error, match="autovec_image_dirs"):
        cur.execute("INSERT INTO gallery (id, src) VALUES (1, %s)", [str(outside)])
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    cur.execute("SET @@GLOBAL.autovec_image_dirs = %s", [str(allowed)])
    with pytest.raises(autovec.Error, match="autovec_image_dirs"):
        cur.execute("INSERT INTO gallery (id, src) VALUES (1, %s)", [str(outside)])
    with pytest.raises(autovec.Error, match="autovec_image_dirs"):  # no way out through ..
        cur.execute("INSERT INTO gallery (id, src) VALUES (1, %s)", [f"{allowed}/../elsewhere.png"])
    assert jina_mock.requests == []
    assert rows(cur, "SELECT count(*) FROM gallery") == [(0,)]


def test_the_same_bytes_at_two_urls_are_embedded_once_across_restarts(
    datadir: Path, jina_mock: JinaMock, images: ImageServer
) -> None:
    conn = autovec.connect(datadir, autocommit=True)
    cur = conn.cursor()
    configure(cur, jina_mock)
    gallery(cur)
    cur.execute(
        "INSERT INTO gallery (id, src) VALUES (1, %s), (2, %s), (3, %s)",
        [images.url("red.png"), images.url("also-red.png"), images.url("red.png")],
    )
    assert len(jina_mock.requests) == 1 and sent_images(jina_mock) == [b64(RED)]
    assert images.fetched.count("red.png") == 1  # a statement loads a repeated URL once
    conn.close()

    jina_mock.clear()
    conn = autovec.connect(datadir, autocommit=True)  # the persistent cache answers
    cur = conn.cursor()
    images.images["red-copy.png"] = RED
    cur.execute("INSERT INTO gallery (id, src) VALUES (4, %s)", [images.url("red-copy.png")])
    assert jina_mock.requests == []
    assert np.allclose(vector_of(cur, 4), vector_of(cur, 1))
    conn.close()


def test_a_failed_statement_writes_nothing_and_the_connection_goes_on(
    cur: autovec.Cursor, jina_mock: JinaMock, images: ImageServer
) -> None:
    configure(cur, jina_mock)
    gallery(cur)
    with pytest.raises(autovec.Error, match=r"missing\.png") as info:
        cur.execute(
            "INSERT INTO gallery (id, src) VALUES (1, %s), (2, %s)",
            [images.url("red.png"), images.url("missing.png")],
        )
    assert "404" in str(info.value)
    assert jina_mock.requests == []  # nothing sent: the whole statement failed first
    images.images["text.png"] = b"<html>not an image</html>"
    with pytest.raises(autovec.Error, match="not a PNG, JPEG, GIF, WebP or BMP"):
        cur.execute("INSERT INTO gallery (id, src) VALUES (1, %s)", [images.url("text.png")])
    jina_mock.fail_next("unauthorized")
    with pytest.raises(autovec.DatabaseError) as provider_error:
        cur.execute("INSERT INTO gallery (id, src) VALUES (1, %s)", [images.url("red.png")])
    message = str(provider_error.value)
    assert provider_error.value.args[0] == 1105 and jina_mock.api_key not in message
    assert rows(cur, "SELECT count(*) FROM gallery") == [(0,)]
    cur.execute("INSERT INTO gallery (id, src) VALUES (1, %s)", [images.url("red.png")])
    assert rows(cur, "SELECT id FROM gallery WHERE v IS NOT NULL") == [(1,)]


def test_update_re_embeds_a_changed_source_only(
    cur: autovec.Cursor, jina_mock: JinaMock, images: ImageServer
) -> None:
    configure(cur, jina_mock)
    cur.execute(
        "CREATE TABLE gallery (id INT PRIMARY KEY, src TEXT, note TEXT, "
        f"v VECTOR(2048) GENERATED ALWAYS AS (EMBED_IMAGE('{JINA}', src)) STORED)"
    )
    cur.execute("INSERT INTO gallery (id, src) VALUES (1, %s)", [images.url("red.png")])
    images.fetched.clear()
    cur.execute("UPDATE gallery SET note = 'a red square' WHERE id = 1")
    assert images.fetched == []
    cur.execute("UPDATE gallery SET src = %s WHERE id = 1", [images.url("blue.png")])
    assert images.fetched == ["blue.png"]
    assert np.allclose(vector_of(cur, 1), jina_image(jina_mock, BLUE), atol=1e-6)
    cur.execute("UPDATE gallery SET src = NULL WHERE id = 1")
    assert rows(cur, "SELECT v IS NULL FROM gallery") == [(1,)]


def test_images_are_loaded_before_the_write_lock(
    datadir: Path, jina_mock: JinaMock, images: ImageServer
) -> None:
    conn = autovec.connect(datadir, autocommit=True)
    cur = conn.cursor()
    configure(cur, jina_mock)
    gallery(cur)
    cur.execute("CREATE TABLE plain (id INT PRIMARY KEY)")
    other = autovec.connect(datadir, autocommit=True).cursor()
    other.execute("SET innodb_lock_wait_timeout = 1")
    waits: list[float] = []
    one_at_a_time = threading.Lock()  # the images are fetched concurrently

    def write_while_fetching(name: str) -> None:
        with one_at_a_time:
            started = time.monotonic()
            other.execute("INSERT INTO plain VALUES (%s)", [len(waits)])
            waits.append(time.monotonic() - started)

    images.on_request = write_while_fetching
    cur.execute(
        "INSERT INTO gallery (id, src) VALUES (1, %s), (2, %s)",
        [images.url("red.png"), images.url("blue.png")],
    )
    assert len(waits) == 2 and max(waits) < 0.5
    assert rows(cur, "SELECT count(*) FROM gallery WHERE v IS NOT NULL") == [(2,)]
    conn.close()


def test_the_next_images_load_while_the_provider_embeds_the_first(
    cur: autovec.Cursor, dashscope_mock: DashScopeMock, images: ImageServer
) -> None:
    """Two groups' worth of images: some of the second group are fetched while a request
    for the first is at the provider (the downloads hide behind the provider's time)."""
    configure(cur, dashscope_mock)
    dashscope_mock.latency = 0.2
    count = 2 * image_sources.EMBED_GROUP
    for i in range(count):
        images.images[f"{i}.png"] = make_image((i % 256, i // 256 * 90, 60))
    fetched_during_embedding: list[str] = []

    def note(name: str) -> None:
        if dashscope_mock.in_flight > 0:
            fetched_during_embedding.append(name)
        time.sleep(0.01)  # a web server's time: a group loads in 80 ms, not in 30

    gallery(cur, model="dashscope/tongyi-embedding-vision-plus", dims=1152)
    # The provider's first use (its HTTP client, the cache file) outside the measurement.
    cur.execute("INSERT INTO gallery (id, src) VALUES (-1, %s)", [images.url("red.png")])
    dashscope_mock.clear()
    images.on_request = note
    cur.executemany(
        "INSERT INTO gallery (id, src) VALUES (%s, %s)",
        [(i, images.url(f"{i}.png")) for i in range(count)],
    )
    assert rows(cur, "SELECT count(*) FROM gallery WHERE v IS NOT NULL") == [(count + 1,)]
    assert len(dashscope_mock.requests) == count // 8
    overlapped = {int(name.removesuffix(".png")) for name in fetched_during_embedding}
    assert overlapped and min(overlapped) >= image_sources.EMBED_GROUP


def test_the_next_groups_requests_start_before_the_last_group_is_answered(
    cur: autovec.Cursor,
    dashscope_mock: DashScopeMock,
    images: ImageServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Groups of 3 requests, the provider's limit 8 at once: only groups embedding side by
    side can have more than 3 requests at the provider."""
    monkeypatch.setattr(image_sources, "EMBED_GROUP", 24)
    configure(cur, dashscope_mock)
    dashscope_mock.latency = 0.2
    count = 8 * 24
    for i in range(count):
        images.images[f"{i}.png"] = make_image((i, 255 - i, 60))
    gallery(cur, model="dashscope/tongyi-embedding-vision-plus", dims=1152)
    cur.executemany(
        "INSERT INTO gallery (id, src) VALUES (%s, %s)",
        [(i, images.url(f"{i}.png")) for i in range(count)],
    )
    assert len(dashscope_mock.requests) == count // 8
    assert dashscope_mock.max_in_flight > 3
    # Each row has its own image's vector (the provider's, as the cache keeps it by content).
    misplaced = (
        "SELECT count(*) FROM gallery WHERE v IS NULL OR VEC_COSINE_DISTANCE(v, "
        "EMBED_IMAGE('dashscope/tongyi-embedding-vision-plus', src)) > 1e-6"
    )
    assert rows(cur, misplaced) == [(0,)]
    assert len(dashscope_mock.requests) == count // 8  # ...answered from the cache


def test_a_kill_stops_an_insert_while_its_images_load(
    conn: autovec.Connection,
    cur: autovec.Cursor,
    dashscope_mock: DashScopeMock,
    images: ImageServer,
) -> None:
    configure(cur, dashscope_mock)
    count = 200  # 100 ms an image, 8 at a time: 2.5 s of loading, 0.8 s a group of 64
    for i in range(count):
        images.images[f"{i}.png"] = make_image((i % 256, 90, 60))
    images.on_request = lambda name: time.sleep(0.1)
    gallery(cur, model="dashscope/tongyi-embedding-vision-plus", dims=1152)
    killed: list[float] = []

    def kill() -> None:
        killed.append(time.monotonic())
        conn.session.interrupt()

    threading.Timer(0.3, kill).start()
    with pytest.raises(autovec.OperationalError) as info:
        cur.executemany(
            "INSERT INTO gallery (id, src) VALUES (%s, %s)",
            [(i, images.url(f"{i}.png")) for i in range(count)],
        )
    assert info.value.args[0] == 1317
    assert time.monotonic() - killed[0] < 0.4  # the loads in flight, not the group's
    assert len(images.fetched) < count
    images.on_request = None
    assert rows(cur, "SELECT count(*) FROM gallery") == [(0,)]
    cur.execute("INSERT INTO gallery (id, src) VALUES (1, %s)", [images.url("0.png")])
    assert rows(cur, "SELECT count(*) FROM gallery WHERE v IS NOT NULL") == [(1,)]


def test_text_and_image_queries_use_the_columns_model(
    cur: autovec.Cursor, jina_mock: JinaMock, images: ImageServer
) -> None:
    configure(cur, jina_mock)
    gallery(cur)
    cur.execute(
        "INSERT INTO gallery (id, src) VALUES (1, %s), (2, %s)",
        [images.url("red.png"), images.url("blue.png")],
    )
    stored = {1: jina_image(jina_mock, RED), 2: jina_image(jina_mock, BLUE)}
    jina_mock.clear()
    text = jina_mock.expected("orange tabby cat", "jina-embeddings-v4", "retrieval.query")
    for query, expected in (
        ("orange tabby cat", text),
        (images.url("blue.png"), jina_image(jina_mock, BLUE, "retrieval.query")),
        (data_uri(RED), jina_image(jina_mock, RED, "retrieval.query")),
    ):
        got = rows(
            cur,
            "SELECT id, VEC_EMBED_COSINE_DISTANCE(v, %s), VEC_EMBED_L2_DISTANCE(v, %s), "
            "VEC_EMBED_NEGATIVE_INNER_PRODUCT(v, %s), VEC_EMBED_L1_DISTANCE(v, %s) "
            "FROM gallery ORDER BY id",
            [query] * 4,
        )
        for row_id, cosine, l2, inner, l1 in got:
            vec = stored[row_id]
            assert cosine == pytest.approx(1 - float(vec @ expected), abs=1e-5)
            assert l2 == pytest.approx(float(np.linalg.norm(vec - expected)), abs=1e-5)
            assert inner == pytest.approx(-float(vec @ expected), abs=1e-5)
            assert l1 == pytest.approx(float(np.abs(vec - expected).sum()), abs=1e-3)
    assert jina_mock.requests[0].body["input"] == ["orange tabby cat"]
    assert jina_mock.requests[0].body["task"] == "retrieval.query"
    assert [r.body["input"] for r in jina_mock.requests[1:]] == [
        [{"image": b64(BLUE)}],
        [{"image": b64(RED)}],
    ]
    nearest = rows(
        cur,
        "SELECT id FROM gallery ORDER BY VEC_EMBED_COSINE_DISTANCE(v, %s) LIMIT 1",
        [images.url("blue.png")],
    )
    assert nearest == [(2,)]
    with pytest.raises(autovec.Error, match=r"missing\.png"):
        cur.execute(
            "SELECT id FROM gallery ORDER BY VEC_EMBED_COSINE_DISTANCE(v, %s) LIMIT 1",
            [images.url("missing.png")],
        )


def test_embed_image_function_and_back_fill(
    cur: autovec.Cursor, jina_mock: JinaMock, images: ImageServer
) -> None:
    configure(cur, jina_mock)
    got = rows(cur, f"SELECT VEC_DIMS(EMBED_IMAGE('{JINA}', %s))", [images.url("red.png")])
    assert got == [(2048,)]
    assert rows(cur, f"SELECT EMBED_IMAGE('{JINA}', NULL)") == [(None,)]
    cur.execute("CREATE TABLE gallery (id INT PRIMARY KEY, src TEXT)")
    cur.executemany(
        "INSERT INTO gallery VALUES (%s, %s)",
        [(i, images.url(name)) for i, name in enumerate(["red.png", "blue.png", "also-red.png"])]
        + [(3, None)],
    )
    jina_mock.clear()
    cur.execute(
        "ALTER TABLE gallery ADD COLUMN "
        f"v VECTOR(2048) GENERATED ALWAYS AS (EMBED_IMAGE('{JINA}', src)) STORED"
    )
    assert sent_images(jina_mock) == [b64(BLUE)]  # red is in the cache (the SELECT above)
    assert rows(cur, "SELECT id FROM gallery WHERE v IS NULL") == [(3,)]
    assert np.allclose(vector_of(cur, 2), vector_of(cur, 0))


@pytest.mark.parametrize(
    ("model", "dims", "per_request"),
    [
        ("multimodal-embedding-v1", 1024, 1),
        ("tongyi-embedding-vision-plus", 1152, 8),
        ("tongyi-embedding-vision-flash", 768, 8),
    ],
)
def test_dashscope_image_batches_keep_to_the_model_limit(
    cur: autovec.Cursor,
    dashscope_mock: DashScopeMock,
    images: ImageServer,
    model: str,
    dims: int,
    per_request: int,
) -> None:
    configure(cur, dashscope_mock)
    colours = [(i * 12 % 256, i * 37 % 256, i * 91 % 256) for i in range(20)]
    for i, colour in enumerate(colours):
        images.images[f"{i}.png"] = make_image(colour)
    gallery(cur, model=f"dashscope/{model}", dims=dims)
    values = ", ".join(f"({i}, %s)" for i in range(20))
    cur.execute(
        f"INSERT INTO gallery (id, src) VALUES {values}",
        [images.url(f"{i}.png") for i in range(20)],
    )
    sizes = [len(r.body["input"]["contents"]) for r in dashscope_mock.requests]
    assert sum(sizes) == 20 and max(sizes) == per_request
    assert len(sizes) == -(-20 // per_request)
    sent = [c["image"] for r in dashscope_mock.requests for c in r.body["input"]["contents"]]
    assert all(uri.startswith("data:image/png;base64,") for uri in sent)
    first = dashscope_mock.expected_mm("image:" + data_uri(make_image(colours[0])), model)
    assert np.allclose(vector_of(cur, 0), first, atol=1e-6)


def test_dashscope_refuses_an_image_over_its_size_limit(
    cur: autovec.Cursor, dashscope_mock: DashScopeMock, images: ImageServer
) -> None:
    configure(cur, dashscope_mock)
    noise = np.random.default_rng(0).integers(0, 256, (1100, 1100, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noise).save(buffer, format="PNG")
    assert 3 * 1024 * 1024 < len(buffer.getvalue()) < 10 * 1024 * 1024
    images.images["big.png"] = buffer.getvalue()
    gallery(cur, model="dashscope/tongyi-embedding-vision-flash", dims=768)
    with pytest.raises(autovec.Error, match=r"autovec_image_max_bytes|3145728"):
        cur.execute("INSERT INTO gallery (id, src) VALUES (1, %s)", [images.url("big.png")])
    assert dashscope_mock.requests == []


def test_autovec_sql_json_returns_image_search_rows_with_distances(
    tmp_path: Path, jina_mock: JinaMock
) -> None:
    pictures = tmp_path / "pictures"
    pictures.mkdir()
    for name in ("red", "orange", "blue"):
        (pictures / f"{name}.png").write_bytes(make_image(COLOURS[name]))
    script = ";".join(
        [
            f"SET @@GLOBAL.autovec_image_dirs = '{pictures}'",
            "CREATE TABLE g (id INT PRIMARY KEY, src TEXT, v VECTOR(2048) GENERATED ALWAYS AS "
            f"(EMBED_IMAGE('{JINA}', src)) STORED)",
            "INSERT INTO g (id, src) VALUES "
            + ", ".join(
                f"({i}, '{pictures}/{n}.png')" for i, n in enumerate(["red", "orange", "blue"])
            ),
            "SELECT id, VEC_EMBED_COSINE_DISTANCE(v, 'orange tabby cat') AS distance "
            "FROM g ORDER BY distance LIMIT 2",
        ]
    )
    command = [sys.executable, "-m", "autovec.cli.main", "sql", "--db", str(tmp_path / "data")]
    proc = subprocess.run(
        [*command, "--format", "json", "-e", script],
        capture_output=True,
        text=True,
        env={**os.environ, **jina_mock.variables()},
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert [row["id"] for row in got] == [1, 0]  # the orange picture, then the red one
    text = jina_mock.expected("orange tabby cat", "jina-embeddings-v4", "retrieval.query")
    orange = jina_image(jina_mock, make_image(COLOURS["orange"]))
    assert got[0]["distance"] == pytest.approx(1 - float(orange @ text), abs=1e-5)
