"""Image search on the embedded engine: a gallery of generated pictures, searched by text
and by image.

The script draws a few pictures with Pillow (a colour with a lighter shape in the middle),
stores their paths in a table whose ``EMBED_IMAGE`` column the database fills itself, and
searches it with ``VEC_EMBED_COSINE_DISTANCE`` by a text and by another picture. It runs
offline with any of:

    python examples/image_search.py --tiny-model /tmp/tiny-clip   # builds a tiny random CLIP
    python examples/image_search.py --model local/<clip dir>      # e.g. a clip-ViT-B-32 copy
    python examples/image_search.py --mock jina                   # or --mock dashscope

A tiny random CLIP's answers are arbitrary (its weights are noise): it shows the pipeline.
The mocks embed pictures by their colours, and a text by the colour it names, so their
answers read as a real model's would. Run it from the repository root (the tiny model
builder and the mocks live under tests/).
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.*

from PIL import Image, ImageDraw

import autovec
from tests.embeddings.tiny_models import build_tiny_clip
from tests.mock_providers.dashscope import DashScopeMock
from tests.mock_providers.jina import JinaMock
from tests.mock_providers.server import MockServer

#: The gallery: (colour name, RGB, shape).
PICTURES = [
    ("red", (220, 20, 20), "circle"),
    ("blue", (20, 60, 230), "square"),
    ("orange", (255, 140, 0), "triangle"),
    ("green", (30, 170, 40), "circle"),
    ("yellow", (250, 230, 30), "square"),
    ("purple", (140, 40, 180), "triangle"),
]
TEXT_QUERIES = ["a red circle", "orange tabby cat"]
MOCK_MODELS = {
    "jina": "jina_ai/jina-embeddings-v4",
    "dashscope": "dashscope/tongyi-embedding-vision-plus",
}


def draw(rgb: tuple[int, int, int], shape: str, *, size: int = 128, fmt: str = "PNG") -> bytes:
    """A ``size``×``size`` picture in ``rgb``, a lighter ``shape`` in the middle."""
    image = Image.new("RGB", (size, size), rgb)
    canvas = ImageDraw.Draw(image)
    tint = tuple((c + 255) // 2 for c in rgb)
    box = (size // 4, size // 4, size - size // 4, size - size // 4)
    if shape == "circle":
        canvas.ellipse(box, fill=tint)
    elif shape == "square":
        canvas.rectangle(box, fill=tint)
    else:
        canvas.polygon([(size // 2, box[1]), (box[0], box[3]), (box[2], box[3])], fill=tint)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


@contextmanager
def mock_provider(kind: str | None) -> Iterator[MockServer | None]:
    """The chosen mock provider, serving on loopback for the script's lifetime."""
    if kind is None:
        yield None
        return
    server: MockServer = JinaMock() if kind == "jina" else DashScopeMock()
    with server:
        yield server


def search(cur: autovec.Cursor, query: str | bytes) -> list[tuple[str, float]]:
    """The three nearest pictures to a text or an image (bytes), nearest first."""
    cur.execute(
        "SELECT name, VEC_EMBED_COSINE_DISTANCE(image_vec, %s) AS distance FROM gallery "
        "ORDER BY distance LIMIT 3",
        [query],
    )
    return [(str(name), float(distance)) for name, distance in cur.fetchall()]


def show(label: str, hits: list[tuple[str, float]]) -> None:
    print(f"{label}: " + ", ".join(f"{name} {distance:.3f}" for name, distance in hits))


def run(model: str, workdir: Path, mock: MockServer | None) -> None:
    pictures = workdir / "pictures"
    pictures.mkdir(parents=True, exist_ok=True)
    for colour, rgb, shape in PICTURES:
        (pictures / f"{colour}-{shape}.png").write_bytes(draw(rgb, shape))

    conn = autovec.connect(workdir / "data", autocommit=True)
    cur = conn.cursor()
    # The database reads files only under directories allowed here (none by default).
    cur.execute("SET @@GLOBAL.autovec_image_dirs = %s", [str(pictures)])
    for name, value in (mock.variables() if mock is not None else {}).items():
        cur.execute(f"SET @@GLOBAL.{name} = %s", [value])

    # The column's size is the model's: ask the model, so that any CLIP directory works.
    first = str(pictures / f"{PICTURES[0][0]}-{PICTURES[0][2]}.png")
    cur.execute("SELECT VEC_DIMS(EMBED_IMAGE(%s, %s))", [model, first])
    (dims,) = cur.fetchone()
    cur.execute("DROP TABLE IF EXISTS gallery")
    cur.execute(
        "CREATE TABLE gallery (id INT PRIMARY KEY, name VARCHAR(64), path VARCHAR(512), "
        f"image_vec VECTOR({dims}) GENERATED ALWAYS AS (EMBED_IMAGE('{model}', path)) STORED)"
    )
    rows = [
        (i, f"{colour} {shape}", str(pictures / f"{colour}-{shape}.png"))
        for i, (colour, _, shape) in enumerate(PICTURES, start=1)
    ]
    cur.executemany("INSERT INTO gallery (id, name, path) VALUES (%s, %s, %s)", rows)
    print(f"gallery: {len(rows)} pictures embedded by {model} ({dims} dimensions)")

    for text in TEXT_QUERIES:
        show(f"text {text!r}", search(cur, text))
    # A picture that is not in the gallery: the blue square redrawn larger, as a JPEG.
    query = draw(PICTURES[1][1], PICTURES[1][2], size=200, fmt="JPEG")
    show("image blue-square.jpg", search(cur, query))
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--tiny-model", type=Path, metavar="DIR", help="build a tiny CLIP in DIR")
    which.add_argument("--model", help="an image model, e.g. local/<CLIP directory>")
    which.add_argument("--mock", choices=sorted(MOCK_MODELS), help="a mock provider")
    parser.add_argument(
        "--workdir", type=Path, help="where the pictures and the database go (default: temp)"
    )
    args = parser.parse_args()
    if args.tiny_model is not None:
        model = f"local/{build_tiny_clip(args.tiny_model.resolve())}"
    else:
        model = args.model or MOCK_MODELS[args.mock]
    with mock_provider(args.mock) as mock, tempfile.TemporaryDirectory() as scratch:
        run(model, (args.workdir or Path(scratch)).resolve(), mock)


if __name__ == "__main__":
    main()
