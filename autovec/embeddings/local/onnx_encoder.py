"""A sentence-transformers model run by ONNX Runtime: no torch, no transformers.

The graph is the one :mod:`autovec.embeddings.local.onnx_export` wrote (the model's whole
``sentence_embedding`` forward: transformer, pooling, dense, normalize). Texts are
tokenized here with the ``tokenizers`` library from the model's own ``tokenizer.json``,
truncated to the model's ``max_seq_length`` and padded to the longest text of each batch,
as sentence-transformers does. Importing this module imports neither onnxruntime nor
tokenizers; building an encoder does.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import onnxruntime
    from tokenizers import Tokenizer

__all__ = ["OnnxEncoder", "model_max_seq_length", "model_prompts", "physical_cores"]


def physical_cores() -> int:
    """Cores, not hardware threads: ORT's intra-op pool is fastest at one thread per core.

    Read from /proc/cpuinfo's (physical id, core id) pairs; where that is unavailable, the
    CPUs this process may run on.
    """
    try:
        pairs: set[tuple[str, str]] = set()
        physical = core = ""
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as handle:
            for line in handle:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "physical id":
                    physical = value.strip()
                elif key == "core id":
                    core = value.strip()
                    pairs.add((physical, core))
        if pairs:
            return max(1, min(len(pairs), len(os.sched_getaffinity(0))))
    except (OSError, AttributeError):
        pass
    return max(1, os.cpu_count() or 1)


def _read_json(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def model_max_seq_length(model_dir: Path) -> int | None:
    """The model's own input limit, read as sentence-transformers reads it.

    ``sentence_bert_config.json``'s ``max_seq_length`` (older saves), else the tokenizer's
    ``model_max_length`` (sentence-transformers 5+ saves it there), else the positions the
    transformer has.
    """
    value = _read_json(model_dir / "sentence_bert_config.json").get("max_seq_length")
    if isinstance(value, int) and value > 0:
        return value
    value = _read_json(model_dir / "tokenizer_config.json").get("model_max_length")
    if isinstance(value, int) and 0 < value < 1_000_000:  # transformers' "no limit" is 1e30
        return value
    value = _read_json(model_dir / "config.json").get("max_position_embeddings")
    return value if isinstance(value, int) and value > 0 else None


def model_prompts(model_dir: Path) -> dict[str, str]:
    """The named prompts of ``config_sentence_transformers.json``."""
    prompts = _read_json(model_dir / "config_sentence_transformers.json").get("prompts")
    if not isinstance(prompts, dict):
        return {}
    return {str(k): v for k, v in prompts.items() if isinstance(v, str)}


def _load_tokenizer(model_dir: Path, max_seq_length: int | None, *, pad: bool) -> Tokenizer:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    # tokenizer.json often carries a fixed padding/truncation of its own (MiniLM's pads
    # every text to 128): sentence-transformers pads to each batch's longest and truncates
    # at max_seq_length, so replace both.
    padding = tokenizer.padding or {}
    pad_token = str(padding.get("pad_token") or "[PAD]")
    pad_id = padding.get("pad_id")
    if not isinstance(pad_id, int):
        pad_id = tokenizer.token_to_id(pad_token) or 0
    tokenizer.no_padding()
    tokenizer.no_truncation()
    if max_seq_length:
        tokenizer.enable_truncation(max_length=max_seq_length)
    if pad:
        tokenizer.enable_padding(pad_id=pad_id, pad_token=pad_token)
    return tokenizer


def _session(onnx_path: Path, threads: int | None) -> onnxruntime.InferenceSession:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads or physical_cores()
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # warnings about unused initializers are noise here
    # Idle pool threads sleep rather than spin: a text query's pass is followed at once by
    # numpy's matrix product, and spinning threads fight it for the cores (measured on 2
    # cores: embed + top-k 24 -> 14 ms a query; batches of 32 lose 3-5%).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(
        str(onnx_path), sess_options=options, providers=["CPUExecutionProvider"]
    )


class OnnxEncoder:
    """One exported model's forward pass under ONNX Runtime (a :class:`TextEncoder`).

    One InferenceSession per encoder, made once; ``run`` is safe from several threads, but
    callers take turns anyway (the model's lock), since one pass already uses every core.
    """

    def __init__(
        self,
        model_dir: Path,
        onnx_path: Path,
        *,
        max_seq_length: int | None = None,
        runtime: str = "onnx",
        threads: int | None = None,
    ) -> None:
        native = model_max_seq_length(model_dir)
        if max_seq_length and (native is None or native > max_seq_length):
            native = max_seq_length
        self.runtime = runtime
        self.max_seq_length: int | None = native
        self.prompts: Mapping[str, str] = model_prompts(model_dir)
        self.onnx_path = onnx_path
        self._tokenizer = _load_tokenizer(model_dir, native, pad=True)
        # A second, unpadded copy for counting: toggling one tokenizer's padding would race
        # with a forward pass in another thread.
        self._counter = _load_tokenizer(model_dir, native, pad=False)
        self._session = _session(onnx_path, threads)
        self._input_names = [item.name for item in self._session.get_inputs()]
        output = self._session.get_outputs()[0]
        self._output_name = output.name
        dims = output.shape[-1] if output.shape else None
        self.dimensions = (
            int(dims) if isinstance(dims, int) else int(self.encode_batch(["a"]).shape[1])
        )

    def token_counts(self, texts: Sequence[str]) -> np.ndarray:
        """Tokens each text becomes after truncation, special tokens included."""
        encodings = self._counter.encode_batch(list(texts), add_special_tokens=True)
        return np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(texts))

    def encode_batch(self, texts: Sequence[str]) -> np.ndarray:
        """One forward pass over ``texts`` padded to the longest; float32 (len, dims)."""
        if not texts:
            return np.zeros((0, getattr(self, "dimensions", 0)), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(list(texts), add_special_tokens=True)
        feeds: dict[str, np.ndarray] = {}
        for name in self._input_names:
            if name == "input_ids":
                feeds[name] = np.array([e.ids for e in encodings], dtype=np.int64)
            elif name == "attention_mask":
                feeds[name] = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            elif name == "token_type_ids":
                feeds[name] = np.array([e.type_ids for e in encodings], dtype=np.int64)
            else:
                raise ValueError(f"{self.onnx_path}: unexpected model input '{name}'")
        (out,) = self._session.run([self._output_name], feeds)
        return np.ascontiguousarray(out, dtype=np.float32)
