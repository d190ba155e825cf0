"""autovec.rerankers against the in-process rerank mocks (Jina, Cohere, DashScope, TEI).

Order and scores are exact: the mocks score by word overlap
(:func:`tests.mock_providers.rerank.ranked`), so every expected ranking is computed here.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import httpx
import pytest

import autovec.rerankers as rerankers_package
from autovec.embeddings import KeyResolver, split_model_name
from autovec.embeddings.errors import unauthorized_message
from autovec.embeddings.http import HttpSettings
from autovec.rerankers import (
    CohereReranker,
    DashScopeReranker,
    EmbeddingProviderError,
    EmbeddingResponseError,
    InvalidModelNameError,
    InvalidOptionsError,
    JinaReranker,
    MissingAPIKeyError,
    RemoteReranker,
    Reranker,
    RerankResult,
    RetryableError,
    TEIReranker,
    UnauthorizedError,
    UnknownProviderError,
    UnsupportedInputError,
    reranker,
    reranker_class,
    reranker_names,
)
from autovec.rerankers.dashscope import RERANK_PATH
from tests.mock_providers import CohereMock, DashScopeMock, JinaMock, MockServer, TEIMock
from tests.mock_providers.rerank import ranked
from tests.mock_providers.server import Failure, Recorded, Reply

#: Retries that take milliseconds, not seconds.
FAST = HttpSettings(
    timeout=2.0, connect_timeout=2.0, max_retries=3, backoff_base=0.01, backoff_max=0.05
)

QUERY = "the cat sat on the mat"
DOCS = [
    "A treatise on relational databases",
    "The cat sat on the mat",
    "Dogs chase the cat",
    "cat",
    "mat and cat on the sofa",
    "A treatise on relational databases",  # a tie with index 0: input order is kept
]

#: (model name, mock fixture, the key variable a 401 message names, display name)
PROVIDERS = [
    (
        "jina_ai/jina-reranker-v2-base-multilingual",
        "jina_mock",
        "TIDB_EXP_EMBED_JINA_AI_API_KEY",
        "JinaAI",
    ),
    ("cohere/rerank-v3.5", "cohere_mock", "TIDB_EXP_EMBED_COHERE_API_KEY", "Cohere"),
    ("dashscope/gte-rerank-v2", "dashscope_mock", "TIDB_EXP_EMBED_DASHSCOPE_API_KEY", "DashScope"),
    ("tei/BAAI/bge-reranker-v2-m3", "tei_mock", "TIDB_EXP_EMBED_HUGGINGFACE_API_KEY", "TEI"),
]
IDS = ["jina", "cohere", "dashscope", "tei"]


@pytest.fixture(autouse=True)
def _offline(no_internet: None) -> None:
    """No test reaches the internet (keys come from explicit resolvers only)."""


def make(
    mock: MockServer, name: str, sleeps: list[float] | None = None, **kwargs: Any
) -> RemoteReranker:
    """``name``'s class pointed at ``mock`` through the TiDB-style variables; fast
    retries whose waits are recorded in ``sleeps`` instead of slept."""
    kwargs.setdefault("keys", KeyResolver(mock.variables(), use_environ=False))
    kwargs.setdefault("settings", FAST)
    ref = split_model_name(name)
    sink = sleeps if sleeps is not None else []
    return reranker_class(ref.provider)(ref.model, sleep=sink.append, **kwargs)


def make_class(
    cls: type[RemoteReranker], mock: MockServer, sleeps: list[float], **kwargs: Any
) -> RemoteReranker:
    keys = KeyResolver(mock.variables(), use_environ=False)
    return cls(keys=keys, settings=FAST, sleep=sleeps.append, **kwargs)


def expected(documents: list[str] = DOCS, top_n: int | None = None) -> list[RerankResult]:
    return [RerankResult(i, s, documents[i]) for i, s in ranked(QUERY, documents)[:top_n]]


def rerank_body(mock: MockServer) -> list[dict[str, Any]]:
    return [r.body for r in mock.requests]


# --- order, scores, top_n, documents ---------------------------------------------------


@pytest.mark.parametrize(("name", "fixture", "_var", "_display"), PROVIDERS, ids=IDS)
def test_order_scores_and_documents(
    name: str, fixture: str, _var: str, _display: str, request: pytest.FixtureRequest
) -> None:
    mock = request.getfixturevalue(fixture)
    rr = make(mock, name)
    assert isinstance(rr, Reranker)
    out = rr.rerank(QUERY, DOCS)
    assert out == expected()
    assert [r.index for r in out] == [1, 4, 2, 3, 0, 5]  # the tie 0/5 keeps input order
    assert all(isinstance(r.relevance_score, float) for r in out)
    assert out[0].document == "The cat sat on the mat" and out[0].relevance_score == 1.0
    assert len(mock.requests) == 1


@pytest.mark.parametrize(("name", "fixture", "_var", "_display"), PROVIDERS, ids=IDS)
def test_top_n(
    name: str, fixture: str, _var: str, _display: str, request: pytest.FixtureRequest
) -> None:
    mock = request.getfixturevalue(fixture)
    rr = make(mock, name)
    assert rr.rerank(QUERY, DOCS, top_n=2) == expected(top_n=2)
    body = mock.last.body
    if isinstance(rr, TEIReranker):
        assert "top_n" not in body  # TEI has none: every score comes back, cut here
    else:
        sent = body["parameters"]["top_n"] if isinstance(rr, DashScopeReranker) else body["top_n"]
        assert sent == 2
    # More than there are documents: all of them, and the provider is asked for no more.
    assert rr.rerank(QUERY, DOCS, top_n=50) == expected()
    if isinstance(rr, (JinaReranker, CohereReranker)):
        assert mock.last.body["top_n"] == len(DOCS)


@pytest.mark.parametrize("bad", [0, -1, True, 2.0, "3"])
def test_bad_top_n_is_refused_before_any_request(jina_mock: JinaMock, bad: Any) -> None:
    rr = make(jina_mock, PROVIDERS[0][0])
    with pytest.raises(InvalidOptionsError, match="top_n must be a positive integer"):
        rr.rerank(QUERY, DOCS, top_n=bad)
    assert jina_mock.requests == []


def test_request_bodies_follow_each_documented_format(
    jina_mock: JinaMock, cohere_mock: CohereMock, dashscope_mock: DashScopeMock, tei_mock: TEIMock
) -> None:
    docs = ["a cat", "a mat"]
    make(jina_mock, "jina_ai/jina-reranker-v2-base-multilingual").rerank(QUERY, docs, top_n=1)
    req = jina_mock.last
    assert req.path == "/v1/rerank"
    assert req.header("authorization") == f"Bearer {jina_mock.api_key}"
    assert req.body == {
        "model": "jina-reranker-v2-base-multilingual",
        "query": QUERY,
        "documents": docs,
        "top_n": 1,
        "return_documents": False,
    }

    make(cohere_mock, "cohere/rerank-v3.5").rerank(QUERY, docs)
    req = cohere_mock.last
    assert req.path == "/v2/rerank"
    assert req.header("authorization") == f"Bearer {cohere_mock.api_key}"
    assert req.body == {"model": "rerank-v3.5", "query": QUERY, "documents": docs}

    make(dashscope_mock, "dashscope/gte-rerank-v2").rerank(QUERY, docs, top_n=2)
    req = dashscope_mock.last
    assert req.path == RERANK_PATH
    assert req.header("authorization") == f"Bearer {dashscope_mock.api_key}"
    assert req.body == {
        "model": "gte-rerank-v2",
        "input": {"query": QUERY, "documents": docs},
        "parameters": {"return_documents": False, "top_n": 2},
    }

    make(tei_mock, "tei/BAAI/bge-reranker-v2-m3").rerank(QUERY, docs, top_n=1)
    req = tei_mock.last
    assert req.path == "/rerank"
    assert req.header("authorization") == f"Bearer {tei_mock.api_key}"
    assert req.body == {"query": QUERY, "texts": docs, "return_text": False}


@pytest.mark.parametrize(
    ("name", "fixture", "option"),
    [
        (PROVIDERS[0][0], "jina_mock", {"return_documents": True}),
        (PROVIDERS[2][0], "dashscope_mock", {"return_documents": True}),
        (PROVIDERS[3][0], "tei_mock", {"return_text": True}),
    ],
    ids=["jina", "dashscope", "tei"],
)
def test_documents_returned_by_the_provider_are_accepted(
    name: str, fixture: str, option: dict[str, bool], request: pytest.FixtureRequest
) -> None:
    mock = request.getfixturevalue(fixture)
    out = make(mock, name, options=option).rerank(QUERY, DOCS, top_n=3)
    assert out == expected(top_n=3)
    assert [r.document for r in out] == [DOCS[r.index] for r in out]


def test_options_are_sent_with_every_request(
    cohere_mock: CohereMock, dashscope_mock: DashScopeMock
) -> None:
    options = {"max_tokens_per_doc": 512}
    make(cohere_mock, "cohere/rerank-v3.5", options=options).rerank(QUERY, DOCS)
    assert cohere_mock.last.body["max_tokens_per_doc"] == 512
    options = {"instruct": "Retrieve passages."}
    rr = make(dashscope_mock, "dashscope/qwen3-rerank", options=options)
    rr.rerank(QUERY, DOCS)
    assert dashscope_mock.last.body["parameters"]["instruct"] == "Retrieve passages."


@pytest.mark.parametrize(("name", "fixture", "_var", "_display"), PROVIDERS, ids=IDS)
def test_empty_documents_make_no_request(
    name: str, fixture: str, _var: str, _display: str, request: pytest.FixtureRequest
) -> None:
    mock = request.getfixturevalue(fixture)
    assert make(mock, name).rerank(QUERY, []) == []
    # Not even a key is needed to rank nothing.
    assert make(mock, name, keys=KeyResolver({}, use_environ=False)).rerank(QUERY, []) == []
    assert mock.requests == []


def test_inputs_are_checked_before_any_request(jina_mock: JinaMock) -> None:
    rr = make(jina_mock, PROVIDERS[0][0])
    with pytest.raises(UnsupportedInputError, match="query must be text"):
        rr.rerank(None, DOCS)  # type: ignore[arg-type]
    with pytest.raises(UnsupportedInputError, match="list of strings, got str"):
        rr.rerank(QUERY, "one document")
    with pytest.raises(UnsupportedInputError, match="got int at index 1"):
        rr.rerank(QUERY, ["a", 2])  # type: ignore[list-item]
    assert jina_mock.requests == []
    # Any sequence of strings will do.
    assert rr.rerank(QUERY, tuple(DOCS)) == expected()


# --- keys and auth -----------------------------------------------------------------------


@pytest.mark.parametrize(("name", "fixture", "var", "display"), PROVIDERS, ids=IDS)
def test_401_is_unauthorized_with_tidb_text_and_no_key(
    name: str, fixture: str, var: str, display: str, request: pytest.FixtureRequest
) -> None:
    mock = request.getfixturevalue(fixture)
    rr = make(mock, name)
    mock.fail_next("unauthorized")
    with pytest.raises(UnauthorizedError) as exc:
        rr.rerank(QUERY, DOCS)
    assert str(exc.value) == unauthorized_message(display, var)
    assert exc.value.status == 401 and exc.value.provider == rr.name
    assert len(mock.requests) == 1  # a wrong key is not retried
    assert mock.api_key not in str(exc.value) + repr(exc.value) + repr(rr)


@pytest.mark.parametrize(("name", "fixture", "_var", "_display"), PROVIDERS, ids=IDS)
def test_a_wrong_key_is_rejected_by_the_mock(
    name: str, fixture: str, _var: str, _display: str, request: pytest.FixtureRequest
) -> None:
    mock = request.getfixturevalue(fixture)
    with pytest.raises(UnauthorizedError):
        make(mock, name, api_key="wrong-key-0123456789").rerank(QUERY, DOCS)


@pytest.mark.parametrize(
    ("name", "var"),
    [
        ("jina_ai/jina-reranker-v2-base-multilingual", "TIDB_EXP_EMBED_JINA_AI_API_KEY"),
        ("cohere/rerank-v3.5", "TIDB_EXP_EMBED_COHERE_API_KEY"),
        ("dashscope/gte-rerank-v2", "TIDB_EXP_EMBED_DASHSCOPE_API_KEY"),
    ],
)
def test_missing_key_is_tidbs_message(name: str, var: str) -> None:
    rr = reranker(name, keys=KeyResolver({}, use_environ=False), settings=FAST)
    with pytest.raises(MissingAPIKeyError) as exc:
        rr.rerank(QUERY, DOCS)
    assert var in str(exc.value) and "API key is not configured" in str(exc.value)


def test_tei_needs_no_key() -> None:
    with TEIMock(api_key=None) as mock:
        keys = KeyResolver({"TIDB_EXP_EMBED_TEI_API_BASE": mock.api_base}, use_environ=False)
        out = TEIReranker(keys=keys, settings=FAST).rerank(QUERY, DOCS)
        assert out == expected()
        assert mock.last.header("authorization") is None


@pytest.mark.parametrize(
    ("cls", "env_name"),
    [
        (JinaReranker, "JINA_API_KEY"),
        (JinaReranker, "JINAAI_API_KEY"),
        (CohereReranker, "COHERE_API_KEY"),
        (CohereReranker, "CO_API_KEY"),
        (DashScopeReranker, "DASHSCOPE_API_KEY"),
        (TEIReranker, "HF_TOKEN"),
    ],
)
def test_key_lookup_order_is_the_embedding_providers(
    cls: type[RemoteReranker], env_name: str
) -> None:
    """Explicit key, then TIDB_EXP_EMBED_<VENDOR>_API_KEY, then the vendor's own variable."""
    vendor = "HUGGINGFACE" if cls is TEIReranker else cls.name.upper()
    tidb = f"TIDB_EXP_EMBED_{vendor}_API_KEY"
    env = {env_name: "from-env-var"}
    assert _key(cls(keys=KeyResolver({}, environ=env))) == "from-env-var"
    env[tidb] = "from-tidb-env"
    assert _key(cls(keys=KeyResolver({}, environ=env))) == "from-tidb-env"
    keys = KeyResolver({tidb.lower(): "from-variable"}, environ=env)
    assert _key(cls(keys=keys)) == "from-variable"
    assert _key(cls(keys=keys, api_key=" explicit ")) == "explicit"


