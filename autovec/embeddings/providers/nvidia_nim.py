"""NVIDIA NIM ``POST https://integrate.api.nvidia.com/v1/embeddings`` (OpenAI-shaped).

NIM retrieval models take ``input_type`` (``passage`` / ``query``), defaulted by side;
``truncate`` (``NONE``/``START``/``END``) passes through. A wrong key is answered with 403,
which is reported with TiDB's "unauthorized" text.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from autovec.embeddings.providers.openai import OpenAIProvider

__all__ = ["NvidiaNIMProvider"]


class NvidiaNIMProvider(OpenAIProvider):
    """``nvidia_nim/<org>/<model>``: OpenAI's request and response, NIM's options and base."""

    name = "nvidia_nim"
    display_name = "NVIDIA NIM"
    default_api_base = "https://integrate.api.nvidia.com/v1"
    key_optional = False  # unlike self-hosted OpenAI-compatible servers
    unauthorized_statuses = frozenset({401, 403})
    default_batch_size = 64
    kind_option = "input_type"
    kind_values = MappingProxyType({"document": "passage", "query": "query"})

    def error_message(self, status: int, payload: Any) -> str | None:
        if status == 404:
            return f"model '{self.model}' does not exist or is not available"
        return super().error_message(status, payload)
