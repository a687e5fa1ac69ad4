"""The modules of `payment_service` import each other without a cycle, the server never
imports its test kit, and an import inside a function says why it is there."""

from __future__ import annotations

import ast

from .imports import SOURCE, cycles, imports, modules

TEST_KIT = "payment_service.testing"


def test_the_import_graph_has_no_cycle():
    assert cycles(imports()) == []


def test_a_cycle_is_found_when_there_is_one(tmp_path):
    package = tmp_path / "payment_service"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from . import b\n")
    (package / "b.py").write_text("def f():\n    from .sub import c  # why\n")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..d import D\n"
        "from ..a import x\n"
    )
    (package / "d.py").write_text("from .sub.c import y\n")
    found = cycles(imports(package))
    assert found == [["payment_service.a", "payment_service.b", "payment_service.sub.c"]]


def test_the_server_never_imports_the_test_kit():
    offending = sorted(
        f"{edge.importer} (line {edge.line})"
        for edge in imports()
        if edge.imported.startswith(TEST_KIT) and not edge.importer.startswith(TEST_KIT)
    )
    assert offending == []


def test_every_import_inside_a_function_says_why():
    """On its line or the line above: a deferred import is a choice someone must explain."""
    unexplained = []
    for module in modules(SOURCE).values():
        text = module.path.read_text(encoding="utf-8")
        lines = text.splitlines()
        for function in ast.walk(ast.parse(text)):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    here, above = lines[node.lineno - 1], lines[node.lineno - 2]
                    if "#" not in here and not above.strip().startswith("#"):
                        unexplained.append(f"{module.name}:{node.lineno}")
    assert unexplained == []


def test_every_folder_of_modules_is_a_package():
    """A folder without `__init__.py` imports from a checkout (a namespace package) but is
    left out of the wheel."""
    folders = {path.parent for path in SOURCE.rglob("*.py") if "__pycache__" not in path.parts}
    assert sorted(str(f) for f in folders if not (f / "__init__.py").exists()) == []