def _key(rr: RemoteReranker) -> str | None:
    key = rr.api_key()
    return key.reveal() if key is not None else None


def test_provider_errors_are_redacted(jina_mock: JinaMock) -> None:
    rr = make(jina_mock, PROVIDERS[0][0])
    assert jina_mock.api_key is not None
    jina_mock.fail_next("bad_request", message=f"key {jina_mock.api_key} is not valid here")
    with pytest.raises(EmbeddingProviderError) as exc:
        rr.rerank(QUERY, DOCS)
    assert exc.value.status == 400 and not isinstance(exc.value, RetryableError)
    assert jina_mock.api_key not in str(exc.value)
    assert str(exc.value) == "JinaAI: key ****** is not valid here"
    assert len(jina_mock.requests) == 1  # a 400 is not retried


# --- retries, timeouts, malformed answers -----------------------------------------------


@pytest.mark.parametrize(("name", "fixture", "_var", "_display"), PROVIDERS, ids=IDS)
def test_429_is_retried_after_the_servers_hint(
    name: str, fixture: str, _var: str, _display: str, request: pytest.FixtureRequest
) -> None:
    mock = request.getfixturevalue(fixture)
    sleeps: list[float] = []
    rr = make(mock, name, sleeps)
    mock.fail_next("rate_limit", retry_after=0.3)
    assert rr.rerank(QUERY, DOCS) == expected()
    assert sleeps == [0.3] and len(mock.requests) == 2


