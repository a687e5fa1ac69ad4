"""The import graph of `payment_service`, read from the source with `ast` (nothing imported).

An edge A → B means module A imports module B at run time: at module level, or inside a
function (a deferred import is still a dependency). Imports under `if TYPE_CHECKING:` are left
out: they never run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "payment_service"
SOURCE = Path(__file__).resolve().parents[2] / PACKAGE


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    is_package: bool


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int
    deferred: bool
    """Inside a function (or method), rather than at module level."""


def modules(root: Path = SOURCE) -> dict[str, Module]:
    found: dict[str, Module] = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        found[".".join(parts)] = Module(".".join(parts), path, is_package)
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(node: ast.AST, deferred: bool) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child):
            for other in child.orelse:
                yield from _walk(other, deferred)
            continue
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child, deferred
        inner = deferred or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        yield from _walk(child, inner)


def _targets(module: Module, node: ast.Import | ast.ImportFrom, known: set[str]) -> list[str]:
    """The modules of this package that `node` imports."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name in known]
    if node.level:
        base = module.name.split(".")
        if not module.is_package:
            base.pop()
        base = base[: len(base) - (node.level - 1)]
        source = ".".join([*base, *([node.module] if node.module else [])])
    else:
        source = node.module or ""
    targets = []
    for alias in node.names:
        submodule = f"{source}.{alias.name}"
        if submodule in known:
            targets.append(submodule)  # `from package import module`
        elif source in known:
            targets.append(source)  # a name defined in `source`
    return targets


def imports(root: Path = SOURCE) -> list[Import]:
    found = modules(root)
    known = set(found)
    edges: list[Import] = []
    for module in found.values():
        tree = ast.parse(module.path.read_text(encoding="utf-8"), str(module.path))
        for node, deferred in _walk(tree, False):
            for target in _targets(module, node, known):
                if target != module.name:
                    edges.append(Import(module.name, target, node.lineno, deferred))
    return edges


def cycles(edges: list[Import]) -> list[list[str]]:
    """Every strongly connected component of more than one module (Tarjan), sorted."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        graph.setdefault(edge.importer, set()).add(edge.imported)
        graph.setdefault(edge.imported, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)
