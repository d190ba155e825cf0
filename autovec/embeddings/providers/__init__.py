"""The provider registry: ``provider`` id → implementing class, imported on first use.

Importing a provider module pulls in httpx (and, for ``local``, torch), so nothing is
imported until a model of that provider is actually used.
"""

from __future__ import annotations

import importlib
import threading

from autovec.embeddings.base import EmbeddingProvider

__all__ = ["provider_class", "provider_names", "register_provider"]

_lock = threading.Lock()

_REGISTRY: dict[str, str | type[EmbeddingProvider]] = {
    "openai": "autovec.embeddings.providers.openai:OpenAIProvider",
    "jina_ai": "autovec.embeddings.providers.jina_ai:JinaAIProvider",
    "dashscope": "autovec.embeddings.providers.dashscope:DashScopeProvider",
    "huggingface": "autovec.embeddings.providers.huggingface:HuggingFaceProvider",
    "cohere": "autovec.embeddings.providers.cohere:CohereProvider",
    "gemini": "autovec.embeddings.providers.gemini:GeminiProvider",
    "nvidia_nim": "autovec.embeddings.providers.nvidia_nim:NvidiaNIMProvider",
    "tidbcloud_free": "autovec.embeddings.providers.tidbcloud_free:TiDBCloudFreeProvider",
    "local": "autovec.embeddings.providers.local:LocalProvider",
}


def provider_names() -> list[str]:
    """Registered provider ids, sorted (the list TiDB's error message shows)."""
    return sorted(_REGISTRY)


def provider_class(name: str) -> type[EmbeddingProvider]:
    """The class serving provider ``name`` (already validated by the caller)."""
    with _lock:
        target = _REGISTRY[name]
        if isinstance(target, str):
            module_name, _, attr = target.partition(":")
            target = getattr(importlib.import_module(module_name), attr)
            assert isinstance(target, type) and issubclass(target, EmbeddingProvider)
            _REGISTRY[name] = target
        return target


def register_provider(name: str, target: str | type[EmbeddingProvider]) -> None:
    """Add or replace a provider (``"module:Class"`` or the class itself)."""
    key = name.strip().lower()
    if not key or "/" in key:
        raise ValueError(f"invalid embedding provider name: {name!r}")
    with _lock:
        _REGISTRY[key] = target