@pytest.mark.parametrize(("name", "fixture", "_var", "_display"), PROVIDERS, ids=IDS)
def test_5xx_is_retried_with_backoff_then_succeeds(
    name: str, fixture: str, _var: str, _display: str, request: pytest.FixtureRequest
) -> None:
    mock = request.getfixturevalue(fixture)
    sleeps: list[float] = []
    rr = make(mock, name, sleeps)
    mock.fail_next("server_error")
    mock.fail_next("overloaded")
    assert rr.rerank(QUERY, DOCS, top_n=2) == expected(top_n=2)
    assert len(mock.requests) == 3 and len(sleeps) == 2
    assert all(0 < s <= FAST.backoff_max for s in sleeps)


def test_retries_give_up_with_the_last_error(cohere_mock: CohereMock) -> None:
    rr = make(cohere_mock, "cohere/rerank-v3.5")
    cohere_mock.fail_next("overloaded", times=10)
    with pytest.raises(RetryableError, match=r"^Cohere: .*gave up after 4 attempts") as exc:
        rr.rerank(QUERY, DOCS)
    assert exc.value.status == 503 and len(cohere_mock.requests) == 4


def test_timeout_is_retried_then_reported(dashscope_mock: DashScopeMock) -> None:
    settings = HttpSettings(timeout=0.2, max_retries=1, backoff_base=0.01, backoff_max=0.02)
    rr = make(dashscope_mock, "dashscope/gte-rerank-v2", settings=settings)
    dashscope_mock.fail_next("timeout", sleep=0.6)
    assert rr.rerank(QUERY, DOCS) == expected()  # the retry answers in time
    dashscope_mock.fail_next("timeout", times=2, sleep=0.6)
    with pytest.raises(RetryableError, match=r"DashScope: request timed out after 0.2s"):
        rr.rerank(QUERY, DOCS)


