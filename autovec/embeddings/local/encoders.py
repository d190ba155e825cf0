"""What a loaded model's runtime offers: the one interface torch and ONNX Runtime share.

A CLIP-family model offers images besides (:class:`ImageTextEncoder`): both towers end
in the same space, so a text query finds images and an image finds its look-alikes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from autovec.embeddings.inputs import ImageInput

__all__ = ["ImageTextEncoder", "TextEncoder"]


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


@runtime_checkable
class ImageTextEncoder(TextEncoder, Protocol):
    """A text encoder whose model also embeds images into the same space (CLIP, SigLIP).

    An image is embedded in two steps so that decoding and resizing (CPU work that needs
    no model) are done outside the model's turn: :meth:`pixel_values`, then
    :meth:`encode_pixels`; :meth:`encode_images` is the two together.
    """

    def pixel_values(self, images: Sequence[ImageInput]) -> np.ndarray:
        """``data:`` URI images decoded and preprocessed as the model's processor config
        says: float32 (len, channels, height, width)."""
        ...

    def encode_pixels(self, pixels: np.ndarray) -> np.ndarray:
        """ONE forward pass of the vision tower: float32 (len, dims), not normalised
        (the model's own Normalize module, if it has one, is included)."""
        ...

    def encode_images(self, images: Sequence[ImageInput]) -> np.ndarray:
        """``encode_pixels(pixel_values(images))``."""
        ...
