"""Which runtime runs a local model: a cached ONNX export when there is one, else torch.

A process that finds a verified export (and onnxruntime) never imports torch. One that
does not runs the model with torch and, when torch can export it, exports it in a child
process, so the next process starts on ONNX; the statement that loaded the model does not
wait for the export (measured: the export and its verification take several seconds of
CPU for MiniLM, more than the first INSERT's own work). Once the child is done, this
process switches to the export too (:class:`PendingExport`): a text query then costs
about a third of what it costs through sentence-transformers (bench/local_speed.py).

``$AUTOVEC_ONNX=off`` keeps every model on torch and exports nothing (the test suite
sets it: each test's fresh data directory would otherwise export the model again).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from autovec.embeddings.errors import ModelNotAvailableError
from autovec.embeddings.local.encoders import TextEncoder
from autovec.embeddings.local.locate import model_name
from autovec.embeddings.local.onnx_encoder import OnnxEncoder
from autovec.embeddings.local.onnx_export import (
    QUANTIZE_MODES,
    cached_export,
    default_model_cache,
    export_failed,
    export_model,
    quantize_export,
)

__all__ = [
    "LOADS_LOGGER",
    "ONNX_ENV",
    "PendingExport",
    "cached_onnx_encoder",
    "choose_encoder",
    "export_in_background",
    "onnx_enabled",
    "onnx_installed",
    "quantized_encoder",
]

log = logging.getLogger("autovec.embeddings")
#: One INFO record per model loaded (name, runtime, size), on a logger of its own so that
#: an application (the shell) can show these and no other INFO records.
LOADS_LOGGER = "autovec.embeddings.loads"
_loads = logging.getLogger(LOADS_LOGGER)

ONNX_ENV = "AUTOVEC_ONNX"
ONNX_INSTALL_HINT = "pip install 'autovec[local]' (onnxruntime, tokenizers)"

_exports: dict[tuple[str, str], subprocess.Popen[bytes]] = {}
_exports_lock = threading.Lock()


def onnx_enabled() -> bool:
    """Whether ONNX exports may be used and made (``$AUTOVEC_ONNX`` is not ``off``)."""
    return os.environ.get(ONNX_ENV, "auto").strip().lower() not in ("off", "0", "false", "no")


def onnx_installed() -> bool:
    """onnxruntime and tokenizers are importable (checked without importing them)."""
    return all(importlib.util.find_spec(m) is not None for m in ("onnxruntime", "tokenizers"))


def _torch_installed() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("torch", "sentence_transformers"))


@dataclass
class PendingExport:
    """An export running in a child process, which a torch-loaded model moves to when done."""

    path: Path
    cache_dir: Path
    max_seq_length: int | None
    child: subprocess.Popen[bytes]

    def finished(self) -> bool:
        return self.child.poll() is not None  # reaps the child once it has exited

    def encoder(self) -> OnnxEncoder | None:
        """The finished export's ONNX encoder; None if it failed or cannot be loaded."""
        if self.child.returncode != 0:
            return None
        try:
            return cached_onnx_encoder(
                self.path, self.cache_dir, max_seq_length=self.max_seq_length
            )
        except Exception as exc:  # torch keeps serving the model
            log.warning(
                "the new ONNX export of %s is unusable (%s); staying on torch", self.path, exc
            )
            return None


def choose_encoder(
    path: Path,
    *,
    max_seq_length: int | None,
    model_cache: Path | None,
    quantize: str | None,
    torch_encoder: Callable[[], TextEncoder],
    name: str | None = None,
) -> tuple[TextEncoder, PendingExport | None]:
    """The runtime for ``path`` (its int8 form if asked, a cached export, else torch).

    ``torch_encoder`` builds the torch runtime (raising ImportError without torch); it is
    called only when no export can serve, and then an export is started in the background:
    the second value, when there is one. The load is logged on :data:`LOADS_LOGGER` under
    ``name`` (else the directory's name).
    """
    cache_dir = model_cache or default_model_cache()
    pending: PendingExport | None = None
    if quantize:
        encoder: TextEncoder = quantized_encoder(
            path, cache_dir, quantize=quantize, max_seq_length=max_seq_length
        )
    else:
        onnx = None
        try:
            onnx = cached_onnx_encoder(path, cache_dir, max_seq_length=max_seq_length)
        except Exception as exc:  # an unreadable export: torch still serves the model
            log.warning("cached ONNX export of %s is unusable (%s); using torch", path, exc)
        if onnx is not None:
            encoder = onnx
        else:
            encoder = torch_encoder()
            child = export_in_background(path, cache_dir)
            if child is not None:
                pending = PendingExport(path, cache_dir, max_seq_length, child)
    _loads.info(
        "embedding model %s loaded: %s runtime, %d dimensions, max %s tokens",
        name or model_name(path),
        encoder.runtime,
        encoder.dimensions,
        encoder.max_seq_length,
    )
    return encoder, pending