def test_timeout_argument_sets_the_read_timeout(tei_mock: TEIMock) -> None:
    rr = make(tei_mock, "tei/x", timeout=0.2, settings=HttpSettings(max_retries=0))
    assert rr.settings.timeout == 0.2
    tei_mock.fail_next("timeout", sleep=0.6)
    with pytest.raises(RetryableError, match=r"TEI: request timed out after 0.2s"):
        rr.rerank(QUERY, DOCS)


@pytest.mark.parametrize(("name", "fixture", "_var", "display"), PROVIDERS, ids=IDS)
def test_invalid_json_is_not_retried(
    name: str, fixture: str, _var: str, display: str, request: pytest.FixtureRequest
) -> None:
    mock = request.getfixturevalue(fixture)
    mock.fail_next("malformed")
    with pytest.raises(EmbeddingResponseError, match=f"^{display}: response is not valid JSON"):
        make(mock, name).rerank(QUERY, DOCS)
    assert len(mock.requests) == 1


class CannedMock(MockServer):
    """Answers every request with one fixed reply (to test malformed 200s)."""

    name = "canned"

    def __init__(self, reply: Reply) -> None:
        super().__init__(api_key=None)
        self.reply = reply

    def route(self, req: Recorded, failure: Failure | None) -> Reply:
        return self.reply


