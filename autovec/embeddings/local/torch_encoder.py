"""The torch runtime: one SentenceTransformer's forward pass, batch by batch.

sentence-transformers' own ``encode`` sorts its inputs by character count, which pads
batches with a third more tokens than they hold; here the caller
(:func:`~autovec.embeddings.local.batching.encode_sorted`) chooses the batches and this
runs each one exactly as ``encode`` runs its batches (``preprocess``, then the modules,
under ``torch.inference_mode``), so the rows are the same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["TorchEncoder", "quiet_transformers"]


def quiet_transformers() -> None:
    """No progress bars or advice from transformers on stderr while a model loads."""
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    except Exception:  # pragma: no cover - cosmetic only
        pass


class TorchEncoder:
    """A SentenceTransformer loaded from ``path`` onto ``device`` (torch imported here)."""

    runtime = "torch"

    def __init__(self, path: Path, device: str, max_seq_length: int | None) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        quiet_transformers()
        self._torch = torch
        self.model: Any = SentenceTransformer(str(path), device=device, local_files_only=True)
        self.model.eval()
        limit = getattr(self.model, "max_seq_length", None)
        if max_seq_length and (limit is None or limit > max_seq_length):
            self.model.max_seq_length = max_seq_length
            limit = max_seq_length
        self.max_seq_length: int | None = limit
        get_dim = getattr(self.model, "get_embedding_dimension", None)
        if get_dim is None:  # sentence-transformers < 5
            get_dim = self.model.get_sentence_embedding_dimension
        self.dimensions: int = int(get_dim() or 0)
        self.prompts: Mapping[str, str] = dict(getattr(self.model, "prompts", None) or {})
        self._prompt: str | None = None

    def with_prompt(self, prompt: str) -> TorchEncoder:
        """This model with ``prompt`` handed to sentence-transformers with every text.

        Passing the prompt (rather than prepending it) keeps ``prompt_length``, which a
        Pooling module that excludes the prompt's tokens needs.
        """
        bound = object.__new__(TorchEncoder)
        bound.__dict__.update(self.__dict__)
        bound._prompt = prompt
        return bound

    def token_counts(self, texts: Sequence[str]) -> np.ndarray:
        """Tokens of each (prompted) text, truncated and with special tokens, as passes see."""
        if not texts:
            return np.zeros(0, dtype=np.int64)
        prompted = [self._prompt + t for t in texts] if self._prompt else list(texts)
        tokenized = self.model.tokenizer(
            prompted,
            truncation=self.max_seq_length is not None,
            max_length=self.max_seq_length,
            return_attention_mask=False,
            return_token_type_ids=False,
        )
        return np.fromiter((len(ids) for ids in tokenized["input_ids"]), np.int64, len(prompted))

    def encode_batch(self, texts: Sequence[str]) -> np.ndarray:
        """One forward pass over ``texts``, padded to the longest: float32 rows."""
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        with self._torch.inference_mode():
            features = self.model.preprocess(list(texts), prompt=self._prompt)
            features = _to_device(features, self.model.device)
            embeddings = self.model(features)["sentence_embedding"]
            return np.asarray(embeddings.float().cpu().numpy(), dtype=np.float32)


def _to_device(features: dict[str, Any], device: Any) -> dict[str, Any]:
    return {k: v.to(device) if hasattr(v, "to") else v for k, v in features.items()}
