"""Cohere ``POST https://api.cohere.com/v2/embed``.

* ``input_type`` is required by v3+ models: ``search_document`` for stored rows and
  ``search_query`` for queries unless given (TiDB users write
  ``{"input_type":"search_document","input_type@search":"search_query"}``; the default
  makes the plain form work too).
* ``output_dimension`` (embed-v4.0: 256/512/1024/1536) and ``truncate`` pass through.
* Images (embed-v4.0) are sent as ``inputs[].content[]`` items with inline data URIs;
  Cohere does not fetch URLs: the SDK fetches the URLs its caller gives
  (``accepts_image_urls`` is False; ``EmbeddingFunction(image_fetch_policy=...)``), and a
  URL that still reaches a request is refused.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from autovec.embeddings.errors import EmbeddingResponseError, UnsupportedInputError
from autovec.embeddings.http import RemoteProvider
from autovec.embeddings.inputs import EmbedInput, ImageInput

__all__ = ["CohereProvider"]


class CohereProvider(RemoteProvider):
    """``cohere/<model>``."""

    name = "cohere"
    display_name = "Cohere"
    default_api_base = "https://api.cohere.com"
    dimensions_option = "output_dimension"
    default_batch_size = 96
    max_image_bytes = 5 * 1024 * 1024  # providers.md §5: jpeg/png data URIs ≤ 5 MB
    endpoint_path = "/v2/embed"
    request_defaults = MappingProxyType({"embedding_types": ["float"]})
    input_field = "texts"
    kind_option = "input_type"
    kind_values = MappingProxyType({"document": "search_document", "query": "search_query"})

    def request_inputs(self, batch: list[EmbedInput]) -> dict[str, Any]:
        if not any(isinstance(item, ImageInput) for item in batch):
            return super().request_inputs(batch)
        return {"inputs": [self._content(item) for item in batch]}

    @property
    def accepts_image_urls(self) -> bool:
        return False

    def parse_response(self, payload: Any, count: int) -> list[Any]:
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
