"""OpenAI ``POST /v1/embeddings``, and any OpenAI-compatible server via ``api_base``.

vLLM, Ollama (``/v1``), text-embeddings-inference (``/v1/embeddings``), LiteLLM and Azure
OpenAI's ``/openai/v1`` all speak this format. Requests ask for
``encoding_format: base64`` (as TiDB and openai-python do: a quarter of the bytes of a
float list) and both encodings are decoded. Against a non-default base URL a key is
optional, since self-hosted servers usually have none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from autovec.embeddings.base import decode_base64_f32
from autovec.embeddings.errors import EmbeddingResponseError
from autovec.embeddings.http import RemoteProvider
from autovec.embeddings.inputs import EmbedInput
from autovec.embeddings.keys import Secret
from autovec.embeddings.options import Kind

__all__ = ["OpenAIProvider", "parse_openai_embeddings"]


def parse_openai_embeddings(payload: Any, count: int, who: str) -> list[Any]:
    """Rows of an OpenAI-shaped answer (``data[].{index, embedding}``), in input order.

    ``embedding`` may be a float list or base64 of little-endian float32.
    """
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, list):
        raise EmbeddingResponseError(f"{who}: response has no 'data' list", provider=who)
    if len(data) != count:
        raise EmbeddingResponseError(
            f"{who}: response has {len(data)} embeddings for {count} inputs", provider=who
        )
    rows: list[Any] = [None] * count
    for position, item in enumerate(data):
        if not isinstance(item, dict) or "embedding" not in item:
            raise EmbeddingResponseError(f"{who}: response item has no 'embedding'", provider=who)
        index = item.get("index", position)
        if not isinstance(index, int) or not 0 <= index < count:
            raise EmbeddingResponseError(
                f"{who}: response index {index!r} is out of range [0, {count})", provider=who
            )
        if rows[index] is not None:
            raise EmbeddingResponseError(
                f"{who}: response contains duplicate index {index}", provider=who
            )
        value = item["embedding"]
        rows[index] = decode_base64_f32(value) if isinstance(value, str) else value
    return rows


class OpenAIProvider(RemoteProvider):
    """``openai/<model>``: OpenAI, or an OpenAI-compatible endpoint at ``api_base``."""

    name = "openai"
    display_name = "OpenAI"
    default_api_base = "https://api.openai.com/v1"
    key_optional = True

    def endpoint(self) -> str:
        """``{api_base}/embeddings`` (a base that already ends in /embeddings is kept)."""
        base = self.api_base()
        return base if base.endswith("/embeddings") else base + "/embeddings"

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
