"""Loading a local model once per process, and its forward passes taking turns.

Each model directory is loaded once per process, lazily, under a lock, and shared by
every caller; forward passes take turns, within the process and across the processes of
the machine (see :func:`device_turn`). torch and sentence-transformers are imported only
when a model is first loaded.
"""

from __future__ import annotations

import fcntl
import logging
import os
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from autovec.embeddings.errors import (
    InvalidOptionsError,
    ModelNotAvailableError,
    UnsupportedInputError,
)
from autovec.embeddings.inputs import ImageInput
from autovec.embeddings.local.batching import encode_images, encode_sorted, token_sorted_order
from autovec.embeddings.local.clip_encoder import ClipEncoder
from autovec.embeddings.local.encoders import ImageTextEncoder, TextEncoder
from autovec.embeddings.local.image_models import image_text_model
from autovec.embeddings.local.locate import INSTALL_HINT, model_name
from autovec.embeddings.local.runtime import LOADS_LOGGER, PendingExport, choose_encoder
from autovec.embeddings.local.torch_encoder import TorchEncoder, quiet_transformers

__all__ = ["LoadedModel", "device_turn", "load_model"]

log = logging.getLogger("autovec.embeddings")
_loads = logging.getLogger(LOADS_LOGGER)  # one record per model loaded


@dataclass
class LoadedModel:
    """One loaded model, shared process-wide: its runtime and the lock on its passes.

    A model loaded on torch while its ONNX export was being made (``pending``) moves to
    the export at its first call after the export is done; the two agree to within
    1e-6 (the export is verified against torch before it is cached).
    """

    path: Path
    encoder: TextEncoder
    pending: PendingExport | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def dimensions(self) -> int:
        return self.encoder.dimensions

    @property
    def max_seq_length(self) -> int | None:
        return self.encoder.max_seq_length

    def longest_first(self, texts: Sequence[str]) -> np.ndarray:
        """Indices of ``texts`` by token count, most first (how a call is cut into chunks)."""
        with self.lock:  # a tokenizer is not to be used by two threads at once
            return token_sorted_order(self.encoder, texts)

    def encode(
        self,
        texts: list[str],
        *,
        prompt: str | None,
        prompt_name: str | None,
        normalize: bool,
        batch_size: int,
    ) -> np.ndarray:
        """Embed in token-sorted batches under the model's lock (one pass at a time)."""
        if not prompt and prompt_name:
            if prompt_name not in self.encoder.prompts:
                raise InvalidOptionsError(
                    f"prompt_name '{prompt_name}' is not defined by model {self.path.name}"
                )
            prompt = self.encoder.prompts[prompt_name]
        if self.pending is not None:
            self._move_to_export()
        encoder, texts = _prompted(self.encoder, texts, prompt)
        return encode_sorted(
            encoder, texts, batch_size=batch_size, normalize=normalize, turn=self._turn
        )

    @property
    def embeds_images(self) -> bool:
        """Whether the model embeds images as well as text (a CLIP-family model)."""
        return isinstance(self.encoder, ImageTextEncoder)

    def encode_images(
        self, images: Sequence[ImageInput], *, normalize: bool, batch_size: int
    ) -> np.ndarray:
        """Embed ``data:`` URI images in batches, each pass under the model's lock."""
        encoder = self.encoder
        if not isinstance(encoder, ImageTextEncoder):
            raise UnsupportedInputError(f"model {model_name(self.path)} embeds text only")
        return encode_images(
            encoder, images, batch_size=batch_size, normalize=normalize, turn=self._turn
        )

    @contextmanager
    def _turn(self) -> Iterator[None]:
        """One use of the model: this process's lock on it, then the machine's turn."""
        with self.lock, device_turn(_device()):
            yield

    def _move_to_export(self) -> None:
        """Run on the ONNX export from now on, if the pending one is done and good."""
        with self.lock:
            pending = self.pending
            if pending is None or not pending.finished():
                return
            self.pending = None
            onnx = pending.encoder()
            if onnx is None or onnx.dimensions != self.encoder.dimensions:
                return
            self.encoder = onnx
        log.info("embedding model %s moved to its ONNX export", model_name(self.path))


