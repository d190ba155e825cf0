"""cohere/<model> against the Cohere v2 mock."""

from __future__ import annotations

import base64
from collections.abc import Callable

import numpy as np
import pytest

from autovec.embeddings import (
    EmbeddingFunction,
    EmbeddingProviderError,
    ImageInput,
    InvalidDimensionsError,
    UnauthorizedError,
    UnsupportedInputError,
)
from tests.mock_providers import CohereMock
from tests.mock_providers.images import make_image

MakeFn = Callable[..., EmbeddingFunction]


def test_request_shape_and_input_type_by_side(cohere_mock: CohereMock, make_fn: MakeFn) -> None:
    fn = make_fn(cohere_mock, "cohere/embed-english-v3.0")
    doc = fn.embed_documents(["hello"])[0]
    req = cohere_mock.last
    assert (
        req.path == "/v2/embed" and req.header("authorization") == f"Bearer {cohere_mock.api_key}"
    )
    assert req.body == {
        "model": "embed-english-v3.0",
        "texts": ["hello"],
        "input_type": "search_document",
        "embedding_types": ["float"],
    }
    np.testing.assert_allclose(doc, cohere_mock.expected("hello", "embed-english-v3.0"), rtol=1e-6)
    q = fn.embed_query("hi")
    assert cohere_mock.last.body["input_type"] == "search_query"
    np.testing.assert_allclose(
        q, cohere_mock.expected("hi", "embed-english-v3.0", "search_query"), rtol=1e-6
    )


def test_tidb_style_search_options(cohere_mock: CohereMock, make_fn: MakeFn) -> None:
    fn = make_fn(cohere_mock, "cohere/embed-v4.0")
    opts = '{"input_type":"classification","input_type@search":"clustering","truncate":"START"}'
    fn.embed(["x"], "document", opts)
    assert cohere_mock.last.body["input_type"] == "classification"
    assert cohere_mock.last.body["truncate"] == "START"
    fn.embed(["x"], "query", opts)
    assert cohere_mock.last.body["input_type"] == "clustering"


def test_output_dimension_and_96_per_request(cohere_mock: CohereMock, make_fn: MakeFn) -> None:
    fn = make_fn(cohere_mock, "cohere/embed-v4.0", dimensions=512)
    out = fn.embed_documents([f"t{i}" for i in range(100)])
    assert out.shape == (100, 512)
    assert sorted(len(r.body["texts"]) for r in cohere_mock.requests) == [4, 96]
    assert all(r.body["output_dimension"] == 512 for r in cohere_mock.requests)


def test_images_go_inline(cohere_mock: CohereMock, make_fn: MakeFn) -> None:
    fn = make_fn(cohere_mock, "cohere/embed-v4.0", multimodal=True)
    png = base64.b64encode(make_image((255, 140, 0))).decode()
    uri = f"data:image/png;base64,{png}"
    out = fn.embed([ImageInput(uri), "caption"])
    assert out.shape == (2, 1536)
    assert cohere_mock.last.body["inputs"] == [
        {"content": [{"type": "image_url", "image_url": {"url": uri}}]},
        {"content": [{"type": "text", "text": "caption"}]},
    ]
    np.testing.assert_allclose(out[0], cohere_mock.expected("image:" + uri), rtol=1e-6)
    with pytest.raises(UnsupportedInputError, match="inline image data"):
        fn.embed([ImageInput("https://example.com/x.png")])


def test_errors(cohere_mock: CohereMock, make_fn: MakeFn) -> None:
    fn = make_fn(cohere_mock, "cohere/embed-english-v3.0")
    with pytest.raises(InvalidDimensionsError, match="does not support dimensions=256"):
        fn.embed(["x"], "document", {"output_dimension": 256})
    assert cohere_mock.requests == []
    with pytest.raises(EmbeddingProviderError, match="Cohere: invalid request: truncate must be"):
        fn.embed(["x"], "document", {"truncate": "MIDDLE"})
    cohere_mock.fail_next("unauthorized")
    with pytest.raises(UnauthorizedError) as exc:
        fn.embed_documents(["x"])
    assert str(exc.value).startswith("Cohere returns status unauthorized")
    assert "TIDB_EXP_EMBED_COHERE_API_KEY" in str(exc.value)
