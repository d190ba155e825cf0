"""The mocks themselves follow providers.md (checked with a plain HTTP client)."""

from __future__ import annotations

import base64

import httpx
import numpy as np

from tests.mock_providers import (
    CohereMock,
    DashScopeMock,
    GeminiMock,
    HuggingFaceMock,
    JinaMock,
    OpenAIMock,
    fake_vector,
)
from tests.mock_providers.dashscope import COMPAT_PATH, MM_PATH
from tests.mock_providers.images import COLOURS, ImageServer, make_image


def test_fake_vectors_are_deterministic_unit_vectors() -> None:
    a, b = fake_vector("x", 16, "s"), fake_vector("x", 16, "s")
    np.testing.assert_array_equal(a, b)
    assert abs(np.linalg.norm(a) - 1) < 1e-6
    assert not np.allclose(a, fake_vector("x", 16, "t")) and not np.allclose(
        a, fake_vector("y", 16, "s")
    )


def test_openai_base64_and_documented_errors(openai_mock: OpenAIMock) -> None:
    url = openai_mock.api_base + "/embeddings"
    auth = {"Authorization": f"Bearer {openai_mock.api_key}"}
    ok = httpx.post(
        url,
        headers=auth,
        json={"model": "text-embedding-3-small", "input": "hi", "encoding_format": "base64"},
    )
    item = ok.json()["data"][0]
    assert item["index"] == 0 and item["object"] == "embedding"
    vec = np.frombuffer(base64.b64decode(item["embedding"]), dtype="<f4")
    np.testing.assert_allclose(vec, openai_mock.expected("hi"), rtol=1e-6)
    assert (
        ok.json()["usage"]["total_tokens"] >= 1
        and ok.headers["openai-model"] == "text-embedding-3-small"
    )
    ada = httpx.post(
        url,
        headers=auth,
        json={"model": "text-embedding-ada-002", "input": ["x"], "dimensions": 512},
    )
    assert ada.status_code == 400
    assert ada.json() == {
        "error": {
            "message": "This model does not support specifying dimensions.",
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        }
    }
    bad = httpx.post(
        url, headers={"Authorization": "Bearer sk-nope"}, json={"model": "x", "input": "y"}
    )
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "invalid_api_key"
    too_many = httpx.post(
        url, headers=auth, json={"model": "text-embedding-3-small", "input": ["a"] * 2049}
    )
    assert too_many.status_code == 400
    openai_mock.fail_next("rate_limit", retry_after=2, retry_after_ms=1500)
    limited = httpx.post(url, headers=auth, json={"model": "text-embedding-3-small", "input": "x"})
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "2" and limited.headers["retry-after-ms"] == "1500"
    assert limited.headers["x-ratelimit-reset-tokens"] == "6m0s"
    assert limited.json()["error"]["code"] == "rate_limit_exceeded"


def test_dashscope_compat_batch_error_has_request_id(dashscope_mock: DashScopeMock) -> None:
    resp = httpx.post(
        dashscope_mock.base_url + COMPAT_PATH,
        headers={"Authorization": f"Bearer {dashscope_mock.api_key}"},
        json={"model": "text-embedding-v4", "input": ["a"] * 11, "encoding_format": "base64"},
    )
    body = resp.json()
    assert resp.status_code == 400 and body["id"] == body["request_id"]
    assert body["error"]["code"] == "InvalidParameter"
    assert body["error"]["message"].startswith(
        "<400> InternalError.Algo.InvalidParameter: Value error, batch size"
    )
    ok = httpx.post(
        dashscope_mock.base_url + COMPAT_PATH,
        headers={"Authorization": f"Bearer {dashscope_mock.api_key}"},
        json={"model": "text-embedding-v4", "input": "a", "encoding_format": "base64"},
    )
    assert isinstance(ok.json()["data"][0]["embedding"], list)  # floats only, as documented


def test_gemini_batch_cap_message(gemini_mock: GeminiMock) -> None:
    req = {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "x"}]}}
    resp = httpx.post(
        gemini_mock.api_base + "/models/gemini-embedding-001:batchEmbedContents",
        headers={"x-goog-api-key": str(gemini_mock.api_key)},
        json={"requests": [req] * 101},
    )
    assert resp.status_code == 400
    assert resp.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert "at most 100 requests can be in one batch" in resp.json()["error"]["message"]


def test_cohere_cap_and_response_shape(cohere_mock: CohereMock) -> None:
    url, auth = (
        cohere_mock.base_url + "/v2/embed",
        {"Authorization": f"Bearer {cohere_mock.api_key}"},
    )
    body = {
        "model": "embed-v4.0",
        "input_type": "search_document",
        "embedding_types": ["float", "int8"],
    }
    resp = httpx.post(url, headers=auth, json={**body, "texts": ["a"] * 97})
    assert resp.status_code == 400 and "at most 96" in resp.json()["message"]
    ok = httpx.post(url, headers=auth, json={**body, "texts": ["a"]}).json()
    assert ok["response_type"] == "embeddings_by_type" and set(ok["embeddings"]) == {
        "float",
        "int8",
    }
    assert ok["meta"]["api_version"] == {"version": "2"}