@pytest.mark.parametrize(
    ("cls", "payload", "message"),
    [
        (JinaReranker, {"usage": {}}, "response has no results list"),
        (JinaReranker, {"results": {"index": 0}}, "response has no results list"),
        (
            CohereReranker,
            {"results": [{"index": 0, "relevance_score": 0.5}]},
            "1 results, expected 3",
        ),
        (
            CohereReranker,
            {"results": [{"index": i, "relevance_score": 0.1} for i in (0, 1, 3)]},
            "bad index 3",
        ),
        (
            JinaReranker,
            {"results": [{"index": i, "relevance_score": 0.1} for i in (0, 1, 1)]},
            "index 1 twice",
        ),
        (
            JinaReranker,
            {"results": [{"index": i, "relevance_score": 0.1} for i in (0, 1, True)]},
            "bad index True",
        ),
        (
            CohereReranker,
            {"results": [{"index": i, "relevance_score": "high"} for i in (0, 1, 2)]},
            "no numeric 'relevance_score'",
        ),
        (
            CohereReranker,
            {"results": [{"index": i, "relevance_score": True} for i in (0, 1, 2)]},
            "no numeric 'relevance_score'",
        ),
        (JinaReranker, {"results": [0, 1, 2]}, "result is not an object"),
        (DashScopeReranker, {"results": []}, "response has no results list"),
        (DashScopeReranker, {"output": {"results": None}}, "response has no results list"),
        (TEIReranker, {"results": []}, "response has no results list"),
        (TEIReranker, [{"index": i, "relevance_score": 0.1} for i in (0, 1, 2)], "'score'"),
    ],
)
def test_malformed_results_are_refused(
    cls: type[RemoteReranker], payload: Any, message: str
) -> None:
    with CannedMock(Reply(200, payload)) as mock:
        rr = cls(api_key="k-0123456789", api_base=mock.base_url, settings=FAST)
        with pytest.raises(EmbeddingResponseError, match=message) as exc:
            rr.rerank(QUERY, ["a", "b", "c"])
        assert str(exc.value).startswith(f"{cls.display_name}: ")
        assert len(mock.requests) == 1  # a malformed 200 is not retried


# --- batching --------------------------------------------------------------------------


class SmallCohere(CohereReranker):
    max_documents = 3


def test_long_lists_are_split_and_merged(cohere_mock: CohereMock) -> None:
    docs = [*DOCS, "the mat", "on the cat"]
    rr = make_class(SmallCohere, cohere_mock, [])
    assert rr.rerank(QUERY, docs) == expected(docs)
    assert [len(b["documents"]) for b in rerank_body(cohere_mock)] == [3, 3, 2]
    cohere_mock.clear()
    assert rr.rerank(QUERY, docs, top_n=2) == expected(docs, top_n=2)
    # Each request is asked for the top 2 of its own documents; the best 2 are among them.
    assert [b["top_n"] for b in rerank_body(cohere_mock)] == [2, 2, 2]


