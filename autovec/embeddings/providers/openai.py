"""OpenAI ``POST /v1/embeddings``, and any OpenAI-compatible server via ``api_base``.

vLLM, Ollama (``/v1``), text-embeddings-inference (``/v1/embeddings``), LiteLLM and Azure
OpenAI's ``/openai/v1`` all speak this format, which is :class:`RemoteProvider`'s
template. Requests ask for ``encoding_format: base64`` (as TiDB and openai-python do: a
quarter of the bytes of a float list) and both encodings are decoded. Against a
non-default base URL a key is optional, since self-hosted servers usually have none.
"""

from __future__ import annotations

from types import MappingProxyType

# parse_openai_embeddings is re-exported: it was defined here before the template owned it.
from autovec.embeddings.http import RemoteProvider, parse_openai_embeddings

__all__ = ["OpenAIProvider", "parse_openai_embeddings"]


class OpenAIProvider(RemoteProvider):
    """``openai/<model>``: OpenAI, or an OpenAI-compatible endpoint at ``api_base``."""

    name = "openai"
    display_name = "OpenAI"
    default_api_base = "https://api.openai.com/v1"
    key_optional = True
    request_defaults = MappingProxyType({"encoding_format": "base64"})