def test_huggingface_shapes(huggingface_mock: HuggingFaceMock) -> None:
    url = huggingface_mock.base_url + "/models/BAAI/bge-m3/pipeline/feature-extraction"
    auth = {"Authorization": f"Bearer {huggingface_mock.api_key}"}
    single = httpx.post(url, headers=auth, json={"inputs": "x"}).json()
    assert isinstance(single[0], float) and len(single) == 1024
    batch = httpx.post(url, headers=auth, json={"inputs": ["x", "y"]}).json()
    assert len(batch) == 2 and len(batch[0]) == 1024
    too_many = httpx.post(url, headers=auth, json={"inputs": ["x"] * 33})
    assert too_many.status_code == 413 and too_many.json()["error_type"] == "Validation"


def test_jina_binary_output_is_packed(jina_mock: JinaMock) -> None:
    resp = httpx.post(
        jina_mock.api_base + "/embeddings",
        headers={"Authorization": f"Bearer {jina_mock.api_key}"},
        json={
            "model": "jina-embeddings-v3",
            "input": ["x"],
            "embedding_type": "ubinary",
            "dimensions": 64,
        },
    )
    assert len(resp.json()["data"][0]["embedding"]) == 8


def _jina_vectors(mock: JinaMock, items: list[object], task: str) -> np.ndarray:
    resp = httpx.post(
        mock.api_base + "/embeddings",
        headers={"Authorization": f"Bearer {mock.api_key}"},
        json={
            "model": "jina-embeddings-v4",
            "input": items,
            "task": task,
            "embedding_type": "float",
        },
    )
    assert resp.status_code == 200, resp.text
    return np.array([d["embedding"] for d in resp.json()["data"]])


def test_jina_images_are_embedded_by_content(
    jina_mock: JinaMock, image_server: ImageServer
) -> None:
    # The same picture at two URLs and inline: one vector; a JPEG copy lands next to it;
    # a text naming its colour is nearer to it than to any other colour's picture.
    image_server.images["copy.png"] = image_server.images["orange.png"]
    raw = base64.b64encode(image_server.images["orange.png"]).decode()
    jpeg = base64.b64encode(make_image(COLOURS["orange"], fmt="JPEG")).decode()
    names = list(COLOURS)
    docs = _jina_vectors(
        jina_mock,
        [{"image": image_server.url(f"{n}.png")} for n in names]
        + [{"image": image_server.url("copy.png")}, {"image": raw}, {"image": jpeg}],
        "retrieval.passage",
    )
    orange = names.index("orange")
    np.testing.assert_allclose(docs[len(names)], docs[orange], atol=1e-6)
    np.testing.assert_allclose(docs[len(names) + 1], docs[orange], atol=1e-6)
    assert docs[len(names) + 2] @ docs[orange] > 0.99
    gallery = docs[: len(names)]
    for name in names:
        query = _jina_vectors(jina_mock, [f"a {name} thing"], "retrieval.query")[0]
        assert names[int(np.argmax(gallery @ query))] == name
    assert image_server.fetched.count("orange.png") == 1


def test_jina_refuses_images_it_cannot_get(jina_mock: JinaMock, image_server: ImageServer) -> None:
    for image in (image_server.url("missing.png"), "https://example.com/a.png", "not base64!"):
        resp = httpx.post(
            jina_mock.api_base + "/embeddings",
            headers={"Authorization": f"Bearer {jina_mock.api_key}"},
            json={"model": "jina-embeddings-v4", "input": [{"image": image}]},
        )
        assert resp.status_code == 400 and "invalid image input" in resp.json()["detail"]


def test_dashscope_multimodal_image_rules(
    dashscope_mock: DashScopeMock, image_server: ImageServer
) -> None:
    def post(model: str, contents: list[dict[str, object]]) -> httpx.Response:
        return httpx.post(
            dashscope_mock.base_url + MM_PATH,
            headers={"Authorization": f"Bearer {dashscope_mock.api_key}"},
            json={"model": model, "input": {"contents": contents}},
        )

    url = image_server.url("red.png")
    ok = post("tongyi-embedding-vision-plus", [{"image": url}] * 8)
    assert ok.status_code == 200 and len(ok.json()["output"]["embeddings"]) == 8
    assert post("tongyi-embedding-vision-plus", [{"image": url}] * 9).status_code == 400
    one = post("multimodal-embedding-v1", [{"image": url}, {"text": "red"}]).json()
    assert "should not be larger than 1" in one["message"]
    gif = "data:image/gif;base64," + base64.b64encode(make_image((1, 2, 3), fmt="GIF")).decode()
    refused = post("tongyi-embedding-vision-flash", [{"image": gif}]).json()
    assert refused["code"] == "InvalidParameter.DataInspection"
    missing = post("tongyi-embedding-vision-flash", [{"image": image_server.url("nope.png")}])
    assert missing.status_code == 400 and missing.json()["code"] == "InvalidURL"


def test_cohere_images_inline_only(cohere_mock: CohereMock, image_server: ImageServer) -> None:
    def post(url: str) -> httpx.Response:
        content = [{"type": "image_url", "image_url": {"url": url}}]
        return httpx.post(
            cohere_mock.base_url + "/v2/embed",
            headers={"Authorization": f"Bearer {cohere_mock.api_key}"},
            json={
                "model": "embed-v4.0",
                "input_type": "search_document",
                "inputs": [{"content": content}],
            },
        )

    assert "data URI" in post(image_server.url("red.png")).json()["message"]
    inline = "data:image/png;base64," + base64.b64encode(image_server.images["red.png"]).decode()
    assert post(inline).status_code == 200
    assert image_server.fetched == []
