"""examples/image_search.py, run as a user would (a subprocess, offline): with the mocks,
whose vectors follow colour, the searches must find the right pictures; with the tiny
random CLIP, whose answers are arbitrary, the whole pipeline must run and rank."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.embeddings.tiny_models import build_tiny_clip

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
PICTURES = [
    ("red", "circle"),
    ("blue", "square"),
    ("orange", "triangle"),
    ("green", "circle"),
    ("yellow", "square"),
    ("purple", "triangle"),
]
HIT = re.compile(r"(\w+ \w+) (-?\d+\.\d{3})")


def run_example(cwd: Path, *args: str) -> dict[str, list[tuple[str, float]]]:
    """The script's searches: label → [(picture, distance)], nearest first."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "image_search.py"), *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("gallery: 6 pictures embedded by "), done.stdout
    searches = {}
    for line in lines[1:]:
        label, hits = line.split(": ", 1)
        searches[label] = [(name, float(d)) for name, d in HIT.findall(hits)]
    assert list(searches) == [
        "text 'a red circle'",
        "text 'orange tabby cat'",
        "image blue-square.jpg",
    ]
    for hits in searches.values():
        assert len(hits) == 3
        distances = [d for _, d in hits]
        assert distances == sorted(distances)
    return searches


@pytest.mark.parametrize("mock", ["jina", "dashscope"])
def test_with_a_mock_the_searches_find_the_right_pictures(tmp_path: Path, mock: str) -> None:
    searches = run_example(tmp_path, "--mock", mock, "--workdir", str(tmp_path / "work"))
    assert searches["text 'a red circle'"][0][0] == "red circle"
    assert searches["text 'orange tabby cat'"][0][0] == "orange triangle"
    # A larger JPEG of the blue square: the mock's vector of its colours is the same.
    assert searches["image blue-square.jpg"][0] == ("blue square", pytest.approx(0.0, abs=2e-3))
    drawn = {p.name for p in (tmp_path / "work" / "pictures").iterdir()}
    assert drawn == {f"{colour}-{shape}.png" for colour, shape in PICTURES}
    assert (tmp_path / "work" / "data").is_dir()


def test_with_the_tiny_clip_model_built_by_the_script(tmp_path: Path) -> None:
    searches = run_example(tmp_path, "--tiny-model", str(tmp_path / "model"))
    assert (tmp_path / "model" / "clip" / "config.json").is_file()
    names = {f"{colour} {shape}" for colour, shape in PICTURES}
    for hits in searches.values():
        assert {name for name, _ in hits} <= names
        assert all(0.0 <= d <= 2.0 for _, d in hits)  # cosine distances


def test_with_a_model_directory_given_as_local(tmp_path: Path) -> None:
    model = build_tiny_clip(tmp_path / "model", format="sentence-transformers")
    searches = run_example(tmp_path, "--model", f"local/{model}")
    assert len(searches["image blue-square.jpg"]) == 3
