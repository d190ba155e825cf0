"""tidbcloud_free/<vendor>/<model>: needs a configured endpoint in an embedded database."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from autovec.embeddings import EmbeddingConfigError, EmbeddingFunction, KeyResolver
from tests.mock_providers import TiDBCloudFreeMock

MakeFn = Callable[..., EmbeddingFunction]


def test_titan_and_cohere_against_the_mock(
    tidbcloud_free_mock: TiDBCloudFreeMock, make_fn: MakeFn
) -> None:
    titan = make_fn(
        tidbcloud_free_mock, "tidbcloud_free/amazon/titan-embed-text-v2", dimensions=512
    )
    out = titan.embed_documents(["hello"])
    assert out.shape == (1, 512)
    req = tidbcloud_free_mock.last
    assert req.path == "/api/v1/inference/embeddings/default_billing_id"
    assert req.body == {
        "model": "amazon/titan-embed-text-v2",
        "texts": ["hello"],
        "dimensions": 512,
    }
    np.testing.assert_allclose(
        out[0],
        tidbcloud_free_mock.expected("hello", "amazon/titan-embed-text-v2", dims=512),
        rtol=1e-6,
    )
    cohere = make_fn(tidbcloud_free_mock, "tidbcloud_free/cohere/embed-english-v3")
    assert cohere.sql_options() == {
        "input_type": "search_document",
        "input_type@search": "search_query",
    }
    cohere.embed_query("q")
    assert tidbcloud_free_mock.last.body["input_type"] == "search_query"


def test_without_endpoint_the_error_says_what_to_do() -> None:
    fn = EmbeddingFunction(
        "tidbcloud_free/amazon/titan-embed-text-v2", keys=KeyResolver(use_environ=False)
    )
    with pytest.raises(EmbeddingConfigError, match="TIDB_EXP_EMBED_TIDBCLOUD_FREE_API_BASE"):
        fn.embed_documents(["x"])
