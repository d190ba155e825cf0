"""jina_ai/<model> against the Jina mock: tasks by side, dimensions, images."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from autovec.embeddings import (
    EmbeddingFunction,
    EmbeddingProviderError,
    ImageInput,
    InvalidOptionsError,
    UnauthorizedError,
    UnsupportedInputError,
)
from tests.mock_providers import JinaMock
from tests.mock_providers.images import ImageServer

MakeFn = Callable[..., EmbeddingFunction]
PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def test_v2_seed_002_request(jina_mock: JinaMock, make_fn: MakeFn) -> None:
    fn = make_fn(jina_mock, "jina_ai/jina-embeddings-v2-base-en")
    text = "TiDB is an open-source MySQL-compatible database."
    vec = fn.embed_documents([text])[0]
    assert vec.shape == (768,)
    np.testing.assert_allclose(
        vec, jina_mock.expected(text, "jina-embeddings-v2-base-en"), rtol=1e-6
    )
    req = jina_mock.last
    assert (
        req.path == "/v1/embeddings"
        and req.header("authorization") == f"Bearer {jina_mock.api_key}"
    )
    assert req.body == {
        "model": "jina-embeddings-v2-base-en",
        "input": [text],
        "embedding_type": "base64",
    }


def test_v3_task_defaults_by_side_and_explicit_wins(jina_mock: JinaMock, make_fn: MakeFn) -> None:
    fn = make_fn(jina_mock, "jina_ai/jina-embeddings-v3")
    doc = fn.embed_documents(["passage"])[0]
    assert jina_mock.last.body["task"] == "retrieval.passage"
    np.testing.assert_allclose(
        doc, jina_mock.expected("passage", task="retrieval.passage"), rtol=1e-6
    )
    fn.embed_query("question")
    assert jina_mock.last.body["task"] == "retrieval.query"
    fn.embed(["x"], "query", '{"task":"text-matching"}')
    assert jina_mock.last.body["task"] == "text-matching"
    fn.embed(["x"], "query", '{"task":"separation","task@search":"classification"}')
    assert jina_mock.last.body["task"] == "classification"
    fn.embed(["x"], "document", '{"task":"separation","task@search":"classification"}')
    assert jina_mock.last.body["task"] == "separation"


def test_dimensions_and_passthrough_options(jina_mock: JinaMock, make_fn: MakeFn) -> None:
    fn = make_fn(
        jina_mock, "jina_ai/jina-embeddings-v3", dimensions=256, late_chunking=False, truncate=True
    )
    out = fn.embed_documents(["a", "b"])
    assert out.shape == (2, 256)
    body = jina_mock.last.body
    assert body["dimensions"] == 256 and body["late_chunking"] is False and body["truncate"] is True
    np.testing.assert_allclose(
        out[1], jina_mock.expected("b", task="retrieval.passage", dims=256), rtol=1e-6
    )


def test_binary_embedding_types_are_refused(jina_mock: JinaMock, make_fn: MakeFn) -> None:
    fn = make_fn(jina_mock, "jina_ai/jina-embeddings-v3")
    with pytest.raises(InvalidOptionsError, match="cannot be stored in a VECTOR column"):
        fn.embed(["x"], "document", {"embedding_type": "binary"})
    fn.embed(["x"], "document", {"embedding_type": "float"})
    assert jina_mock.last.body["embedding_type"] == "float"


def test_v4_images_from_url_file_bytes_and_pil(
    jina_mock: JinaMock, make_fn: MakeFn, tmp_path: Path, image_server: ImageServer
) -> None:
    from PIL import Image

    fn = make_fn(jina_mock, "jina_ai/jina-embedding-v4", multimodal=True)  # seed 003's spelling
    path = tmp_path / "cat.png"
    path.write_bytes(PNG_1PX)
    url = image_server.url("orange.png")
    vectors = fn.get_source_embeddings([url, path], source_type="image")
    body = jina_mock.last.body
    assert body["model"] == "jina-embeddings-v4"
    assert body["input"][0] == {"image": url}
    raw_b64 = body["input"][1]["image"]
    assert not raw_b64.startswith("data:") and base64.b64decode(raw_b64) == PNG_1PX
    np.testing.assert_allclose(
        vectors[0],
        jina_mock.expected("image:" + url, "jina-embeddings-v4", "retrieval.passage"),
        rtol=1e-6,
    )
    # Query by PIL image, by image URL, and by keywords (text).
    image = Image.new("RGB", (4, 4), (255, 128, 0))
    q = fn.embed_query(image)
    assert q.shape == (2048,)
    sent = jina_mock.last.body["input"][0]["image"]
    assert Image.open(io.BytesIO(base64.b64decode(sent))).size == (4, 4)
    fn.get_query_embedding("orange tabby cat", source_type="image")
    assert jina_mock.last.body["input"] == ["orange tabby cat"]
    assert jina_mock.last.body["task"] == "retrieval.query"
    fn.get_query_embedding(url, source_type="image")
    assert jina_mock.last.body["input"] == [{"image": url}]


def test_mixed_text_and_image_batch(
    jina_mock: JinaMock, make_fn: MakeFn, image_server: ImageServer
) -> None:
    fn = make_fn(jina_mock, "jina_ai/jina-clip-v2", multimodal=True)
    url = image_server.url("blue.png")
    out = fn.embed([ImageInput(url), "a photo of a cat"], "document")
    assert out.shape == (2, 1024)
    assert jina_mock.last.body["input"] == [
        {"image": url},
        {"text": "a photo of a cat"},
    ]
    assert "task" not in jina_mock.last.body


def test_text_models_refuse_images(jina_mock: JinaMock, make_fn: MakeFn) -> None:
    fn = make_fn(jina_mock, "jina_ai/jina-embeddings-v3")
    with pytest.raises(UnsupportedInputError, match="does not accept image input"):
        fn.embed([ImageInput("https://example.com/a.jpg")])
    assert jina_mock.requests == []


def test_errors_use_detail(jina_mock: JinaMock, make_fn: MakeFn) -> None:
    fn = make_fn(jina_mock, "jina_ai/jina-embeddings-v3")
    with pytest.raises(EmbeddingProviderError, match=r"^JinaAI: task 'nope' is not supported"):
        fn.embed(["x"], "document", {"task": "nope"})
    jina_mock.fail_next("unauthorized")
    with pytest.raises(UnauthorizedError, match="TIDB_EXP_EMBED_JINA_AI_API_KEY"):
        fn.embed_documents(["x"])
    jina_mock.fail_next("rate_limit", retry_after=0.01)
    assert fn.embed_documents(["x"]).shape == (1, 1024)
