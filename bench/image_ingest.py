"""Ingest throughput of an EMBED_IMAGE column, against the embedding work alone.

500 distinct 256×256 PNG pictures (Pillow: a shape of one colour on a background of
another, each pair, shape, size and place different) reach the database as a user's
gallery usually does: as URLs, served by a loopback image server (allowed through the
test-only ``autovec_image_allow_private_hosts``). ``--source blob`` stores the bytes in a
``LONGBLOB`` column instead.

- ``remote_ratio``: images/s of INSERTing them into a ``VECTOR(1152)`` column
  ``EMBED_IMAGE('dashscope/tongyi-embedding-vision-plus', src)`` against the DashScope mock
  (native multimodal API, at most 8 images a request) answering each request after
  100 ms, divided by the ideal 8 concurrent requests × 8 images / 0.1 s. Target ≥ 0.8.
- ``local_ratio``: images/s of the same INSERT into ``EMBED_IMAGE('local/<dir>', src)``
  with the tiny random CLIP of tests/embeddings/tiny_models.py, divided by images/s of
  that model's own image encoding called directly on the same PNG bytes (Pillow decode,
  the model's ``CLIPImageProcessor``, ``get_image_features`` in batches of 32). Target ≥
  0.9. The tiny model's forward pass costs little, so this ratio measures what the
  database adds around a model: loading, hashing, the cache, the SQL.

Each figure is the median of several runs, each into a fresh data directory (the image
cache would otherwise answer). The mock and the image server run in their own process,
as a real provider and web server do: their CPU is not charged to the database. The last
line printed is a JSON object with every figure. ``--quick`` runs fewer repetitions.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.*

import numpy as np
from PIL import Image, ImageDraw

import autovec

IMAGES = 500
SIZE = 256
CONCURRENCY = 8
BATCH = 8  # tongyi-embedding-vision-plus: images per request
LATENCY = 0.1
REMOTE_MODEL = "dashscope/tongyi-embedding-vision-plus"
REMOTE_DIMS = 1152
LOCAL_BATCH = 32  # what autovec's local provider uses per forward pass
_SHAPES = ("circle", "square", "triangle", "diamond")


def colour(index: int, offset: float) -> tuple[int, int, int]:
    """A saturated colour; golden-ratio hue steps keep neighbours apart."""
    hue = (index * 0.618034 + offset) % 1.0
    sector, fraction = divmod(hue * 6, 1)
    ramp = (255, int(255 * (1 - fraction)), 40, 40, int(255 * fraction), 255)
    r, g, b = (ramp[int(sector + k) % 6] for k in (0, 4, 2))
    return r, g, b


def picture(index: int) -> bytes:
    """Picture ``index``: distinct from every other (background, shape, box differ)."""
    image = Image.new("RGB", (SIZE, SIZE), colour(index, 0.0))
    draw = ImageDraw.Draw(image)
    side = 60 + (index * 37) % 140
    left, top = (index * 53) % (SIZE - side), (index * 29) % (SIZE - side)
    box = (left, top, left + side, top + side)
    fill = colour(index, 0.5)
    shape = _SHAPES[index % len(_SHAPES)]
    if shape == "circle":
        draw.ellipse(box, fill=fill)
    elif shape == "square":
        draw.rectangle(box, fill=fill)
    elif shape == "triangle":
        draw.polygon(
            [(left + side // 2, top), (left, top + side), (left + side, top + side)], fill=fill
        )
    else:
        middle = (left + side // 2, top + side // 2)
        draw.polygon(
            [
                (middle[0], top),
                (left + side, middle[1]),
                (middle[0], top + side),
                (left, middle[1]),
            ],
            fill=fill,
        )
    draw.text((8, 8), str(index), fill=(0, 0, 0))  # the index itself: no two alike
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def pictures(count: int) -> dict[str, bytes]:
    out = {f"{i:04d}.png": picture(i) for i in range(count)}
    assert len(set(out.values())) == count, "two pictures came out the same"
    return out


def serve(images: dict[str, bytes], variables: Any, stop: Any, peak: Any) -> None:
    """The DashScope mock and the image server, in a process of their own."""
    from tests.mock_providers.dashscope import DashScopeMock
    from tests.mock_providers.images import ImageServer

    with (
        DashScopeMock(api_key="sk-bench", latency=LATENCY) as mock,
        ImageServer(images) as server,
    ):
        variables.put((mock.variables(), {name: server.url(name) for name in images}))
        while not stop.wait(0.05):
            continue
        peak.value = mock.max_in_flight


def seconds(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def ingest_seconds(
    workdir: Path,
    settings: dict[str, str],
    model: str,
    dims: int,
    sources: list[Any],
    blob: bool,
    warm_up: Callable[[autovec.Cursor], None] | None = None,
) -> float:
    """Seconds of one INSERT of every source into a fresh data directory's image column."""
    with tempfile.TemporaryDirectory(dir=workdir) as directory:
        conn = autovec.connect(directory, autocommit=True)
        cur = conn.cursor()
        for name, value in settings.items():
            cur.execute(f"SET @@GLOBAL.{name} = %s", [value])
        cur.execute(
            f"CREATE TABLE gallery (id INT PRIMARY KEY, src {'LONGBLOB' if blob else 'TEXT'}, "
            f"v VECTOR({dims}) GENERATED ALWAYS AS (EMBED_IMAGE('{model}', src)) STORED)"
        )
        if warm_up is not None:
            warm_up(cur)
        rows = list(enumerate(sources))
        elapsed = seconds(
            lambda: cur.executemany("INSERT INTO gallery (id, src) VALUES (%s, %s)", rows)
        )
        cur.execute("SELECT count(*) FROM gallery WHERE v IS NOT NULL")
        assert cur.fetchone() == (len(sources),), "some images were not embedded"
        conn.close()
    return elapsed


