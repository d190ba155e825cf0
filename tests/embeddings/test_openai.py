"""openai/<model> against the OpenAI mock: request shape, decoding, errors."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from autovec.embeddings import (
    EmbeddingFunction,
    EmbeddingProviderError,
    EmbeddingResponseError,
    InvalidDimensionsError,
    KeyResolver,
    MissingAPIKeyError,
    UnauthorizedError,
)
from tests.mock_providers import OpenAIMock

MakeFn = Callable[..., EmbeddingFunction]
TEXTS = [
    "Java: Object-oriented language for cross-platform development.",
    "Java coffee: Bold beans.",
]


def test_request_shape_and_base64_decoding(openai_mock: OpenAIMock, make_fn: MakeFn) -> None:
    fn = make_fn(openai_mock, "openai/text-embedding-3-small")
    out = fn.embed_documents(TEXTS)
    assert out.shape == (2, 1536) and out.dtype == np.float32
    for row, text in zip(out, TEXTS, strict=True):
        np.testing.assert_allclose(row, openai_mock.expected(text), rtol=1e-6)
    req = openai_mock.last
    assert req.method == "POST" and req.path == "/v1/embeddings"
    assert req.header("authorization") == f"Bearer {openai_mock.api_key}"
    assert req.header("content-type") == "application/json"
    assert req.body == {
        "model": "text-embedding-3-small",
        "input": TEXTS,
        "encoding_format": "base64",
    }


def test_dimensions_are_sent_and_honoured(openai_mock: OpenAIMock, make_fn: MakeFn) -> None:
    fn = make_fn(openai_mock, "text-embedding-3-small", dimensions=512)
    vec = fn.embed_query("hello")
    assert vec.shape == (512,)
    np.testing.assert_allclose(vec, openai_mock.expected("hello", dims=512), rtol=1e-6)
    assert openai_mock.last.body["dimensions"] == 512
    # Per-call options (EMBED_TEXT's JSON) work on a function without declared dimensions.
    plain = make_fn(openai_mock, "openai/text-embedding-3-small")
    assert plain.embed(["hello"], "document", '{"dimensions": 256}').shape == (1, 256)


def test_per_call_dimensions_conflicting_with_declared_fails(
    openai_mock: OpenAIMock, make_fn: MakeFn
) -> None:
    fn = make_fn(openai_mock, "openai/text-embedding-3-small", dimensions=512)
    with pytest.raises(EmbeddingResponseError, match="declares dimensions=512"):
        fn.embed(["x"], "document", {"dimensions": 256})


def test_ada_002_never_gets_a_dimensions_field(openai_mock: OpenAIMock, make_fn: MakeFn) -> None:
    fn = make_fn(openai_mock, "openai/text-embedding-ada-002", dimensions=1536)
    assert fn.embed_documents(["a"]).shape == (1, 1536)
    assert "dimensions" not in openai_mock.last.body
    with pytest.raises(InvalidDimensionsError, match="does not support dimensions=512"):
        fn.embed(["a"], "document", '{"dimensions":512}')
    assert len(openai_mock.requests) == 1


def test_float_encoding_can_be_requested(openai_mock: OpenAIMock, make_fn: MakeFn) -> None:
    fn = make_fn(openai_mock, "openai/text-embedding-3-large", encoding_format="float")
    out = fn.embed_documents(["x"])
    assert openai_mock.last.body["encoding_format"] == "float"
    np.testing.assert_allclose(
        out[0], openai_mock.expected("x", "text-embedding-3-large"), rtol=1e-6
    )


def test_missing_key_is_tidbs_message_and_sends_nothing(openai_mock: OpenAIMock) -> None:
    fn = EmbeddingFunction("openai/text-embedding-3-small", keys=KeyResolver(use_environ=False))
    with pytest.raises(MissingAPIKeyError) as exc:
        fn.embed_documents(["x"])
    assert str(exc.value) == (
        "OpenAI API key is not configured, to configure the API key: "
        "SET @@GLOBAL.TIDB_EXP_EMBED_OPENAI_API_KEY='<API_KEY>'"
    )
    assert openai_mock.requests == []


def test_401_is_tidbs_message_not_retried_and_hides_the_key(
    openai_mock: OpenAIMock, make_fn: MakeFn
) -> None:
    secret = "sk-wrong-key-0123456789"
    fn = make_fn(
        openai_mock,
        "openai/text-embedding-3-small",
        keys=KeyResolver(
            {"TIDB_EXP_EMBED_OPENAI_API_BASE": openai_mock.api_base}, use_environ=False
        ),
        api_key=secret,
    )
    with pytest.raises(UnauthorizedError) as exc:
        fn.embed_documents(["x"])
    assert str(exc.value) == (
        "OpenAI returns status unauthorized, check your API key. To reconfigure a new API key: "
        "SET @@GLOBAL.TIDB_EXP_EMBED_OPENAI_API_KEY='<API_KEY>'"
    )
    assert exc.value.status == 401
    assert len(openai_mock.requests) == 1
    assert openai_mock.last.header("authorization") == f"Bearer {secret}"
    assert secret not in repr(exc.value) and secret not in repr(fn)


def test_400_passes_the_provider_message(openai_mock: OpenAIMock, make_fn: MakeFn) -> None:
    fn = make_fn(openai_mock, "openai/text-embedding-3-small")
    with pytest.raises(EmbeddingProviderError) as exc:
        fn.embed_documents([""])
    assert str(exc.value).startswith("OpenAI: '$.input' is invalid.")
    assert exc.value.status == 400
    assert len(openai_mock.requests) == 1


def test_unknown_model_is_the_providers_404(openai_mock: OpenAIMock, make_fn: MakeFn) -> None:
    fn = make_fn(openai_mock, "openai/no-such-model")
    with pytest.raises(
        EmbeddingProviderError, match="OpenAI: The model `no-such-model` does not exist"
    ):
        fn.embed_documents(["x"])


def test_malformed_and_wrong_dimensions(openai_mock: OpenAIMock, make_fn: MakeFn) -> None:
    fn = make_fn(openai_mock, "openai/text-embedding-3-small")
    openai_mock.fail_next("malformed")
    with pytest.raises(EmbeddingResponseError, match="OpenAI: response is not valid JSON"):
        fn.embed_documents(["x"])
    openai_mock.fail_next("wrong_dimensions")
    with pytest.raises(
        EmbeddingResponseError, match="returned 1535-dimensional vectors, expected 1536"
    ):
        fn.embed_documents(["x"])


def test_openai_compatible_server_without_key(make_fn: MakeFn) -> None:
    """vLLM/Ollama/TEI style: custom base, any model, no key needed."""
    with OpenAIMock(api_key=None, models={"nomic-embed-text": 8}) as server:
        fn = make_fn(server, "openai/nomic-embed-text", dimensions=8)
        texts = [f"doc {i}" for i in range(70)]
        out = fn.embed_documents(texts)
        assert out.shape == (70, 8)
        assert server.requests[0].header("authorization") is None
        # Unknown model: conservative 32 per request, order preserved across batches.
        assert sorted(len(r.body["input"]) for r in server.requests) == [6, 32, 32]
        np.testing.assert_allclose(
            out[69], server.expected("doc 69", "nomic-embed-text"), rtol=1e-6
        )


def test_api_base_may_include_embeddings_path(openai_mock: OpenAIMock) -> None:
    fn = EmbeddingFunction(
        "openai/text-embedding-3-small",
        api_key=openai_mock.api_key,
        api_base=openai_mock.api_base + "/embeddings",
        keys=KeyResolver(use_environ=False),
        caching=False,
    )
    assert fn.embed_query("x").shape == (1536,)
    assert openai_mock.last.path == "/v1/embeddings"


def test_413_from_a_small_server_halves_the_batch(make_fn: MakeFn) -> None:
    class TinyBatchServer(OpenAIMock):
        max_inputs = 5

        def _inputs(self, value):  # type: ignore[no-untyped-def]
            if isinstance(value, list) and len(value) > self.max_inputs:
                from tests.mock_providers.server import Reply

                return Reply(413, {"error": "batch size too large", "error_type": "Validation"})
            return super()._inputs(value)

    with TinyBatchServer(api_key=None, models={"m": 4}) as server:
        fn = make_fn(server, "openai/m")
        out = fn.embed_documents([f"t{i}" for i in range(12)])
        assert out.shape == (12, 4)
        np.testing.assert_allclose(out[11], server.expected("t11", "m"), rtol=1e-6)
