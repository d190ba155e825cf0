"""Real texts to measure local models on, offline: the standard library's docstrings.

``autovec models check`` measures the int8 mode on them; the benchmarks and the batching
tests embed them too. They are read with ``ast`` (no module is imported), in file order,
so every run on one Python version gets the same texts.
"""

from __future__ import annotations

import ast
import sysconfig
from pathlib import Path

__all__ = ["stdlib_docstrings"]

_DOCUMENTED = ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef


def stdlib_docstrings(count: int, *, min_chars: int = 100, max_chars: int = 400) -> list[str]:
    """Up to ``count`` distinct docstrings of ``min_chars`` to ``max_chars`` characters."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    texts: list[str] = []
    seen: set[str] = set()
    for path in sorted(stdlib.glob("*.py")) + sorted(stdlib.glob("*/*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, _DOCUMENTED):
                doc = ast.get_docstring(node)
                if doc and min_chars <= len(doc) <= max_chars and doc not in seen:
                    seen.add(doc)
                    texts.append(doc)
                    if len(texts) >= count:
                        return texts
    return texts