def remote(
    images: dict[str, bytes], runs: int, blob: bool, workdir: Path
) -> dict[str, float | int]:
    ideal = CONCURRENCY * BATCH / LATENCY
    context = multiprocessing.get_context("spawn")
    variables, stop, peak = context.Queue(), context.Event(), context.Value("i", 0)
    server = context.Process(target=serve, args=(images, variables, stop, peak), daemon=True)
    server.start()
    try:
        mock_variables, urls = variables.get(timeout=120)
        settings = {**mock_variables, "autovec_image_allow_private_hosts": "ON"}
        sources = list(images.values()) if blob else [urls[name] for name in images]
        times = [
            ingest_seconds(workdir, settings, REMOTE_MODEL, REMOTE_DIMS, sources, blob)
            for _ in range(runs)
        ]
    finally:
        stop.set()
        server.join(timeout=30)
    measured = len(images) / statistics.median(times)
    return {
        "remote_ratio": measured / ideal,
        "remote_images_per_s": measured,
        "remote_ideal_images_per_s": ideal,
        "remote_peak_concurrency": peak.value,
        "remote_runs_s": times,
    }


def bare_encode(model_dir: Path) -> Callable[[list[bytes]], np.ndarray]:
    """The tiny CLIP's own image encoding, without autovec: transformers on PIL images."""
    import torch
    from transformers import CLIPImageProcessor, CLIPModel

    model = CLIPModel.from_pretrained(str(model_dir), local_files_only=True).eval()
    processor = CLIPImageProcessor.from_pretrained(str(model_dir), local_files_only=True)

    def encode(data: list[bytes]) -> np.ndarray:
        out = []
        for start in range(0, len(data), LOCAL_BATCH):
            batch = [
                Image.open(io.BytesIO(d)).convert("RGB") for d in data[start : start + LOCAL_BATCH]
            ]
            pixels = processor(images=batch, return_tensors="pt")["pixel_values"]
            with torch.inference_mode():
                features = model.get_image_features(pixel_values=pixels)
            features = getattr(features, "pooler_output", features)
            out.append(torch.nn.functional.normalize(features, dim=1).numpy())
        return np.concatenate(out)

    return encode


def local(
    images: dict[str, bytes], runs: int, blob: bool, workdir: Path
) -> dict[str, float | int | str | None]:
    try:
        from tests.embeddings.tiny_models import TINY_CLIP_DIMS, build_tiny_clip
    except ImportError:
        return {"local_ratio": None, "local_note": "this tree has no tiny CLIP builder"}
    model_dir = build_tiny_clip(workdir / "models")
    model = f"local/{model_dir}"
    encode = bare_encode(model_dir)
    data = list(images.values())
    encode(data[:LOCAL_BATCH])  # warm the bare model
    context = multiprocessing.get_context("spawn")
    variables, stop, peak = context.Queue(), context.Event(), context.Value("i", 0)
    server = context.Process(target=serve, args=(images, variables, stop, peak), daemon=True)
    server.start()
    try:
        _, urls = variables.get(timeout=120)
        settings = {"autovec_image_allow_private_hosts": "ON"}
        sources = data if blob else [urls[name] for name in images]

        def warm_up(cur: autovec.Cursor) -> None:  # loads autovec's model outside the timing
            cur.execute("SELECT VEC_DIMS(EMBED_IMAGE(%s, %s))", [model, data[-1]])

        inserts: list[float] = []
        encodes: list[float] = []
        for _ in range(runs):  # alternating, so that a load spike hits both sides alike
            inserts.append(
                ingest_seconds(workdir, settings, model, TINY_CLIP_DIMS, sources, blob, warm_up)
            )
            encodes.append(seconds(lambda: encode(data)))
    finally:
        stop.set()
        server.join(timeout=30)
    measured = len(images) / statistics.median(inserts)
    baseline = len(images) / statistics.median(encodes)
    return {
        "local_ratio": measured / baseline,
        "local_images_per_s": measured,
        "local_bare_images_per_s": baseline,
        "local_runs_s": inserts,
        "local_bare_runs_s": encodes,
    }


def rounded(figures: dict[str, Any]) -> dict[str, Any]:
    def one(value: Any) -> Any:
        if isinstance(value, float):
            return round(value, 3) if math.isfinite(value) else None
        if isinstance(value, list):
            return [one(v) for v in value]
        return value

    return {name: one(value) for name, value in figures.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs, for a smoke test")
    parser.add_argument(
        "--source",
        choices=("url", "blob"),
        default="url",
        help="how the images reach the database (default: URLs on a loopback server)",
    )
    args = parser.parse_args()
    runs = 1 if args.quick else 5
    blob = args.source == "blob"
    images = pictures(IMAGES)
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        figures: dict[str, Any] = {"bench": "image_ingest", "images": IMAGES, "source": args.source}
        figures |= remote(images, runs, blob, workdir)
        print(
            f"remote: INSERT {figures['remote_images_per_s']:.0f} images/s, ideal "
            f"{figures['remote_ideal_images_per_s']:.0f}, peak concurrency "
            f"{figures['remote_peak_concurrency']}"
        )
        figures |= local(images, runs, blob, workdir)
        if figures["local_ratio"] is not None:
            print(
                f"local: INSERT {figures['local_images_per_s']:.0f} images/s, model alone "
                f"{figures['local_bare_images_per_s']:.0f} images/s"
            )
    figures["load_average"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(rounded(figures)))


if __name__ == "__main__":
    main()