def test_tei_splits_at_its_client_batch_size(tei_mock: TEIMock) -> None:
    docs = [f"doc {i} cat" if i % 3 else f"doc {i} the mat" for i in range(40)]
    out = make(tei_mock, "tei/x").rerank(QUERY, docs, top_n=5)
    assert out == expected(docs, top_n=5)
    assert [len(b["texts"]) for b in rerank_body(tei_mock)] == [32, 8]


def test_413_halves_the_request(tei_mock: TEIMock) -> None:
    """A server started with a small --max-client-batch-size: halve until it fits."""
    tei_mock.max_client_batch_size = 4
    docs = [f"doc {i} cat mat" * (i % 4 + 1) for i in range(10)]
    assert make(tei_mock, "tei/x").rerank(QUERY, docs) == expected(docs)
    sizes = [len(b["texts"]) for b in rerank_body(tei_mock)]
    assert sizes == [10, 5, 2, 3, 5, 2, 3]
    assert sum(s for s in sizes if s <= 4) == 10


def test_dashscope_keeps_within_its_token_budget(dashscope_mock: DashScopeMock) -> None:
    # ~10,000 tokens each by the mock's count: four in one request would be 400.
    docs = [f"{i} cat " + "x" * 40_000 for i in range(4)]
    out = make(dashscope_mock, "dashscope/gte-rerank-v2").rerank(QUERY, docs, top_n=1)
    assert out == expected(docs, top_n=1)
    assert [len(b["input"]["documents"]) for b in rerank_body(dashscope_mock)] == [2, 2]


# --- endpoints and the factory -----------------------------------------------------------


def test_bases_configured_for_embeddings_still_reach_rerank(
    jina_mock: JinaMock, cohere_mock: CohereMock, dashscope_mock: DashScopeMock
) -> None:
    for base in (jina_mock.api_base + "/embeddings", jina_mock.api_base + "/rerank"):
        make(jina_mock, PROVIDERS[0][0], api_base=base).rerank(QUERY, DOCS)
        assert jina_mock.last.path == "/v1/rerank"
    for base in (cohere_mock.base_url + "/v2", cohere_mock.base_url + "/v2/embed"):
        make(cohere_mock, "cohere/rerank-v3.5", api_base=base).rerank(QUERY, DOCS)
        assert cohere_mock.last.path == "/v2/rerank"
    for base in (dashscope_mock.compat_base, dashscope_mock.base_url + "/api/v1"):
        make(dashscope_mock, "dashscope/gte-rerank-v2", api_base=base).rerank(QUERY, DOCS)
        assert dashscope_mock.last.path == RERANK_PATH


def test_default_endpoints() -> None:
    none = KeyResolver({}, use_environ=False)
    assert JinaReranker(keys=none).endpoint() == "https://api.jina.ai/v1/rerank"
    assert CohereReranker(keys=none).endpoint() == "https://api.cohere.com/v2/rerank"
    assert DashScopeReranker(keys=none).endpoint() == (
        "https://dashscope.aliyuncs.com/api/v1/services/rerank/text-rerank/text-rerank"
    )
    intl = DashScopeReranker(keys=none, api_base="https://dashscope-intl.aliyuncs.com/")
    assert intl.endpoint() == (
        "https://dashscope-intl.aliyuncs.com/api/v1/services/rerank/text-rerank/text-rerank"
    )
    assert TEIReranker(keys=none).endpoint() == "http://127.0.0.1:8080/rerank"
    # The Hugging Face vendor's base is the hosted API, not a TEI server: not used.
    hf_base = KeyResolver(
        {"TIDB_EXP_EMBED_HUGGINGFACE_API_BASE": "https://hf.example"}, use_environ=False
    )
    assert TEIReranker(keys=hf_base).endpoint() == "http://127.0.0.1:8080/rerank"


