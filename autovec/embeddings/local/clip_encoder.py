"""The torch runtime of a CLIP-family model: texts and images into one space.

The model is run with transformers directly (``get_text_features`` /
``get_image_features``), which is what sentence-transformers' CLIP module runs too, so
a ``clip-ViT-B-32`` directory gives the vectors sentence-transformers gives. Images are
decoded with Pillow and preprocessed by the model's own image processor
(``preprocessor_config.json``: resize, crop, rescale, mean/std), always with the Pillow
backend so that the pixels do not depend on whether torchvision is installed. Texts
are truncated to the text tower's positions; SigLIP's are padded to them, as it was
trained. torch, transformers and PIL are imported when a model is loaded.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from autovec.embeddings.errors import UnsupportedInputError
from autovec.embeddings.inputs import ImageInput
from autovec.embeddings.local.image_models import ImageTextModel

__all__ = ["ClipEncoder", "decode_image"]


class ClipEncoder:
    """The CLIP-family model at ``root`` (described by ``info``) loaded onto ``device``."""

    runtime = "torch"

    def __init__(
        self, root: Path, info: ImageTextModel, device: str, max_seq_length: int | None
    ) -> None:
        import torch
        from transformers import AutoImageProcessor, AutoModel, AutoTokenizer

        self._torch = torch
        self.info = info
        weights = str(info.weights)
        self.model: Any = AutoModel.from_pretrained(weights, local_files_only=True).to(device)
        self.model.eval()
        self.tokenizer: Any = AutoTokenizer.from_pretrained(weights, local_files_only=True)
        self.processor: Any = AutoImageProcessor.from_pretrained(
            weights, local_files_only=True, backend="pil"
        )
        self.device = device
        self.dimensions: int = info.dimensions
        limit = info.max_positions
        self.max_seq_length: int | None = min(limit, max_seq_length or limit)
        self.prompts: Mapping[str, str] = _prompts(root)
        self._siglip = info.model_type != "clip"

    def _tokenize(self, texts: Sequence[str], **kwargs: Any) -> Any:
        return self.tokenizer(
            list(texts), truncation=True, max_length=self.max_seq_length, **kwargs
        )

    def token_counts(self, texts: Sequence[str]) -> np.ndarray:
        """Tokens of each text after truncation, special tokens included."""
        if not texts:
            return np.zeros(0, dtype=np.int64)
        ids = self._tokenize(texts, return_attention_mask=False)["input_ids"]
        return np.fromiter((len(row) for row in ids), np.int64, len(texts))

    def encode_batch(self, texts: Sequence[str]) -> np.ndarray:
        """One pass of the text tower over ``texts``: float32 rows."""
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        # CLIP pools at the end-of-text token under a causal mask: the padding after it
        # changes nothing. SigLIP was trained on texts padded to full length, unmasked.
        padding = "max_length" if self._siglip else True
        features = self._tokenize(texts, padding=padding, return_tensors="pt")
        names = ("input_ids",) if self._siglip else ("input_ids", "attention_mask")
        inputs = {k: features[k].to(self.device) for k in names if k in features}
        with self._torch.inference_mode():
            return self._rows(self.model.get_text_features(**inputs))

    def pixel_values(self, images: Sequence[ImageInput]) -> np.ndarray:
        """The images decoded and preprocessed: float32 (len, 3, height, width)."""
        decoded = [decode_image(image) for image in images]
        pixels = self.processor(images=decoded, return_tensors="np")["pixel_values"]
        return np.ascontiguousarray(pixels, dtype=np.float32)

    def encode_pixels(self, pixels: np.ndarray) -> np.ndarray:
        """One pass of the vision tower over preprocessed pixels: float32 rows."""
        if len(pixels) == 0:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        tensor = self._torch.from_numpy(np.ascontiguousarray(pixels)).to(self.device)
        with self._torch.inference_mode():
            return self._rows(self.model.get_image_features(pixel_values=tensor))

    def encode_images(self, images: Sequence[ImageInput]) -> np.ndarray:
        """``encode_pixels(pixel_values(images))``."""
        if not images:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        return self.encode_pixels(self.pixel_values(images))

    def _rows(self, output: Any) -> np.ndarray:
        # transformers 5 returns the projected features as pooler_output; 4 a tensor.
        tensor = getattr(output, "pooler_output", output)
        if self.info.normalized:
            tensor = self._torch.nn.functional.normalize(tensor, p=2, dim=1)
        return np.asarray(tensor.float().cpu().numpy(), dtype=np.float32)


def _prompts(root: Path) -> Mapping[str, str]:
    """The named prompts of a sentence-transformers directory (none for transformers')."""
    try:
        config = json.loads((root / "config_sentence_transformers.json").read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    prompts = config.get("prompts") if isinstance(config, dict) else None
    if not isinstance(prompts, dict):
        return {}
    return {str(k): str(v) for k, v in prompts.items()}


def decode_image(image: ImageInput) -> Any:
    """A ``data:`` URI image as an RGB ``PIL.Image``; a clear error for anything else."""
    from PIL import Image

    if image.is_url:
        raise UnsupportedInputError(
            f"a local model embeds images given as data, not URLs: {image.uri[:80]!r} "
            "(the database and the SDK fetch image URLs before a local model sees them)"
        )
    mime = image.mime or ""
    if not image.uri.startswith("data:") or not mime.startswith("image/"):
        raise UnsupportedInputError(
            f"not an image: a data URI of type {mime or 'unknown'!r} ({image!r})"
        )
    try:
        data = base64.b64decode(image.base64_data, validate=True)
    except (binascii.Error, ValueError, IndexError):  # no payload after the comma
        raise UnsupportedInputError(f"image data URI is not valid base64 ({image!r})") from None
    try:
        with Image.open(io.BytesIO(data)) as opened:
            opened.load()  # decodes now: truncated or corrupt data fails here, not later
            return opened.convert("RGB")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise UnsupportedInputError(
            f"image data cannot be decoded as {mime} ({len(data)} bytes): {exc}"
        ) from None
