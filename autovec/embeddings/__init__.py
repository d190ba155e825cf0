"""Embeddings: the leaf that turns text and images into vectors.

It never imports SQL or storage code. The engine and the SDK use:

* :class:`EmbeddingFunction` — ``EmbeddingFunction("openai/text-embedding-3-small")``;
  ``.embed(inputs, kind, options)`` for the SQL layer, ``.embed_documents`` /
  ``.embed_query`` and pytidb's ``get_*_embedding`` for the SDK;
* :class:`KeyResolver` — injects ``TIDB_EXP_EMBED_<PROVIDER>_API_KEY/_API_BASE`` values;
* :class:`EmbeddingCache` — the cache protocol (in-memory :class:`LRUEmbeddingCache`);
* :func:`check_column`, :func:`validate_options`, :func:`options_for` — ``EMBED_TEXT``
  DDL and options rules;
* :mod:`~autovec.embeddings.errors` — every error is an :class:`EmbeddingError` (errno 1105).

Importing this package is cheap: httpx, numpy, torch, sentence-transformers and PIL
are imported only when something needs them.
"""

from __future__ import annotations

from autovec.embeddings.base import EmbeddingProvider, ModelRef, parse_model_name, split_model_name
from autovec.embeddings.cache import EmbeddingCache, LRUEmbeddingCache, NullCache, cache_key
from autovec.embeddings.catalog import DEFAULT_LOCAL_MODEL, ModelSpec, known_models, lookup
from autovec.embeddings.errors import (
    EmbeddingConfigError,
    EmbeddingError,
    EmbeddingProviderError,
    EmbeddingResponseError,
    InvalidDimensionsError,
    InvalidModelNameError,
    InvalidOptionsError,
    MissingAPIKeyError,
    ModelNotAvailableError,
    RetryableError,
    UnauthorizedError,
    UnknownDimensionsError,
    UnknownProviderError,
    UnsupportedInputError,
)
from autovec.embeddings.function import (
    MODEL_ALIASES,
    EmbeddingFunction,
    VectorFieldSpec,
    check_column,
    get_default_cache,
    normalize_model_name,
    set_default_cache,
)
from autovec.embeddings.inputs import EmbedInput, ImageInput, as_image
from autovec.embeddings.keys import (
    KeyResolver,
    Secret,
    base_variable,
    get_default_resolver,
    key_variable,
    set_default_resolver,
)
from autovec.embeddings.options import (
    Kind,
    canonical_json,
    options_for,
    parse_options,
    search_options,
    validate_options,
    write_options,
)
from autovec.embeddings.providers import provider_names, register_provider

__all__ = [
    "DEFAULT_LOCAL_MODEL",
    "MODEL_ALIASES",
    "EmbedInput",
    "EmbeddingCache",
    "EmbeddingConfigError",
    "EmbeddingError",
    "EmbeddingFunction",
    "EmbeddingProvider",
    "EmbeddingProviderError",
    "EmbeddingResponseError",
    "ImageInput",
    "InvalidDimensionsError",
    "InvalidModelNameError",
    "InvalidOptionsError",
    "KeyResolver",
    "Kind",
    "LRUEmbeddingCache",
    "MissingAPIKeyError",
    "ModelNotAvailableError",
    "ModelRef",
    "ModelSpec",
    "NullCache",
    "RetryableError",
    "Secret",
    "UnauthorizedError",
    "UnknownDimensionsError",
    "UnknownProviderError",
    "UnsupportedInputError",
    "VectorFieldSpec",
    "as_image",
    "base_variable",
    "cache_key",
    "canonical_json",
    "check_column",
    "get_default_cache",
    "get_default_resolver",
    "key_variable",
    "known_models",
    "lookup",
    "normalize_model_name",
    "options_for",
    "parse_model_name",
    "parse_options",
    "provider_names",
    "register_provider",
    "search_options",
    "set_default_cache",
    "set_default_resolver",
    "split_model_name",
    "validate_options",
    "write_options",
]
