"""gemini/<model> against the Gemini mock."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from autovec.embeddings import EmbeddingFunction, EmbeddingProviderError, KeyResolver
from tests.mock_providers import GeminiMock

MakeFn = Callable[..., EmbeddingFunction]
MODEL = "gemini-embedding-001"


def test_batch_request_shape_and_key_header(gemini_mock: GeminiMock, make_fn: MakeFn) -> None:
    fn = make_fn(gemini_mock, f"gemini/{MODEL}")
    out = fn.embed_documents(["a", "b"])
    assert out.shape == (2, 3072)
    req = gemini_mock.last
    assert req.path == f"/v1beta/models/{MODEL}:batchEmbedContents"
    assert req.header("x-goog-api-key") == gemini_mock.api_key and "key" not in req.query
    assert req.header("authorization") is None
    assert req.body == {
        "requests": [
            {
                "model": f"models/{MODEL}",
                "content": {"parts": [{"text": t}]},
                "taskType": "RETRIEVAL_DOCUMENT",
            }
            for t in ("a", "b")
        ]
    }
    np.testing.assert_allclose(out[1], gemini_mock.expected("b"), rtol=1e-6)
    fn.embed_query("q")
    assert gemini_mock.last.body["requests"][0]["taskType"] == "RETRIEVAL_QUERY"


def test_tidb_option_spellings_and_renormalised_truncation(
    gemini_mock: GeminiMock, make_fn: MakeFn
) -> None:
    fn = make_fn(gemini_mock, f"gemini/{MODEL}")
    out = fn.embed(
        ["a"], "document", '{"output_dimensionality":768,"task_type":"SEMANTIC_SIMILARITY"}'
    )
    item = gemini_mock.last.body["requests"][0]
    assert item["outputDimensionality"] == 768 and item["taskType"] == "SEMANTIC_SIMILARITY"
    full = gemini_mock.expected("a", task_type="SEMANTIC_SIMILARITY")
    np.testing.assert_allclose(out[0], full[:768] / np.linalg.norm(full[:768]), rtol=1e-5)
    assert abs(np.linalg.norm(out[0]) - 1) < 1e-5
    fn.embed(["a"], "document", {"embedding_config": {"output_dimensionality": 1536}})
    assert gemini_mock.last.body["requests"][0]["outputDimensionality"] == 1536
    declared = make_fn(gemini_mock, f"gemini/{MODEL}", dimensions=768)
    assert declared.embed_query("x").shape == (768,)


def test_100_requests_per_batch(gemini_mock: GeminiMock, make_fn: MakeFn) -> None:
    fn = make_fn(gemini_mock, f"gemini/{MODEL}", dimensions=128)
    assert fn.embed_documents([f"t{i}" for i in range(150)]).shape == (150, 128)
    assert sorted(len(r.body["requests"]) for r in gemini_mock.requests) == [50, 100]


def test_errors_pass_geminis_message(gemini_mock: GeminiMock, make_fn: MakeFn) -> None:
    bad = make_fn(
        gemini_mock,
        f"gemini/{MODEL}",
        keys=KeyResolver(
            {"TIDB_EXP_EMBED_GEMINI_API_BASE": gemini_mock.api_base}, use_environ=False
        ),
        api_key="AIzaWrongKey0000000000000000",
    )
    with pytest.raises(EmbeddingProviderError) as exc:
        bad.embed_documents(["x"])
    assert str(exc.value) == "Gemini: API key not valid. Please pass a valid API key."
    assert "AIzaWrong" not in repr(exc.value)
    fn = make_fn(gemini_mock, f"gemini/{MODEL}")
    with pytest.raises(EmbeddingProviderError, match="Title is only applicable"):
        fn.embed(["x"], "query", {"title": "T"})
    gemini_mock.fail_next("rate_limit", retry_after=0.01)
    assert fn.embed_documents(["x"]).shape == (1, 3072)