def test_factory_parses_provider_slash_model() -> None:
    none = KeyResolver({}, use_environ=False)
    rr = reranker("jina_ai/jina-reranker-v2-base-multilingual", keys=none)
    assert type(rr) is JinaReranker and rr.model == "jina-reranker-v2-base-multilingual"
    assert rr.full_name == "jina_ai/jina-reranker-v2-base-multilingual"
    assert repr(rr) == "JinaReranker(model='jina-reranker-v2-base-multilingual')"
    assert type(reranker(" Cohere /rerank-v3.5", keys=none)) is CohereReranker
    assert type(reranker("dashscope/gte-rerank-v2", keys=none)) is DashScopeReranker
    tei = reranker("tei/BAAI/bge-reranker-v2-m3", api_base="http://tei:80/", keys=none)
    assert type(tei) is TEIReranker and tei.model == "BAAI/bge-reranker-v2-m3"
    assert tei.endpoint() == "http://tei:80/rerank"
    assert reranker_names() == ["cohere", "dashscope", "jina_ai", "tei"]
    # Extra keyword arguments are provider fields sent with every request.
    assert reranker("cohere/rerank-v3.5", max_tokens_per_doc=256).options == {
        "max_tokens_per_doc": 256
    }
    with pytest.raises(UnknownProviderError) as exc:
        reranker("voyage/rerank-2")
    assert str(exc.value) == (
        "unknown reranker provider 'voyage', available providers: cohere, dashscope, jina_ai, tei"
    )
    for bad in ("jina-reranker-v2-base-multilingual", "jina_ai/", "/x"):
        with pytest.raises(InvalidModelNameError, match="format 'provider/model'"):
            reranker(bad)


def test_direct_classes_have_default_models_and_close(jina_mock: JinaMock) -> None:
    keys = KeyResolver(jina_mock.variables(), use_environ=False)
    with JinaReranker(keys=keys, settings=FAST) as rr:
        assert rr.model == "jina-reranker-v2-base-multilingual"
        assert rr.rerank(QUERY, DOCS) == expected()
        client = rr.client
        assert not client.is_closed
    assert client.is_closed
    assert CohereReranker(keys=keys).model == "rerank-v3.5"
    assert DashScopeReranker(keys=keys).model == "gte-rerank-v2"


def test_unknown_attribute_of_the_package() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        rerankers_package.Nope  # noqa: B018
    assert rerankers_package.RemoteReranker is RemoteReranker


