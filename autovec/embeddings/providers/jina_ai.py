"""Jina AI ``POST https://api.jina.ai/v1/embeddings`` (v2, v3, v4, clip-v2).

* ``task`` defaults by side for the task-aware models (v3, v4): ``retrieval.passage``
  for stored rows and ``retrieval.query`` for queries; an explicit ``task`` (or
  ``task@search``) wins.
* ``dimensions`` (Matryoshka), ``late_chunking``, ``normalized`` and ``truncate`` are
  passed through.
* Images (clip-v2, v4) go as ``{"image": <URL or raw base64>}`` next to
  ``{"text": ...}`` items, as in Jina's own examples.
* Vectors are requested as base64 (TiDB does the same) and decoded.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from autovec.embeddings.errors import InvalidOptionsError
from autovec.embeddings.http import RemoteProvider
from autovec.embeddings.inputs import EmbedInput, ImageInput
from autovec.embeddings.options import Kind

__all__ = ["JinaAIProvider"]

_TASK_MODELS = ("jina-embeddings-v3", "jina-embeddings-v4")


class JinaAIProvider(RemoteProvider):
    """``jina_ai/<model>``."""

    name = "jina_ai"
    display_name = "JinaAI"
    default_api_base = "https://api.jina.ai/v1"
    default_batch_size = 512
    request_defaults = MappingProxyType({"embedding_type": "base64"})
    kind_option = "task"
    kind_values = MappingProxyType({"document": "retrieval.passage", "query": "retrieval.query"})

    def takes_kind_option(self) -> bool:
        return self.model.startswith(_TASK_MODELS)

    def resolve_options(self, kind: Kind, options: Mapping[str, Any]) -> dict[str, Any]:
        resolved = super().resolve_options(kind, options)
        kind_of_vector = resolved.get("embedding_type", "base64")
        if kind_of_vector not in ("float", "base64"):
            raise InvalidOptionsError(
                f"JinaAI embedding_type '{kind_of_vector}' cannot be stored in a VECTOR "
                "column; use 'float' or 'base64'"
            )
        return resolved

    def request_inputs(self, batch: list[EmbedInput]) -> dict[str, Any]:
        if not any(isinstance(item, ImageInput) for item in batch):
            return super().request_inputs(batch)
        return {
            self.input_field: [
                {"image": item.url_or_base64()} if isinstance(item, ImageInput) else {"text": item}
                for item in batch
            ]
        }