@runtime_checkable
class _PromptBinding(Protocol):
    """A runtime that takes the prompt apart from the text (to leave it out of pooling)."""

    def with_prompt(self, prompt: str) -> TextEncoder: ...


def _prompted(
    encoder: TextEncoder, texts: list[str], prompt: str | None
) -> tuple[TextEncoder, list[str]]:
    """The encoder and texts that embed ``texts`` with ``prompt`` before each."""
    if not prompt:
        return encoder, texts
    if isinstance(encoder, _PromptBinding):
        return encoder.with_prompt(prompt), texts
    return encoder, [prompt + text for text in texts]  # as sentence-transformers prepends


@contextmanager
def device_turn(device: str) -> Iterator[None]:
    """Hold this machine's turn on ``device`` for one forward pass, across processes.

    Each process's torch uses every core; several processes encoding at once oversubscribe
    them and finish later together than in turn (measured by bench/concurrency.py). An
    advisory lock file serialises the passes; where it cannot be opened, no turn is kept.
    """
    path = os.path.join(tempfile.gettempdir(), f"autovec-{device.replace(':', '-')}.lock")
    try:
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError:
        yield
        return
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # releases the lock


#: Keyed by (model directory, device, quantize mode or "").
_models: dict[tuple[str, str, str], LoadedModel] = {}
_models_lock = threading.Lock()


def _device() -> str:
    return os.environ.get("AUTOVEC_EMBED_DEVICE", "cpu")


def load_model(
    path: Path,
    *,
    max_seq_length: int | None = None,
    model_cache: Path | None = None,
    quantize: str | None = None,
    name: str | None = None,
) -> LoadedModel:
    """The process-wide instance of the model at ``path``, loading it on first use.

    A verified ONNX export cached under ``model_cache`` runs it without torch; else torch
    does (exporting it for next time). ``quantize="int8"`` loads its int8 form instead, a
    separate instance. ``name`` is what the caller called the model, for the log line.
    """
    key = (str(path), _device(), quantize or "")
    with _models_lock:
        loaded = _models.get(key)
        if loaded is not None:
            return loaded

        def torch_encoder() -> TextEncoder:
            try:
                return TorchEncoder(path, key[1], max_seq_length)
            except ImportError:
                raise ModelNotAvailableError(
                    f"running local models needs sentence-transformers and torch: {INSTALL_HINT}"
                ) from None

        clip = image_text_model(path)
        pending: PendingExport | None = None
        if clip is not None:
            # No ONNX export for the two towers: a CLIP-family model always runs on torch.
            if quantize:
                raise ModelNotAvailableError(
                    f"quantize '{quantize}' is for text models run by ONNX Runtime; "
                    f"image-and-text model {model_name(path)} runs on torch only"
                )
            quiet_transformers()
            try:
                encoder: TextEncoder = ClipEncoder(path, clip, key[1], max_seq_length)
            except ImportError as exc:  # SigLIP's SentencePiece tokenizer, say
                raise ModelNotAvailableError(
                    f"running local image model {model_name(path)} needs transformers, torch "
                    f"and Pillow ({INSTALL_HINT}): {exc}"
                ) from None
            except (OSError, ValueError) as exc:  # a file missing or unreadable
                raise ModelNotAvailableError(
                    f"image model {model_name(path)} at {path} cannot be loaded: {exc}"
                ) from None
            _loads.info(
                "embedding model %s loaded: torch runtime (text and images), %d dimensions, "
                "max %s tokens",
                name or model_name(path),
                encoder.dimensions,
                encoder.max_seq_length,
            )
        else:
            encoder, pending = choose_encoder(
                path,
                max_seq_length=max_seq_length,
                model_cache=model_cache,
                quantize=quantize,
                torch_encoder=torch_encoder,
                name=name,
            )
        if not encoder.dimensions:
            raise ModelNotAvailableError(f"model at {path} does not declare its output size")
        loaded = LoadedModel(path, encoder, pending)
        _models[key] = loaded
        return loaded
