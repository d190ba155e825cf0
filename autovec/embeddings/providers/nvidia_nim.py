"""NVIDIA NIM ``POST https://integrate.api.nvidia.com/v1/embeddings`` (OpenAI-shaped).

NIM retrieval models take ``input_type`` (``passage`` / ``query``), defaulted by side;
``truncate`` (``NONE``/``START``/``END``) passes through. A wrong key is answered with 403,
which is reported with TiDB's "unauthorized" text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from autovec.embeddings.http import RemoteProvider
from autovec.embeddings.inputs import EmbedInput
from autovec.embeddings.keys import Secret
from autovec.embeddings.options import Kind
from autovec.embeddings.providers.openai import parse_openai_embeddings

__all__ = ["NvidiaNIMProvider"]

_INPUT_TYPES = {"document": "passage", "query": "query"}


class NvidiaNIMProvider(RemoteProvider):
    """``nvidia_nim/<org>/<model>``."""

    name = "nvidia_nim"
    display_name = "NVIDIA NIM"
    default_api_base = "https://integrate.api.nvidia.com/v1"
    unauthorized_statuses = frozenset({401, 403})
    default_batch_size = 64

    def endpoint(self) -> str:
        """``{api_base}/embeddings`` (a base that already ends in /embeddings is kept)."""
        base = self.api_base()
        return base if base.endswith("/embeddings") else base + "/embeddings"

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
        body: dict[str, Any] = {"encoding_format": "base64", **options}
        body["model"] = self.model
        body["input"] = [str(item) for item in batch]
        payload = self.post_json(
            self.endpoint(), body, headers=self.auth_headers(api_key), secrets=[api_key]
        )
        return parse_openai_embeddings(payload, len(batch), self.display_name)

    def error_message(self, status: int, payload: Any) -> str | None:
        if status == 404:
            return f"model '{self.model}' does not exist or is not available"
        return super().error_message(status, payload)
