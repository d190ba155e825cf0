"""dashscope/<model>: native text API, sparse output, compatible mode, multimodal."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from autovec.embeddings import (
    EmbeddingFunction,
    EmbeddingProviderError,
    ImageInput,
    InvalidOptionsError,
    KeyResolver,
    UnauthorizedError,
)
from autovec.embeddings.providers.dashscope import DashScopeProvider
from tests.mock_providers import DashScopeMock
from tests.mock_providers.dashscope import MM_PATH, TEXT_PATH, sparse_for
from tests.mock_providers.images import ImageServer

MakeFn = Callable[..., EmbeddingFunction]


def test_native_request_shape_and_text_type(dashscope_mock: DashScopeMock, make_fn: MakeFn) -> None:
    fn = make_fn(dashscope_mock, "dashscope/text-embedding-v4")
    doc = fn.embed_documents(["衣服的品質杠杠的"])[0]
    req = dashscope_mock.last
    assert (
        req.path == TEXT_PATH and req.header("authorization") == f"Bearer {dashscope_mock.api_key}"
    )
    assert req.body == {
        "model": "text-embedding-v4",
        "input": {"texts": ["衣服的品質杠杠的"]},
        "parameters": {"text_type": "document"},
    }
    np.testing.assert_allclose(doc, dashscope_mock.expected("衣服的品質杠杠的"), rtol=1e-6)
    q = fn.embed_query("什麼是AI?")
    assert dashscope_mock.last.body["parameters"]["text_type"] == "query"
    np.testing.assert_allclose(
        q, dashscope_mock.expected("什麼是AI?", text_type="query"), rtol=1e-6
    )


def test_dimension_singular_and_instruct(dashscope_mock: DashScopeMock, make_fn: MakeFn) -> None:
    fn = make_fn(dashscope_mock, "dashscope/text-embedding-v4", dimensions=256)
    assert fn.embed_documents(["喜歡,以後還來這裡買"]).shape == (1, 256)
    assert dashscope_mock.last.body["parameters"] == {"dimension": 256, "text_type": "document"}
    instruct = "Given a research paper query, retrieve relevant research paper"
    options = {"instruct@search": instruct, "dimensions": 256}
    plain = make_fn(dashscope_mock, "dashscope/text-embedding-v4")
    q = plain.embed(["機器學習的相關論文"], "query", options)[0]
    assert dashscope_mock.last.body["parameters"] == {
        "dimension": 256,
        "text_type": "query",
        "instruct": instruct,
    }
    expected = dashscope_mock.expected(
        "機器學習的相關論文", text_type="query", instruct=instruct, dims=256
    )
    np.testing.assert_allclose(q, expected, rtol=1e-6)
    plain.embed(["doc"], "document", options)
    assert "instruct" not in dashscope_mock.last.body["parameters"]


def test_dense_and_sparse(dashscope_mock: DashScopeMock, make_fn: MakeFn) -> None:
    fn = make_fn(dashscope_mock, "dashscope/text-embedding-v3", output_type="dense&sparse")
    assert fn.embed_documents(["wind sorrow"]).shape == (1, 1024)
    assert dashscope_mock.last.body["parameters"]["output_type"] == "dense&sparse"
    with pytest.raises(InvalidOptionsError, match="returns no dense vector"):
        fn.embed(["x"], "document", {"output_type": "sparse"})
    provider = fn.provider
    assert isinstance(provider, DashScopeProvider)
    sparse = provider.embed_sparse(["wind sorrow", "wind"], kind="document", options={})
    assert sparse[0] == {w["index"]: w["value"] for w in sparse_for("wind sorrow")}
    assert dashscope_mock.last.body["parameters"]["output_type"] == "sparse"


def test_batch_caps_per_model(dashscope_mock: DashScopeMock, make_fn: MakeFn) -> None:
    v1 = make_fn(dashscope_mock, "dashscope/text-embedding-v1")
    assert v1.embed_documents([f"t{i}" for i in range(30)]).shape == (30, 1536)
    assert sorted(len(r.body["input"]["texts"]) for r in dashscope_mock.requests) == [5, 25]


def test_mock_rejects_oversized_batch_with_documented_body(dashscope_mock: DashScopeMock) -> None:
    import httpx

    resp = httpx.post(
        dashscope_mock.base_url + TEXT_PATH,
        headers={"X-DashScope-ApiKey": str(dashscope_mock.api_key)},
        json={"model": "text-embedding-v4", "input": {"texts": ["a"] * 11}},
    )
    assert resp.status_code == 400
    body = resp.json()
    assert body["code"] == "InvalidParameter" and "request_id" in body
    assert "it should not be larger than 10" in body["message"]


def test_compatible_mode(dashscope_mock: DashScopeMock, make_fn: MakeFn) -> None:
    keys = KeyResolver(
        {
            "TIDB_EXP_EMBED_DASHSCOPE_API_KEY": str(dashscope_mock.api_key),
            "TIDB_EXP_EMBED_DASHSCOPE_API_BASE": dashscope_mock.compat_base,
        },
        use_environ=False,
    )
    fn = make_fn(None, "dashscope/text-embedding-v4", keys=keys, dimensions=256)
    out = fn.embed([f"t{i}" for i in range(12)], "query")
    assert out.shape == (12, 256)
    first = dashscope_mock.requests[0]
    assert first.path == "/compatible-mode/v1/embeddings"
    assert set(first.body) == {"model", "input", "dimensions", "encoding_format"}
    assert first.body["encoding_format"] == "float"
    assert sorted(len(r.body["input"]) for r in dashscope_mock.requests) == [2, 10]
    np.testing.assert_allclose(out[0], dashscope_mock.expected("t0", dims=256), rtol=1e-6)
    dashscope_mock.fail_next("unauthorized")
    with pytest.raises(UnauthorizedError):
        fn.embed_documents(["x"])


def test_multimodal(
    dashscope_mock: DashScopeMock, make_fn: MakeFn, image_server: ImageServer
) -> None:
    fn = make_fn(dashscope_mock, "dashscope/tongyi-embedding-vision-plus", multimodal=True)
    image = image_server.url("green.png")
    out = fn.embed([ImageInput(image), "a dog"], "document")
    assert out.shape == (2, 1152)
    req = dashscope_mock.last
    assert req.path == MM_PATH
    assert req.body["input"] == {"contents": [{"image": image}, {"text": "a dog"}]}
    np.testing.assert_allclose(
        out[0],
        dashscope_mock.expected_mm("image:" + image, "tongyi-embedding-vision-plus"),
        rtol=1e-6,
    )
    v1 = make_fn(dashscope_mock, "dashscope/multimodal-embedding-v1", multimodal=True)
    dashscope_mock.clear()
    assert v1.embed(["a", "b", "c"]).shape == (3, 1024)
    assert len(dashscope_mock.requests) == 3  # one combination per call


def test_native_errors(dashscope_mock: DashScopeMock, make_fn: MakeFn) -> None:
    fn = make_fn(dashscope_mock, "dashscope/text-embedding-v2")
    with pytest.raises(
        EmbeddingProviderError,
        match=r"DashScope: instruct is only supported .*\(InvalidParameter\)",
    ):
        fn.embed(["x"], "query", {"instruct": "Given a query"})
    dashscope_mock.fail_next("unauthorized")
    with pytest.raises(UnauthorizedError) as exc:
        fn.embed_documents(["x"])
    assert "TIDB_EXP_EMBED_DASHSCOPE_API_KEY" in str(exc.value)
    dashscope_mock.fail_next("rate_limit")
    assert fn.embed_documents(["x"]).shape == (1, 1536)


def test_multimodal_v1_defaults_to_beijing() -> None:
    # Seed 004: multimodal-embedding-v1 is a Beijing model; the others default to Singapore.
    keys = KeyResolver({"TIDB_EXP_EMBED_DASHSCOPE_API_KEY": "sk-x"}, use_environ=False)
    v1 = EmbeddingFunction("dashscope/multimodal-embedding-v1", keys=keys, multimodal=True)
    plus = EmbeddingFunction("dashscope/tongyi-embedding-vision-plus", keys=keys, multimodal=True)
    assert isinstance(v1.provider, DashScopeProvider) and isinstance(
        plus.provider, DashScopeProvider
    )
    assert v1.provider.endpoint() == "https://dashscope.aliyuncs.com" + MM_PATH
    assert plus.provider.endpoint() == "https://dashscope-intl.aliyuncs.com" + MM_PATH
    base = "https://dashscope-intl.aliyuncs.com/api/v1"
    configured = KeyResolver(
        {"TIDB_EXP_EMBED_DASHSCOPE_API_KEY": "sk-x", "TIDB_EXP_EMBED_DASHSCOPE_API_BASE": base},
        use_environ=False,
    )
    chosen = EmbeddingFunction(
        "dashscope/multimodal-embedding-v1", keys=configured, multimodal=True
    )
    assert isinstance(chosen.provider, DashScopeProvider)
    assert chosen.provider.endpoint() == "https://dashscope-intl.aliyuncs.com" + MM_PATH
