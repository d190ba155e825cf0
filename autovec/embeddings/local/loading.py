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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from autovec.embeddings.errors import InvalidOptionsError, ModelNotAvailableError
from autovec.embeddings.local.locate import INSTALL_HINT

__all__ = ["LoadedModel", "device_turn", "load_model"]

log = logging.getLogger("autovec.embeddings")


@dataclass
class LoadedModel:
    """One loaded sentence-transformers model, shared process-wide."""

    path: Path
    model: Any
    dimensions: int
    max_seq_length: int | None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def encode(
        self,
        texts: list[str],
        *,
        prompt: str | None,
        prompt_name: str | None,
        normalize: bool,
        batch_size: int,
    ) -> np.ndarray:
        """Embed under the model's lock (one forward pass at a time per model)."""
        kwargs: dict[str, Any] = {
            "batch_size": batch_size,
            "convert_to_numpy": True,
            "normalize_embeddings": normalize,
            "show_progress_bar": False,
        }
        if prompt:
            kwargs["prompt"] = prompt
        elif prompt_name:
            kwargs["prompt_name"] = prompt_name
        with self.lock, device_turn(_device()):
            try:
                out = self.model.encode(texts, **kwargs)
            except ValueError as exc:
                if prompt_name and "prompt" in str(exc).lower():
                    raise InvalidOptionsError(
                        f"prompt_name '{prompt_name}' is not defined by model {self.path.name}"
                    ) from None
                raise
        return np.asarray(out, dtype=np.float32)


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


_models: dict[tuple[str, str], LoadedModel] = {}
_models_lock = threading.Lock()


def _device() -> str:
    return os.environ.get("AUTOVEC_EMBED_DEVICE", "cpu")


def load_model(path: Path, *, max_seq_length: int | None = None) -> LoadedModel:
    """The process-wide instance of the model at ``path``, loading it on first use."""
    key = (str(path), _device())
    with _models_lock:
        loaded = _models.get(key)
        if loaded is not None:
            return loaded
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise ModelNotAvailableError(
                f"running local models needs sentence-transformers and torch: {INSTALL_HINT}"
            ) from None
        _quiet_transformers()
        log.info("loading embedding model from %s", path)
        model = SentenceTransformer(str(path), device=key[1], local_files_only=True)
        limit = getattr(model, "max_seq_length", None)
        if max_seq_length and (limit is None or limit > max_seq_length):
            model.max_seq_length = max_seq_length
            limit = max_seq_length
        get_dim = getattr(model, "get_embedding_dimension", None)
        if get_dim is None:  # sentence-transformers < 5
            get_dim = model.get_sentence_embedding_dimension
        dims = get_dim()
        if not dims:
            raise ModelNotAvailableError(f"model at {path} does not declare its output size")
        loaded = LoadedModel(path, model, int(dims), limit)
        _models[key] = loaded
        return loaded


def _quiet_transformers() -> None:
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    except Exception:  # pragma: no cover - cosmetic only
        pass
