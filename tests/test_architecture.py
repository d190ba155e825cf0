"""The layering of ``../shared/DESIGN.md``, checked on the source: dependencies point
down only, the two leaves import nothing above them, the SDK never reaches past SQL, no
module imports another's private names, and no import cycle exists anywhere in
``autovec`` — counting imports under ``TYPE_CHECKING`` and imports inside functions.

Every ``import`` / ``from … import`` in every module is read with :mod:`ast`, so the
test sees what a reader sees, not what happened to be imported at run time.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "autovec"

#: Layer of each top-level part of ``autovec`` (a module or a subpackage); a part may
#: import parts of its own layer or lower ones. From DESIGN.md, top to bottom.
LAYERS: dict[str, int] = {
    "__main__": 7,
    "cli": 7,
    "server": 7,
    "schema": 6,
    "datatype": 6,
    "rerankers": 6,
    "client": 6,
    "__init__": 6,
    "sqlalchemy": 5,
    "dbapi": 4,
    "sql": 3,
    "storage": 2,
    "embeddings": 2,
    "errors": 1,
    "cache_key": 1,
    "vector": 1,
    "version": 1,
    "_kernels": 0,
}

#: Same-layer parts that must still not import each other.
FORBIDDEN: set[tuple[str, str]] = {
    ("storage", "embeddings"),
    ("embeddings", "storage"),
    ("client", "sql"),  # the SDK must run over mysql+pymysql: SQL only
    ("client", "storage"),
    ("client", "dbapi"),
    ("rerankers", "client"),
}

#: Imports placed inside a function on purpose: optional or heavy dependencies loaded
#: when first used (usearch: 0.2 s, for tables with a vector index; urllib.request:
#: ``file://`` image URLs only; numpy: ``autovec.embeddings`` imports without it, see
#: tests/embeddings/test_import.py; autovec.embeddings: 60 ms, loaded by the engine on
#: the first statement that embeds, not to open a session).
LAZY_ALLOWED = {
    "torch",
    # ONNX Runtime and tokenizers run exported local models: loaded with the model, so that
    # plain SQL and ``autovec --version`` never pay for them.
    "onnxruntime",
    "tokenizers",
    "sentence_transformers",
    "transformers",
    "PIL",
    "pandas",
    "huggingface_hub",
    "usearch",
    "urllib.request",
    "numpy",
    "autovec.embeddings",
}

#: The compiled kernels keep the extension-module convention of a leading underscore.
PRIVATE_MODULES_ALLOWED = {"_kernels"}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted
    target: str  # the imported module, dotted
    names: tuple[str, ...]  # names taken from it (from-imports)
    in_function: bool
    line: int


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


#: Compiled extension modules (no source to read; they import nothing of autovec).
EXTENSIONS = {"autovec._kernels"}


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str, path: Path) -> Iterator[Import]:
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    def visit(node: ast.AST, in_function: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield Import(name, alias.name, (), inside, child.lineno)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                names = tuple(alias.name for alias in child.names)
                yield Import(name, base, names, inside, child.lineno)
            yield from visit(child, inside)

    yield from visit(tree, False)


ALL = modules()
IMPORTS = [imp for name, path in ALL.items() for imp in imports_of(name, path)]


def resolved(imp: Import) -> list[str]:
    """The autovec modules an import loads: ``from autovec.sql import ddl`` is ``autovec.sql.ddl``."""
    if not (imp.target == "autovec" or imp.target.startswith("autovec.")):
        return []
    known = ALL.keys() | EXTENSIONS
    submodules = [f"{imp.target}.{n}" for n in imp.names if f"{imp.target}.{n}" in known]
    return submodules or ([imp.target] if imp.target in ALL else [])


def part(module: str) -> str:
    return module.split(".")[1] if "." in module else "__init__"


def where(imp: Import) -> str:
    return f"{imp.module} (line {imp.line}) imports {imp.target}"


def test_every_part_has_a_layer() -> None:
    assert {part(m) for m in ALL} <= set(LAYERS)


def test_dependencies_point_down() -> None:
    wrong = [
        where(imp)
        for imp in IMPORTS
        for target in resolved(imp)
        if part(target) != part(imp.module)
        and (
            LAYERS[part(target)] > LAYERS[part(imp.module)]
            or (part(imp.module), part(target)) in FORBIDDEN
        )
    ]
    assert wrong == []


def test_no_private_name_is_imported_from_another_module() -> None:
    wrong = [
        f"{where(imp)}: {name}"
        for imp in IMPORTS
        if resolved(imp) and imp.target != imp.module
        for name in imp.names
        if name.startswith("_")
        and not name.startswith("__")
        and name not in PRIVATE_MODULES_ALLOWED
    ]
    assert wrong == []


def test_imports_inside_functions_are_only_optional_dependencies() -> None:
    wrong = [
        where(imp)
        for imp in IMPORTS
        if imp.in_function
        and not any(
            imp.target == lazy or imp.target.startswith(lazy + ".") for lazy in LAZY_ALLOWED
        )
        # The command line loads each command's modules when the command runs, so
        # `autovec --version` starts without the engine (documented in the README).
        and part(imp.module) != "cli"
    ]
    assert wrong == []


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` (a list of modules, first repeated last), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in ALL}
    for imp in IMPORTS:
        for target in resolved(imp):
            # A package's __init__ re-exporting its own modules is not a cycle.
            if target != imp.module and not imp.module.startswith(target + "."):
                graph[imp.module].add(target)
    return graph


def test_the_cycle_finder_finds_cycles() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle() -> None:
    assert find_cycle(import_graph()) is None
