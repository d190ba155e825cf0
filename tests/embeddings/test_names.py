"""Model-name parsing follows TiDB: provider before the first '/', trimmed, lower-cased."""

from __future__ import annotations

import pytest

from autovec.embeddings import (
    EmbeddingError,
    EmbeddingFunction,
    InvalidModelNameError,
    UnknownProviderError,
    normalize_model_name,
    parse_model_name,
    provider_names,
    split_model_name,
)


def test_provider_is_trimmed_and_lowercased_model_kept_as_written() -> None:
    ref = split_model_name("  HuggingFace /Qwen/Qwen3-Embedding-0.6B")
    assert ref.provider == "huggingface"
    assert ref.model == "Qwen/Qwen3-Embedding-0.6B"
    assert ref.full_name == "huggingface/Qwen/Qwen3-Embedding-0.6B"


def test_no_slash_is_tidbs_error() -> None:
    with pytest.raises(InvalidModelNameError) as exc:
        split_model_name("gemini-embedding-001")
    assert (
        str(exc.value) == "model name must be in format 'provider/model', got: gemini-embedding-001"
    )
    assert exc.value.errno == 1105
    assert isinstance(exc.value, EmbeddingError)


@pytest.mark.parametrize("name", ["/model", "openai/", " / "])
def test_empty_parts_are_rejected(name: str) -> None:
    with pytest.raises(InvalidModelNameError):
        split_model_name(name)


def test_unknown_provider_lists_available_ones() -> None:
    with pytest.raises(UnknownProviderError) as exc:
        parse_model_name("Google_Gemini/gemini-embedding-001", provider_names())
    message = str(exc.value)
    assert message.startswith("unknown embedding provider 'google_gemini', available providers: ")
    for provider in ("openai", "jina_ai", "huggingface", "cohere", "gemini", "nvidia_nim", "local"):
        assert provider in message


def test_pytidb_aliases_for_openai() -> None:
    assert normalize_model_name("text-embedding-3-small") == "openai/text-embedding-3-small"
    assert normalize_model_name("text-embedding-ada-002") == "openai/text-embedding-ada-002"
    fn = EmbeddingFunction("text-embedding-3-large")
    assert fn.model_name == "openai/text-embedding-3-large"
    assert fn.dimensions == 3072


def test_embedding_function_validates_name_offline() -> None:
    with pytest.raises(InvalidModelNameError):
        EmbeddingFunction("nv-embed-v1")
    with pytest.raises(UnknownProviderError):
        EmbeddingFunction("nvidia/nv-embed-v1")
