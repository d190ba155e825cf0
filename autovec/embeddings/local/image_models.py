"""Which local model directories embed images as well as text, read from their files.

Two layouts are recognised, both read without importing torch:

* a transformers ``CLIPModel`` / ``SiglipModel`` directory (``config.json`` with
  ``model_type`` ``clip``, ``siglip`` or ``siglip2``), as ``openai/clip-vit-base-patch32``
  is published;
* a sentence-transformers directory whose first module is such a model (the legacy
  ``sentence_transformers.models.CLIPModel`` in ``0_CLIPModel/``, as
  ``sentence-transformers/clip-ViT-B-32`` is published, or the newer ``Transformer``
  module), optionally followed by a ``Normalize`` module, and nothing else.

Anything else is a text model and runs as before.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

__all__ = ["IMAGE_TEXT_MODEL_TYPES", "ImageTextModel", "image_text_model"]

#: transformers ``model_type``s with a text tower and a vision tower in one space.
IMAGE_TEXT_MODEL_TYPES = frozenset({"clip", "siglip", "siglip2"})


@dataclass(frozen=True)
class ImageTextModel:
    """What a CLIP-family directory declares about itself."""

    #: The transformers directory (the CLIP module's folder in the sentence-transformers layout).
    weights: Path
    model_type: str
    #: The shared embedding size (``projection_dim``; SigLIP: the text tower's output).
    dimensions: int
    #: Tokens a text is truncated to (the text tower's position embeddings).
    max_positions: int
    #: A sentence-transformers ``Normalize`` module follows the model: rows always unit length.
    normalized: bool


def _json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _int(value: object, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _from_config(weights: Path, *, normalized: bool) -> ImageTextModel | None:
    config = _json(weights / "config.json")
    if not isinstance(config, dict) or config.get("model_type") not in IMAGE_TEXT_MODEL_TYPES:
        return None
    text = config.get("text_config")
    text = text if isinstance(text, dict) else {}
    model_type = str(config["model_type"])
    if model_type == "clip":
        # transformers' CLIPConfig defaults, for configs that leave them out.
        dimensions = _int(config.get("projection_dim"), 512)
        positions = _int(text.get("max_position_embeddings"), 77)
    else:
        hidden = _int(text.get("hidden_size"), 768)
        dimensions = _int(text.get("projection_size"), hidden)
        positions = _int(text.get("max_position_embeddings"), 64)
    return ImageTextModel(weights, model_type, dimensions, positions, normalized)


def image_text_model(path: Path) -> ImageTextModel | None:
    """The CLIP-family model at ``path``, or None when it is not one (or not readable)."""
    modules = _json(path / "modules.json")
    if not isinstance(modules, list) or not modules:
        return _from_config(path, normalized=False)
    entries = [m for m in modules if isinstance(m, dict)]
    if len(entries) != len(modules):
        return None
    types = [str(m.get("type", "")) for m in entries]
    # Any other module (pooling, dense...) changes the vectors: not ours to run.
    if any(not t.endswith("Normalize") for t in types[1:]):
        return None
    first = str(entries[0].get("path", "") or "")
    return _from_config(path / first if first else path, normalized=len(types) > 1)
