"""Importing the package stays cheap: no HTTP client, numpy, torch or PIL until needed."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("torch", "sentence_transformers", "transformers", "PIL", "httpx", "numpy")

SCRIPT = f"""
import sys
import autovec  # the parent package may legitimately load what the engine needs
before = set(sys.modules)
import autovec.embeddings
from autovec.embeddings import EmbeddingFunction
EmbeddingFunction("openai/text-embedding-3-small", dimensions=512).known_dimensions
new = set(sys.modules) - before
heavy = sorted(m for m in new if m.split(".")[0] in {HEAVY!r})
print(",".join(heavy))
"""


def test_import_pulls_in_nothing_heavy() -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