def test_import_is_cheap() -> None:
    script = (
        "import sys, autovec; before = set(sys.modules)\n"
        "import autovec.rerankers\n"
        "new = set(sys.modules) - before\n"
        "print(sorted(m for m in new if m.split('.')[0] in ('httpx', 'numpy')))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- the mocks themselves are strict -----------------------------------------------------


def post(mock: MockServer, path: str, body: Any, key: str | None = "default") -> httpx.Response:
    token = mock.api_key if key == "default" else key
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(mock.base_url + path, json=body, headers=headers, timeout=5)


def test_jina_mock_validates_rerank_requests(jina_mock: JinaMock) -> None:
    ok = {"model": "jina-reranker-v2-base-multilingual", "query": "q", "documents": ["a"]}
    assert post(jina_mock, "/v1/rerank", ok).status_code == 200
    assert post(jina_mock, "/v1/rerank", ok, key=None).status_code == 401
    for bad in (
        {**ok, "model": "jina-embeddings-v3"},
        {**ok, "query": 1},
        {**ok, "documents": []},
        {**ok, "documents": "a"},
        {**ok, "documents": [1]},
        {**ok, "top_n": 0},
        {**ok, "top_n": "2"},
        {**ok, "return_documents": "yes"},
        {**ok, "rank_fields": ["text"]},
        {k: v for k, v in ok.items() if k != "query"},
    ):
        resp = post(jina_mock, "/v1/rerank", bad)
        assert resp.status_code == 400 and "detail" in resp.json(), bad
    body = post(jina_mock, "/v1/rerank", {**ok, "documents": [{"text": "q"}, "b"]}).json()
    assert body["results"][0] == {"index": 0, "relevance_score": 1.0, "document": {"text": "q"}}
    assert body["usage"]["total_tokens"] > 0


def test_cohere_mock_validates_rerank_requests(cohere_mock: CohereMock) -> None:
    ok = {"model": "rerank-v3.5", "query": "q", "documents": ["a", "q"]}
    resp = post(cohere_mock, "/v2/rerank", ok)
    assert resp.status_code == 200
    assert [r["index"] for r in resp.json()["results"]] == [1, 0]
    assert resp.json()["meta"]["billed_units"] == {"search_units": 1}
    assert post(cohere_mock, "/v2/rerank", ok, key="nope").status_code == 401
    assert post(cohere_mock, "/v2/rerank", {**ok, "model": "rerank-v9"}).status_code == 404
    for bad in (
        {**ok, "return_documents": True},  # v1 only
        {**ok, "documents": [{"text": "a"}]},
        {**ok, "documents": []},
        {**ok, "query": ""},
        {**ok, "top_n": 0},
        {**ok, "max_tokens_per_doc": True},
    ):
        resp = post(cohere_mock, "/v2/rerank", bad)
        assert resp.status_code == 400 and "message" in resp.json(), bad


def test_dashscope_mock_validates_rerank_requests(dashscope_mock: DashScopeMock) -> None:
    ok = {"model": "gte-rerank-v2", "input": {"query": "q", "documents": ["a", "q"]}}
    resp = post(dashscope_mock, RERANK_PATH, ok)
    assert resp.status_code == 200
    body = resp.json()
    assert [r["index"] for r in body["output"]["results"]] == [1, 0]
    assert "document" not in body["output"]["results"][0]  # return_documents defaults false
    assert body["usage"]["total_tokens"] > 0 and body["request_id"]
    with_docs = post(dashscope_mock, RERANK_PATH, {**ok, "parameters": {"return_documents": True}})
    assert with_docs.json()["output"]["results"][0]["document"] == {"text": "q"}
    unauthorized = post(dashscope_mock, RERANK_PATH, ok, key="sk-wrong")
    assert unauthorized.status_code == 401 and unauthorized.json()["code"] == "InvalidApiKey"
    for bad, code in (
        ({**ok, "model": ""}, "BadRequest.EmptyModel"),
        ({**ok, "model": "text-embedding-v4"}, "InvalidParameter"),
        ({**ok, "input": {"documents": ["a"]}}, "BadRequest.EmptyInput"),
        ({**ok, "input": {"query": "q", "documents": []}}, "BadRequest.EmptyInput"),
        ({**ok, "input": {"query": "q", "documents": [""]}}, "InvalidParameter"),
        ({**ok, "input": {"query": "q", "documents": ["a"] * 501}}, "InvalidParameter"),
        ({**ok, "parameters": {"top_n": 0}}, "InvalidParameter"),
        ({**ok, "parameters": {"return_documents": 1}}, "InvalidParameter"),
        ({**ok, "parameters": {"instruct": "x"}}, "InvalidParameter"),  # qwen3-rerank only
        ({**ok, "parameters": {"topn": 2}}, "InvalidParameter"),
    ):
        resp = post(dashscope_mock, RERANK_PATH, bad)
        assert resp.status_code == 400 and resp.json()["code"] == code, bad
        assert resp.json()["request_id"]


def test_tei_mock_validates_rerank_requests(tei_mock: TEIMock) -> None:
    ok = {"query": "q", "texts": ["a", "q"]}
    resp = post(tei_mock, "/rerank", ok)
    assert resp.status_code == 200 and resp.json() == [
        {"index": 1, "score": 1.0},
        {"index": 0, "score": 0.0},
    ]
    raw = post(tei_mock, "/rerank", {**ok, "raw_scores": True, "return_text": True}).json()
    assert raw[0] == {"index": 1, "text": "q", "score": 5.0}
    no_key = post(tei_mock, "/rerank", ok, key=None)
    assert no_key.status_code == 401 and no_key.content == b""
    empty = post(tei_mock, "/rerank", {**ok, "texts": []})
    assert empty.status_code == 400 and empty.json()["error_type"] == "Empty"
    big = post(tei_mock, "/rerank", {**ok, "texts": ["a"] * 33})
    assert big.status_code == 413 and big.json()["error_type"] == "Validation"
    for bad in (
        {"texts": ["a"]},
        {**ok, "texts": "a"},
        {**ok, "top_n": 1},
        {**ok, "truncate": "yes"},
        {**ok, "truncation_direction": "Up"},
    ):
        assert post(tei_mock, "/rerank", bad).status_code == 422, bad


def test_rerank_routes_leave_the_embedding_endpoints_alone(
    jina_mock: JinaMock, cohere_mock: CohereMock
) -> None:
    embed = post(jina_mock, "/v1/embeddings", {"model": "jina-embeddings-v3", "input": ["a"]})
    assert embed.status_code == 200 and len(embed.json()["data"]) == 1
    assert post(cohere_mock, "/v2/nothing", {}).status_code == 404
