"""The catalog knows sizes, Matryoshka ranges, limits and prompts of the named models."""

from __future__ import annotations

import pytest

from autovec.embeddings import (
    EmbeddingFunction,
    InvalidDimensionsError,
    UnknownDimensionsError,
    known_models,
    lookup,
)
from autovec.embeddings.catalog import check_dimensions

EXPECTED = {
    "huggingface/intfloat/multilingual-e5-large": 1024,
    "huggingface/BAAI/bge-m3": 1024,
    "huggingface/sentence-transformers/all-MiniLM-L6-v2": 384,
    "huggingface/sentence-transformers/all-mpnet-base-v2": 768,
    "huggingface/Qwen/Qwen3-Embedding-0.6B": 1024,
    "openai/text-embedding-3-small": 1536,
    "openai/text-embedding-3-large": 3072,
    "openai/text-embedding-ada-002": 1536,
    "jina_ai/jina-embeddings-v2-base-en": 768,
    "jina_ai/jina-embeddings-v3": 1024,
    "jina_ai/jina-embeddings-v4": 2048,
    "jina_ai/jina-clip-v2": 1024,
    "dashscope/text-embedding-v1": 1536,
    "dashscope/text-embedding-v2": 1536,
    "dashscope/text-embedding-v3": 1024,
    "dashscope/text-embedding-v4": 1024,
    "dashscope/tongyi-embedding-vision-plus": 1152,
    "dashscope/tongyi-embedding-vision-flash": 768,
    "dashscope/multimodal-embedding-v1": 1024,
    "cohere/embed-v4.0": 1536,
    "cohere/embed-english-v3.0": 1024,
    "cohere/embed-multilingual-v3.0": 1024,
    "gemini/gemini-embedding-001": 3072,
    "nvidia_nim/baai/bge-m3": 1024,
    "nvidia_nim/nvidia/nv-embed-v1": 4096,
    "tidbcloud_free/amazon/titan-embed-text-v2": 1024,
    "tidbcloud_free/cohere/embed-english-v3": 1024,
    "tidbcloud_free/cohere/embed-multilingual-v3": 1024,
}


@pytest.mark.parametrize(("name", "dims"), sorted(EXPECTED.items()))
def test_default_dimensions(name: str, dims: int) -> None:
    provider, model = name.split("/", 1)
    spec = lookup(provider, model)
    assert spec is not None, name
    assert spec.dimensions == dims
    assert EmbeddingFunction(name).dimensions == dims
    assert name in known_models()


def test_matryoshka_ranges_and_sets() -> None:
    small = lookup("openai", "text-embedding-3-small")
    assert (
        small is not None and small.supports_dimensions(512) and not small.supports_dimensions(2048)
    )
    ada = lookup("openai", "text-embedding-ada-002")
    assert ada is not None and not ada.resizable
    v4 = lookup("dashscope", "text-embedding-v4")
    assert v4 is not None and v4.supports_dimensions(2048) and not v4.supports_dimensions(1000)
    qwen = lookup("huggingface", "Qwen/Qwen3-Embedding-0.6B")
    assert qwen is not None and qwen.supports_dimensions(32) and not qwen.supports_dimensions(31)
    gemini = lookup("gemini", "gemini-embedding-001")
    assert gemini is not None and gemini.dimension_range == (128, 3072)


def test_limits_and_prompts() -> None:
    v4 = lookup("dashscope", "text-embedding-v4")
    assert v4 is not None and v4.max_batch_size == 10
    e5 = lookup("huggingface", "intfloat/multilingual-e5-large")
    assert e5 is not None and (e5.query_prompt, e5.document_prompt) == ("query: ", "passage: ")
    qwen = lookup("huggingface", "Qwen/Qwen3-Embedding-0.6B")
    assert qwen is not None and qwen.query_prompt.startswith("Instruct: ")
    assert qwen.query_prompt.endswith("\nQuery:") and qwen.document_prompt == ""
    assert lookup("jina_ai", "jina-clip-v2").multimodal  # type: ignore[union-attr]
    assert lookup("gemini", "gemini-embedding-001").max_batch_size == 100  # type: ignore[union-attr]


def test_local_lookup_by_id_name_or_path() -> None:
    for name in (
        "sentence-transformers/all-MiniLM-L6-v2",
        "all-MiniLM-L6-v2",
        "/opt/models/sentence-transformers/all-MiniLM-L6-v2",
    ):
        spec = lookup("local", name)
        assert spec is not None and spec.dimensions == 384


def test_jina_v4_seed_spelling_is_an_alias() -> None:
    fn = EmbeddingFunction("jina_ai/jina-embedding-v4", multimodal=True)
    assert fn.dimensions == 2048
    assert fn.provider.model == "jina-embeddings-v4"


def test_bad_dimensions_are_refused_early() -> None:
    with pytest.raises(InvalidDimensionsError, match="supported: 1024, 768, 512"):
        EmbeddingFunction("dashscope/text-embedding-v3", dimensions=100)
    with pytest.raises(InvalidDimensionsError, match="does not support dimensions=512"):
        EmbeddingFunction("openai/text-embedding-ada-002", dimensions=512)
    with pytest.raises(InvalidDimensionsError):
        EmbeddingFunction("openai/text-embedding-3-small", dimensions=0)
    spec = lookup("cohere", "embed-v4.0")
    assert spec is not None
    check_dimensions(spec, 256)


def test_unknown_models_need_dimensions() -> None:
    fn = EmbeddingFunction("openai/my-finetuned-embedder")
    assert fn.known_dimensions is None
    with pytest.raises(UnknownDimensionsError, match="please specify dimensions parameter"):
        _ = fn.dimensions
    assert EmbeddingFunction("openai/my-finetuned-embedder", dimensions=777).dimensions == 777
