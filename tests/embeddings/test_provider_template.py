"""A provider written only as a declaration gets RemoteProvider's whole request template.

The declared provider below sets class attributes and overrides no method; against the
OpenAI mock it sends the template's body, to the completed endpoint, with its
query/document option, and decodes the template's response shape.
"""

from __future__ import annotations

import json
from types import MappingProxyType

import numpy as np
import pytest

from autovec.embeddings import KeyResolver
from autovec.embeddings.http import RemoteProvider
from autovec.embeddings.keys import ProviderCredentials, Secret
from tests.embeddings.conftest import FAST
from tests.mock_providers import OpenAIMock

MODEL = "text-embedding-3-small"
TEXTS = ["first text", "second text"]


class DeclaredProvider(RemoteProvider):
    """Only what differs from the template: path, a default body field, the side option."""

    name = "declared"
    display_name = "Declared"
    endpoint_path = "/v1/embeddings"
    request_defaults = MappingProxyType({"encoding_format": "float"})
    kind_option = "user"
    kind_values = MappingProxyType({"document": "document-side", "query": "query-side"})


def _provider(openai_mock: OpenAIMock, api_base: str) -> DeclaredProvider:
    credentials = ProviderCredentials(
        "declared", KeyResolver({}, use_environ=False), Secret(openai_mock.api_key), api_base
    )
    return DeclaredProvider(MODEL, credentials=credentials, settings=FAST)


@pytest.mark.parametrize("suffix", ["", "/v1", "/v1/embeddings"])
def test_the_endpoint_path_completes_the_configured_base(
    openai_mock: OpenAIMock, suffix: str
) -> None:
    provider = _provider(openai_mock, openai_mock.base_url + suffix)
    assert provider.endpoint() == openai_mock.base_url + "/v1/embeddings"
    provider.embed(TEXTS, kind="document", options={})
    assert openai_mock.last.path == "/v1/embeddings"
    provider.close()


def test_the_body_is_defaults_then_options_then_model_and_inputs(
    openai_mock: OpenAIMock,
) -> None:
    provider = _provider(openai_mock, openai_mock.api_base)
    out = provider.embed(TEXTS, kind="query", options={"dimensions": 256})
    raw = json.loads(openai_mock.last.raw)
    assert list(raw) == ["encoding_format", "dimensions", "user", "model", "input"]
    assert raw == {
        "encoding_format": "float",
        "dimensions": 256,
        "user": "query-side",
        "model": MODEL,
        "input": TEXTS,
    }
    assert openai_mock.last.header("authorization") == f"Bearer {openai_mock.api_key}"
    for row, text in zip(out, TEXTS, strict=True):
        np.testing.assert_allclose(row, openai_mock.expected(text, dims=256), rtol=1e-6)
    provider.close()


def test_the_side_option_defaults_by_kind_and_an_explicit_one_wins(
    openai_mock: OpenAIMock,
) -> None:
    provider = _provider(openai_mock, openai_mock.api_base)
    provider.embed(TEXTS, kind="document", options={})
    assert openai_mock.last.body["user"] == "document-side"
    provider.embed(TEXTS, kind="query", options={"user": "someone"})
    assert openai_mock.last.body["user"] == "someone"
    assert provider.resolve_options("query", {}) == {"user": "query-side"}
    provider.close()
