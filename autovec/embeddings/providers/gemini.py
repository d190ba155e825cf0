"""Google Gemini ``POST .../v1beta/models/{model}:batchEmbedContents``.

* Auth is the ``x-goog-api-key`` header (never ``?key=``: URLs end up in logs).
* TiDB's option spellings ``output_dimensionality`` / ``embedding_config.output_dimensionality``
  and ``task_type`` are accepted, as are the API's ``outputDimensionality`` / ``taskType``;
  the request uses the documented camelCase names.
* ``taskType`` defaults by side: ``RETRIEVAL_DOCUMENT`` for rows, ``RETRIEVAL_QUERY`` for
  queries.
* Only the full-size output is unit-length, so truncated vectors are renormalised.
* At most 100 requests per batch call.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from autovec.embeddings.base import normalize_rows
from autovec.embeddings.errors import EmbeddingResponseError
from autovec.embeddings.http import RemoteProvider
from autovec.embeddings.inputs import EmbedInput
from autovec.embeddings.keys import RedactedHeaders, Secret
from autovec.embeddings.options import Kind

__all__ = ["GeminiProvider"]

_DIM_ALIASES = ("outputDimensionality", "dimensions")
_CAMEL = {"output_dimensionality": "outputDimensionality", "task_type": "taskType"}


class GeminiProvider(RemoteProvider):
    """``gemini/<model>``."""

    name = "gemini"
    display_name = "Gemini"
    default_api_base = "https://generativelanguage.googleapis.com/v1beta"
    dimensions_option = "output_dimensionality"
    default_batch_size = 100
    # Gemini's own message ("API key not valid...") is clear; TiDB passes it through.
    unauthorized_statuses = frozenset()
    kind_option = "task_type"
    kind_values = MappingProxyType({"document": "RETRIEVAL_DOCUMENT", "query": "RETRIEVAL_QUERY"})

    def endpoint(self) -> str:
        """``{api_base}/models/{model}:batchEmbedContents``."""
        base = self.api_base()
        if not base.endswith("/models"):
            base += "/models"
        return f"{base}/{self.model}:batchEmbedContents"

    def auth_headers(self, key: Secret | None) -> dict[str, str]:
        return RedactedHeaders({"x-goog-api-key": key.reveal()} if key else {})

    def resolve_options(self, kind: Kind, options: Mapping[str, Any]) -> dict[str, Any]:
        opts = dict(options)
        config = opts.pop("embedding_config", None)
        if isinstance(config, Mapping):
            for key, value in config.items():
                opts.setdefault(key, value)
        for alias in _DIM_ALIASES:
            if alias in opts:
                value = opts.pop(alias)
                opts.setdefault("output_dimensionality", value)
        if "taskType" in opts:
            opts.setdefault("task_type", opts.pop("taskType"))
        return super().resolve_options(kind, opts)

    def request_body(self, batch: list[EmbedInput], options: Mapping[str, Any]) -> dict[str, Any]:
        # One request per input, each with the options in the API's camelCase.
        extra = {_CAMEL.get(k, k): v for k, v in options.items()}
        requests = [
            {
                **extra,
                "model": f"models/{self.model}",
                "content": {"parts": [{"text": str(item)}]},
            }
            for item in batch
        ]
        return {"requests": requests}

    def parse_response(self, payload: Any, count: int) -> list[Any]:
        embeddings = payload.get("embeddings") if isinstance(payload, dict) else None
        if not isinstance(embeddings, list) or not all(isinstance(e, dict) for e in embeddings):
            raise EmbeddingResponseError(
                f"{self.display_name}: response has no 'embeddings' list", provider=self.name
            )
        try:
            return [e["values"] for e in embeddings]
        except KeyError:
            raise EmbeddingResponseError(
                f"{self.display_name}: response embedding has no 'values'", provider=self.name
            ) from None

    def postprocess(self, matrix: np.ndarray, options: Mapping[str, Any]) -> np.ndarray:
        full = self.spec.dimensions if self.spec is not None else None
        if full is None or matrix.shape[1] < full:
            return normalize_rows(matrix)
        return matrix
