"""nvidia_nim/<org>/<model> against the NIM mock."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from autovec.embeddings import EmbeddingFunction, EmbeddingProviderError, UnauthorizedError
from tests.mock_providers import NvidiaNIMMock

MakeFn = Callable[..., EmbeddingFunction]


def test_request_shape(nvidia_nim_mock: NvidiaNIMMock, make_fn: MakeFn) -> None:
    fn = make_fn(nvidia_nim_mock, "nvidia_nim/baai/bge-m3")
    out = fn.embed_documents(["x", "y"])
    req = nvidia_nim_mock.last
    assert (
        req.path == "/v1/embeddings"
        and req.header("authorization") == f"Bearer {nvidia_nim_mock.api_key}"
    )
    assert req.body == {
        "model": "baai/bge-m3",
        "input": ["x", "y"],
        "encoding_format": "base64",
        "input_type": "passage",
    }
    np.testing.assert_allclose(out[1], nvidia_nim_mock.expected("y"), rtol=1e-6)
    q = make_fn(nvidia_nim_mock, "nvidia_nim/nvidia/nv-embed-v1").embed_query("q")
    assert q.shape == (4096,) and nvidia_nim_mock.last.body["input_type"] == "query"


def test_403_is_unauthorized_and_404_names_the_model(
    nvidia_nim_mock: NvidiaNIMMock, make_fn: MakeFn
) -> None:
    fn = make_fn(nvidia_nim_mock, "nvidia_nim/baai/bge-m3")
    nvidia_nim_mock.fail_next("unauthorized")
    with pytest.raises(UnauthorizedError) as exc:
        fn.embed_documents(["x"])
    assert str(exc.value).startswith("NVIDIA NIM returns status unauthorized")
    assert exc.value.status == 403
    with pytest.raises(EmbeddingProviderError, match="NVIDIA NIM: model 'acme/x' does not exist"):
        make_fn(nvidia_nim_mock, "nvidia_nim/acme/x").embed_documents(["x"])
    with pytest.raises(EmbeddingProviderError, match="NVIDIA NIM: truncate must be"):
        fn.embed(["x"], "document", {"truncate": "MIDDLE"})
