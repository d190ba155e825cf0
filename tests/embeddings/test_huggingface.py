"""huggingface/<org>/<model>: local when the weights are here, else the Inference API."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from autovec.embeddings import (
    EmbeddingFunction,
    EmbeddingProviderError,
    InvalidDimensionsError,
    KeyResolver,
    ModelNotAvailableError,
    UnauthorizedError,
)
from autovec.embeddings.catalog import QWEN3_QUERY_PROMPT
from autovec.embeddings.local.locate import locate_model
from autovec.embeddings.providers.huggingface import HuggingFaceProvider
from tests.mock_providers import HuggingFaceMock
from tests.mock_providers.server import Failure, Recorded, Reply

MakeFn = Callable[..., EmbeddingFunction]
E5 = "intfloat/multilingual-e5-large"
QWEN = "Qwen/Qwen3-Embedding-0.6B"


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def test_api_request_with_e5_prompts(huggingface_mock: HuggingFaceMock, make_fn: MakeFn) -> None:
    fn = make_fn(huggingface_mock, f"huggingface/{E5}")
    assert not fn.provider.runs_locally  # type: ignore[attr-defined]
    doc = fn.embed_documents(["Java: Object-oriented language."])[0]
    req = huggingface_mock.last
    assert req.path == f"/models/{E5}/pipeline/feature-extraction"
    assert req.header("authorization") == f"Bearer {huggingface_mock.api_key}"
    assert req.header("x-wait-for-model") == "true"
    assert req.body == {"inputs": ["passage: Java: Object-oriented language."]}
    np.testing.assert_allclose(
        doc, huggingface_mock.expected("passage: Java: Object-oriented language.", E5), rtol=1e-6
    )
    q = fn.embed_query("How to start learning Java programming?")
    assert huggingface_mock.last.body == {
        "inputs": ["query: How to start learning Java programming?"]
    }
    assert q.shape == (1024,)


def test_prompt_name_disables_our_prefix(
    huggingface_mock: HuggingFaceMock, make_fn: MakeFn
) -> None:
    fn = make_fn(huggingface_mock, f"huggingface/{E5}")
    fn.embed(["x"], "query", {"prompt_name": "query", "normalize": True})
    assert huggingface_mock.last.body == {
        "inputs": ["x"],
        "prompt_name": "query",
        "normalize": True,
    }


def test_qwen3_instruction_and_client_side_matryoshka(
    huggingface_mock: HuggingFaceMock, make_fn: MakeFn
) -> None:
    fn = make_fn(huggingface_mock, f"huggingface/{QWEN}", dimensions=256)
    q = fn.embed_query("What is TiDB?")
    assert huggingface_mock.last.body == {"inputs": [QWEN3_QUERY_PROMPT + "What is TiDB?"]}
    assert q.shape == (256,)
    full = huggingface_mock.expected(QWEN3_QUERY_PROMPT + "What is TiDB?", QWEN)
    np.testing.assert_allclose(q, unit(full[:256]), rtol=1e-5)
    fn.embed_documents(["TiDB is a database."])
    assert huggingface_mock.last.body == {"inputs": ["TiDB is a database."]}
    with pytest.raises(InvalidDimensionsError, match=r"supported: 32\.\.1024"):
        EmbeddingFunction(f"huggingface/{QWEN}", dimensions=16)
    with pytest.raises(InvalidDimensionsError, match="outputs 1024 dimensions"):
        EmbeddingFunction("huggingface/BAAI/bge-m3", dimensions=512)


def test_batches_of_32(huggingface_mock: HuggingFaceMock, make_fn: MakeFn) -> None:
    fn = make_fn(huggingface_mock, "huggingface/BAAI/bge-m3")
    assert fn.embed_documents([f"t{i}" for i in range(40)]).shape == (40, 1024)
    assert sorted(len(r.body["inputs"]) for r in huggingface_mock.requests) == [8, 32]


def test_model_warm_up_503_is_waited_for(make_fn: MakeFn) -> None:
    with HuggingFaceMock(
        api_key="hf_k", cold={E5}, honor_wait_header=False, estimated_time=0.1
    ) as mock:
        fn = make_fn(mock, f"huggingface/{E5}")
        assert fn.embed_documents(["x"]).shape == (1, 1024)
        assert len(mock.requests) == 2
    with HuggingFaceMock(api_key="hf_k", cold={E5}) as mock:
        fn = make_fn(mock, f"huggingface/{E5}")
        fn.embed_documents(["x"])
        assert len(mock.requests) == 1  # x-wait-for-model made the server wait instead


def test_hint_is_read_from_estimated_time() -> None:
    provider = HuggingFaceProvider(E5)
    assert provider.retry_after_hint({"error": "loading", "estimated_time": 20.0}) == 20.0
    assert provider.retry_after_hint({"error": "x"}) is None


def test_errors(huggingface_mock: HuggingFaceMock, make_fn: MakeFn) -> None:
    fn = make_fn(huggingface_mock, "huggingface/acme/not-a-model")
    with pytest.raises(
        EmbeddingProviderError, match="HuggingFace: model 'acme/not-a-model' does not exist"
    ):
        fn.embed_documents(["x"])
    huggingface_mock.fail_next("unauthorized")
    with pytest.raises(UnauthorizedError, match="TIDB_EXP_EMBED_HUGGINGFACE_API_KEY"):
        make_fn(huggingface_mock, f"huggingface/{E5}").embed_documents(["x"])
    huggingface_mock.fail_next(
        "bad_request", message="Input validation error: `inputs` cannot be empty"
    )
    with pytest.raises(EmbeddingProviderError, match="HuggingFace: Input validation error"):
        make_fn(huggingface_mock, f"huggingface/{E5}").embed_documents(["x"])


def test_neither_local_weights_nor_key_says_both_fixes(huggingface_mock: HuggingFaceMock) -> None:
    fn = EmbeddingFunction(f"huggingface/{E5}", keys=KeyResolver(use_environ=False))
    with pytest.raises(ModelNotAvailableError) as exc:
        fn.embed_documents(["x"])
    message = str(exc.value)
    assert "not available locally and no API key is configured" in message
    assert "AUTOVEC_MODELS_DIR" in message and "pip install 'autovec[local]'" in message
    assert "SET @@GLOBAL.TIDB_EXP_EMBED_HUGGINGFACE_API_KEY='<API_KEY>'" in message
    assert huggingface_mock.requests == []


def test_token_level_output_is_mean_pooled(make_fn: MakeFn) -> None:
    class TokenLevel(HuggingFaceMock):
        def route(self, req: Recorded, failure: Failure | None) -> Reply:
            n = len(req.body["inputs"])
            tokens = [[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]] for _ in range(n)]
            return Reply(200, tokens)

    with TokenLevel(api_key="hf_k") as mock:
        out = make_fn(mock, "huggingface/acme/raw-bert").embed_documents(["a", "b"])
        np.testing.assert_allclose(out, [[0.7071068, 0.7071068, 0]] * 2, rtol=1e-6)


def _fake_model_dir(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "config.json").write_text("{}")
    (path / "model.safetensors").write_bytes(b"")
    return path


def test_local_weights_are_found_in_models_dir_and_hf_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    models = tmp_path / "models"
    _fake_model_dir(models / "BAAI--bge-m3")
    monkeypatch.setenv("AUTOVEC_MODELS_DIR", str(models))
    assert locate_model("BAAI/bge-m3") == (models / "BAAI--bge-m3").resolve()
    provider = HuggingFaceProvider("BAAI/bge-m3")
    assert provider.runs_locally

    cache = tmp_path / "hub"
    snap = _fake_model_dir(
        cache / "models--intfloat--multilingual-e5-large" / "snapshots" / "abc123"
    )
    (cache / "models--intfloat--multilingual-e5-large" / "refs").mkdir()
    (cache / "models--intfloat--multilingual-e5-large" / "refs" / "main").write_text("abc123")
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    assert locate_model(E5) == snap
    assert locate_model("acme/absent") is None
    assert not HuggingFaceProvider(E5, prefer_local=False).runs_locally


def test_weights_without_runtime_say_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import autovec.embeddings.providers.huggingface as hf

    _fake_model_dir(tmp_path / "models" / "acme--tiny")
    monkeypatch.setenv("AUTOVEC_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setattr(hf, "runtime_available", lambda: False)
    fn = EmbeddingFunction("huggingface/acme/tiny", keys=KeyResolver(use_environ=False))
    with pytest.raises(
        ModelNotAvailableError, match="install the local runtime for the weights found at"
    ):
        fn.embed_documents(["x"])
