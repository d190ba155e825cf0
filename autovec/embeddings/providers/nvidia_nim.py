"""NVIDIA NIM ``POST https://integrate.api.nvidia.com/v1/embeddings`` (OpenAI-shaped).

NIM retrieval models take ``input_type`` (``passage`` / ``query``), defaulted by side;
``truncate`` (``NONE``/``START``/``END``) passes through. A wrong key is answered with 403,
which is reported with TiDB's "unauthorized" text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from autovec.embeddings.options import Kind
from autovec.embeddings.providers.openai import OpenAIProvider

__all__ = ["NvidiaNIMProvider"]

_INPUT_TYPES = {"document": "passage", "query": "query"}


class NvidiaNIMProvider(OpenAIProvider):
    """``nvidia_nim/<org>/<model>``: OpenAI's request and response, NIM's options and base."""

    name = "nvidia_nim"
    display_name = "NVIDIA NIM"
    default_api_base = "https://integrate.api.nvidia.com/v1"
    key_optional = False  # unlike self-hosted OpenAI-compatible servers
    unauthorized_statuses = frozenset({401, 403})
    default_batch_size = 64

    def resolve_options(self, kind: Kind, options: Mapping[str, Any]) -> dict[str, Any]:
        resolved = super().resolve_options(kind, options)
        resolved.setdefault("input_type", _INPUT_TYPES[kind])
        return resolved

    def error_message(self, status: int, payload: Any) -> str | None:
        if status == 404:
            return f"model '{self.model}' does not exist or is not available"
        return super().error_message(status, payload)