def cached_onnx_encoder(
    path: Path, cache_dir: Path, *, max_seq_length: int | None
) -> OnnxEncoder | None:
    """The fp32 ONNX encoder of ``path`` when a verified export is cached, else None."""
    if not onnx_enabled() or not onnx_installed():
        return None
    onnx_path = cached_export(path, cache_dir)
    if onnx_path is None:
        return None
    return OnnxEncoder(path, onnx_path, max_seq_length=max_seq_length, runtime="onnx")


def export_in_background(path: Path, cache_dir: Path) -> subprocess.Popen[bytes] | None:
    """Start exporting ``path`` in a child process (once per process and cache).

    A process, not a thread: this process may exit at any time (a one-off script, the
    shell), and torch aborts the interpreter if a thread is still tracing then; the child
    finishes the export for the next process, at low priority, without this one's GIL.
    None when there is nothing to do.
    """
    if not onnx_enabled() or not onnx_installed() or not _torch_installed():
        return None
    if export_failed(path, cache_dir) or cached_export(path, cache_dir) is not None:
        return None
    key = (str(path), str(cache_dir))
    with _exports_lock:
        running = _exports.get(key)
        if running is not None:
            running.poll()  # reaps it once done
            return running
        command = [sys.executable, "-m", "autovec.embeddings.local.onnx_export", str(path)]
        try:
            child = subprocess.Popen(
                [*command, str(cache_dir)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # not killed with this process's terminal
                # One core's idle time, not both: the statement that started it is running.
                env={**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"},
            )
        except OSError as exc:  # no export, nothing worse: torch keeps serving the model
            log.warning("could not start the ONNX export of %s: %s", path, exc)
            return None
        _exports[key] = child
        return child


def quantized_encoder(
    path: Path, cache_dir: Path, *, quantize: str, max_seq_length: int | None
) -> OnnxEncoder:
    """The int8 ONNX encoder of ``path``, exporting (with torch) and quantizing once."""
    if quantize not in QUANTIZE_MODES:
        raise ModelNotAvailableError(
            f"unknown quantize mode '{quantize}'; the modes are: {', '.join(sorted(QUANTIZE_MODES))}"
        )
    if not onnx_installed():
        raise ModelNotAvailableError(
            f"quantize '{quantize}' runs the model with ONNX Runtime, which is not installed: "
            f"{ONNX_INSTALL_HINT}"
        )
    if not onnx_enabled():
        raise ModelNotAvailableError(
            f"quantize '{quantize}' needs an ONNX export, and ${ONNX_ENV}=off forbids them"
        )
    if cached_export(path, cache_dir) is None:
        if not _torch_installed() or export_failed(path, cache_dir):
            raise ModelNotAvailableError(
                f"quantize '{quantize}' needs a verified ONNX export of model {path.name}, and "
                "there is none: exporting needs torch and sentence-transformers, and a model "
                "whose export failed verification cannot be quantized"
            )
        if export_model(path, cache_dir) is None:
            raise ModelNotAvailableError(
                f"quantize '{quantize}': the ONNX export of model {path.name} failed "
                "verification against torch, so there is nothing to quantize"
            )
    onnx_path = quantize_export(path, cache_dir)
    if onnx_path is None:
        raise ModelNotAvailableError(f"could not quantize the ONNX export of model {path.name}")
    return OnnxEncoder(path, onnx_path, max_seq_length=max_seq_length, runtime="onnx-int8")
