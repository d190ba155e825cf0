"""Provider instances beyond the shared pool are closed: their HTTP clients do not linger."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np

from autovec.embeddings import EmbeddingFunction
from autovec.embeddings.function import PROVIDER_POOL_SIZE
from autovec.embeddings.http import RemoteProvider
from tests.mock_providers import OpenAIMock

MakeFn = Callable[..., EmbeddingFunction]
MODEL = "openai/text-embedding-3-small"


def _remote(fn: EmbeddingFunction) -> RemoteProvider:
    provider = fn.provider
    assert isinstance(provider, RemoteProvider)
    return provider


def _fill_the_pool(openai_mock: OpenAIMock, make_fn: MakeFn) -> None:
    """Look up as many new configurations as the pool holds (each its own key resolver)."""
    for _ in range(PROVIDER_POOL_SIZE):
        assert make_fn(openai_mock, MODEL).provider is not None


def test_an_evicted_instance_closes_its_client(openai_mock: OpenAIMock, make_fn: MakeFn) -> None:
    fn = make_fn(openai_mock, MODEL)
    np.testing.assert_allclose(fn.embed_query("first"), openai_mock.expected("first"), rtol=1e-6)
    client = _remote(fn).client
    assert not client.is_closed

    _fill_the_pool(openai_mock, make_fn)
    assert client.is_closed

    # A function that still holds the evicted instance keeps working, on a new client.
    np.testing.assert_allclose(fn.embed_query("again"), openai_mock.expected("again"), rtol=1e-6)
    assert _remote(fn).client is not client and not _remote(fn).client.is_closed
    _remote(fn).close()


def test_an_instance_evicted_mid_request_finishes_it_first(
    openai_mock: OpenAIMock, make_fn: MakeFn
) -> None:
    fn = make_fn(openai_mock, MODEL)
    client = _remote(fn).client
    openai_mock.latency = 1.0
    results: list[np.ndarray] = []
    request = threading.Thread(target=lambda: results.append(fn.embed_query("slow")))
    request.start()
    deadline = time.monotonic() + 5
    while openai_mock.in_flight == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert openai_mock.in_flight == 1

    _fill_the_pool(openai_mock, make_fn)
    assert not client.is_closed  # the exchange in flight still uses it
    request.join(timeout=10)

    assert len(results) == 1
    np.testing.assert_allclose(results[0], openai_mock.expected("slow"), rtol=1e-6)
    assert len(openai_mock.requests) == 1  # answered at the first attempt, not retried
    assert client.is_closed  # closed once that exchange ended
