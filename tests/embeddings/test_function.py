"""EmbeddingFunction: caching, de-duplication, @search, options, pytidb methods, DDL checks."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pytest

from autovec.embeddings import (
    EmbeddingCache,
    EmbeddingFunction,
    ImageInput,
    InvalidDimensionsError,
    InvalidOptionsError,
    KeyResolver,
    LRUEmbeddingCache,
    UnsupportedInputError,
    check_column,
    get_default_cache,
    get_default_resolver,
    set_default_cache,
    set_default_resolver,
)
from tests.embeddings.conftest import FAST
from tests.mock_providers import CohereMock, OpenAIMock

MakeFn = Callable[..., EmbeddingFunction]


class DictCache:
    """What a persistent cache from the storage layer looks like: same two methods."""

    def __init__(self) -> None:
        self.data: dict[tuple[str, str, str], np.ndarray] = {}
        self.gets = 0

    def get_many(
        self, model: str, options_json: str, inputs: Sequence[str]
    ) -> list[np.ndarray | None]:
        self.gets += 1
        return [self.data.get((model, options_json, i)) for i in inputs]

    def put_many(
        self, model: str, options_json: str, inputs: Sequence[str], vectors: Sequence[np.ndarray]
    ) -> None:
        for i, v in zip(inputs, vectors, strict=True):
            self.data[(model, options_json, i)] = np.array(v)


def test_identical_inputs_are_embedded_once(openai_mock: OpenAIMock, make_fn: MakeFn) -> None:
    cache = LRUEmbeddingCache()
    fn = make_fn(openai_mock, "openai/text-embedding-3-small", caching=True, cache=cache)
    out = fn.embed(["a", "b", "a"])
    assert openai_mock.last.body["input"] == ["a", "b"]
    np.testing.assert_array_equal(out[0], out[2])
    again = fn.embed(["b", "c", "a"])
    assert len(openai_mock.requests) == 2 and openai_mock.last.body["input"] == ["c"]
    np.testing.assert_array_equal(again[0], out[1])
    assert again.flags.writeable and again.flags.c_contiguous


def test_persistent_cache_plugs_in_and_keys_on_effective_options(
    cohere_mock: CohereMock, make_fn: MakeFn
) -> None:
    cache = DictCache()
    assert isinstance(cache, EmbeddingCache)
    fn = make_fn(cohere_mock, "cohere/embed-english-v3.0", caching=True, cache=cache)
    fn.embed(["x"], "document")
    fn.embed(["x"], "query")  # different input_type → different request → miss
    assert len(cohere_mock.requests) == 2
    fn.embed(["x"], "query", '{"input_type":"search_document"}')  # same request as the document
    assert len(cohere_mock.requests) == 2
    keys = {k[1] for k in cache.data}
    assert keys == {'{"input_type":"search_document"}', '{"input_type":"search_query"}'}
    assert {k[0] for k in cache.data} == {"cohere/embed-english-v3.0"}


def test_caching_false_always_calls(openai_mock: OpenAIMock, make_fn: MakeFn) -> None:
    fn = make_fn(openai_mock, "openai/text-embedding-3-small", caching=False)
    fn.embed(["a"])
    fn.embed(["a"])
    assert len(openai_mock.requests) == 2


def test_default_cache_and_resolver_are_replaceable(openai_mock: OpenAIMock) -> None:
    old_cache, old_resolver = get_default_cache(), get_default_resolver()
    cache = DictCache()
    try:
        set_default_cache(cache)
        set_default_resolver(KeyResolver(openai_mock.variables(), use_environ=False))
        fn = EmbeddingFunction("openai/text-embedding-3-small", http_settings=FAST)
        fn.embed_documents(["z"])
        assert cache.data and openai_mock.last.body["input"] == ["z"]
    finally:
        set_default_cache(old_cache)
        set_default_resolver(old_resolver)


def test_search_options_apply_to_queries_only(cohere_mock: CohereMock, make_fn: MakeFn) -> None:
    fn = make_fn(
        cohere_mock,
        "cohere/embed-v4.0",
        additional_json_options={"input_type": "classification", "input_type@search": "clustering"},
    )
    fn.embed_documents(["a"])
    assert cohere_mock.last.body["input_type"] == "classification"
    fn.embed_query("a")
    assert cohere_mock.last.body["input_type"] == "clustering"
    fn.embed(["a"], "query", '{"input_type@search":"search_query"}')  # per call beats defaults
    assert cohere_mock.last.body["input_type"] == "search_query"
    with pytest.raises(InvalidOptionsError, match="EMBED_TEXT expects options in JSON format"):
        fn.embed(["a"], "document", "[1]")


def test_pytidb_methods(openai_mock: OpenAIMock, make_fn: MakeFn) -> None:
    fn = make_fn(openai_mock, "openai/text-embedding-3-small", dimensions=8)
    q = fn.get_query_embedding("hello")
    assert isinstance(q, list) and len(q) == 8 and isinstance(q[0], float)
    docs = fn.get_source_embeddings(["a", "b"])
    assert len(docs) == 2 and len(docs[1]) == 8
    assert fn.get_source_embedding("a") == docs[0]
    assert fn(["a"]).shape == (1, 8)
    assert fn.use_server is True and fn.multimodal is False
    assert fn.sql_options() == {"dimensions": 8}
    with pytest.raises(UnsupportedInputError):
        fn.embed_documents([b"bytes"])
    with pytest.raises(ValueError, match="kind"):
        fn.embed(["a"], "row")  # type: ignore[arg-type]


def test_empty_batch_makes_no_request(openai_mock: OpenAIMock, make_fn: MakeFn) -> None:
    fn = make_fn(openai_mock, "openai/text-embedding-3-small")
    assert fn.embed([]).shape == (0, 1536)
    assert openai_mock.requests == []


def test_image_inputs_are_refused_by_text_models(openai_mock: OpenAIMock, make_fn: MakeFn) -> None:
    fn = make_fn(openai_mock, "openai/text-embedding-3-small")
    with pytest.raises(UnsupportedInputError):
        fn.embed([ImageInput("https://example.com/a.png")])


def test_sql_options_like_pytidb() -> None:
    assert EmbeddingFunction("openai/text-embedding-3-small", dimensions=512).sql_options() == {
        "dimensions": 512
    }
    assert EmbeddingFunction("openai/text-embedding-3-small", dimensions=1536).sql_options() == {}
    assert EmbeddingFunction("cohere/embed-v4.0", dimensions=256).sql_options() == {
        "output_dimension": 256
    }
    assert EmbeddingFunction("gemini/gemini-embedding-001", dimensions=768).sql_options() == {
        "output_dimensionality": 768
    }
    assert EmbeddingFunction("dashscope/text-embedding-v4", dimensions=64).sql_options() == {
        "dimension": 64
    }


def test_check_column_at_ddl_time() -> None:
    fn = check_column("openai/text-embedding-3-small", '{"dimensions":512}', 512)
    assert fn.output_dimensions('{"dimensions":512}') == 512
    check_column("huggingface/sentence-transformers/all-MiniLM-L6-v2", None, 384)
    with pytest.raises(InvalidDimensionsError, match=r"do not fit VECTOR\(768\)"):
        check_column("huggingface/sentence-transformers/all-MiniLM-L6-v2", "", 768)
    with pytest.raises(InvalidOptionsError, match="duplicate key"):
        check_column("openai/text-embedding-3-small", '{"a":1,"a":2}', 1536)
    with pytest.raises(InvalidDimensionsError):
        check_column("openai/text-embedding-ada-002", '{"dimensions@search":512}', 1536)
    assert check_column("openai/custom-model", None, 99).output_dimensions() is None
