"""What a loaded model's runtime offers: the one interface torch and ONNX Runtime share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np

__all__ = ["TextEncoder"]


class TextEncoder(Protocol):
    """One loaded model's forward pass: texts in, one row per text."""

    #: "torch" or "onnx" (or "onnx-int8").
    runtime: str
    dimensions: int
    max_seq_length: int | None
    #: The model's named prompts (config_sentence_transformers.json).
    prompts: Mapping[str, str]

    def token_counts(self, texts: Sequence[str]) -> np.ndarray:
        """Tokens each text becomes (after truncation, special tokens included), int64."""
        ...

    def encode_batch(self, texts: Sequence[str]) -> np.ndarray:
        """ONE forward pass padded to its longest text: float32 (len, dims), not normalised.

        The model's own Normalize module, if it has one, is included.
        """
        ...
