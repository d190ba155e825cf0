"""Fixtures for the embeddings tests: mocks, no internet, no keys from the environment."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from autovec.embeddings import EmbeddingFunction, KeyResolver
from autovec.embeddings.http import HttpSettings
from autovec.embeddings.keys import ENV_API_BASES, ENV_API_KEYS
from tests.mock_providers.fixtures import *  # noqa: F403
from tests.mock_providers.server import MockServer

#: Retries that take milliseconds, not seconds.
FAST = HttpSettings(
    timeout=2.0, connect_timeout=2.0, max_retries=3, backoff_base=0.01, backoff_max=0.05
)

_PROVIDERS = (
    "openai",
    "jina_ai",
    "dashscope",
    "huggingface",
    "cohere",
    "gemini",
    "nvidia_nim",
    "tidbcloud_free",
)


@pytest.fixture(autouse=True)
def _offline(no_internet: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """No test reaches the internet or reads a developer's real keys or model caches."""
    for names in (*ENV_API_KEYS.values(), *ENV_API_BASES.values()):
        for name in names:
            monkeypatch.delenv(name, raising=False)
    for provider in _PROVIDERS:
        for suffix in ("API_KEY", "API_BASE"):
            monkeypatch.delenv(f"TIDB_EXP_EMBED_{provider.upper()}_{suffix}", raising=False)
    empty = tmp_path / "empty-model-cache"
    empty.mkdir()
    monkeypatch.setenv("HF_HUB_CACHE", str(empty))
    monkeypatch.setenv("HF_HOME", str(empty))
    monkeypatch.setenv("XDG_CACHE_HOME", str(empty))
    monkeypatch.setenv("AUTOVEC_MODELS_DIR", str(empty))
    monkeypatch.delenv("SENTENCE_TRANSFORMERS_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))


@pytest.fixture
def make_fn() -> Callable[..., EmbeddingFunction]:
    """``make_fn(mock, "provider/model", **kw)``: a function wired to ``mock``, no cache."""

    def make(mock: MockServer | None, model_name: str, **kwargs: Any) -> EmbeddingFunction:
        variables = mock.variables() if mock is not None else {}
        kwargs.setdefault("keys", KeyResolver(variables, use_environ=False))
        kwargs.setdefault("http_settings", FAST)
        kwargs.setdefault("caching", False)
        return EmbeddingFunction(model_name, **kwargs)

    return make
