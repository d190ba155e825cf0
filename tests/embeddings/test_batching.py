"""Batching within count/token limits, and bounded concurrency."""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
import pytest

from autovec.embeddings import EmbeddingFunction, EmbeddingProviderError, KeyResolver
from autovec.embeddings.base import BatchLimits
from autovec.embeddings.http import HttpSettings, plan_batches
from tests.mock_providers import DashScopeMock

MakeFn = Callable[..., EmbeddingFunction]


def test_plan_respects_count_and_tokens() -> None:
    items = ["x" * 30] * 7  # ~11 tokens each by the client's estimate
    assert [len(r) for r in plan_batches(items, BatchLimits(max_batch_size=3))] == [3, 3, 1]
    assert [
        len(r) for r in plan_batches(items, BatchLimits(max_batch_size=10, max_batch_tokens=25))
    ] == [2, 2, 2, 1]
    big = ["y" * 300, "z"]  # an input over budget still goes, alone
    assert [
        len(r) for r in plan_batches(big, BatchLimits(max_batch_size=10, max_batch_tokens=20))
    ] == [1, 1]
    assert plan_batches([], BatchLimits()) == []
    ranges = plan_batches(["a"] * 5, BatchLimits(max_batch_size=2))
    assert [list(r) for r in ranges] == [[0, 1], [2, 3], [4]]


def test_dashscope_v4_sends_at_most_ten_texts(
    dashscope_mock: DashScopeMock, make_fn: MakeFn
) -> None:
    fn = make_fn(dashscope_mock, "dashscope/text-embedding-v4")
    texts = [f"text {i}" for i in range(25)]
    out = fn.embed_documents(texts)
    assert out.shape == (25, 1024)
    sizes = sorted(len(r.body["input"]["texts"]) for r in dashscope_mock.requests)
    assert sizes == [5, 10, 10]
    for i in (0, 9, 10, 24):
        np.testing.assert_allclose(out[i], dashscope_mock.expected(texts[i]), rtol=1e-6)


def test_concurrency_is_bounded(dashscope_mock: DashScopeMock, make_fn: MakeFn) -> None:
    dashscope_mock.latency = 0.05
    fn = make_fn(
        dashscope_mock, "dashscope/text-embedding-v4", http_settings=HttpSettings(max_concurrency=3)
    )
    out = fn.embed_documents([f"t{i}" for i in range(90)])
    assert out.shape == (90, 1024)
    assert len(dashscope_mock.requests) == 9
    assert 2 <= dashscope_mock.max_in_flight <= 3


def test_bound_holds_across_concurrent_callers(
    dashscope_mock: DashScopeMock, make_fn: MakeFn
) -> None:
    dashscope_mock.latency = 0.05
    shared = make_fn(
        dashscope_mock, "dashscope/text-embedding-v4", http_settings=HttpSettings(max_concurrency=2)
    )
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            shared.embed_documents([f"c{n}-{i}" for i in range(30)])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert dashscope_mock.max_in_flight <= 2


def test_one_failing_batch_fails_the_whole_call(
    dashscope_mock: DashScopeMock, make_fn: MakeFn
) -> None:
    fn = make_fn(dashscope_mock, "dashscope/text-embedding-v4")
    dashscope_mock.fail_next(
        "bad_request", message="Input or output data may contain inappropriate content."
    )
    with pytest.raises(EmbeddingProviderError, match="DashScope: Input or output data may contain"):
        fn.embed_documents([f"t{i}" for i in range(30)])


def test_functions_with_the_same_configuration_share_a_provider(
    dashscope_mock: DashScopeMock,
) -> None:
    keys = KeyResolver(dashscope_mock.variables(), use_environ=False)
    a = EmbeddingFunction("dashscope/text-embedding-v4", keys=keys)
    b = EmbeddingFunction("dashscope/text-embedding-v4", keys=keys)
    c = EmbeddingFunction("dashscope/text-embedding-v4", keys=keys, timeout=5)
    assert a.provider is b.provider and a.provider is not c.provider
