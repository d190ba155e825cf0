"""Retry policy: only transient failures, exponential backoff, server hints obeyed."""

from __future__ import annotations

import email.utils
import logging
import random
import time

import numpy as np
import pytest

from autovec.embeddings import (
    EmbeddingProviderError,
    KeyResolver,
    RetryableError,
    UnauthorizedError,
    lookup,
)
from autovec.embeddings.http import HttpSettings, backoff_delay, parse_retry_after
from autovec.embeddings.keys import ProviderCredentials
from autovec.embeddings.providers.openai import OpenAIProvider
from tests.embeddings.conftest import FAST
from tests.mock_providers import OpenAIMock

MODEL = "text-embedding-3-small"


def provider(
    mock: OpenAIMock, sleeps: list[float], settings: HttpSettings = FAST
) -> OpenAIProvider:
    creds = ProviderCredentials("openai", KeyResolver(mock.variables(), use_environ=False))
    return OpenAIProvider(
        MODEL,
        spec=lookup("openai", MODEL),
        credentials=creds,
        settings=settings,
        sleep=sleeps.append,
    )


def embed(p: OpenAIProvider, texts: list[str] | None = None) -> np.ndarray:
    return p.embed(texts or ["hello"], kind="document", options={})


def test_retry_after_seconds_is_obeyed(openai_mock: OpenAIMock) -> None:
    sleeps: list[float] = []
    openai_mock.fail_next("rate_limit", retry_after=0.3)
    out = embed(provider(openai_mock, sleeps))
    np.testing.assert_allclose(out[0], openai_mock.expected("hello"), rtol=1e-6)
    assert sleeps == [0.3]
    assert len(openai_mock.requests) == 2


def test_retry_after_ms_wins_over_retry_after(openai_mock: OpenAIMock) -> None:
    sleeps: list[float] = []
    openai_mock.fail_next("rate_limit", retry_after=5, retry_after_ms=150)
    embed(provider(openai_mock, sleeps))
    assert sleeps == [0.15]


def test_real_wait_honours_retry_after(openai_mock: OpenAIMock) -> None:
    """With the real sleep, the retry really waits (backoff alone would be ~10 ms)."""
    creds = ProviderCredentials("openai", KeyResolver(openai_mock.variables(), use_environ=False))
    p = OpenAIProvider(MODEL, spec=lookup("openai", MODEL), credentials=creds, settings=FAST)
    openai_mock.fail_next("rate_limit", retry_after=0.25)
    start = time.monotonic()
    embed(p)
    assert time.monotonic() - start >= 0.25


def test_hint_beyond_sixty_seconds_falls_back_to_backoff(openai_mock: OpenAIMock) -> None:
    sleeps: list[float] = []
    openai_mock.fail_next("rate_limit", retry_after=3600)
    embed(provider(openai_mock, sleeps))
    assert len(sleeps) == 1 and sleeps[0] <= FAST.backoff_max


def test_server_errors_back_off_exponentially_then_succeed(openai_mock: OpenAIMock) -> None:
    sleeps: list[float] = []
    openai_mock.fail_next("server_error", times=2)
    embed(provider(openai_mock, sleeps))
    assert len(openai_mock.requests) == 3
    assert 0.0075 <= sleeps[0] <= 0.01 and 0.015 <= sleeps[1] <= 0.02


def test_gives_up_after_the_budget(openai_mock: OpenAIMock) -> None:
    sleeps: list[float] = []
    openai_mock.fail_next("rate_limit", times=10, retry_after=0.01)
    with pytest.raises(RetryableError) as exc:
        embed(provider(openai_mock, sleeps))
    assert exc.value.status == 429
    assert "Rate limit reached" in str(exc.value) and "gave up after 4 attempts" in str(exc.value)
    assert len(openai_mock.requests) == FAST.max_retries + 1


@pytest.mark.parametrize(
    ("mode", "error"),
    [("unauthorized", UnauthorizedError), ("bad_request", EmbeddingProviderError)],
)
def test_401_and_400_fail_at_once(openai_mock: OpenAIMock, mode: str, error: type) -> None:
    sleeps: list[float] = []
    openai_mock.fail_next(mode, times=5)
    with pytest.raises(error):
        embed(provider(openai_mock, sleeps))
    assert len(openai_mock.requests) == 1 and sleeps == []


def test_x_should_retry_overrides(openai_mock: OpenAIMock) -> None:
    sleeps: list[float] = []
    openai_mock.fail_next("server_error", headers={"x-should-retry": "false"})
    with pytest.raises(RetryableError):
        embed(provider(openai_mock, sleeps))
    assert len(openai_mock.requests) == 1
    openai_mock.clear()
    openai_mock.fail_next("bad_request", headers={"x-should-retry": "true"})
    embed(provider(openai_mock, sleeps))
    assert len(openai_mock.requests) == 2


def test_timeouts_are_retried(openai_mock: OpenAIMock) -> None:
    settings = HttpSettings(timeout=0.2, max_retries=2, backoff_base=0.01)
    openai_mock.fail_next("timeout", sleep=0.6)
    out = embed(provider(openai_mock, [], settings))
    assert out.shape == (1, 1536) and len(openai_mock.requests) == 2
    openai_mock.fail_next("timeout", sleep=0.6, times=3)
    with pytest.raises(
        RetryableError, match=r"OpenAI: request timed out after 0.2s .*gave up after 3"
    ):
        embed(provider(openai_mock, [], settings))


def test_connection_errors_are_retried_then_reported() -> None:
    dead = OpenAIMock().start()
    variables = dead.variables()
    dead.stop()
    creds = ProviderCredentials("openai", KeyResolver(variables, use_environ=False))
    sleeps: list[float] = []
    p = OpenAIProvider(
        MODEL, spec=lookup("openai", MODEL), credentials=creds, settings=FAST, sleep=sleeps.append
    )
    with pytest.raises(RetryableError, match=r"OpenAI: cannot connect to http://127\.0\.0\.1:\d+"):
        embed(p)
    assert len(sleeps) == FAST.max_retries


def test_retry_logs_are_redacted(openai_mock: OpenAIMock, caplog: pytest.LogCaptureFixture) -> None:
    key = openai_mock.api_key
    assert key is not None
    openai_mock.fail_next("server_error", message=f"upstream echoed Bearer {key} and {key}")
    with caplog.at_level(logging.DEBUG, logger="autovec.embeddings"):
        embed(provider(openai_mock, []))
    assert "retrying" in caplog.text
    assert key not in caplog.text


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after({"Retry-After": "2"}) == 2.0
    assert parse_retry_after({"retry-after": "0.5"}) == 0.5
    assert parse_retry_after({"retry-after-ms": "250"}) == 0.25
    assert parse_retry_after({}) is None
    assert parse_retry_after({"retry-after": "soon"}) is None
    date = email.utils.formatdate(1_000_010, usegmt=True)
    assert parse_retry_after({"retry-after": date}, now=1_000_000) == pytest.approx(10)


def test_backoff_shape() -> None:
    s = HttpSettings(backoff_base=0.5, backoff_max=4)
    rng = random.Random(1)
    delays = [backoff_delay(i, s, rng=rng) for i in range(6)]
    assert all(0.75 * min(4, 0.5 * 2**i) <= d <= min(4, 0.5 * 2**i) for i, d in enumerate(delays))
    assert backoff_delay(0, s, retry_after=7) == 7
    assert backoff_delay(0, s, retry_after=0) <= 0.5
