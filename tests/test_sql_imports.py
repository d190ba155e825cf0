"""The SQL engine's import graph: no cycle among autovec/sql modules, and no import
placed inside a function (the usual way a cycle is hidden rather than removed).

Every import counts: module level, under ``if TYPE_CHECKING:``, and inside functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent.parent / "autovec" / "sql"
PACKAGE = "autovec.sql"
# Heavy dependencies that may be imported where first needed: autovec.embeddings (tens of
# milliseconds to import) is needed only once a statement embeds, not to open a session.
ALLOWED_IN_FUNCTIONS: frozenset[str] = frozenset({"autovec.embeddings"})


def _module_name(path: Path) -> str:
    parts = path.relative_to(SQL_DIR).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join((PACKAGE, *parts))


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(SQL_DIR.rglob("*.py"))}


def _imported(node: ast.Import | ast.ImportFrom, module: str, known: set[str]) -> set[str]:
    """The autovec.sql modules an import statement names (``from pkg import mod`` too)."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name in known}
    base = node.module or ""
    if node.level:  # relative: resolve against the importing module's package
        package = module.split(".")[: -node.level] if not module.endswith("__init__") else []
        base = ".".join([*package, *([base] if base else [])])
    found = {base} if base in known else set()
    found |= {f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in known}
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(), str(path))
        edges: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                edges |= _imported(node, module, known)
        # A package's __init__ is imported by its submodules implicitly: not an edge.
        graph[module] = {target for target in edges if target != module}
    return graph


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path that starts and ends at the same module."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state and (cycle := visit(module)):
            return cycle
    return None


def _imports_in_functions() -> list[str]:
    found = []
    for path in _modules().values():
        tree = ast.parse(path.read_text(), str(path))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    names = (
                        [alias.name for alias in node.names]
                        if isinstance(node, ast.Import)
                        else [node.module or ""]
                    )
                    if not all(name in ALLOWED_IN_FUNCTIONS for name in names):
                        found.append(f"{path.name}:{node.lineno} {', '.join(names)}")
    return sorted(set(found))


def test_no_import_cycle_in_sql_package() -> None:
    cycle = _find_cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_no_imports_inside_functions() -> None:
    found = _imports_in_functions()
    assert not found, "imports inside functions:\n" + "\n".join(found)
