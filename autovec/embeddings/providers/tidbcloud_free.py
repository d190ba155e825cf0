"""TiDB Cloud's hosted models (``tidbcloud_free/amazon/titan-embed-text-v2``, ...).

On TiDB Cloud these need no key; an embedded autovec has no such service, so the
endpoint must be configured (``TIDB_EXP_EMBED_TIDBCLOUD_FREE_API_BASE``). The wire format
is TiDB's: ``POST {base}/api/v1/inference/embeddings/{billing_id}`` with
``{"model", "texts", ...options}``, answered by ``{"embeddings": [<base64 float32>...]}``
or ``{"error": "..."}``. The Cohere models need ``input_type``, defaulted by side.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from autovec.embeddings.base import decode_base64_f32
from autovec.embeddings.errors import EmbeddingConfigError, EmbeddingResponseError
from autovec.embeddings.http import RemoteProvider
from autovec.embeddings.keys import Secret, base_variable

__all__ = ["TiDBCloudFreeProvider"]


class TiDBCloudFreeProvider(RemoteProvider):
    """``tidbcloud_free/<vendor>/<model>``."""

    name = "tidbcloud_free"
    display_name = "TiDB Cloud Inference"
    default_batch_size = 16
    billing_id = "default_billing_id"
    input_field = "texts"
    kind_option = "input_type"  # for the Cohere models only
    kind_values = MappingProxyType({"document": "search_document", "query": "search_query"})

    def api_key(self) -> Secret | None:
        # Hosted models need no user key; one is attached when configured.
        return self.credentials.api_key()

    def endpoint(self) -> str:
        """``{base}/api/v1/inference/embeddings/{billing_id}``; the base must be configured."""
        base = self.api_base()
        if not base:
            raise EmbeddingConfigError(
                "TiDB Cloud Inference is not available in an embedded database; configure "
                f"an endpoint with SET @@GLOBAL.{base_variable(self.name)}='<URL>' or use a "
                "local model such as 'huggingface/sentence-transformers/all-MiniLM-L6-v2'"
            )
        return f"{base}/api/v1/inference/embeddings/{self.billing_id}"

    def takes_kind_option(self) -> bool:
        return self.model.startswith("cohere/")

    def parse_response(self, payload: Any, count: int) -> list[Any]:
        embeddings = payload.get("embeddings") if isinstance(payload, dict) else None
        if not isinstance(embeddings, list):
            raise EmbeddingResponseError(
                f"{self.display_name}: response has no 'embeddings' list", provider=self.name
            )
        return [decode_base64_f32(e) if isinstance(e, str) else e for e in embeddings]
