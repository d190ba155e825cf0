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

from collections.abc import Mapping, Sequence
from typing import Any

from autovec.embeddings.errors import InvalidOptionsError
from autovec.embeddings.http import RemoteProvider
from autovec.embeddings.inputs import EmbedInput, ImageInput
from autovec.embeddings.keys import Secret
from autovec.embeddings.options import Kind
from autovec.embeddings.providers.openai import parse_openai_embeddings

__all__ = ["JinaAIProvider"]

_TASKS = {"document": "retrieval.passage", "query": "retrieval.query"}
_TASK_MODELS = ("jina-embeddings-v3", "jina-embeddings-v4")


class JinaAIProvider(RemoteProvider):
    """``jina_ai/<model>``."""

    name = "jina_ai"
    display_name = "JinaAI"
    default_api_base = "https://api.jina.ai/v1"
    default_batch_size = 512

    def endpoint(self) -> str:
        """``{api_base}/embeddings`` (a base that already ends in /embeddings is kept)."""
        base = self.api_base()
        return base if base.endswith("/embeddings") else base + "/embeddings"

    def resolve_options(self, kind: Kind, options: Mapping[str, Any]) -> dict[str, Any]:
        resolved = super().resolve_options(kind, options)
        if "task" not in resolved and self.model.startswith(_TASK_MODELS):
            resolved["task"] = _TASKS[kind]
        kind_of_vector = resolved.get("embedding_type", "base64")
        if kind_of_vector not in ("float", "base64"):
            raise InvalidOptionsError(
                f"JinaAI embedding_type '{kind_of_vector}' cannot be stored in a VECTOR "
                "column; use 'float' or 'base64'"
            )
        return resolved

    def request_batch(
        self,
        batch: list[EmbedInput],
        *,
        kind: Kind,
        options: Mapping[str, Any],
        api_key: Secret | None,
    ) -> Sequence[Any]:
        inputs: list[Any]
        if any(isinstance(item, ImageInput) for item in batch):
            inputs = [
                {"image": item.url_or_base64()} if isinstance(item, ImageInput) else {"text": item}
                for item in batch
            ]
        else:
            inputs = list(batch)
        body: dict[str, Any] = {"embedding_type": "base64", **options}
        body["model"] = self.model
        body["input"] = inputs
        payload = self.post_json(
            self.endpoint(), body, headers=self.auth_headers(api_key), secrets=[api_key]
        )
        return parse_openai_embeddings(payload, len(batch), self.display_name)
