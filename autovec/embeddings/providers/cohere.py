"""Cohere ``POST https://api.cohere.com/v2/embed``.

* ``input_type`` is required by v3+ models: ``search_document`` for stored rows and
  ``search_query`` for queries unless given (TiDB users write
  ``{"input_type":"search_document","input_type@search":"search_query"}``; the default
  makes the plain form work too).
* ``output_dimension`` (embed-v4.0: 256/512/1024/1536) and ``truncate`` pass through.
* Images (embed-v4.0) are sent as ``inputs[].content[]`` items with inline data URIs;
  Cohere does not fetch URLs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from autovec.embeddings.errors import EmbeddingResponseError, UnsupportedInputError
from autovec.embeddings.http import RemoteProvider
from autovec.embeddings.inputs import EmbedInput, ImageInput
from autovec.embeddings.keys import Secret
from autovec.embeddings.options import Kind

__all__ = ["CohereProvider"]

_INPUT_TYPES = {"document": "search_document", "query": "search_query"}


class CohereProvider(RemoteProvider):
    """``cohere/<model>``."""

    name = "cohere"
    display_name = "Cohere"
    default_api_base = "https://api.cohere.com"
    dimensions_option = "output_dimension"
    default_batch_size = 96

    def endpoint(self) -> str:
        """``{api_base}/v2/embed``; a base ending in ``/v2`` or ``/embed`` is completed."""
        base = self.api_base()
        if base.endswith("/embed"):
            return base
        if base.endswith("/v2"):
            return base + "/embed"
        return base + "/v2/embed"

    def resolve_options(self, kind: Kind, options: Mapping[str, Any]) -> dict[str, Any]:
        resolved = super().resolve_options(kind, options)
        resolved.setdefault("input_type", _INPUT_TYPES[kind])
        return resolved

    def request_batch(
        self,
        batch: list[EmbedInput],
        *,
        kind: Kind,
        options: Mapping[str, Any],
        api_key: Secret | None,
    ) -> Sequence[Any]:
        body: dict[str, Any] = {"embedding_types": ["float"], **options, "model": self.model}
        if any(isinstance(item, ImageInput) for item in batch):
            body["inputs"] = [self._content(item) for item in batch]
        else:
            body["texts"] = list(batch)
        payload = self.post_json(
            self.endpoint(), body, headers=self.auth_headers(api_key), secrets=[api_key]
        )
        embeddings = payload.get("embeddings") if isinstance(payload, dict) else None
        if isinstance(embeddings, dict):  # v2: {"float": [[...]], "int8": ...}
            embeddings = embeddings.get("float")
        if not isinstance(embeddings, list):
            raise EmbeddingResponseError(
                f"{self.display_name}: response has no float embeddings", provider=self.name
            )
        return embeddings

    def _content(self, item: EmbedInput) -> dict[str, Any]:
        if isinstance(item, str):
            return {"content": [{"type": "text", "text": item}]}
        if item.is_url:
            raise UnsupportedInputError(
                "Cohere needs inline image data, not a URL: pass the file, bytes or a PIL image"
            )
        return {"content": [{"type": "image_url", "image_url": {"url": item.uri}}]}
